"""Start-up choices of ``run_gui``: which site opens, remembered preferences, what Settings shows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QImage
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from app.site.demo import demo_site_path
from ui.main import choose_site, describe_database, last_site_file, remember_site
from ui.settings_store import UiSettings, load_settings, save_settings, settings_path
from ui.theme import apply_theme, load_stylesheet, pick_families

CHINESE = "视频墙传感器报警设置"  # words the Chinese interface shows
MISSING = "\U0010fffd"  # a private-use code point no font draws: what a missing glyph looks like


def test_first_run_opens_the_demo() -> None:
    assert choose_site(None, False) == (demo_site_path(), True)


def test_explicit_choices_win(tmp_path: Path) -> None:
    site = tmp_path / "ward.toml"
    assert choose_site(site, False) == (site, False)
    assert choose_site(None, True) == (demo_site_path(), True)


def test_last_used_site_reopens(tmp_path: Path) -> None:
    site = tmp_path / "ward.toml"
    site.write_text("", encoding="utf-8")
    remember_site(site)
    assert choose_site(None, False) == (site.resolve(), False)
    remember_site(None)  # the demo was the last used
    assert last_site_file().read_text(encoding="utf-8") == "demo"
    assert choose_site(None, False) == (demo_site_path(), True)


def test_a_vanished_last_site_falls_back_to_the_demo(tmp_path: Path) -> None:
    remember_site(tmp_path / "gone.toml")
    assert choose_site(None, False) == (demo_site_path(), True)


def test_settings_default_roundtrip_and_bad_files() -> None:
    assert load_settings() == UiSettings()
    save_settings(UiSettings(language="zh_CN"))
    assert load_settings().language == "zh_CN"
    settings_path().write_text("{not json", encoding="utf-8")
    assert load_settings() == UiSettings()
    settings_path().write_text('{"version": 99, "language": "zh_CN"}', encoding="utf-8")
    assert load_settings() == UiSettings()


def test_database_password_is_hidden() -> None:
    shown = describe_database("postgresql+psycopg://ward:s3cret@127.0.0.1:5432/wardroom")
    assert "s3cret" not in shown and "ward" in shown


def test_font_choice_prefers_latin_then_cjk() -> None:
    assert pick_families(["WenQuanYi Micro Hei", "DejaVu Sans", "Other"]) == [
        "DejaVu Sans",
        "WenQuanYi Micro Hei",
    ]
    assert pick_families(["Other"]) == []


def test_stylesheet_icon_paths_are_absolute() -> None:
    text = load_stylesheet()
    assert "@ICONS@" not in text
    assert "resources/icons/arrow-down.svg" in text


def _rendered(qtbot: QtBot, text: str, font: QFont) -> QImage:
    label = QLabel(text)
    qtbot.addWidget(label)
    label.setFont(font)
    label.adjustSize()
    return label.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)


def _ink(image: QImage) -> bytes:
    """The image's pixels (comparable: two renderings of the same glyph are byte-equal)."""
    return bytes(image.constBits())[: image.sizeInBytes()]


def test_chinese_renders_with_a_cjk_font(qtbot: QtBot, themed_app: QApplication) -> None:
    """The theme picks a font that has Simplified Chinese, and Chinese labels draw real glyphs."""
    cjk = apply_theme(themed_app)
    assert cjk is not None, "no CJK font installed (the test command installs fonts-noto-cjk)"
    assert QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(cjk)
    assert cjk in themed_app.font().families()  # the fallback the whole interface uses
    metrics = QFontMetrics(QFont(cjk))
    assert all(metrics.inFontUcs4(ord(char)) for char in CHINESE)

    font = themed_app.font()
    tofu = _ink(_rendered(qtbot, MISSING, font))
    glyphs = {char: _ink(_rendered(qtbot, char, font)) for char in CHINESE}
    assert all(ink != tofu for ink in glyphs.values()), "a Chinese character is drawn as a missing glyph"
    assert len(set(glyphs.values())) == len(CHINESE), "different characters must look different"
    whole = _rendered(qtbot, CHINESE, font)
    background = whole.pixelColor(0, 0).value()
    dark = sum(
        1
        for y in range(whole.height())
        for x in range(whole.width())
        if whole.pixelColor(x, y).value() < background - 80
    )
    assert dark > 10 * len(CHINESE), "the label is blank"

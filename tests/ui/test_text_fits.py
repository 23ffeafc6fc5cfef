"""No text of ours is cut off: every visible label, button and tab of every page fits, in both languages.

At 800×600, 1280×800 and 1920×1080, in English and in Chinese (with the CJK font the theme picks),
the main window shows each page in turn; every visible ``QLabel``, ``QAbstractButton`` and tab text
must fit its widget: a one-line text its width (``QFontMetrics.horizontalAdvance`` against the
contents rectangle), a word-wrapped label its height (``heightForWidth`` against the height it got),
and no single word wider than the label. A text that does not fit passes only when it is elided on
purpose and its tooltip holds it whole (``ElidedLabel``; a tab with the full text as its tooltip).

The demo site with a PLC down (a long reason) and one building in alarm gives the pages their longest
texts ("Abnormal points in 1 of 3 buildings.", the banner's beyond-limit count).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.events import LinkStateChanged
from app.fieldbus.events import PointQualityChanged
from app.fieldbus.quality import PointReading
from app.site.demo import demo_site_path
from app.site.loader import load_site
from ui.i18n import Translations
from ui.main_window import PAGE_KEYS, MainWindow
from ui.pages.settings import StationFacts
from ui.session import GuiSession
from widgets.elided_label import ElidedLabel

SIZES: tuple[tuple[int, int], ...] = ((800, 600), (1280, 800), (1920, 1080))
REASON = "PLC demo-fire-panel at 127.0.0.1:5020 did not answer within 1000 ms (connection refused)"
TOLERANCE = 1  # px: metrics round
# What a line may not break inside: a run of Latin letters and digits; any CJK character stands alone.
CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
UNBREAKABLE = re.compile(f"[{CJK}]|[^\\s{CJK}]+")


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def _where(widget: QWidget) -> str:
    names = []
    node: QWidget | None = widget
    while node is not None and len(names) < 4:
        names.append(node.objectName() or type(node).__name__)
        node = node.parentWidget()
    return "/".join(reversed(names))


def _lines_width(metrics: QFontMetrics, text: str) -> int:
    return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)


def label_problem(label: QLabel) -> str | None:
    """Why the label's text does not fit (None: it fits, or it is elided with the text in its tooltip)."""
    text = label.text()
    if not text or label.textFormat() == Qt.TextFormat.RichText or text.lstrip().startswith("<"):
        return None
    if isinstance(label, ElidedLabel):
        return None if label.toolTip() == label.full_text else f"elided without the full tooltip: {text!r}"
    rect = label.contentsRect()
    width = rect.width() - 2 * max(0, label.margin()) - max(0, label.indent())
    metrics = label.fontMetrics()
    if label.wordWrap():
        widest_word = max((metrics.horizontalAdvance(word) for word in UNBREAKABLE.findall(text)), default=0)
        if widest_word > width + TOLERANCE:
            return f"a word wider ({widest_word}) than the label ({width}): {text!r}"
        needed = label.heightForWidth(label.width())
        if needed > label.height() + TOLERANCE:
            return f"wrapped text needs {needed} px of height, has {label.height()}: {text!r}"
        # And measured directly in the rectangle the text is drawn in (padding from the stylesheet
        # narrows it, which heightForWidth does not always see).
        box = metrics.boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text)
        if box.height() > rect.height() + TOLERANCE:
            return f"wrapped text needs {box.height()} px of height, has {rect.height()}: {text!r}"
        return None
    advance = _lines_width(metrics, text)
    if advance > width + TOLERANCE:
        return f"text needs {advance} px, has {width}: {text!r}"
    lines = text.count("\n") + 1
    height = metrics.lineSpacing() * (lines - 1) + metrics.height()
    if height > rect.height() + TOLERANCE:
        return f"text needs {height} px of height, has {rect.height()}: {text!r}"
    return None


def button_problem(button: QAbstractButton) -> str | None:
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text:
        return None
    metrics = button.fontMetrics()
    advance = _lines_width(metrics, text)
    if isinstance(button, QPushButton):
        # The style's margins around a text (measured on a wide text: the style's minimum width of a
        # push button would hide them), plus the icon.
        option = QStyleOptionButton()
        option.initFrom(button)
        option.text = text
        wide = QSize(10_000, metrics.height())
        frame = button.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, wide, button)
        margins = frame.width() - wide.width()
        icon = button.iconSize().width() + 4 if not button.icon().isNull() else 0
        needed = advance + margins + icon
    elif isinstance(button, (QCheckBox, QRadioButton)):
        needed = button.sizeHint().width()
    else:
        needed = button.sizeHint().width()
    if needed > button.width() + TOLERANCE:
        return f"text needs {needed} px, has {button.width()}: {text!r}"
    return None


def tab_problems(bar: QTabBar) -> list[str]:
    problems = []
    for index in range(bar.count()):
        text = bar.tabText(index)
        if not text:
            continue
        if bar.tabSizeHint(index).width() > bar.tabRect(index).width() + TOLERANCE and bar.tabToolTip(
            index
        ) != text.replace("&", ""):
            problems.append(f"tab {index} cut without a tooltip: {text!r}")
    return problems


def cut_texts(root: QWidget) -> list[str]:
    """Every visible text under ``root`` that does not fit, as 'where: why'."""
    found: list[str] = []
    for label in root.findChildren(QLabel):
        if label.isVisible() and (problem := label_problem(label)):
            found.append(f"{_where(label)}: {problem}")
    for button in root.findChildren(QAbstractButton):
        if button.isVisible() and (problem := button_problem(button)):
            found.append(f"{_where(button)}: {problem}")
    for bar in root.findChildren(QTabBar):
        if bar.isVisible():
            found += [f"{_where(bar)}: {problem}" for problem in tab_problems(bar)]
    return found


def _trouble(gui: GuiSession) -> None:
    """A PLC down with a long reason and a point beyond its low-low limit (the longest texts)."""
    gui.bus.publish(LinkStateChanged(kind="plc", id="demo-fire-panel", status="disconnected", reason=REASON))
    reading = PointReading("b3.sprinkler.pressure", 0.01, None, "good", time.time())
    gui.bus.publish(PointQualityChanged(plc_id="demo-fire-panel", reading=reading, previous="good"))


def _walk_pages(qtbot: QtBot, window: MainWindow, size: tuple[int, int]) -> list[str]:
    window.resize(*size)
    QApplication.processEvents()
    minimum = window.minimumSizeHint()
    problems: list[str] = []
    if minimum.width() > size[0] or minimum.height() > size[1]:
        needs = f"{minimum.width()}×{minimum.height()}"
        problems.append(f"{size[0]}×{size[1]}: the window needs at least {needs}")
        return problems
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=5000)
    for key in PAGE_KEYS:
        window.show_page(key)
        QApplication.processEvents()
        QApplication.processEvents()
        problems += [f"{size[0]}×{size[1]} {key}: {p}" for p in cut_texts(window)]
    return problems


def test_every_text_fits_at_three_sizes_in_two_languages(qtbot: QtBot, translations: Translations) -> None:
    loaded = load_site(demo_site_path())
    facts = StationFacts(
        site_file=str(demo_site_path()), database="sqlite:///ward.sqlite3", user="olga", role="duty-officer"
    )
    gui = GuiSession(loaded, None, translations, facts, demo=True)
    window = gui.window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        _trouble(gui)
        sensors = window.sensors_page
        qtbot.waitUntil(lambda: sensors.beyond_limit_count() == 1, timeout=5000)
        window.show_page("sensors")
        sensors.refresh()
        problems: list[str] = []
        for language in ("en", "zh_CN"):
            translations.install(language)
            QApplication.processEvents()
            for size in SIZES:
                problems += [f"[{language}] {p}" for p in _walk_pages(qtbot, window, size)]
        assert problems == [], "text cut off:\n" + "\n".join(dict.fromkeys(problems))
    finally:
        window.close()
        gui.shutdown()


def test_no_gap_between_the_building_list_and_the_gauges(qtbot: QtBot, translations: Translations) -> None:
    loaded = load_site(demo_site_path())
    facts = StationFacts(site_file=str(demo_site_path()), database="(none)", user="olga", role="duty-officer")
    gui = GuiSession(loaded, None, translations, facts, demo=True)
    window = gui.window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.show_page("sensors")
        sensors = window.sensors_page
        for size in SIZES:
            window.resize(*size)
            qtbot.waitUntil(lambda size=size: window.width() == size[0], timeout=5000)
            QApplication.processEvents()
            side = sensors.building_list
            grid = sensors.grid(sensors.current_building() or "")
            gauges = [g for g in grid.gauges() if g.isVisible()]
            assert gauges
            side_right = side.mapTo(window, side.rect().topRight()).x()
            first_left = min(g.mapTo(window, g.rect().topLeft()).x() for g in gauges)
            assert first_left - side_right <= 40, f"{size}: a gap of {first_left - side_right} px"
    finally:
        window.close()
        gui.shutdown()

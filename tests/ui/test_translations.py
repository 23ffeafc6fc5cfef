"""The Chinese catalogue is complete, current with the source, and its compiled form is current."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from ui.i18n import I18N_DIR, Translations

REPO = Path(__file__).resolve().parents[2]
TS = I18N_DIR / "wardroom_zh_CN.ts"
QM = I18N_DIR / "wardroom_zh_CN.qm"
TOOLS = Path(sys.executable).parent


def _sources() -> list[str]:
    files = [*sorted((REPO / "ui").glob("*.py")), *sorted((REPO / "ui" / "pages").glob("*.py"))]
    files += sorted((REPO / "widgets").glob("*.py"))
    return [str(path.relative_to(REPO)) for path in files]


def test_ts_is_current_with_the_source(tmp_path: Path) -> None:
    """lupdate over ui/ and widgets/ must find nothing new or vanished (see resources/i18n/README.md)."""
    copy = tmp_path / TS.name
    shutil.copy(TS, copy)
    subprocess.run(
        [str(TOOLS / "pyside6-lupdate"), *_sources(), "-ts", str(copy), "-no-obsolete", "-locations", "none",
         "-source-language", "en", "-target-language", "zh_CN", "-silent"],
        cwd=REPO, check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    assert copy.read_text(encoding="utf-8") == TS.read_text(encoding="utf-8"), (
        "resources/i18n/wardroom_zh_CN.ts is stale: run pyside6-lupdate (resources/i18n/README.md)"
    )


def test_every_string_is_translated() -> None:
    untranslated = [
        message.findtext("source")
        for message in ET.parse(TS).getroot().iter("message")
        if (translation := message.find("translation")) is None
        or translation.get("type") in ("unfinished", "vanished", "obsolete")
        or not (translation.text or "").strip()
    ]
    assert untranslated == []


def test_placeholders_survive_translation() -> None:
    for message in ET.parse(TS).getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.findtext("translation") or ""
        names: tuple[str, ...] = ("{site}", "{count}", "{error}", "{what}", "{point}", "{where}", "{plc}")
        names += ("{reason}", "{value}", "{role}", "{name}", "{seconds}", "{quality}", "{age}", "{limit}")
        names += ("{total}",)
        for name in names:
            assert (name in source) == (name in translation), (source, translation)
        # And no placeholder may be invented or misspelt in the translation.
        assert sorted(re.findall(r"\{\w+\}", translation)) == sorted(re.findall(r"\{\w+\}", source)), (
            source,
            translation,
        )


def test_qm_is_compiled_from_the_ts(tmp_path: Path) -> None:
    fresh = tmp_path / QM.name
    subprocess.run(
        [str(TOOLS / "pyside6-lrelease"), str(TS), "-qm", str(fresh), "-silent"],
        check=True, timeout=60, capture_output=True,
    )  # fmt: skip
    assert fresh.read_bytes() == QM.read_bytes(), "wardroom_zh_CN.qm is stale: run pyside6-lrelease"


def test_catalogue_loads_and_translates(qapp: QApplication) -> None:
    translations = Translations(qapp)
    try:
        assert translations.install("zh_CN")
        assert translations.language == "zh_CN"
        assert QCoreApplication.translate("MainWindow", "Camera wall") == "视频墙"
        assert QCoreApplication.translate("AlarmBanner", "No active alarms") == "无活动报警"
    finally:
        translations.install("en")
    assert QCoreApplication.translate("MainWindow", "Camera wall") == "Camera wall"

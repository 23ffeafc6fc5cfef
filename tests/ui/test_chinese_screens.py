"""In Chinese, the Sensors and Settings pages show no English words of ours.

What may stay Latin: the site's own data (site, building, PLC, point and camera ids and names, the
readable point titles made from ids, units), the user's name, file and database paths, "PLC",
"DEMO", the language's own name "English", and reasons that come from the core in English (a PLC
that does not answer: "PLC panel-a at 127.0.0.1:5020 did not answer ..."). Those reasons are
documented as English in the core; the words *around* them must be Chinese.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QListWidget,
    QTabBar,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.events import LinkStateChanged
from app.fieldbus.events import PointQualityChanged
from app.fieldbus.quality import PointReading, Quality
from app.site.loader import load_site
from tests.ui.sites import FAILING_PLC, LIVE_PLC, write_sensor_site
from ui.i18n import Translations
from ui.pages.sensor_view import point_label
from ui.pages.settings import StationFacts
from ui.session import GuiSession
from widgets.gauge_base import GaugeBase

REASON = f"PLC {FAILING_PLC} at 127.0.0.1:5020 did not answer within 500 ms"
ALWAYS_ALLOWED = {"PLC", "DEMO", "English"}
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")  # single letters too: an untranslated age unit "7 s"


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def _visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every visible text of the operator's: labels, buttons, lists, tabs, tables."""
    found: list[tuple[str, str]] = []
    for label in root.findChildren(QLabel):
        if label.isVisible() and label.text():
            found.append((f"label {label.objectName()}", label.text()))
    for button in root.findChildren(QAbstractButton):
        if button.isVisible() and button.text():
            found.append((f"button {button.objectName()}", button.text()))
    for box in root.findChildren(QGroupBox):
        if box.isVisible() and box.title():
            found.append((f"group {box.objectName()}", box.title()))
    for combo in root.findChildren(QComboBox):
        if combo.isVisible():
            found.append((f"combo {combo.objectName()}", combo.currentText()))
    for view in root.findChildren(QListWidget):
        if view.isVisible():
            found += [(f"list {view.objectName()}", view.item(row).text()) for row in range(view.count())]
    for bar in root.findChildren(QTabBar):
        if bar.isVisible():
            found += [(f"tab {bar.objectName()}", bar.tabText(index)) for index in range(bar.count())]
    for table in root.findChildren(QTableWidget):
        if not table.isVisible():
            continue
        for column in range(table.columnCount()):
            header = table.horizontalHeaderItem(column)
            if header is not None:
                found.append((f"table header {table.objectName()}", header.text()))
            for row in range(table.rowCount()):
                item = table.item(row, column)
                if item is not None and item.text():
                    found.append((f"table {table.objectName()}", item.text()))
    for gauge in root.findChildren(GaugeBase):
        if gauge.isVisible():
            found.append((f"gauge {gauge.point_id} status", gauge.status_text()))
            found.append((f"gauge {gauge.point_id} value", gauge.value_text()))
    return found


def _english_words(
    texts: list[tuple[str, str]], allowed_words: set[str], allowed_texts: list[str]
) -> list[str]:
    leaks = []
    for where, text in texts:
        for phrase in allowed_texts:  # data and core reasons, shown as they are
            text = text.replace(phrase, " ")
        words = [w for w in WORD.findall(text) if w not in allowed_words and w.lower() not in allowed_words]
        if words:
            leaks.append(f"{where}: {text!r} -> {words}")
    return leaks


def _reading(point_id: str, quality: Quality, value: float | bool | None, error: str = "") -> PointReading:
    return PointReading(point_id, value, None, quality, time.time() - 7, error)


def test_sensors_and_settings_speak_chinese(qtbot: QtBot, tmp_path: Path, translations: Translations) -> None:
    path = write_sensor_site(tmp_path / "site")
    loaded = load_site(path)
    site = loaded.site
    facts = StationFacts(
        site_file=str(path), database="sqlite:///ward.sqlite3", user="olga", role="duty-officer"
    )
    gui = GuiSession(loaded, None, translations, facts, demo=False)
    qtbot.addWidget(gui.window)
    gui.window.show()
    window = gui.window
    try:
        window.settings_page.choose_language("zh_CN")
        qtbot.waitUntil(lambda: window.nav_texts()[1] == "传感器", timeout=5000)
        # Every quality a gauge can show, and an alarm, arrive through the real bridge.
        states: list[tuple[str, Quality, float | bool | None, str]] = [
            ("a.pressure", "comm-fail", 0.75, REASON),
            ("a.level", "stale", 2.5, "no good read for 3 poll periods"),
            ("a.temperature", "bad-config", None, "the PLC rejected address ir:0 (exception 2)"),
            ("a.smoke", "comm-fail", False, REASON),
            ("b.pressure", "good", 0.05, ""),  # below its low limit: in alarm
            ("b.smoke", "good", True, ""),  # smoke: in alarm
        ]
        for point_id, quality, value, error in states:
            reading = _reading(point_id, quality, value, error)
            gui.bus.publish(PointQualityChanged(plc_id="x", reading=reading, previous="good"))
        gui.bus.publish(LinkStateChanged(kind="plc", id=FAILING_PLC, status="disconnected", reason=REASON))
        gui.bus.publish(LinkStateChanged(kind="plc", id=LIVE_PLC, status="connected"))
        window.show_page("sensors")
        page = window.sensors_page
        qtbot.waitUntil(lambda: page.state("b.smoke").alarm_active, timeout=5000)
        page.grid("B1").tick()
        page.open_trend("b.pressure")
        qtbot.waitUntil(lambda: page.trend_panel.isVisible(), timeout=5000)
        QApplication.processEvents()

        allowed_texts = [REASON, str(path), facts.database, site.site.name]
        allowed_texts += [b.name for b in site.building] + [c.display_name for c in site.camera]
        allowed_texts += [point_label(p.id) for p in site.point] + [p.id for p in site.point]
        allowed_texts += [plc.id for plc in site.plc]
        allowed_texts.sort(key=len, reverse=True)  # longest first: a name before the word inside it
        units = {p.unit for p in site.point if p.unit}
        allowed_words = set(ALWAYS_ALLOWED) | {facts.user} | units
        allowed_words |= {"".join(WORD.findall(u)) for u in units}  # "°C" -> "C"
        sensors_texts = _visible_texts(page)
        assert any("值" in text or "传感器" in text for _, text in sensors_texts)
        leaks = _english_words(sensors_texts, allowed_words, allowed_texts)
        assert leaks == [], "English on the Chinese Sensors page:\n" + "\n".join(leaks)

        window.show_page("settings")
        QApplication.processEvents()
        leaks = _english_words(_visible_texts(window.settings_page), allowed_words, allowed_texts)
        assert leaks == [], "English on the Chinese Settings page:\n" + "\n".join(leaks)
        header_bar = window.findChild(QWidget, "header")
        assert header_bar is not None
        header = _visible_texts(header_bar)
        leaks = _english_words(header, allowed_words, allowed_texts)
        assert leaks == [], "English in the Chinese header:\n" + "\n".join(leaks)
    finally:
        window.close()
        gui.shutdown()

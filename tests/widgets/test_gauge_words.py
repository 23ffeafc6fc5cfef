"""What a gauge says and in which colour: a failed value never reads as a live verdict, the status
line keeps its age on a narrow card, every word is translatable, and each alarm priority and bad
quality have their own look."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QTranslator
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.conftest import REPO_ROOT
from widgets.gauge_base import GaugeBase, fit_text
from widgets.gauge_state import ALARM_PRIORITIES, GaugeState, alarm_level, format_age
from widgets.gauges import BinaryLamp, DialGauge, make_gauge
from widgets.trend_plot import TrendPlot

TOOLS = Path(sys.executable).parent


def _lamp(qtbot: QtBot, kind: str = "smoke") -> BinaryLamp:
    lamp = BinaryLamp("s1", kind, clock=lambda: 1000.0)
    qtbot.addWidget(lamp)
    return lamp


# ---------------------------------------------------------------------------- failed values
def test_failed_lamp_shows_no_verdict_and_names_its_last_word(qtbot: QtBot) -> None:
    lamp = _lamp(qtbot)
    lamp.set_state(GaugeState(False, "", "good", 0.2, label="Smoke B1"))
    assert lamp.value_text() == "clear" and lamp.status_text() == ""
    for quality in ("comm-fail", "stale"):
        lamp.set_state(GaugeState(False, "", quality, 7.0, label="Smoke B1"))
        assert lamp.value_text() == "—", f"{quality}: 'clear' as the big word reads as a live all-clear"
        assert lamp.status_text() == f"{quality} · was clear, 7 s ago"
    call = _lamp(qtbot, "call-point")
    call.set_state(GaugeState(False, "", "comm-fail", 3720.0))
    assert call.value_text() == "—" and call.status_text() == "comm-fail · was normal, 1 h 02 min ago"
    call.set_state(GaugeState(None, "", "comm-fail", None))
    assert call.status_text() == "comm-fail · never read"
    call.set_state(GaugeState(True, "", "bad-config", None))
    assert call.value_text() == "—" and call.status_text() == "bad address"


def test_failed_number_stays_greyed_and_its_status_says_it_is_old(qtbot: QtBot) -> None:
    """The documented rule for numbers: the greyed last value stays, the status gives its age."""
    gauge = DialGauge("p1", clock=lambda: 1000.0)
    qtbot.addWidget(gauge)
    gauge.set_state(GaugeState(0.77, "MPa", "comm-fail", 7.0, (0, 1.6)))
    assert gauge.value_text() == "0.77 MPa"
    assert gauge.body_view().greyed
    assert gauge.status_text() == "comm-fail · last 7 s ago"
    assert gauge.status_forms()[-1] == "comm 7 s"


# ---------------------------------------------------------------------------- the status line
def test_narrow_card_keeps_the_age(qtbot: QtBot, themed_app: QApplication) -> None:
    """At the card's minimum width the status is one of its whole forms: the age is never cut."""
    lamp = _lamp(qtbot)
    lamp.set_state(GaugeState(False, "", "comm-fail", 99 * 86_400 + 23 * 3600 + 5))
    forms = lamp.status_forms()
    assert forms[0] == "comm-fail · was clear, 99 d 23 h ago"
    assert all(form.endswith(("99 d 23 h", "99 d 23 h ago")) for form in forms), forms
    lamp.resize(lamp.minimumWidth(), 200)
    _, _, _, status_rect = lamp.regions()
    font = QFont(lamp._fonts()[2])
    font.setBold(True)
    shown = fit_text(QFontMetricsF(font), forms, status_rect.width() - 4)
    assert shown in forms and shown.endswith("99 d 23 h"), shown
    metrics = QFontMetricsF(font)
    assert fit_text(metrics, ["comm-fail · last 7 s ago", "comm 7 s"], 40).endswith("7 s"), "cut at the start"


def test_minimum_width_follows_the_font(qtbot: QtBot) -> None:
    gauge = DialGauge("p1")
    qtbot.addWidget(gauge)
    narrow = gauge.minimumWidth()
    assert narrow >= gauge.minimum_card_width() >= 150
    big = QFont(gauge.font())
    big.setPointSizeF(22.0)
    gauge.setFont(big)
    assert gauge.minimumWidth() > narrow, "bigger text needs a wider card"


# ---------------------------------------------------------------------------- translation
def _pseudo_catalogue(tmp_path: Path) -> Path:
    """Every string of widgets/ 'translated' into CJK filler (placeholders kept), compiled to .qm."""
    ts = tmp_path / "pseudo.ts"
    sources = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "widgets").glob("*.py"))
    subprocess.run(
        [str(TOOLS / "pyside6-lupdate"), *sources, "-ts", str(ts), "-no-obsolete", "-locations", "none",
         "-source-language", "en", "-target-language", "zh_CN", "-silent"],
        cwd=REPO_ROOT, check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    tree = ET.parse(ts)
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        translation.text = re.sub(
            r"\{[^}]*\}|[A-Za-z]+", lambda m: m[0] if m[0].startswith("{") else "译", source
        )
        translation.attrib.pop("type", None)
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    qm = tmp_path / "pseudo.qm"
    subprocess.run(
        [str(TOOLS / "pyside6-lrelease"), str(ts), "-qm", str(qm), "-silent"],
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    return qm


@pytest.fixture
def pseudo_translated(qapp: QApplication, tmp_path: Path) -> Iterator[None]:
    translator = QTranslator()
    assert translator.load(str(_pseudo_catalogue(tmp_path)))
    qapp.installTranslator(translator)
    try:
        yield
    finally:
        qapp.removeTranslator(translator)


def test_status_words_are_all_translated(qtbot: QtBot, pseudo_translated: None) -> None:
    """Quality words, limit kinds, age units and the lamp's words inside the formatted strings
    go through tr(): a translated UI shows no English letters there (zh_CN showed 'comm-fail')."""
    latin = re.compile(r"[A-Za-z]")
    lamp = _lamp(qtbot)
    dial = DialGauge("p1", clock=lambda: 1000.0)
    qtbot.addWidget(dial)
    cases: list[tuple[GaugeBase, GaugeState]] = [
        (lamp, GaugeState(False, "", "comm-fail", 3720.0)),
        (lamp, GaugeState(True, "", "stale", 7.0)),
        (dial, GaugeState(0.7, "", "comm-fail", 2 * 86_400.0, (0, 1))),
        (
            dial,
            GaugeState(
                0.2, "", "good", 0.1, (0, 1), [("low-low", 0.3)], alarm_active=True, alarm_limit="low-low"
            ),
        ),
        (dial, GaugeState(None, "", "never-read")),
        (dial, GaugeState(None, "", "bad-config")),
        (dial, GaugeState(2.0, "", "out-of-range", 0.1, (0, 1))),
    ]
    for gauge, state in cases:
        gauge.set_state(state)
        for form in gauge.status_forms():
            assert form and not latin.search(form), form
    assert not any(latin.search(mark) for mark in dial.limit_marks().values())
    trend = TrendPlot()
    qtbot.addWidget(trend)
    assert not any(latin.search(trend.window_words(s)) for s in (600, 3600, 86_400, 604_800))


def test_trend_buttons_follow_a_language_change(qtbot: QtBot, qapp: QApplication, tmp_path: Path) -> None:
    trend = TrendPlot()
    qtbot.addWidget(trend)
    assert trend.window_words(600) == "10 min" and trend.window_words(604_800) == "7 d"
    translator = QTranslator()
    assert translator.load(str(_pseudo_catalogue(tmp_path)))
    qapp.installTranslator(translator)
    try:
        QCoreApplication.sendPostedEvents(trend, QEvent.Type.LanguageChange)
        button = trend.findChild(type(trend._buttons.button(0)), "trendWindow600")
        assert button is not None
        qtbot.waitUntil(lambda: button.text() == "10 译", timeout=2000)
    finally:
        qapp.removeTranslator(translator)
    qtbot.waitUntil(lambda: button.text() == "10 min", timeout=2000)


# ---------------------------------------------------------------------------- alarm priority and colours
def test_alarm_priority_is_a_property() -> None:
    assert alarm_level(GaugeState()) == "none"
    assert alarm_level(GaugeState(alarm_active=True)) == "medium"
    for priority in ALARM_PRIORITIES:
        assert alarm_level(GaugeState(alarm_active=True, alarm_priority=priority)) == priority
        assert alarm_level(GaugeState(alarm_priority=priority)) == priority, "a priority means in alarm"
    assert alarm_level(GaugeState(alarm_active=True, alarm_priority="bogus")) == "medium"


PRIORITY_SHEET = """
GaugeBase { qproperty-alarmColor: #010101; qproperty-badQualityColor: #262626; }
GaugeBase[alarm="fire"], GaugeBase[alarm="urgent"] { qproperty-alarmColor: #c8102e; }
GaugeBase[alarm="high"] { qproperty-alarmColor: #f2a900; }
GaugeBase[alarm="medium"] { qproperty-alarmColor: #f5dc2b; }
GaugeBase[alarm="low"] { qproperty-alarmColor: #b9a2d8; }
"""


def _value_row(gauge: GaugeBase) -> set[str]:
    image: QImage = gauge.grab().toImage()
    _, _, value_rect, _ = gauge.regions()
    y = round(value_rect.top() + 3)
    return {image.pixelColor(x, y).name() for x in range(gauge.width())}


def test_alarm_box_takes_its_priority_colour(qtbot: QtBot, themed_app: QApplication) -> None:
    """QSS selectors on the ``alarm`` property colour the alarm box per priority (not red for all)."""
    gauge = DialGauge("p1")
    gauge.setStyleSheet(PRIORITY_SHEET)
    qtbot.addWidget(gauge)
    gauge.resize(220, 240)
    gauge.show()
    qtbot.waitExposed(gauge)
    expected = {
        "fire": "#c8102e",
        "urgent": "#c8102e",
        "high": "#f2a900",
        "medium": "#f5dc2b",
        "low": "#b9a2d8",
    }
    for priority, colour in expected.items():
        gauge.set_state(GaugeState(0.2, "MPa", "good", 0.1, (0, 1.6), [("low", 0.5)], "P", True, priority))
        gauge.refresh()
        assert gauge.property("alarm") == priority
        assert gauge.colour("alarmColor") == QColor(colour), priority
        assert colour in _value_row(gauge), f"{priority}: the alarm box is not {colour}"
    gauge.set_state(GaugeState(0.2, "MPa", "comm-fail", 5.0, (0, 1.6), [("low", 0.5)], "P"))
    gauge.refresh()
    assert gauge.property("alarm") == "none"
    assert gauge.colour("badQualityColor").name() not in set(expected.values())


def test_without_a_stylesheet_colours_come_from_the_palette(qtbot: QtBot, qapp: QApplication) -> None:
    """No hex value in the widget: every default is a palette role, and bad quality is not the alarm."""
    gauge = make_gauge("pressure", "p1")
    qtbot.addWidget(gauge)
    palette = gauge.palette()
    assert gauge.colour("alarmColor") == palette.color(palette.ColorRole.Highlight)
    assert gauge.colour("faceColor") == palette.color(palette.ColorRole.Window)
    assert gauge.colour("badQualityColor") != gauge.colour("alarmColor")
    source = (REPO_ROOT / "widgets" / "gauge_base.py").read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{6}\b", source), "colours belong to the stylesheet"


def test_isa_theme_gives_priorities_and_bad_quality_their_own_colours(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    """The product stylesheet (resources/themes/isa101.qss): fire red, high amber, medium yellow,
    low violet, and bad quality distinct from all of them (it used to share the fire red)."""
    gauge = DialGauge("p1")
    qtbot.addWidget(gauge)
    gauge.resize(220, 240)
    gauge.show()
    qtbot.waitExposed(gauge)
    seen: dict[str, str] = {}
    for priority in ALARM_PRIORITIES:
        gauge.set_state(GaugeState(0.2, "MPa", "good", 0.1, (0, 1.6), [("low", 0.5)], "P", True, priority))
        gauge.refresh()
        seen[priority] = gauge.colour("alarmColor").name()
    assert seen["fire"] == seen["urgent"]
    assert len({seen["fire"], seen["high"], seen["medium"], seen["low"]}) == 4, seen
    gauge.set_state(GaugeState(0.2, "MPa", "comm-fail", 5.0, (0, 1.6), [("low", 0.5)], "P"))
    gauge.refresh()
    assert gauge.colour("badQualityColor").name() not in seen.values(), seen


def test_age_units_are_the_format_ages(qtbot: QtBot) -> None:
    gauge = DialGauge("p1")
    qtbot.addWidget(gauge)
    assert gauge.format_age(3720) == format_age(3720) == "1 h 02 min"

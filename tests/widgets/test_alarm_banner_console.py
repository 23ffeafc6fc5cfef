"""The banner as the alarm engine feeds it: the occurrence a click opens, calm, and the flash mode."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from widgets.alarm_banner import AlarmBanner


def test_click_emits_the_occurrence_id(qtbot: QtBot, themed_app: QApplication) -> None:
    banner = AlarmBanner()
    qtbot.addWidget(banner)
    banner.resize(600, 40)
    banner.show()
    qtbot.waitExposed(banner)
    with qtbot.assertNotEmitted(banner.clicked):
        qtbot.mouseClick(banner, Qt.MouseButton.LeftButton)  # calm: nothing to open
    banner.show_alarm("B3 hall smoke: fire", "fire", 4, 1234)
    assert (banner.alarm_state, banner.occurrence_id) == ("fire", 1234)
    counter = banner.findChild(QLabel, "bannerCount")
    assert counter is not None and counter.text() == "Active alarms: 4"
    with qtbot.waitSignal(banner.clicked) as clicked:
        qtbot.mouseClick(banner, Qt.MouseButton.LeftButton)
    assert clicked.args == [1234]
    banner.show_calm()
    assert (banner.alarm_state, banner.message, banner.occurrence_id) == ("none", "No active alarms", None)


def test_calm_keeps_the_beyond_limits_notice(qtbot: QtBot, themed_app: QApplication) -> None:
    banner = AlarmBanner()
    qtbot.addWidget(banner)
    banner.show_beyond_limits(3)
    banner.show_alarm("x", "low", 1, 7)
    banner.show_calm()
    assert banner.property("alarmState") == "beyond" and banner.beyond_count == 3


def test_flash_blinks_only_while_an_alarm_is_shown(qtbot: QtBot, themed_app: QApplication) -> None:
    banner = AlarmBanner()
    qtbot.addWidget(banner)
    banner.show()
    qtbot.waitExposed(banner)
    banner.flash(True)
    assert banner.flashing
    timer = banner.findChild(QTimer, "bannerFlash")
    assert timer is not None
    assert not timer.isActive(), "nothing to flash for"
    banner.show_alarm("Pressure low", "urgent", 1, 9)
    assert timer.isActive()
    qtbot.waitUntil(lambda: banner.property("blink") == "dim", timeout=3000)
    qtbot.waitUntil(lambda: banner.property("blink") == "off", timeout=3000)
    banner.flash(False)
    assert not timer.isActive() and banner.property("blink") == "off" and not banner.dimmed
    banner.flash(True)
    banner.clear()
    assert not timer.isActive(), "calm: no flashing"
    banner.show_alarm("Pressure low", "urgent", 1, 9)
    banner.hide()
    assert not timer.isActive(), "hidden: no flashing"

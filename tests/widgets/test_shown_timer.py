"""The one redraw timer that runs only while its widget is shown."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QWidget
from pytestqt.qtbot import QtBot

from widgets.shown_timer import ShownTimer, interval_for


def test_interval_is_bounded_by_the_maximum_rate() -> None:
    assert interval_for(4.0, 4.0) == 250
    assert interval_for(100.0, 5.0) == 200, "never faster than the maximum"
    assert interval_for(0.0, 10.0) == 100 and interval_for(-1.0, 10.0) == 100
    assert interval_for(1.0, 5.0) == 1000


def test_runs_only_while_shown_and_catches_up_on_show(qtbot: QtBot) -> None:
    stack = QStackedWidget()
    qtbot.addWidget(stack)
    view, other = QWidget(), QWidget()
    stack.addWidget(view)
    stack.addWidget(other)
    ticks: list[str] = []
    timer = ShownTimer(view, 50, lambda: ticks.append("tick"), name="viewRepaint")
    assert timer.objectName() == "viewRepaint" and timer.interval() == 50
    assert not timer.isActive() and ticks == [], "nothing runs before the view is shown"
    stack.show()
    qtbot.waitExposed(stack)
    assert timer.isActive() and ticks[:1] == ["tick"], "one tick at once when shown"
    stack.setCurrentWidget(other)
    assert not timer.isActive(), "another page in front: the timer stops"
    stack.setCurrentWidget(view)
    assert timer.isActive()
    stack.hide()
    assert not timer.isActive()


def test_may_run_and_on_show(qtbot: QtBot) -> None:
    view = QWidget()
    qtbot.addWidget(view)
    streams: list[str] = []
    shown: list[int] = []
    timer = ShownTimer(view, 20, lambda: None, on_show=lambda: shown.append(1), may_run=lambda: bool(streams))
    view.show()
    qtbot.waitExposed(view)
    assert not timer.isActive() and shown == [], "nothing to tick for"
    streams.append("cam")
    timer.resume()
    assert timer.isActive()
    view.hide()
    assert not timer.isActive()
    view.show()
    assert timer.isActive() and shown == [1]
    timer.stop()
    view.hide()
    timer.resume()
    assert not timer.isActive(), "a hidden view does not resume"

"""The detail pane: header, timeline, and buttons that follow the caller's allowed actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QTreeWidget
from pytestqt.qtbot import QtBot

from widgets.alarm_detail import ACTIONS, AlarmDetail, TimelineEntry
from widgets.alarm_table import AlarmRow

T0 = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)
ROW = AlarmRow(
    id=42, key="b3.smoke.hall/on", source="point:b3.smoke.hall", source_name="Hall smoke", building="B3",
    category="fire", priority="fire", state="acknowledged", value="on", message="Smoke in the hall",
    raised_at=T0, acknowledged_by="ann", recorded=False, chattering=True, rank=(False, 0),
)  # fmt: skip


def test_header_and_timeline(qtbot: QtBot, themed_app: QApplication) -> None:
    detail = AlarmDetail(today=lambda: T0.astimezone().date())
    qtbot.addWidget(detail)
    assert detail.enabled_actions() == set()
    timeline = [
        TimelineEntry(T0, "transition", "normal → unacknowledged"),
        TimelineEntry(T0 + timedelta(seconds=30), "action", "acknowledged", "ann"),
        TimelineEntry(T0 + timedelta(seconds=40), "note", "crew on the way", "ann"),
    ]
    detail.set_alarm(ROW, timeline, {"reset", "note"})
    texts = " ".join(label.text() for label in detail.findChildren(QLabel))
    for part in (
        "B3 · Hall smoke",
        "Smoke in the hall",
        "acknowledged",
        "fire",
        "ann",
        "Not recorded",
        "Chattering",
    ):
        assert part in texts
    tree = detail.findChild(QTreeWidget, "detailTimeline")
    assert tree is not None and tree.topLevelItemCount() == 3
    item = tree.topLevelItem(2)
    assert item is not None
    assert (item.text(1), item.text(2), item.text(3)) == ("note", "crew on the way", "ann")
    assert item.text(0) == (T0 + timedelta(seconds=40)).astimezone().strftime("%H:%M:%S")


def test_buttons_follow_allowed_actions_and_emit_the_id(qtbot: QtBot, themed_app: QApplication) -> None:
    detail = AlarmDetail()
    qtbot.addWidget(detail)
    detail.set_alarm(ROW, (), {"acknowledge", "shelve"})
    assert detail.enabled_actions() == {"acknowledge", "shelve"}
    with qtbot.waitSignal(detail.acknowledge_requested) as ack:
        qtbot.mouseClick(detail.button("acknowledge"), Qt.MouseButton.LeftButton)
    assert ack.args == [42]
    with qtbot.waitSignal(detail.action_requested) as action:
        qtbot.mouseClick(detail.button("shelve"), Qt.MouseButton.LeftButton)
    assert action.args == ["shelve", 42]
    with qtbot.assertNotEmitted(detail.reset_requested):
        qtbot.mouseClick(detail.button("reset"), Qt.MouseButton.LeftButton)  # disabled
        detail.request("reset")  # not allowed: nothing, even when asked directly
    detail.set_allowed_actions(ACTIONS)
    assert detail.enabled_actions() == set(ACTIONS)
    for action, signal in (
        ("note", detail.note_requested), ("out-of-service", detail.out_of_service_requested),
        ("return", detail.return_requested), ("unshelve", detail.unshelve_requested),
        ("reset", detail.reset_requested),
    ):  # fmt: skip
        with qtbot.waitSignal(signal) as emitted:
            qtbot.mouseClick(detail.button(action), Qt.MouseButton.LeftButton)
        assert emitted.args == [42]
    detail.set_alarm(None)
    assert detail.enabled_actions() == set() and detail.alarm is None

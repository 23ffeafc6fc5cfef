"""The alarm console's list: incremental rank order, filters, grouping, keys, flashing, the screenshot."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from widgets.alarm_table import (
    LOOK_ROLE,
    ROW_ROLE,
    AlarmFilterProxy,
    AlarmGroupModel,
    AlarmRow,
    AlarmTableModel,
    AlarmTableView,
    FloodNotice,
    cause_of,
)

PRIORITY_ORDER = {"fire": 0, "urgent": 1, "high": 2, "medium": 3, "low": 4}
T0 = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)


def alarm(
    id: int,
    *,
    priority: str = "medium",
    category: str | None = None,
    state: str = "unacknowledged",
    building: str = "B1",
    minutes: int = 0,
    recorded: bool = True,
    key: str | None = "<point>/high",
    source: str | None = None,
    message: str | None = None,
    acknowledged_by: str = "",
) -> AlarmRow:
    """A row ranked as the engine ranks: fire first, then priority, then newest."""
    category = category or ("fire" if priority == "fire" else "fault")
    raised = T0 + timedelta(minutes=minutes)
    return AlarmRow(
        id=id,
        key=f"p{id}/high" if key == "<point>/high" else key,
        source=source or f"point:p{id}",
        source_name=f"Point {id}",
        building=building,
        category=category,
        priority=priority,
        state=state,
        value="1.0 MPa",
        message=message or f"Alarm {id}",
        raised_at=raised,
        acknowledged_by=acknowledged_by,
        recorded=recorded,
        rank=(category != "fire", PRIORITY_ORDER[priority], -raised.timestamp()),
    )


def ids_of(model: QAbstractItemModel) -> list[int]:
    return [model.data(model.index(r, 0), ROW_ROLE).id for r in range(model.rowCount())]


def test_incremental_updates_keep_rank_order_with_fire_on_top(qapp: QApplication) -> None:
    model = AlarmTableModel()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.apply([alarm(1, priority="low"), alarm(2, priority="high", minutes=1), alarm(3, priority="high")])
    assert ids_of(model) == [2, 3, 1] and resets == [1], "a first load is one reset"
    moves: list[int] = []
    model.rowsMoved.connect(lambda *a: moves.append(1))
    model.apply([alarm(4, priority="fire", minutes=-5), alarm(5, priority="medium", minutes=2)])
    assert ids_of(model) == [4, 2, 3, 5, 1]
    model.apply([alarm(1, priority="urgent")])  # re-prioritised: moves up, not re-inserted
    assert ids_of(model) == [4, 1, 2, 3, 5] and moves == [1]
    model.apply([alarm(4, priority="fire", minutes=-5, state="acknowledged", acknowledged_by="ann")], [2])
    assert ids_of(model) == [4, 1, 3, 5]
    assert model.get(4) is not None and model.get(4).acknowledged_by == "ann"  # type: ignore[union-attr]
    model.apply([alarm(3, priority="high", state="normal")])  # normal rows leave the list
    assert ids_of(model) == [4, 1, 5]
    assert model.row_for(5) == 2 and model.row_for(99) is None
    assert model.flashing_ids() == {1, 5}
    assert resets == [1], "no reset after the first load"
    del tester


def test_a_flood_batch_is_incremental_and_quick(qapp: QApplication) -> None:
    model = AlarmTableModel()
    proxy = AlarmFilterProxy()
    proxy.setSourceModel(model)
    model.apply([alarm(i, priority="low", minutes=i) for i in range(1, 50)])
    batch = [
        alarm(i, priority=("fire", "urgent", "high", "medium", "low")[i % 5], minutes=i)
        for i in range(100, 600)
    ]
    started = time.perf_counter()
    model.apply(batch)
    elapsed = time.perf_counter() - started
    # A generous hang/runaway bound, not a speed target (that belongs in bench/).
    assert elapsed < 10.0, f"500 upserts took {elapsed:.3f} s"
    shown = ids_of(proxy)
    assert len(shown) == 549
    ranks = [model.get(i).rank for i in shown]  # type: ignore[union-attr]
    assert ranks == sorted(ranks)
    assert all(model.get(i).category == "fire" for i in shown[:100])  # type: ignore[union-attr]


def test_filters_and_search_keep_the_source_order(qapp: QApplication) -> None:
    model = AlarmTableModel()
    proxy = AlarmFilterProxy()
    proxy.setSourceModel(model)
    model.apply([
        alarm(1, priority="fire", building="B3", message="Smoke in hall"),
        alarm(2, priority="high", building="B1", message="Pressure low"),
        alarm(3, priority="medium", building="B3", state="acknowledged", message="Pump fault"),
        alarm(4, priority="low", building="B2", state="shelved", message="Door open"),
    ])  # fmt: skip
    changes: list[int] = []
    proxy.filters_changed.connect(lambda: changes.append(1))
    proxy.set_filters(buildings={"B3"})
    assert ids_of(proxy) == [1, 3]
    proxy.set_filters(states={"unacknowledged", "acknowledged"}, priorities={"fire", "medium", "high"})
    assert ids_of(proxy) == [1, 2, 3]
    proxy.set_filters(categories={"fire"})
    assert ids_of(proxy) == [1]
    proxy.set_filters()
    proxy.set_search("PUMP")
    assert ids_of(proxy) == [3]
    proxy.set_search("point 4")  # the source name
    assert ids_of(proxy) == [4]
    proxy.set_search("b1")  # the building
    assert ids_of(proxy) == [2]
    proxy.set_search("")
    model.apply([alarm(5, priority="urgent", building="B3")])
    assert ids_of(proxy) == [1, 5, 2, 3, 4]
    assert len(changes) == 8


def test_grouping_counts_and_fire_groups_first(qapp: QApplication) -> None:
    model = AlarmTableModel()
    proxy = AlarmFilterProxy()
    proxy.setSourceModel(model)
    groups = AlarmGroupModel(proxy, "building")
    model.apply([alarm(i, priority="high", building="B1", minutes=i) for i in range(1, 6)])
    model.apply([alarm(10, priority="fire", building="B9", state="acknowledged")])
    model.apply(
        [alarm(11, priority="low", building="B2"), alarm(12, priority="low", building="B2", state="latched")]
    )
    got = [(g.key, g.count, g.unacknowledged, g.fire) for g in groups.groups()]
    assert got == [("B9", 1, 0, True), ("B1", 5, 5, False), ("B2", 2, 1, False)]
    assert groups.data(groups.index(1, 1)) == "5"
    assert groups.data(groups.index(0, 0), LOOK_ROLE) == "steady:fire"
    assert groups.data(groups.index(1, 0), LOOK_ROLE) == "flash:high"
    proxy.set_filters(buildings={"B1", "B2"})
    assert [g.key for g in groups.groups()] == ["B1", "B2"]
    groups.set_by("cause")
    model.apply([alarm(20, priority="medium", key=None, source="plc:panel-a", building="B1")])
    assert [(g.key, g.count) for g in groups.groups()] == [("point/high", 7), ("plc/fault", 1)]


def test_cause_is_the_source_kind_and_the_limit() -> None:
    assert cause_of(alarm(1, key="b3.smoke.hall/on", source="point:b3.smoke.hall")) == "point/on"
    assert cause_of(alarm(2, key=None, source="plc:fire-panel-a")) == "plc/fault"
    assert (
        cause_of(alarm(3, key=None, source="camera:gate/zone:yard", category="pre-alarm")) == "zone/pre-alarm"
    )
    assert cause_of(alarm(4, key=None, source="point:p4/fault")) == "point/fault"


def _shown_view(qtbot: QtBot, rows: list[AlarmRow]) -> AlarmTableView:
    view = AlarmTableView()
    qtbot.addWidget(view)
    view.resize(1100, 320)
    view.apply(rows)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_keys_emit_the_right_ids(qtbot: QtBot, themed_app: QApplication) -> None:
    view = _shown_view(
        qtbot, [alarm(1, priority="fire"), alarm(2, priority="high"), alarm(3, priority="low")]
    )
    current: list[int | None] = []
    view.current_changed.connect(current.append)
    assert view.select_id(2)
    assert current == [2]
    view.setFocus()
    with qtbot.waitSignal(view.acknowledge_requested) as ack:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert ack.args == [[2]]
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert current[-1] == 3
    with qtbot.waitSignal(view.acknowledge_requested) as ack:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert ack.args == [[2, 3]]
    with qtbot.waitSignal(view.reset_requested) as reset:
        qtbot.keyClick(view, Qt.Key.Key_R)
    assert reset.args == [[2, 3]]
    with qtbot.waitSignal(view.note_requested) as note:
        qtbot.keyClick(view, Qt.Key.Key_N)
    assert note.args == [3]
    with qtbot.waitSignal(view.silence_requested):
        qtbot.keyClick(view, Qt.Key.Key_S)
    view.proxy.set_filters(priorities={"fire", "low"})
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    with qtbot.waitSignal(view.acknowledge_all_requested) as everything:
        qtbot.keyClick(view, Qt.Key.Key_A, modifiers)
    assert everything.args == [[1, 3]], "all rows shown, not all rows"
    view.apply([], [3])
    assert None in current[-2:] and current[-1] != 3, "the current alarm went away"
    view.proxy.set_filters()
    view.set_grouping("building")
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    view.selectionModel().select(view.model().index(0, 0), flags)
    assert view.selected_ids() == [1, 2]
    with qtbot.waitSignal(view.acknowledge_requested) as ack:
        qtbot.keyClick(view, Qt.Key.Key_Enter)
    assert ack.args == [[1, 2]], "a group stands for all its alarms"
    view.set_grouping("none")
    assert view.model() is view.proxy


def test_only_unacknowledged_rows_flash(qtbot: QtBot, themed_app: QApplication) -> None:
    rows = [
        alarm(1, priority="fire", state="acknowledged"),
        alarm(2, priority="urgent"),
        alarm(3, priority="high", state="rtn-unacknowledged"),
        alarm(4, priority="medium", state="latched"),
        alarm(5, priority="low"),
        alarm(6, priority="low", state="shelved"),
    ]
    view = _shown_view(qtbot, rows)
    looks = {
        r.id: view.proxy.data(view.proxy.index(i, 0), LOOK_ROLE)
        for i, r in enumerate(view.proxy.shown_rows())
    }
    assert looks == {
        1: "steady:fire", 2: "flash:urgent", 3: "returned:high",
        4: "steady:medium", 5: "flash:low", 6: "quiet:low",
    }  # fmt: skip
    assert view.flash_timer.isActive()
    qtbot.waitUntil(lambda: view.delegate.painted[1] > 0)
    view.delegate.painted.clear()
    ticks = view.flash_ticks
    qtbot.waitUntil(lambda: view.flash_ticks >= ticks + 2, timeout=3000)
    assert sorted(view.last_flash_ids) == [2, 5]
    qtbot.waitUntil(lambda: view.delegate.painted[2] > 0 and view.delegate.painted[5] > 0)
    assert set(view.delegate.painted) == {2, 5}, "a flash repaints only the flashing rows"
    view.apply(
        [alarm(2, priority="urgent", state="acknowledged"), alarm(5, priority="low", state="acknowledged")]
    )
    qtbot.waitUntil(lambda: not view.flash_timer.isActive(), timeout=3000)
    assert view.flash_phase, "it stops in the steady phase"
    view.apply([alarm(7, priority="high")])
    assert view.flash_timer.isActive(), "a new unacknowledged alarm starts it again"
    view.hide()
    assert not view.flash_timer.isActive(), "no flashing while hidden"


def test_not_recorded_and_times_are_shown(qapp: QApplication) -> None:
    model = AlarmTableModel(today=lambda: T0.astimezone().date())
    old = alarm(2, minutes=-3 * 24 * 60)
    model.apply([alarm(1, recorded=False), old])
    assert model.data(model.index(0, 7)) == "[not recorded] Alarm 1"
    assert "Not recorded" in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(0, 0)) == T0.astimezone().strftime("%H:%M:%S")
    assert model.data(model.index(1, 0)) == old.raised_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in (0, 8)] == ["Time", "Acknowledged by"]


def test_flood_notice(qtbot: QtBot, themed_app: QApplication) -> None:
    notice = FloodNotice()
    qtbot.addWidget(notice)
    assert notice.isHidden() and notice.property("flood") == "off"
    notice.set_flood(True, 23)
    assert notice.text() == "Alarm flood: 23 new alarms in 10 minutes"
    assert notice.property("flood") == "on" and not notice.isHidden()
    notice.set_flood(False, 0)
    assert notice.isHidden()


def test_screenshot_of_every_state(qtbot: QtBot, themed_app: QApplication, artifacts_dir: Path) -> None:
    rows = [
        alarm(1, priority="fire", building="B3", message="Smoke detector hall: fire"),
        alarm(
            2,
            priority="fire",
            building="B3",
            state="acknowledged",
            acknowledged_by="ann",
            message="Call point",
        ),
        alarm(3, priority="urgent", building="B1", message="Sprinkler pressure low-low", recorded=False),
        alarm(4, priority="high", building="B1", state="rtn-unacknowledged", message="Pressure low"),
        alarm(5, priority="high", building="B2", state="latched", acknowledged_by="bob", message="Pump trip"),
        alarm(6, priority="medium", building="B2", message="PLC link lost"),
        alarm(7, priority="low", building="B2", message="Door held open"),
        alarm(8, priority="medium", building="B4", state="shelved", message="Camera gate lost"),
        alarm(9, priority="low", building="B4", state="suppressed", message="Zone under test"),
        alarm(10, priority="low", building="B4", state="out-of-service", message="Detector removed"),
    ]
    page = QWidget()
    qtbot.addWidget(page)
    layout = QVBoxLayout(page)
    notice = FloodNotice(page)
    notice.set_flood(True, 14)
    view = AlarmTableView(AlarmTableModel(today=lambda: T0.astimezone().date()), page)
    layout.addWidget(notice)
    layout.addWidget(view)
    view.apply(rows)
    page.resize(1250, 400)
    page.show()
    qtbot.waitExposed(page)
    view.resizeColumnsToContents()
    view.select_id(6)
    view.flash_timer.stop()
    for phase, name in ((True, "alarm_table_flash_on.png"), (False, "alarm_table_flash_off.png")):
        view.flash_phase = phase
        view.viewport().update()
        image: QImage = page.grab().toImage()
        assert image.save(str(artifacts_dir / name))

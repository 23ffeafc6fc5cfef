"""The Alarms page: the console where a duty officer acknowledges, silences, resets and shelves.

What it shows comes from the alarm engine only, through the bridge's batched ``alarmsChanged`` (each
event already in the journal, or marked "not recorded" while storage is down):

- **Active**: the open alarms in the engine's order (fire first, then priority, then newest) in an
  :class:`~widgets.alarm_table.AlarmTableView`, updated incrementally once per batch; filters by
  building, category, priority and state and a search box; the detail pane with the alarm's timeline
  (read from the journal off the GUI thread) and the actions the permissions table and the alarm's
  state allow. Keyboard first (Enter/Space acknowledge, Ctrl+Shift+A acknowledge all shown, S
  silence, R reset, N note); every action is on a button too. A flood (``[alarms]
  flood_per_10min`` new alarms in 10 minutes, ``app.alarms.flood``) shows the flood notice and
  groups the list by building (or by cause); a group holding a fire alarm stays on top.
- **Shelved / out of service**: every alarm set aside, with its expiry, so none is forgotten.
- **History**: the journal's state changes or the operator actions (a choice) by time range, 500 a
  page, filtered, exported as CSV.

Actions go to ``app.alarms.actions.AlarmActions`` on a worker thread (``ui.tasks``), never on the GUI
thread; a refusal ("already acknowledged by X at T") is shown in the page's message line. The page
learns the outcome the same way as every other console: the engine publishes the journaled change.

The page also keeps the position's :class:`~app.alarms.annunciator.Annunciator` (the window's player
sounds it), and tells the window what the banner and the gauges show (``summaryChanged``,
``pointMarksChanged``).
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QDateTime, QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.alarms import journal, queries
from app.alarms.actions import AlarmActions
from app.alarms.annunciator import Annunciator
from app.alarms.events import AlarmChanged
from app.alarms.flood import FloodWatch
from app.alarms.queries import ActionRow
from app.alarms.views import AlarmView, TransitionView
from app.auth.permissions import Action
from app.auth.permissions import allowed as role_allowed
from app.auth.users import UserInfo
from app.site.schema import SiteFile
from app.storage.database import Database
from ui.bridge import CoreBridge, connect_queued
from ui.pages.alarm_rows import (
    NEEDS_ACK,
    SET_ASIDE,
    PointMark,
    RowMapper,
    allowed_actions,
    banner_pick,
    point_marks,
    timeline,
)
from ui.tasks import BackgroundCall, LatestCall
from widgets.alarm_detail import AlarmDetail, TimelineEntry
from widgets.alarm_table import (
    CATEGORIES,
    PRIORITIES,
    STATES,
    AlarmRow,
    AlarmTableView,
    FloodNotice,
    format_time,
    local_today,
)

log = logging.getLogger("wardroom.ui")

HISTORY_PAGE = 500
# Time, building, source, category, priority, state, value, message (stretches), acknowledged by: fixed
# first widths, so 500 rows never cost a fit-to-contents pass; the operator may drag them.
COLUMN_WIDTHS = (86, 96, 118, 94, 70, 140, 80, 300, 140)
MESSAGE_COLUMN = 7
FLOOD_TICK_MS = 5000  # how often a flood is checked for its end while no new alarm comes


class AlarmActionsLike(Protocol):
    """What the page needs of ``app.alarms.actions.AlarmActions`` (each call may raise a refusal)."""

    def acknowledge(self, user: UserInfo, occurrence_id: int, note: str = "") -> Any: ...
    def acknowledge_all(self, user: UserInfo, ids: Sequence[int]) -> Any: ...
    def silence(self, user: UserInfo) -> Any: ...
    def reset(self, user: UserInfo, occurrence_id: int) -> Any: ...
    def note(self, user: UserInfo, occurrence_id: int, text: str) -> Any: ...
    def shelve(self, user: UserInfo, target: int | str, minutes: float, reason: str) -> Any: ...
    def unshelve(self, user: UserInfo, target: int | str) -> Any: ...
    def out_of_service(self, user: UserInfo, target: int | str, reason: str) -> Any: ...
    def return_to_service(self, user: UserInfo, target: int | str) -> Any: ...


def default_actions(db: Database) -> AlarmActionsLike:
    """The operator-action service on this database, recorded as done at this console."""
    return AlarmActions(db, position="console")


def refusal_text(error: object) -> str:
    """A refusal's reason as the service words it (``ActionRefused.reason``), else the error."""
    reason = getattr(error, "reason", None)
    return str(reason) if reason else str(error)


class ReasonDialog(QDialog):
    """A note, a shelve (minutes and reason) or an out-of-service reason: text required."""

    def __init__(self, title: str, prompt: str, parent: QWidget, *, minutes_max: int | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmActionDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self.text = QLineEdit(self)
        self.text.setObjectName("actionText")
        self.minutes: QSpinBox | None = None
        form = QFormLayout()
        if minutes_max is not None:
            self.minutes = QSpinBox(self)
            self.minutes.setObjectName("shelveMinutes")
            self.minutes.setRange(1, minutes_max)
            self.minutes.setValue(min(60, minutes_max))
            form.addRow(self.tr("Minutes:"), self.minutes)
        form.addRow(prompt, self.text)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self.text.textChanged.connect(self._enable)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._buttons)
        self._enable()

    def _enable(self) -> None:
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.text.text().strip()))


class AlarmsPage(QWidget):
    """The alarm console (see the module docstring)."""

    summaryChanged = Signal()  # the banner's alarm or count may have changed (read banner_pick())
    pointMarksChanged = Signal(dict)  # point id -> PointMark, the gauges' alarm marks
    messageChanged = Signal(str)
    incidentRequested = Signal(list)  # alarm ids the operator chose to open an incident from

    def __init__(
        self,
        site: SiteFile,
        bridge: CoreBridge | None = None,
        *,
        user: UserInfo | None = None,
        db: Database | None = None,
        actions: Callable[[Database], AlarmActionsLike] = default_actions,
        annunciator: Annunciator | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("alarmsPage")
        self._site = site
        self._user = user
        self._db = db
        self._actions_factory = actions
        self._actions: AlarmActionsLike | None = None
        self._mapper = RowMapper(site)
        self._views: dict[int, AlarmView] = {}
        self._marks: dict[str, PointMark] = {}
        self._seen: set[int] = set()
        self._engine = False
        self._closed = False
        self._calls: set[BackgroundCall] = set()
        self._dialog: ReasonDialog | None = None
        self._set_aside: list[AlarmRow] = []
        self._history: list[TransitionView] = []
        self._action_history: list[ActionRow] = []
        self._history_more = False
        self._timeline: list[TimelineEntry] = []
        self.annunciator = annunciator if annunciator is not None else Annunciator()
        self.flood = FloodWatch(site.alarms.flood_per_10min)
        self._flood_timer = QTimer(self)
        self._flood_timer.setObjectName("alarmFloodTick")
        self._flood_timer.setInterval(FLOOD_TICK_MS)
        self._flood_timer.timeout.connect(self._flood_tick)
        self._timeline_call = LatestCall("alarm-timeline", self)
        self._timeline_call.succeeded.connect(self._show_timeline)
        self._history_call = LatestCall("alarm-history", self)
        self._history_call.succeeded.connect(self._history_loaded)
        self._history_call.failed.connect(self._history_failed)

        # ------------------------------------------------------------ active tab
        self._title = QLabel(self)
        self._title.setObjectName("pageTitle")
        self.table = AlarmTableView(parent=self)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        header.setSectionResizeMode(MESSAGE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.detail = AlarmDetail(self)
        self.flood_notice = FloodNotice(self)
        self.building_filter = self._combo("buildingFilter")
        self.category_filter = self._combo("categoryFilter")
        self.priority_filter = self._combo("priorityFilter")
        self.state_filter = self._combo("stateFilter")
        self.search = QLineEdit(self)
        self.search.setObjectName("alarmSearch")
        self.search.setClearButtonEnabled(True)
        self.grouping = QComboBox(self)
        self.grouping.setObjectName("alarmGrouping")
        for key in ("none", "building", "cause"):
            self.grouping.addItem("", key)
        # Two rows, each combo saying what it filters ("All buildings"): fits 800x600 in Chinese too.
        filters = QGridLayout()
        filters.setSpacing(6)
        for column, combo in enumerate(
            (self.building_filter, self.category_filter, self.priority_filter, self.state_filter)
        ):
            filters.addWidget(combo, 0, column)
        filters.addWidget(self.search, 1, 0, 1, 3)
        filters.addWidget(self.grouping, 1, 3)

        self._buttons: dict[str, QPushButton] = {}
        toolbar = QHBoxLayout()
        toolbar.setSpacing(6)
        for key in ("acknowledge", "acknowledge-all", "silence", "reset", "create-incident"):
            button = QPushButton(self)
            button.setObjectName(f"console-{key}")
            self._buttons[key] = button
            if key != "create-incident":  # beside the message line: the toolbar is full at 800 px
                toolbar.addWidget(button)
        toolbar.addStretch(1)
        self.message = QLabel(self)
        self.message.setObjectName("alarmMessage")
        self.message.setWordWrap(True)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("alarmSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 200])  # the list first; the pane keeps at least what it needs
        active = QWidget(self)
        active_layout = QVBoxLayout(active)
        active_layout.setContentsMargins(0, 6, 0, 0)
        active_layout.addLayout(filters)
        active_layout.addWidget(self.flood_notice)
        active_layout.addWidget(splitter, 1)
        active_layout.addLayout(toolbar)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self._buttons["create-incident"], 0, Qt.AlignmentFlag.AlignTop)
        active_layout.addLayout(bottom)

        # ------------------------------------------------------------ set-aside tab
        self.set_aside_table = QTableWidget(0, 5, self)
        self.set_aside_table.setObjectName("setAsideTable")
        self._plain_table(self.set_aside_table)
        self.set_aside_table.itemSelectionChanged.connect(self._set_aside_selected)
        aside = QWidget(self)
        aside_layout = QVBoxLayout(aside)
        aside_layout.setContentsMargins(0, 6, 0, 0)
        self._aside_note = QLabel(aside)
        self._aside_note.setWordWrap(True)
        aside_layout.addWidget(self._aside_note)
        aside_layout.addWidget(self.set_aside_table, 1)

        # ------------------------------------------------------------ history tab
        now = QDateTime.currentDateTime()
        self.history_from = QDateTimeEdit(now.addDays(-1), self)
        self.history_from.setObjectName("historyFrom")
        self.history_to = QDateTimeEdit(now.addSecs(3600), self)
        self.history_to.setObjectName("historyTo")
        for edit in (self.history_from, self.history_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.history_kind = QComboBox(self)
        self.history_kind.setObjectName("historyKind")
        self.history_kind.addItems(["", ""])  # state changes, operator actions (named in _retranslate)
        self.history_filter = QLineEdit(self)
        self.history_filter.setObjectName("historyFilter")
        self.history_filter.textChanged.connect(self._fill_history)
        self._history_buttons: dict[str, QPushButton] = {}
        history_bar = QGridLayout()
        history_bar.setSpacing(6)
        self._history_labels = [QLabel(self), QLabel(self)]
        for key in ("load", "more", "export"):
            button = QPushButton(self)
            button.setObjectName(f"history-{key}")
            self._history_buttons[key] = button
        history_bar.addWidget(self._history_labels[0], 0, 0)
        history_bar.addWidget(self.history_from, 0, 1)
        history_bar.addWidget(self._history_labels[1], 0, 2)
        history_bar.addWidget(self.history_to, 0, 3)
        history_bar.addWidget(self.history_filter, 1, 0, 1, 4)
        row = QHBoxLayout()
        row.addWidget(self.history_kind)
        for key in ("load", "more", "export"):
            row.addWidget(self._history_buttons[key])
        history_bar.addLayout(row, 2, 0, 1, 4)
        history_bar.setColumnStretch(3, 1)
        self.history_table = QTableWidget(0, 6, self)
        self.history_table.setObjectName("historyTable")
        self._plain_table(self.history_table)
        self.history_status = QLabel(self)
        self.history_status.setObjectName("historyStatus")
        history = QWidget(self)
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 6, 0, 0)
        history_layout.addLayout(history_bar)
        history_layout.addWidget(self.history_table, 1)
        history_layout.addWidget(self.history_status)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("alarmTabs")
        self.tabs.addTab(active, "")
        self.tabs.addTab(aside, "")
        self.tabs.addTab(history, "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(self._title)
        layout.addWidget(self.tabs, 1)

        # ------------------------------------------------------------ wiring
        for combo in (self.building_filter, self.category_filter, self.priority_filter, self.state_filter):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.search.textChanged.connect(self.table.proxy.set_search)
        self.grouping.currentIndexChanged.connect(self._grouping_chosen)
        table = self.table
        table.acknowledge_requested.connect(self.acknowledge)
        table.acknowledge_all_requested.connect(self.acknowledge_all)
        table.silence_requested.connect(self.silence)
        table.reset_requested.connect(self.reset)
        table.note_requested.connect(self.ask_note)
        table.current_changed.connect(self._current_changed)
        detail = self.detail
        detail.acknowledge_requested.connect(lambda i: self.acknowledge([i]))
        detail.reset_requested.connect(lambda i: self.reset([i]))
        detail.note_requested.connect(self.ask_note)
        detail.shelve_requested.connect(self.ask_shelve)
        detail.unshelve_requested.connect(self.unshelve)
        detail.out_of_service_requested.connect(self.ask_out_of_service)
        detail.return_requested.connect(self.return_to_service)
        self._buttons["acknowledge"].clicked.connect(lambda: self.acknowledge(table.selected_ids()))
        self._buttons["acknowledge-all"].clicked.connect(lambda: self.acknowledge_all(table.shown_ids()))
        self._buttons["silence"].clicked.connect(self.silence)
        self._buttons["reset"].clicked.connect(lambda: self.reset(table.selected_ids()))
        self._buttons["create-incident"].clicked.connect(self.request_incident)
        self._history_buttons["load"].clicked.connect(self.load_history)
        self._history_buttons["more"].clicked.connect(self.more_history)
        self._history_buttons["export"].clicked.connect(self.ask_export)
        self.history_kind.currentIndexChanged.connect(self._history_kind_chosen)
        if bridge is not None:
            connect_queued(bridge.alarmsChanged, self.on_alarms)
        self._retranslate()
        self._enable_buttons()

    # ------------------------------------------------------------------ small builders
    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        return combo

    @staticmethod
    def _plain_table(table: QTableWidget) -> None:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.setWordWrap(False)

    # ------------------------------------------------------------------ public
    @property
    def engine_running(self) -> bool:
        return self._engine

    def rows(self) -> list[AlarmRow]:
        return self.table.source_model.rows()

    def set_aside_rows(self) -> list[AlarmRow]:
        return list(self._set_aside)

    def history_rows(self) -> list[TransitionView]:
        return list(self._history)

    def action_history_rows(self) -> list[ActionRow]:
        return list(self._action_history)

    def show_operator_actions(self, actions: bool) -> None:
        """Page the operator actions (True) or the state changes (False) on the History tab."""
        self.history_kind.setCurrentIndex(1 if actions else 0)

    def banner_pick(self) -> tuple[AlarmRow | None, int]:
        return banner_pick(self.rows())

    def point_marks(self) -> dict[str, PointMark]:
        return dict(self._marks)

    def select(self, alarm_id: int) -> bool:
        """Show an alarm (the banner's click): the Active tab, filters cleared if they hide it."""
        self.tabs.setCurrentIndex(0)
        if self.table.source_model.get(alarm_id) is None:
            return False
        if alarm_id not in self.table.shown_ids():
            self.clear_filters()
        found = self.table.select_id(alarm_id)
        self.table.setFocus()
        return found

    def clear_filters(self) -> None:
        for combo in (self.building_filter, self.category_filter, self.priority_filter, self.state_filter):
            combo.setCurrentIndex(0)
        self.search.clear()

    def attach(self, engine_running: bool) -> None:
        """The station is up: with its engine running, restore the open alarms from the journal."""
        if self._closed:
            return
        self._engine = engine_running
        self._enable_buttons()
        if engine_running and self._db is not None:
            db = self._db

            def read() -> list[AlarmView]:
                with db.session() as session:
                    return journal.open_alarms(session)

            self._call("alarm-restore", read, self._restored)

    def shutdown(self) -> None:
        """Drop every query and action still running (never waits); stop the timers."""
        self._closed = True
        self._flood_timer.stop()
        self._timeline_call.close()
        self._history_call.close()
        for call in list(self._calls):
            call.abandon()
        self._calls.clear()
        if self._dialog is not None:
            self._dialog.close()

    # ------------------------------------------------------------------ alarms in
    @Slot(list)
    def on_alarms(self, events: list[AlarmChanged]) -> None:
        """A batch from the bridge: fold it into one model update, the sound, the flood, the marks."""
        if self._closed:
            return
        latest: dict[int, AlarmRow] = {}
        removed: set[int] = set()
        now = time.monotonic()
        flood_changed = False
        for event in events:
            view = event.view
            row_id = self._mapper.row_id(view)
            if view.id is not None:
                self._seen.add(view.id)
                held = self._mapper.forget_held(view.key)
                if held is not None:  # recorded at last: the stand-in row goes
                    removed.add(held)
                    latest.pop(held, None)
                    self._views.pop(held, None)
                    self.annunciator.remove(str(held))
            t = event.transition
            if t is not None and t.from_state == "normal" and view.state != "normal":
                flood_changed |= self.flood.raised(now)
            if view.state == "normal":
                removed.add(row_id)
                latest.pop(row_id, None)
                self._views.pop(row_id, None)
                self.annunciator.remove(str(row_id))
                if view.id is None:
                    self._mapper.forget_held(view.key)
                continue
            removed.discard(row_id)
            self._views[row_id] = view
            latest[row_id] = self._mapper.row(view)
            self.annunciator.update(str(row_id), view.priority, view.state)
            if event.reannounce:
                self.annunciator.reannounce(str(row_id))
        self.table.apply(list(latest.values()), sorted(removed))
        if flood_changed:
            self._flood_changed()
        elif self.flood.flooding:
            self.flood_notice.set_flood(True, self.flood.count)
        self._after_batch(set(latest) | removed)

    def _restored(self, views: object) -> None:
        """Open alarms from the journal; live events already seen are newer and win."""
        if not isinstance(views, list) or self._closed:
            return
        rows = []
        for view in views:
            if view.id is None or view.id in self._seen:
                continue
            self._seen.add(view.id)
            self._views[view.id] = view
            rows.append(self._mapper.row(view))
            self.annunciator.update(str(view.id), view.priority, view.state)
        if rows:
            self.table.apply(rows)
            self._after_batch({row.id for row in rows})

    def _after_batch(self, touched: set[int]) -> None:
        marks = point_marks(self._views.values())
        if marks != self._marks:
            self._marks = marks
            self.pointMarksChanged.emit(dict(marks))
        aside = [row for row in self.rows() if row.state in SET_ASIDE]
        if aside != self._set_aside:
            self._set_aside = aside
            self._fill_set_aside()
        current = self.table.current_id()
        if current is not None and current in touched:
            self._show_detail(current, reload=True)
        self._enable_buttons()
        self.summaryChanged.emit()

    # ------------------------------------------------------------------ flood
    def _flood_changed(self) -> None:
        flooding = self.flood.flooding
        self.flood_notice.set_flood(flooding, self.flood.count)
        if flooding:
            self._flood_timer.start()
            by = str(self.grouping.currentData())
            if by == "none":
                self.grouping.setCurrentIndex(self.grouping.findData("building"))
            else:
                self.table.set_grouping(by)
        else:
            self._flood_timer.stop()
            self.grouping.setCurrentIndex(self.grouping.findData("none"))

    @Slot()
    def _flood_tick(self) -> None:
        if self.flood.expire(time.monotonic()):
            self._flood_changed()
        elif self.flood.flooding:
            self.flood_notice.set_flood(True, self.flood.count)

    @Slot(int)
    def _grouping_chosen(self, _index: int) -> None:
        self.table.set_grouping(str(self.grouping.currentData()))

    # ------------------------------------------------------------------ filters
    def _fill_filters(self) -> None:
        names = self._mapper.buildings()
        choices = {
            self.building_filter: [(name, name) for name in names.values()],
            self.category_filter: [(c, self._word(c)) for c in CATEGORIES],
            self.priority_filter: [(p, self._word(p)) for p in PRIORITIES],
            self.state_filter: [(s, self._word(s)) for s in STATES],
        }
        everything = {
            self.building_filter: self.tr("All buildings"),
            self.category_filter: self.tr("All categories"),
            self.priority_filter: self.tr("All priorities"),
            self.state_filter: self.tr("All states"),
        }
        for combo, items in choices.items():
            index = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything[combo], None)
            for key, text in items:
                combo.addItem(text, key)
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)

    def _word(self, key: str) -> str:
        words = {
            "fire": self.tr("fire"),
            "pre-alarm": self.tr("pre-alarm"),
            "supervisory": self.tr("supervisory"),
            "fault": self.tr("fault"),
            "urgent": self.tr("urgent"),
            "high": self.tr("high"),
            "medium": self.tr("medium"),
            "low": self.tr("low"),
            "unacknowledged": self.tr("unacknowledged"),
            "acknowledged": self.tr("acknowledged"),
            "rtn-unacknowledged": self.tr("returned, unacknowledged"),
            "latched": self.tr("latched, needs reset"),
            "shelved": self.tr("shelved"),
            "suppressed": self.tr("suppressed"),
            "out-of-service": self.tr("out of service"),
        }
        return words.get(key, key)

    @Slot()
    def _apply_filters(self) -> None:
        def chosen(combo: QComboBox) -> list[str] | None:
            data = combo.currentData()
            return None if data is None else [str(data)]

        self.table.proxy.set_filters(
            buildings=chosen(self.building_filter),
            categories=chosen(self.category_filter),
            priorities=chosen(self.priority_filter),
            states=chosen(self.state_filter),
        )

    # ------------------------------------------------------------------ detail pane
    @Slot(object)
    def _current_changed(self, alarm_id: object) -> None:
        self._show_detail(alarm_id if isinstance(alarm_id, int) else None, reload=True)
        self._enable_buttons()

    def _show_detail(self, alarm_id: int | None, *, reload: bool) -> None:
        row = None if alarm_id is None else self.table.source_model.get(alarm_id)
        same = self.detail.alarm is not None and row is not None and self.detail.alarm.id == row.id
        if not same:
            self._timeline = []
        self.detail.set_alarm(row, self._timeline, allowed_actions(self._role(), row))
        if row is None or row.id < 0 or self._db is None or not reload:
            return
        db = self._db
        wanted = row.id

        def read() -> tuple[int, list[queries.TimelineEntry]]:
            with db.session() as session:
                return wanted, queries.timeline(session, wanted)

        self._timeline_call.submit(read)

    def detail_timeline(self) -> list[TimelineEntry]:
        return list(self._timeline)

    @Slot(object)
    def _show_timeline(self, result: object) -> None:
        if not isinstance(result, tuple) or self._closed:
            return
        alarm_id, transitions = result
        if self.detail.alarm is not None and self.detail.alarm.id == alarm_id:
            self._timeline = timeline(transitions)
            self.detail.set_timeline(self._timeline)

    # ------------------------------------------------------------------ actions
    def _role(self) -> str:
        return self._user.role if self._user is not None else ""

    def _service(self) -> AlarmActionsLike | None:
        if self._db is None:
            self.say(self.tr("Alarm actions need the alarm journal (no database is open)."))
            return None
        if self._user is None:
            self.say(self.tr("Nobody is signed in."))
            return None
        if self._actions is None:
            self._actions = self._actions_factory(self._db)
        return self._actions

    def _act(self, what: str, fn: Callable[[AlarmActionsLike, UserInfo], object], done: str) -> None:
        """Run one action on a worker thread; its refusal or failure goes to the message line."""
        service = self._service()
        user = self._user
        if service is None or user is None:
            return

        def run() -> object:
            return fn(service, user)

        self.say(self.tr("Working: {what}…").format(what=what))
        self._call(f"alarm-{what}", run, lambda _result: self.say(done), self._refused)

    def _refused(self, error: object) -> None:
        self.say(self.tr("Refused: {reason}").format(reason=refusal_text(error)))

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self.messageChanged.emit(text)

    def _rows_of(self, ids: Sequence[int], states: frozenset[str] | set[str]) -> list[AlarmRow]:
        model = self.table.source_model
        rows = [model.get(i) for i in ids]
        return [r for r in rows if r is not None and r.id > 0 and r.state in states]

    @Slot(list)
    def acknowledge(self, ids: list[int]) -> None:
        rows = self._rows_of(ids, NEEDS_ACK)
        if not rows:
            self.say(self.tr("Nothing selected needs acknowledgement."))
            return
        wanted = [row.id for row in rows]

        def run(service: AlarmActionsLike, user: UserInfo) -> object:
            for alarm_id in wanted:
                service.acknowledge(user, alarm_id)
            return None

        self._act(self.tr("acknowledge"), run, self.tr("Acknowledged {count}.").format(count=len(wanted)))

    @Slot(list)
    def acknowledge_all(self, ids: list[int]) -> None:
        wanted = [row.id for row in self._rows_of(ids, NEEDS_ACK)]
        if not wanted:
            self.say(self.tr("No alarm shown needs acknowledgement."))
            return
        self._act(
            self.tr("acknowledge all shown"),
            lambda service, user: service.acknowledge_all(user, wanted),
            self.tr("Acknowledged {count}.").format(count=len(wanted)),
        )

    @Slot()
    def silence(self) -> None:
        """Quiet the sound here at once; the silence is recorded by the service."""
        self.annunciator.silence()
        self._act(self.tr("silence"), lambda service, user: service.silence(user), self.tr("Silenced."))

    @Slot(list)
    def reset(self, ids: list[int]) -> None:
        rows = self._rows_of(ids, {"latched"})
        if not rows:
            self.say(self.tr("Nothing selected is latched and waiting for a reset."))
            return
        wanted = [row.id for row in rows]

        def run(service: AlarmActionsLike, user: UserInfo) -> object:
            for alarm_id in wanted:
                service.reset(user, alarm_id)
            return None

        self._act(self.tr("reset"), run, self.tr("Reset {count}.").format(count=len(wanted)))

    def _ask(
        self, title: str, prompt: str, then: Callable[[str, int], None], minutes_max: int | None = None
    ) -> None:
        if self._dialog is not None:
            self._dialog.close()
        dialog = ReasonDialog(title, prompt, self, minutes_max=minutes_max)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog

        def accepted() -> None:
            minutes = dialog.minutes.value() if dialog.minutes is not None else 0
            then(dialog.text.text().strip(), minutes)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(self._dialog_done)
        dialog.open()

    @Slot()
    def _dialog_done(self) -> None:
        self._dialog = None

    @property
    def dialog(self) -> ReasonDialog | None:
        return self._dialog

    @Slot(int)
    def ask_note(self, alarm_id: int) -> None:
        if alarm_id <= 0:
            return
        self._ask(
            self.tr("Note on the alarm"), self.tr("Note:"), lambda text, _m: self.add_note(alarm_id, text)
        )

    def add_note(self, alarm_id: int, text: str) -> None:
        self._act(self.tr("note"), lambda s, u: s.note(u, alarm_id, text), self.tr("Note added."))

    @Slot(int)
    def ask_shelve(self, alarm_id: int) -> None:
        limit_h = self._site.alarms.shelve_max_h
        self._ask(
            self.tr("Shelve the alarm"),
            self.tr("Reason:"),
            lambda text, minutes: self.shelve(alarm_id, minutes, text),
            minutes_max=max(1, int(limit_h * 60)),
        )

    def shelve(self, target: int | str, minutes: int, reason: str) -> None:
        self._act(
            self.tr("shelve"),
            lambda s, u: s.shelve(u, target, minutes, reason),
            self.tr("Shelved for {minutes} min.").format(minutes=minutes),
        )

    @Slot(int)
    def unshelve(self, target: int) -> None:
        self._act(self.tr("unshelve"), lambda s, u: s.unshelve(u, target), self.tr("Unshelved."))

    @Slot(int)
    def ask_out_of_service(self, alarm_id: int) -> None:
        self._ask(
            self.tr("Take the alarm out of service"),
            self.tr("Reason:"),
            lambda text, _m: self.out_of_service(alarm_id, text),
        )

    def out_of_service(self, target: int | str, reason: str) -> None:
        self._act(
            self.tr("out of service"),
            lambda s, u: s.out_of_service(u, target, reason),
            self.tr("Out of service."),
        )

    @Slot(int)
    def return_to_service(self, target: int) -> None:
        self._act(
            self.tr("return to service"),
            lambda s, u: s.return_to_service(u, target),
            self.tr("Returned to service."),
        )

    def _enable_buttons(self) -> None:
        chosen = self.table.selected_ids()
        selected = self._rows_of(chosen, NEEDS_ACK | {"latched"})
        acts = {"acknowledge": False, "reset": False}
        role = self._role()
        for row in selected:
            allowed = allowed_actions(role, row)
            acts["acknowledge"] |= "acknowledge" in allowed
            acts["reset"] |= "reset" in allowed
        ready = self._engine and self._user is not None
        self._buttons["acknowledge"].setEnabled(ready and acts["acknowledge"])
        self._buttons["reset"].setEnabled(ready and acts["reset"])
        self._buttons["acknowledge-all"].setEnabled(ready and bool(self.rows()))
        self._buttons["silence"].setEnabled(ready)
        self._buttons["create-incident"].setEnabled(
            self._db is not None
            and self._user is not None
            and bool(chosen)
            and role_allowed(role, Action.INCIDENT_CREATE)
        )
        self._history_buttons["load"].setEnabled(self._db is not None)
        self._history_buttons["more"].setEnabled(self._db is not None and self._history_more)
        self._history_buttons["export"].setEnabled(bool(self._loaded_history()))

    def request_incident(self) -> None:
        """Hand the selected alarms to the incidents page ("Create incident")."""
        ids = self.table.selected_ids()
        if ids:
            self.incidentRequested.emit(list(ids))

    # ------------------------------------------------------------------ set-aside tab
    def _fill_set_aside(self) -> None:
        table = self.set_aside_table
        today = local_today()
        table.setRowCount(len(self._set_aside))
        for r, row in enumerate(self._set_aside):
            until = format_time(row.shelved_until, today) if row.shelved_until else self.tr("until returned")
            cells = (row.source_name, row.building, self._word(row.state), until, row.message)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()

    @Slot()
    def _set_aside_selected(self) -> None:
        items = self.set_aside_table.selectedItems()
        if items:
            alarm_id = int(items[0].data(Qt.ItemDataRole.UserRole))
            row = self.table.source_model.get(alarm_id)
            self.detail.set_alarm(row, [], allowed_actions(self._role(), row))

    # ------------------------------------------------------------------ history tab
    def _range(self) -> tuple[datetime, datetime]:
        start = self.history_from.dateTime().toPython()
        end = self.history_to.dateTime().toPython()
        assert isinstance(start, datetime) and isinstance(end, datetime)
        return start.astimezone(UTC), end.astimezone(UTC)

    def set_history_range(self, start: datetime, end: datetime) -> None:
        self.history_from.setDateTime(QDateTime.fromMSecsSinceEpoch(int(start.timestamp() * 1000)))
        self.history_to.setDateTime(QDateTime.fromMSecsSinceEpoch(int(end.timestamp() * 1000)))

    @Slot()
    def load_history(self) -> None:
        """The first page of the range (replacing what is shown)."""
        self._query_history(None, replace=True)

    def _showing_actions(self) -> bool:
        return self.history_kind.currentIndex() == 1

    def _loaded_history(self) -> Sequence[TransitionView | ActionRow]:
        return self._action_history if self._showing_actions() else self._history

    @Slot(int)
    def _history_kind_chosen(self, _index: int) -> None:
        """The other journal: its columns, then its first page of the same range."""
        self._history = []
        self._action_history = []
        self._history_more = False
        self._history_headers()
        self._fill_history()
        self._enable_buttons()
        if self._db is not None:
            self.load_history()

    @Slot()
    def more_history(self) -> None:
        """The next 500 rows after the last one shown."""
        loaded = self._loaded_history()
        last = loaded[-1] if loaded else None
        after = (last.at, last.id) if last is not None and last.id is not None else None
        self._query_history(after, replace=False)

    def _query_history(self, after: tuple[datetime, int] | None, *, replace: bool) -> None:
        if self._db is None:
            return
        db = self._db
        start, end = self._range()
        if end <= start:
            self.history_status.setText(self.tr("The end of the range must be after its start."))
            return

        actions = self._showing_actions()

        def read() -> tuple[bool, bool, Sequence[TransitionView | ActionRow]]:
            with db.session() as session:
                if actions:
                    return (
                        actions,
                        replace,
                        queries.actions_history(session, start, end, limit=HISTORY_PAGE, after=after),
                    )
                return actions, replace, journal.history(session, start, end, limit=HISTORY_PAGE, after=after)

        self.history_status.setText(self.tr("Reading the journal…"))
        self._history_call.submit(read)

    @Slot(object)
    def _history_loaded(self, result: object) -> None:
        if not isinstance(result, tuple) or self._closed:
            return
        actions, replace, rows = result
        if actions != self._showing_actions():
            return  # read for the other journal, chosen away from since
        if actions:
            self._action_history = list(rows) if replace else self._action_history + list(rows)
        else:
            self._history = list(rows) if replace else self._history + list(rows)
        self._history_more = len(rows) == HISTORY_PAGE
        self._fill_history()
        self._enable_buttons()

    @Slot(object)
    def _history_failed(self, error: object) -> None:
        self.history_status.setText(self.tr("The journal could not be read: {error}").format(error=error))

    def shown_history(self) -> list[TransitionView]:
        text = self.history_filter.text().strip().casefold()
        if not text:
            return list(self._history)
        return [t for t in self._history if text in _history_haystack(t)]

    def shown_actions(self) -> list[ActionRow]:
        text = self.history_filter.text().strip().casefold()
        if not text:
            return list(self._action_history)
        return [a for a in self._action_history if text in self._action_haystack(a)]

    def _state_word(self, state: str) -> str:
        return self.tr("normal") if state == "normal" else self._word(state)

    def _action_word(self, verb: str) -> str:
        words = {
            "ack": self.tr("acknowledge"),
            "silence": self.tr("silence"),
            "reset": self.tr("reset"),
            "note": self.tr("note"),
            "shelve": self.tr("shelve"),
            "unshelve": self.tr("unshelve"),
            "out-of-service": self.tr("out of service"),
            "return": self.tr("return to service"),
        }
        return words.get(verb, verb)

    def _action_haystack(self, a: ActionRow) -> str:
        alarm = "" if a.occurrence_id is None else str(a.occurrence_id)
        words = (a.user or "", a.position, a.action, self._action_word(a.action), a.target, alarm, a.details)
        return "\n".join(words).casefold()

    def _history_headers(self) -> None:
        table = self.history_table
        if self._showing_actions():
            headers = [self.tr("Time"), self.tr("User"), self.tr("Position"), self.tr("Action")]
            headers += [self.tr("Target"), self.tr("Alarm ID"), self.tr("Details")]
            placeholder = self.tr("Filter user, position, action, target or details")
        else:
            headers = [self.tr("Time"), self.tr("Alarm"), self.tr("From"), self.tr("To"), self.tr("By")]
            headers.append(self.tr("Note"))
            placeholder = self.tr("Filter alarm, state, user or note")
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        self.history_filter.setPlaceholderText(placeholder)

    @Slot()
    def _fill_history(self) -> None:
        table = self.history_table
        today = local_today()
        rows: list[tuple[str, ...]] = []
        if self._showing_actions():
            for a in self.shown_actions():
                alarm = "" if a.occurrence_id is None else str(a.occurrence_id)
                rows.append((format_time(a.at, today), a.user or "", a.position, self._action_word(a.action),
                             a.target, alarm, a.details))  # fmt: skip
            loaded = len(self._action_history)
            text = self.tr("{shown} of {loaded} operator actions shown.")
        else:
            for t in self.shown_history():
                cells = (format_time(t.at, today), t.key, self._state_word(t.from_state),
                         self._state_word(t.to_state), t.by or "", t.note)  # fmt: skip
                rows.append(cells)
            loaded = len(self._history)
            text = self.tr("{shown} of {loaded} transitions shown.")
        table.setRowCount(len(rows))
        for r, line in enumerate(rows):
            for c, cell in enumerate(line):
                table.setItem(r, c, QTableWidgetItem(cell))
        if rows:
            table.resizeColumnsToContents()
        more = self.tr(" More after these: press Next 500.") if self._history_more else ""
        self.history_status.setText(text.format(shown=len(rows), loaded=loaded) + more)

    @Slot()
    def ask_export(self) -> None:
        name = "operator-actions.csv" if self._showing_actions() else "alarm-history.csv"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the alarm history"), name, self.tr("CSV files (*.csv)")
        )
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> None:
        """Write what the History tab shows (filter applied) to ``path``, off the GUI thread."""
        if self._showing_actions():
            rows = [a.json_row() for a in self.shown_actions()]
            fields = ["at", "user", "position", "action", "target", "occurrence_id", "details"]
            done = self.tr("{count} operator actions written to {path}")
        else:
            rows = [t.json_row() | {"alarm": t.key} for t in self.shown_history()]
            fields = ["occurrence_id", "alarm", "at", "from_state", "to_state", "by", "note"]
            done = self.tr("{count} transitions written to {path}")

        def write() -> int:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fields, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
            return len(rows)

        self._call(
            "alarm-export",
            write,
            lambda count: self.history_status.setText(done.format(count=count, path=path)),
            lambda error: self.history_status.setText(
                self.tr("The export failed: {error}").format(error=error)
            ),
        )

    # ------------------------------------------------------------------ background calls
    def _call(
        self,
        name: str,
        fn: Callable[[], object],
        ok: Callable[[Any], None],
        failed: Callable[[object], None] | None = None,
    ) -> None:
        call = BackgroundCall(name, fn, self)
        self._calls.add(call)

        def finish(outcome: object, handler: Callable[[Any], None] | None) -> None:
            self._calls.discard(call)
            call.deleteLater()
            if handler is not None and not self._closed:
                handler(outcome)

        call.succeeded.connect(lambda result: finish(result, ok), Qt.ConnectionType.QueuedConnection)
        call.failed.connect(
            lambda error: finish(error, failed or self._refused), Qt.ConnectionType.QueuedConnection
        )
        call.start()

    # ------------------------------------------------------------------ Qt
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self._title.setText(self.tr("Alarms"))
        self.tabs.setTabText(0, self.tr("Active"))
        self.tabs.setTabText(1, self.tr("Shelved and out of service"))
        self.tabs.setTabText(2, self.tr("History"))
        self.building_filter.setToolTip(self.tr("Building"))
        self.category_filter.setToolTip(self.tr("Category"))
        self.priority_filter.setToolTip(self.tr("Priority"))
        self.state_filter.setToolTip(self.tr("State"))
        self.grouping.setToolTip(self.tr("Group the list (a flood groups it by building)"))
        self.search.setPlaceholderText(self.tr("Search source or message"))
        for index, text in enumerate((self.tr("No grouping"), self.tr("By building"), self.tr("By cause"))):
            self.grouping.setItemText(index, text)
        self._buttons["acknowledge"].setText(self.tr("Acknowledge"))
        self._buttons["acknowledge-all"].setText(self.tr("Acknowledge all shown"))
        self._buttons["silence"].setText(self.tr("Silence"))
        self._buttons["reset"].setText(self.tr("Reset"))
        self._buttons["create-incident"].setText(self.tr("Create incident…"))
        self._buttons["create-incident"].setToolTip(self.tr("Open an incident holding the selected alarms"))
        self._buttons["acknowledge"].setToolTip(self.tr("Enter or Space"))
        self._buttons["acknowledge-all"].setToolTip(self.tr("Ctrl+Shift+A"))
        self._buttons["silence"].setToolTip(self.tr("S"))
        self._buttons["reset"].setToolTip(self.tr("R"))
        self._aside_note.setText(
            self.tr(
                "Shelved and out-of-service alarms are not announced. Each is listed here with its expiry."
            )
        )
        self.set_aside_table.setHorizontalHeaderLabels(
            [self.tr("Source"), self.tr("Building"), self.tr("State"), self.tr("Until"), self.tr("Message")]
        )
        self._history_labels[0].setText(self.tr("From:"))
        self._history_labels[1].setText(self.tr("To:"))
        self.history_kind.setItemText(0, self.tr("State changes"))
        self.history_kind.setItemText(1, self.tr("Operator actions"))
        self.history_kind.setToolTip(self.tr("What the history pages through"))
        self._history_buttons["load"].setText(self.tr("Show"))
        self._history_buttons["more"].setText(self.tr("Next 500"))
        self._history_buttons["export"].setText(self.tr("Export CSV…"))
        self._history_headers()
        if self._loaded_history():
            self._fill_history()
        self._fill_filters()
        self._fill_set_aside()


def _history_haystack(t: TransitionView) -> str:
    return f"{t.key}\n{t.from_state}\n{t.to_state}\n{t.by or ''}\n{t.note}".casefold()


def default_range(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The History tab's first range: the last 24 hours."""
    end = now or datetime.now(UTC)
    return end - timedelta(days=1), end

"""The console's detail pane: one alarm's header, its timeline, and the operator's action buttons.

Plain data in (an :class:`~widgets.alarm_table.AlarmRow`, a list of :class:`TimelineEntry`, the set of
actions the caller allows); signals out, each with the alarm id. The pane does not decide who may do
what: the caller passes ``allowed_actions`` (from the permissions table and the alarm's state) and a
button not in it is disabled, so the service's refusal is never the first the operator hears of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.alarm_table import AlarmRow, display_names, format_time, local_today

BUTTONS_PER_ROW = 4
ACTIONS: tuple[str, ...] = ("acknowledge", "reset", "note", "shelve", "unshelve", "out-of-service", "return")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an alarm's history: a state transition, an operator's note, or an action."""

    at: datetime
    kind: str  # "transition" | "note" | "action"
    text: str
    by: str = ""


class AlarmDetail(QFrame):
    """One alarm in full, with Acknowledge, Reset, Note, Shelve, Unshelve, Out of service, Return.

    Every button emits its own signal with the alarm id, and ``action_requested(action, id)`` as
    well (one slot can serve them all). ``today`` (tests) says which local date is shown bare.
    """

    acknowledge_requested = Signal(int)
    reset_requested = Signal(int)
    note_requested = Signal(int)
    shelve_requested = Signal(int)
    unshelve_requested = Signal(int)
    out_of_service_requested = Signal(int)
    return_requested = Signal(int)
    action_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None, *, today: Callable[[], date] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmDetail")
        self._today = today or local_today
        self._row: AlarmRow | None = None
        self._timeline: list[TimelineEntry] = []
        self._allowed: frozenset[str] = frozenset()
        self._title = QLabel(self)
        self._title.setObjectName("detailTitle")
        self._title.setWordWrap(True)
        self._message = QLabel(self)
        self._message.setObjectName("detailMessage")
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._facts = QLabel(self)
        self._facts.setObjectName("detailFacts")
        self._facts.setWordWrap(True)
        self._marks = QLabel(self)
        self._marks.setObjectName("detailMarks")
        self._marks.setWordWrap(True)
        self._timeline_view = QTreeWidget(self)
        self._timeline_view.setObjectName("detailTimeline")
        self._timeline_view.setRootIsDecorated(False)
        self._timeline_view.setColumnCount(4)
        self._timeline_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._timeline_view.setUniformRowHeights(True)
        self._buttons: dict[str, QPushButton] = {}
        # Two rows of four at most, so the pane fits the console at 800x600 in either language.
        buttons = QGridLayout()
        buttons.setSpacing(6)
        for position, action in enumerate(ACTIONS):
            button = QPushButton(self)
            button.setObjectName(f"action-{action}")
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, a=action: self.request(a))
            self._buttons[action] = button
            buttons.addWidget(button, position // BUTTONS_PER_ROW, position % BUTTONS_PER_ROW)
        buttons.setColumnStretch(BUTTONS_PER_ROW, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self._title)
        layout.addWidget(self._message)
        layout.addWidget(self._facts)
        layout.addWidget(self._marks)
        layout.addWidget(self._timeline_view, 1)
        layout.addLayout(buttons)
        self._retranslate()

    # ------------------------------------------------------------ plain-data API
    @property
    def alarm(self) -> AlarmRow | None:
        return self._row

    def button(self, action: str) -> QPushButton:
        return self._buttons[action]

    def allowed_actions(self) -> frozenset[str]:
        return self._allowed

    def enabled_actions(self) -> set[str]:
        return {action for action, button in self._buttons.items() if button.isEnabled()}

    def set_alarm(
        self,
        row: AlarmRow | None,
        timeline: Sequence[TimelineEntry] = (),
        allowed_actions: Iterable[str] = (),
    ) -> None:
        """Show an alarm (None: nothing selected, every button disabled)."""
        self._row = row
        self._timeline = list(timeline)
        self._allowed = frozenset(allowed_actions) if row is not None else frozenset()
        self._retranslate()

    def set_timeline(self, timeline: Sequence[TimelineEntry]) -> None:
        self._timeline = list(timeline)
        self._fill_timeline()

    def set_allowed_actions(self, allowed_actions: Iterable[str]) -> None:
        self._allowed = frozenset(allowed_actions) if self._row is not None else frozenset()
        self._enable()

    def request(self, action: str) -> None:
        """What a button does: emit the action's signal with the alarm id, if allowed."""
        if self._row is None or action not in self._allowed:
            return
        alarm_id = self._row.id
        signal = {
            "acknowledge": self.acknowledge_requested,
            "reset": self.reset_requested,
            "note": self.note_requested,
            "shelve": self.shelve_requested,
            "unshelve": self.unshelve_requested,
            "out-of-service": self.out_of_service_requested,
            "return": self.return_requested,
        }[action]
        signal.emit(alarm_id)
        self.action_requested.emit(action, alarm_id)

    # ------------------------------------------------------------ drawing the data
    def _enable(self) -> None:
        for action, button in self._buttons.items():
            button.setEnabled(action in self._allowed)

    def _fill_timeline(self) -> None:
        kinds = {"transition": self.tr("state"), "note": self.tr("note"), "action": self.tr("action")}
        view = self._timeline_view
        view.clear()
        today = self._today()
        for entry in self._timeline:
            QTreeWidgetItem(
                view, [format_time(entry.at, today), kinds.get(entry.kind, entry.kind), entry.text, entry.by]
            )
        for column in range(3):
            view.resizeColumnToContents(column)

    def _retranslate(self) -> None:
        labels = {
            "acknowledge": self.tr("Acknowledge"),
            "reset": self.tr("Reset"),
            "note": self.tr("Note…"),
            "shelve": self.tr("Shelve…"),
            "unshelve": self.tr("Unshelve"),
            "out-of-service": self.tr("Out of service…"),
            "return": self.tr("Return to service"),
        }
        for action, button in self._buttons.items():
            button.setText(labels[action])
        self._timeline_view.setHeaderLabels(
            [self.tr("Time"), self.tr("Kind"), self.tr("What"), self.tr("By")]
        )
        row = self._row
        if row is None:
            self._title.setText(self.tr("No alarm selected"))
            self._message.setText("")
            self._facts.setText("")
            self._marks.setText("")
        else:
            today = self._today()
            self._title.setText(
                row.source_name if not row.building else f"{row.building} · {row.source_name}"
            )
            self._message.setText(row.message)
            names = display_names()
            facts = [
                self.tr("State: {state}").format(state=names.get(row.state, row.state)),
                self.tr("Priority: {priority}").format(priority=names.get(row.priority, row.priority)),
                self.tr("Category: {category}").format(category=names.get(row.category, row.category)),
                self.tr("Raised: {time}").format(time=format_time(row.raised_at, today)),
            ]
            if row.value:
                facts.append(self.tr("Value: {value}").format(value=row.value))
            if row.acknowledged_by:
                facts.append(self.tr("Acknowledged by {name}").format(name=row.acknowledged_by))
            if row.shelved_until is not None:
                facts.append(
                    self.tr("Shelved until {time}").format(time=format_time(row.shelved_until, today))
                )
            self._facts.setText("   ".join(facts))
            marks = []
            if not row.recorded:
                marks.append(self.tr("Not recorded: the journal is unavailable"))
            if row.chattering:
                marks.append(self.tr("Chattering"))
            self._marks.setText("   ".join(marks))
        self._marks.setVisible(bool(self._marks.text()))
        self._fill_timeline()
        self._enable()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

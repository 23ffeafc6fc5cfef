"""The alarm console's active list: plain rows in, incremental model, ISA-101 looks, keyboard signals.

The alarm engine decides everything about an alarm (its state, its priority, where it sorts); this
module only shows it. Each row arrives as a frozen :class:`AlarmRow` whose ``rank`` the caller
computed (fire first, then priority, then newest): the model keeps rows ascending by ``(rank, id)``
and never re-derives the domain order, so the console, the CLI and the banner cannot disagree.

- :class:`AlarmTableModel` takes batches (``apply(upserts, removed_ids)``) and turns them into row
  inserts, removes, moves and ``dataChanged`` (a reset only for a first load), so a selection, the
  current row and the scroll position survive a flood; a 500-row batch stays far below one frame.
- :class:`AlarmFilterProxy` filters by building, category, priority, state and free text and keeps
  the source order (it never sorts).
- :class:`AlarmGroupModel` is the flood view: the shown rows grouped by building or by cause, with
  counts; a group holding a fire alarm is always on top.
- :class:`AlarmTableView` paints the looks from the QSS palette (``qproperty-*Color`` on
  ``QTableView#alarmTable``, see :mod:`widgets.style`), flashes only unacknowledged rows at ~1 Hz
  while shown (repainting only those rows), and turns keys into signals: the console decides what
  an acknowledgement means and who may do it.
- :class:`FloodNotice` is the "Alarm flood: N new alarms in 10 minutes" line the console shows
  while the engine reports a flood.

Looks (the ``LOOK_ROLE`` value, ``"<mode>:<tone>"``): mode ``flash`` (unacknowledged), ``steady``
(acknowledged, latched), ``returned`` (returned to normal, not acknowledged: a steady outline, no
fill), ``quiet`` (shelved, suppressed, out of service: muted text, no colour); tone is the priority,
or ``fire`` for every fire-category row, the strongest look.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QKeyEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from widgets.shown_timer import ShownTimer
from widgets.style import ColourRoles, colour_property, set_style_property

CATEGORIES: tuple[str, ...] = ("fire", "pre-alarm", "supervisory", "fault")
PRIORITIES: tuple[str, ...] = ("fire", "urgent", "high", "medium", "low")
STATES: tuple[str, ...] = (
    "unacknowledged",
    "acknowledged",
    "rtn-unacknowledged",
    "latched",
    "shelved",
    "suppressed",
    "out-of-service",
)
COLUMNS: tuple[str, ...] = (
    "time",
    "building",
    "source",
    "category",
    "priority",
    "state",
    "value",
    "message",
    "acknowledged_by",
)
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # the AlarmRow (list) / the GroupRow (groups)
LOOK_ROLE = int(Qt.ItemDataRole.UserRole) + 2  # "<mode>:<tone>", see the module docstring
IDS_ROLE = int(Qt.ItemDataRole.UserRole) + 3  # the alarm ids a row stands for (one, or a group's)
FLASH_INTERVAL_MS = 500  # one phase: on 0.5 s, off 0.5 s, so ~1 Hz

_MODE_OF_STATE: dict[str, str] = {
    "unacknowledged": "flash",
    "acknowledged": "steady",
    "latched": "steady",
    "rtn-unacknowledged": "returned",
    "shelved": "quiet",
    "suppressed": "quiet",
    "out-of-service": "quiet",
}


@dataclass(frozen=True)
class AlarmRow:
    """One active occurrence as the console shows it (all text already formatted by the caller)."""

    id: int
    key: str | None
    source: str
    source_name: str
    building: str
    category: str
    priority: str
    state: str
    value: str
    message: str
    raised_at: datetime
    acknowledged_by: str = ""
    recorded: bool = True
    chattering: bool = False
    shelved_until: datetime | None = None
    rank: tuple[Any, ...] = field(default=())


def look_of(row: AlarmRow) -> str:
    """``"<mode>:<tone>"``: how a row is drawn (mode from its state, tone from fire/priority)."""
    tone = "fire" if row.category == "fire" else row.priority
    return f"{_MODE_OF_STATE.get(row.state, 'quiet')}:{tone}"


def cause_of(row: AlarmRow) -> str:
    """The cause a flood groups by: the source kind and the limit, without the point.

    ``point:b3.smoke.hall`` with key ``b3.smoke.hall/on`` → ``point/on``; ``plc:fire-panel-a`` →
    ``plc/fault``; ``camera:gate/zone:yard`` → ``zone/<category>``. So forty "low pressure" alarms
    of one pump failure form one group, and one PLC outage is not mixed with point faults.
    """
    kind = row.source.split(":", 1)[0] or "?"
    if "/zone:" in row.source:
        kind = "zone"
    if row.key and "/" in row.key:
        what = row.key.rsplit("/", 1)[1]
    elif "/" in row.source and not row.source.rsplit("/", 1)[1].startswith("zone:"):
        what = row.source.rsplit("/", 1)[1]
    else:
        what = row.category
    return f"{kind}/{what}"


def format_time(at: datetime, today: date) -> str:
    """Local ``hh:mm:ss``; with the date in front when it is not ``today`` (local)."""
    local = at.astimezone()
    if local.date() == today:
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M:%S")


def local_today() -> date:
    """Today's local date (what :func:`format_time` compares against)."""
    return datetime.now().astimezone().date()


def _tr(text: str) -> str:
    return QCoreApplication.translate("AlarmTableModel", text)


def display_names() -> dict[str, str]:
    """Display names of categories, priorities and states (literal calls, so lupdate finds them)."""
    return {
        "fire": QCoreApplication.translate("AlarmTableModel", "fire"),
        "pre-alarm": QCoreApplication.translate("AlarmTableModel", "pre-alarm"),
        "supervisory": QCoreApplication.translate("AlarmTableModel", "supervisory"),
        "fault": QCoreApplication.translate("AlarmTableModel", "fault"),
        "urgent": QCoreApplication.translate("AlarmTableModel", "urgent"),
        "high": QCoreApplication.translate("AlarmTableModel", "high"),
        "medium": QCoreApplication.translate("AlarmTableModel", "medium"),
        "low": QCoreApplication.translate("AlarmTableModel", "low"),
        "unacknowledged": QCoreApplication.translate("AlarmTableModel", "unacknowledged"),
        "acknowledged": QCoreApplication.translate("AlarmTableModel", "acknowledged"),
        "rtn-unacknowledged": QCoreApplication.translate("AlarmTableModel", "returned, unacknowledged"),
        "latched": QCoreApplication.translate("AlarmTableModel", "latched, needs reset"),
        "shelved": QCoreApplication.translate("AlarmTableModel", "shelved"),
        "suppressed": QCoreApplication.translate("AlarmTableModel", "suppressed"),
        "out-of-service": QCoreApplication.translate("AlarmTableModel", "out of service"),
    }


def _headers() -> tuple[str, ...]:
    return (
        QCoreApplication.translate("AlarmTableModel", "Time"),
        QCoreApplication.translate("AlarmTableModel", "Building"),
        QCoreApplication.translate("AlarmTableModel", "Source"),
        QCoreApplication.translate("AlarmTableModel", "Category"),
        QCoreApplication.translate("AlarmTableModel", "Priority"),
        QCoreApplication.translate("AlarmTableModel", "State"),
        QCoreApplication.translate("AlarmTableModel", "Value"),
        QCoreApplication.translate("AlarmTableModel", "Message"),
        QCoreApplication.translate("AlarmTableModel", "Acknowledged by"),
    )


def _sort_key(row: AlarmRow) -> tuple[Any, ...]:
    return (row.rank, row.id)


class AlarmTableModel(QAbstractTableModel):
    """The active alarms, ascending by ``(rank, id)``, updated incrementally by :meth:`apply`.

    ``applied`` is emitted once after every batch (the group model and the console recount then,
    not once per row). ``today`` (tests) says which local date is shown without a date.
    """

    applied = Signal()

    def __init__(self, parent: QObject | None = None, *, today: Callable[[], date] | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AlarmRow] = []
        self._keys: list[tuple[Any, ...]] = []
        self._by_id: dict[int, AlarmRow] = {}
        self._flashing: set[int] = set()
        self._today = today or local_today
        self._names = display_names()
        self._headers = _headers()

    # ------------------------------------------------------------ plain-data API
    def apply(self, upserts: Sequence[AlarmRow], removed_ids: Sequence[int] = ()) -> None:
        """Insert, update, move and remove rows; an upsert in state ``normal`` removes its row."""
        latest: dict[int, AlarmRow] = {}
        for row in upserts:
            latest[row.id] = row
        gone = set(removed_ids) | {i for i, row in latest.items() if row.state == "normal"}
        for i in gone:
            latest.pop(i, None)
        if not self._rows and latest and not gone:
            self._load(latest.values())
            return
        for i in gone:
            self._remove(i)
        for row in latest.values():
            self._upsert(row)
        self.applied.emit()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._keys.clear()
        self._by_id.clear()
        self._flashing.clear()
        self.endResetModel()
        self.applied.emit()

    def rows(self) -> list[AlarmRow]:
        return list(self._rows)

    def ids(self) -> list[int]:
        return [row.id for row in self._rows]

    def get(self, alarm_id: int) -> AlarmRow | None:
        return self._by_id.get(alarm_id)

    def row_for(self, alarm_id: int) -> int | None:
        """The row of an alarm id, or None when it is not listed."""
        row = self._by_id.get(alarm_id)
        if row is None:
            return None
        return bisect.bisect_left(self._keys, _sort_key(row))

    def flashing_ids(self) -> set[int]:
        """Ids of the unacknowledged rows (the only ones that flash)."""
        return set(self._flashing)

    def retranslate(self) -> None:
        self._names = display_names()
        self._headers = _headers()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    # ------------------------------------------------------------ incremental steps
    def _load(self, rows: Iterable[AlarmRow]) -> None:
        self.beginResetModel()
        self._rows = sorted(rows, key=_sort_key)
        self._keys = [_sort_key(row) for row in self._rows]
        self._by_id = {row.id: row for row in self._rows}
        self._flashing = {row.id for row in self._rows if row.state == "unacknowledged"}
        self.endResetModel()
        self.applied.emit()

    def _remove(self, alarm_id: int) -> None:
        position = self.row_for(alarm_id)
        if position is None:
            return
        self.beginRemoveRows(QModelIndex(), position, position)
        del self._rows[position]
        del self._keys[position]
        del self._by_id[alarm_id]
        self._flashing.discard(alarm_id)
        self.endRemoveRows()

    def _upsert(self, row: AlarmRow) -> None:
        key = _sort_key(row)
        if row.state == "unacknowledged":
            self._flashing.add(row.id)
        else:
            self._flashing.discard(row.id)
        old_position = self.row_for(row.id)
        if old_position is None:
            position = bisect.bisect_left(self._keys, key)
            self.beginInsertRows(QModelIndex(), position, position)
            self._rows.insert(position, row)
            self._keys.insert(position, key)
            self._by_id[row.id] = row
            self.endInsertRows()
            return
        old = self._rows[old_position]
        self._by_id[row.id] = row
        position = old_position
        if old.rank != row.rank:
            # Where the new key goes among the rows as they are (the old row still in place): Qt's
            # destination of a move is in those coordinates too, and old or old+1 is no move at all.
            destination = bisect.bisect_left(self._keys, key)
            if destination not in (old_position, old_position + 1):
                position = destination if destination < old_position else destination - 1
                self.beginMoveRows(QModelIndex(), old_position, old_position, QModelIndex(), destination)
                del self._rows[old_position]
                del self._keys[old_position]
                self._rows.insert(position, row)
                self._keys.insert(position, key)
                self.endMoveRows()
        self._rows[position] = row
        self._keys[position] = key
        if old != row:
            self.dataChanged.emit(self.index(position, 0), self.index(position, len(COLUMNS) - 1))

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
        return self._headers[section] if horizontal and 0 <= section < len(self._headers) else None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, COLUMNS[index.column()])
        if role == ROW_ROLE:
            return row
        if role == LOOK_ROLE:
            return look_of(row)
        if role == IDS_ROLE:
            return [row.id]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        return None

    def _display(self, row: AlarmRow, column: str) -> str:
        if column == "time":
            return format_time(row.raised_at, self._today())
        if column == "building":
            return row.building
        if column == "source":
            return row.source_name
        if column in ("category", "priority"):
            value = getattr(row, column)
            return self._names.get(value, value)
        if column == "state":
            text = self._names.get(row.state, row.state)
            if row.state == "shelved" and row.shelved_until is not None:
                text = _tr("shelved until {time}").format(time=format_time(row.shelved_until, self._today()))
            if row.chattering:
                text = _tr("{state}, chattering").format(state=text)
            return text
        if column == "value":
            return row.value
        if column == "message":
            if not row.recorded:
                return _tr("[not recorded] {message}").format(message=row.message)
            return row.message
        return row.acknowledged_by

    def _tooltip(self, row: AlarmRow) -> str:
        lines = [row.message, f"{row.source_name} ({row.source})"]
        if row.value:
            lines.append(_tr("Value: {value}").format(value=row.value))
        lines.append(self._display(row, "state"))
        if row.acknowledged_by:
            lines.append(_tr("Acknowledged by {name}").format(name=row.acknowledged_by))
        if not row.recorded:
            lines.append(_tr("Not recorded: the alarm journal is down; it is written when storage returns"))
        return "\n".join(lines)


class AlarmFilterProxy(QSortFilterProxyModel):
    """Filters by building, category, priority and state (a set, or None for all) and free text.

    The text matches source name and source id, message and building, case-insensitively. It never
    sorts: the source's rank order is the order shown. ``filters_changed`` follows every change.
    """

    filters_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._buildings: frozenset[str] | None = None
        self._categories: frozenset[str] | None = None
        self._priorities: frozenset[str] | None = None
        self._states: frozenset[str] | None = None
        self._text = ""
        self.setDynamicSortFilter(True)

    def set_filters(
        self,
        *,
        buildings: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        priorities: Iterable[str] | None = None,
        states: Iterable[str] | None = None,
    ) -> None:
        """Replace all four filters at once (None: everything)."""
        self.beginFilterChange()
        self._buildings = None if buildings is None else frozenset(buildings)
        self._categories = None if categories is None else frozenset(categories)
        self._priorities = None if priorities is None else frozenset(priorities)
        self._states = None if states is None else frozenset(states)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self.filters_changed.emit()

    def set_search(self, text: str) -> None:
        text = text.strip().casefold()
        if text == self._text:
            return
        self.beginFilterChange()
        self._text = text
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self.filters_changed.emit()

    def shown_rows(self) -> list[AlarmRow]:
        source = self.sourceModel()
        if isinstance(source, AlarmTableModel):  # the proxy never sorts: the source order, filtered
            return [row for row in source.rows() if self.accepts(row)]
        return [self.data(self.index(r, 0), ROW_ROLE) for r in range(self.rowCount())]

    def shown_ids(self) -> list[int]:
        return [row.id for row in self.shown_rows()]

    def accepts(self, row: AlarmRow) -> bool:
        if self._buildings is not None and row.building not in self._buildings:
            return False
        if self._categories is not None and row.category not in self._categories:
            return False
        if self._priorities is not None and row.priority not in self._priorities:
            return False
        if self._states is not None and row.state not in self._states:
            return False
        if self._text:
            haystack = f"{row.source_name}\n{row.source}\n{row.message}\n{row.building}".casefold()
            return self._text in haystack
        return True

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        row = self.sourceModel().data(self.sourceModel().index(source_row, 0, source_parent), ROW_ROLE)
        return isinstance(row, AlarmRow) and self.accepts(row)


@dataclass(frozen=True)
class GroupRow:
    """One flood group: its key and label, its alarms (in rank order) and their counts."""

    key: str
    label: str
    ids: tuple[int, ...]
    unacknowledged: int
    fire: bool
    top: AlarmRow  # the group's first alarm by rank: its tone is the group's

    @property
    def count(self) -> int:
        return len(self.ids)


GROUP_COLUMNS: tuple[str, ...] = ("group", "count", "unacknowledged", "top")


class AlarmGroupModel(QAbstractTableModel):
    """The shown rows of an :class:`AlarmFilterProxy` grouped by ``building`` or by ``cause``.

    Groups holding a fire alarm come first, then by their best-ranked alarm, so fire is on top in a
    flood too. Recounted once per batch (``applied``) and per filter change, not per row.
    """

    def __init__(self, proxy: AlarmFilterProxy, by: str = "building", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proxy = proxy
        self._by = by
        self._groups: list[GroupRow] = []
        source = proxy.sourceModel()
        if isinstance(source, AlarmTableModel):
            source.applied.connect(self.refresh)
        proxy.filters_changed.connect(self.refresh)
        proxy.modelReset.connect(self.refresh)
        self.refresh()

    @property
    def by(self) -> str:
        return self._by

    def set_by(self, by: str) -> None:
        if by not in ("building", "cause"):
            raise ValueError(f"group by 'building' or 'cause', not {by!r}")
        if by != self._by:
            self._by = by
            self.refresh()

    def groups(self) -> list[GroupRow]:
        return list(self._groups)

    def refresh(self) -> None:
        members: dict[str, list[AlarmRow]] = {}
        for row in self._proxy.shown_rows():  # already in rank order
            key = row.building if self._by == "building" else cause_of(row)
            members.setdefault(key, []).append(row)
        groups = [
            GroupRow(
                key=key,
                label=key or _tr("No building"),
                ids=tuple(r.id for r in rows),
                unacknowledged=sum(r.state == "unacknowledged" for r in rows),
                fire=any(r.category == "fire" for r in rows),
                top=rows[0],
            )
            for key, rows in members.items()
        ]
        groups.sort(key=lambda g: (not g.fire, _sort_key(g.top)))
        if groups == self._groups:
            return
        # A summary of a few groups: rebuilding it whole is cheaper than diffing, and no selection in
        # it outlives a recount by design (the operator acts on a group's alarms, read at key time).
        self.beginResetModel()
        self._groups = groups
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._groups)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(GROUP_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        headers = (
            _tr("Building") if self._by == "building" else _tr("Cause"),
            _tr("Alarms"),
            _tr("Unacknowledged"),
            _tr("First alarm"),
        )
        return headers[section] if 0 <= section < len(headers) else None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._groups):
            return None
        group = self._groups[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = GROUP_COLUMNS[index.column()]
            if column == "group":
                return group.label
            if column == "count":
                return str(group.count)
            if column == "unacknowledged":
                return str(group.unacknowledged)
            return group.top.message
        if role == ROW_ROLE:
            return group
        if role == IDS_ROLE:
            return list(group.ids)
        if role == LOOK_ROLE:
            tone = "fire" if group.fire else group.top.priority
            return f"{'flash' if group.unacknowledged else 'steady'}:{tone}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr("{count} alarms, {unacknowledged} unacknowledged").format(
                count=group.count, unacknowledged=group.unacknowledged
            )
        return None


class AlarmDelegate(QStyledItemDelegate):
    """Paints a row's look (``LOOK_ROLE``) in the view's palette colours; counts paints per alarm id."""

    def __init__(self, view: AlarmTableView) -> None:
        super().__init__(view)
        self._view = view
        self.painted: Counter[int] = Counter()

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        view = self._view
        look = str(index.data(LOOK_ROLE) or "quiet:low")
        mode, _, tone = look.partition(":")
        ids = index.data(IDS_ROLE) or []
        if ids:
            self.painted[int(ids[0])] += 1
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        opt.state &= ~(QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_HasFocus)
        tone_colour = view.colour(f"{tone}Color")
        ink = view.colour("inkColor")
        fill = None
        outline = None
        bold = mode in ("flash", "returned") or tone == "fire"
        if mode == "flash":
            if view.flash_phase:
                fill = tone_colour
                ink = view.colour(f"{tone}TextColor")
            else:
                outline = tone_colour
        elif mode == "returned":
            fill = view.colour("returnedColor")
            outline = tone_colour
        elif mode == "quiet":
            ink = view.colour("quietTextColor")
            opt.font.setItalic(True)
        opt.font.setBold(bold)
        if fill is not None:
            opt.backgroundBrush = QBrush(fill)
        opt.palette.setColor(QPalette.ColorRole.Text, ink)
        opt.palette.setColor(QPalette.ColorRole.HighlightedText, ink)
        if index.column() == 0:  # room for the priority mark at the row's left end
            if fill is not None:
                painter.fillRect(option.rect, fill)
            opt.rect = opt.rect.adjusted(10, 0, 0, 0)
        style = opt.widget.style() if opt.widget is not None else view.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

        rect = option.rect
        last = index.column() == index.model().columnCount() - 1
        painter.save()
        if mode in ("steady", "flash") and index.column() == 0:
            width = 8 if tone == "fire" else 5  # the priority mark: fire the strongest
            painter.fillRect(QRect(rect.left(), rect.top(), width, rect.height()), tone_colour)
        if outline is not None:
            self._frame(painter, rect, outline, 2, index.column() == 0, last, Qt.PenStyle.SolidLine)
        row = index.data(ROW_ROLE)
        if isinstance(row, AlarmRow) and not row.recorded and index.column() == 0:
            pen = QPen(view.colour("notRecordedColor"), 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
        if selected:
            self._frame(painter, rect, view.colour("selectionFrameColor"), 2, index.column() == 0, last,
                        Qt.PenStyle.SolidLine, inset=3)  # fmt: skip
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        """Measured in bold, as most alarm rows are drawn, so a fitted column does not elide."""
        opt = QStyleOptionViewItem(option)
        opt.font.setBold(True)
        hint = super().sizeHint(opt, index)
        return QSize(hint.width() + 10, hint.height())  # room for the priority mark

    @staticmethod
    def _frame(
        painter: QPainter, rect: QRect, colour: Any, width: int, first: bool, last: bool, style: Qt.PenStyle,
        inset: int = 1,
    ) -> None:  # fmt: skip
        """A row-wide frame drawn cell by cell: top and bottom everywhere, the sides at the ends."""
        painter.setPen(QPen(colour, width, style))
        top, bottom = rect.top() + inset, rect.bottom() - inset + 1
        painter.drawLine(rect.left(), top, rect.right(), top)
        painter.drawLine(rect.left(), bottom, rect.right(), bottom)
        if first:
            painter.drawLine(rect.left() + inset, top, rect.left() + inset, bottom)
        if last:
            painter.drawLine(rect.right() - inset + 1, top, rect.right() - inset + 1, bottom)


Role = QPalette.ColorRole


class AlarmTableView(ColourRoles, QTableView):
    """The active alarms, keyboard first; looks from the palette (``QTableView#alarmTable`` in QSS).

    Keys (while the table has focus): Enter/Return/Space acknowledge the selected alarms,
    Ctrl+Shift+A all alarms shown, S silence, R reset the selected, N a note on the current one. In
    group mode (``set_grouping("building"|"cause")``) a selected group stands for all its alarms.
    """

    acknowledge_requested = Signal(list)
    acknowledge_all_requested = Signal(list)
    silence_requested = Signal()
    reset_requested = Signal(list)
    note_requested = Signal(int)
    current_changed = Signal(object)  # int | None

    COLOUR_DEFAULTS: ClassVar[dict[str, Role]] = {
        "fireColor": Role.Highlight,
        "fireTextColor": Role.HighlightedText,
        "urgentColor": Role.Highlight,
        "urgentTextColor": Role.HighlightedText,
        "highColor": Role.Link,
        "highTextColor": Role.Base,
        "mediumColor": Role.LinkVisited,
        "mediumTextColor": Role.Base,
        "lowColor": Role.Mid,
        "lowTextColor": Role.Text,
        "returnedColor": Role.AlternateBase,
        "inkColor": Role.Text,
        "quietTextColor": Role.PlaceholderText,
        "notRecordedColor": Role.Shadow,
        "selectionFrameColor": Role.Text,
    }
    fireColor = colour_property("fireColor")
    fireTextColor = colour_property("fireTextColor")
    urgentColor = colour_property("urgentColor")
    urgentTextColor = colour_property("urgentTextColor")
    highColor = colour_property("highColor")
    highTextColor = colour_property("highTextColor")
    mediumColor = colour_property("mediumColor")
    mediumTextColor = colour_property("mediumTextColor")
    lowColor = colour_property("lowColor")
    lowTextColor = colour_property("lowTextColor")
    returnedColor = colour_property("returnedColor")
    inkColor = colour_property("inkColor")
    quietTextColor = colour_property("quietTextColor")
    notRecordedColor = colour_property("notRecordedColor")
    selectionFrameColor = colour_property("selectionFrameColor")

    def __init__(self, model: AlarmTableModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmTable")
        self._source = model if model is not None else AlarmTableModel(self)
        self._proxy = AlarmFilterProxy(self)
        self._proxy.setSourceModel(self._source)
        self._groups: AlarmGroupModel | None = None
        self._current: int | None = None
        self.flash_phase = True
        self.flash_ticks = 0
        self.last_flash_ids: list[int] = []
        self._delegate = AlarmDelegate(self)
        self.setItemDelegate(self._delegate)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.setSortingEnabled(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setHighlightSections(False)
        self.setModel(self._proxy)
        self._timer = ShownTimer(self, FLASH_INTERVAL_MS, self._blink, name="alarmFlash",
                                 on_show=self._phase_on, may_run=self._has_flashing)  # fmt: skip
        for signal in (self._source.applied, self._proxy.filters_changed):
            signal.connect(self._timer.resume)

    # ------------------------------------------------------------ plain-data API
    @property
    def source_model(self) -> AlarmTableModel:
        return self._source

    @property
    def proxy(self) -> AlarmFilterProxy:
        return self._proxy

    @property
    def group_model(self) -> AlarmGroupModel | None:
        return self._groups

    @property
    def delegate(self) -> AlarmDelegate:
        return self._delegate

    @property
    def flash_timer(self) -> ShownTimer:
        return self._timer

    def apply(self, upserts: Sequence[AlarmRow], removed_ids: Sequence[int] = ()) -> None:
        self._source.apply(upserts, removed_ids)

    def grouping(self) -> str:
        """``none``, ``building`` or ``cause``."""
        return "none" if self._groups is None else self._groups.by

    def set_grouping(self, by: str) -> None:
        """Show every alarm (``none``) or the shown alarms grouped ``building`` or ``cause``."""
        if by == self.grouping():
            return
        if by == "none":
            groups, self._groups = self._groups, None
            self.setModel(self._proxy)
            if groups is not None:
                groups.deleteLater()
        elif self._groups is not None:
            self._groups.set_by(by)
        else:
            if by not in ("building", "cause"):
                raise ValueError(f"group by 'none', 'building' or 'cause', not {by!r}")
            self._groups = AlarmGroupModel(self._proxy, by, self)
            self.setModel(self._groups)
        self._emit_current(None if self._groups is not None else self._id_at(self.currentIndex()))

    def selected_ids(self) -> list[int]:
        """The alarms the selection stands for, in the order shown (a group: all its alarms)."""
        selection = self.selectionModel()
        if selection is None:
            return []
        ids: list[int] = []
        for index in sorted(selection.selectedRows(), key=lambda i: i.row()):
            ids.extend(int(i) for i in index.data(IDS_ROLE) or [])
        return ids

    def shown_ids(self) -> list[int]:
        return self._proxy.shown_ids()

    def current_id(self) -> int | None:
        return self._current

    def select_id(self, alarm_id: int) -> bool:
        """Make an alarm current and selected (the banner's click); False when it is not shown."""
        if self._groups is not None:
            self.set_grouping("none")
        position = self._source.row_for(alarm_id)
        if position is None:
            return False
        index = self._proxy.mapFromSource(self._source.index(position, 0))
        if not index.isValid():
            return False
        self.setCurrentIndex(index)
        self.selectRow(index.row())
        self.scrollTo(index)
        return True

    # ------------------------------------------------------------ flashing
    def _has_flashing(self) -> bool:
        return bool(self._source.flashing_ids())

    def _phase_on(self) -> None:
        self.flash_phase = True

    def _blink(self) -> None:
        """One flash phase: repaint only the rows that flash; stop when none does."""
        flashing = self._source.flashing_ids()
        if not flashing:
            self._timer.stop()
            if not self.flash_phase:
                self.flash_phase = True
                self.viewport().update()
            return
        self.flash_phase = not self.flash_phase
        self.flash_ticks += 1
        model = self.model()
        viewport = self.viewport()
        first = max(0, self.rowAt(0))
        last = self.rowAt(viewport.height() - 1)
        last = model.rowCount() - 1 if last < 0 else last
        updated: list[int] = []
        for row in range(first, last + 1):
            index = model.index(row, 0)
            if str(index.data(LOOK_ROLE)).startswith("flash:"):
                viewport.update(
                    QRect(0, self.rowViewportPosition(row), viewport.width(), self.rowHeight(row))
                )
                updated.extend(index.data(IDS_ROLE) or [])
        self.last_flash_ids = updated

    # ------------------------------------------------------------ keys and selection
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        none = mods == Qt.KeyboardModifier.NoModifier
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and none:
            ids = self.selected_ids()
            if ids:
                self.acknowledge_requested.emit(ids)
            event.accept()
            return
        if key == Qt.Key.Key_A and mods == (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        ):
            ids = self.shown_ids()
            if ids:
                self.acknowledge_all_requested.emit(ids)
            event.accept()
            return
        if none and key == Qt.Key.Key_S:
            self.silence_requested.emit()
            event.accept()
            return
        if none and key == Qt.Key.Key_R:
            ids = self.selected_ids()
            if ids:
                self.reset_requested.emit(ids)
            event.accept()
            return
        if none and key == Qt.Key.Key_N:
            if self._current is not None:
                self.note_requested.emit(self._current)
            event.accept()
            return
        super().keyPressEvent(event)

    def _id_at(self, index: QModelIndex | QPersistentModelIndex) -> int | None:
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row.id if isinstance(row, AlarmRow) else None

    def _emit_current(self, alarm_id: int | None) -> None:
        if alarm_id != self._current:
            self._current = alarm_id
            self.current_changed.emit(alarm_id)

    def currentChanged(
        self, current: QModelIndex | QPersistentModelIndex, previous: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().currentChanged(current, previous)
        self._emit_current(self._id_at(current))

    def rowsAboutToBeRemoved(self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int) -> None:
        super().rowsAboutToBeRemoved(parent, start, end)
        if self._current is not None and start <= self.currentIndex().row() <= end:
            self._emit_current(None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._source.retranslate()
        super().changeEvent(event)


class FloodNotice(QLabel):
    """ "The line "Alarm flood: N new alarms in 10 minutes", shown while the engine reports a flood.

    Hidden otherwise; ``flood`` (``on``/``off``) is the dynamic property the QSS styles.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("floodNotice")
        self._active = False
        self._count = 0
        self.setProperty("flood", "")
        set_style_property(self, "flood", "off")
        self.setVisible(False)

    @property
    def active(self) -> bool:
        return self._active

    def set_flood(self, active: bool, count: int = 0) -> None:
        self._active = bool(active)
        self._count = max(0, int(count))
        set_style_property(self, "flood", "on" if self._active else "off")
        self._retranslate()
        self.setVisible(self._active)

    def _retranslate(self) -> None:
        if self._active:
            self.setText(self.tr("Alarm flood: {count} new alarms in 10 minutes").format(count=self._count))
        else:
            self.setText("")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

"""A table of records read page by page: plain rows in, more asked for as the view scrolls.

The model holds only the pages fetched so far. When the view reaches the end it calls
``canFetchMore``/``fetchMore`` (Qt's incremental loading), and the model answers by emitting
``moreWanted(offset)``: whoever owns the model (a page bound to services) runs the query off the GUI
thread and hands the rows back with :meth:`PagedTableModel.append_rows`. The widget knows nothing of
databases; rows are plain dicts, cells are turned into text here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

Index = QModelIndex | QPersistentModelIndex


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


class PagedTableModel(QAbstractTableModel):
    """Rows of dicts shown by ``columns`` ((key, header) pairs), fetched a page at a time."""

    moreWanted = Signal(int)  # the offset of the next page
    sortWanted = Signal(str)  # a column key the operator sorted by

    def __init__(self, columns: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[dict[str, Any]] = []
        self._has_more = False
        self._asked = False

    # ------------------------------------------------------------------ feeding
    def set_columns(self, columns: Sequence[tuple[str, str]]) -> None:
        self.beginResetModel()
        self._columns = list(columns)
        self._rows = []
        self._has_more = False
        self._asked = False
        self.endResetModel()

    def reset_rows(self, rows: Sequence[dict[str, Any]], has_more: bool) -> None:
        """The first page of a new query (a new search, sort or kind)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._has_more = has_more
        self._asked = False
        self.endResetModel()

    def append_rows(self, rows: Sequence[dict[str, Any]], has_more: bool) -> None:
        """The next page, answering ``moreWanted``."""
        self._asked = False
        self._has_more = has_more
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def row_data(self, row: int) -> dict[str, Any] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def column_key(self, column: int) -> str:
        return self._columns[column][0]

    # ------------------------------------------------------------------ Qt
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return cell_text(self._rows[index.row()].get(self._columns[index.column()][0]))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section][1]
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._has_more and not self._asked

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._asked = True
            self.moreWanted.emit(len(self._rows))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self._columns):
            self.sortWanted.emit(self._columns[column][0])


class RecordTableView(QTableView):
    """A keyboard-usable table for records: whole rows selected, one at a time, no editing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.setTabKeyNavigation(False)

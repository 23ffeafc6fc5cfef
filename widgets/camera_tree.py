"""The wall's camera tree: cameras grouped by building, found by part of their name or id, dragged
onto tiles.

One item model (``QStandardItemModel``) and a filter proxy, so a ward of 1,000 cameras costs a
thousand model rows, not a thousand widgets; typing filters the rows (case-insensitive, any part of
the name, id or building). Cameras drag as :data:`widgets.video_tile.CAMERA_MIME`; a double-click
(or Enter) asks for the camera on the selected tile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from widgets.video_tile import CAMERA_MIME, camera_mime

CAMERA_ROLE = Qt.ItemDataRole.UserRole + 1  # the camera id ("" on a building row)
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2  # what the search matches, lower case


@dataclass(frozen=True, slots=True)
class TreeCamera:
    id: str
    name: str
    building: str = ""  # the building's display name ("" : not in a building)


class CameraTreeModel(QStandardItemModel):
    """Buildings (not draggable) holding cameras (draggable as camera ids)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[str, QStandardItem] = {}
        self._other = "Other cameras"

    def set_cameras(self, cameras: Sequence[TreeCamera], other: str) -> None:
        self.clear()
        self._rows.clear()
        self._other = other
        groups: dict[str, QStandardItem] = {}
        root = self.invisibleRootItem()
        for camera in cameras:
            label = camera.building or other
            group = groups.get(label)
            if group is None:
                group = QStandardItem(label)
                group.setData("", CAMERA_ROLE)
                group.setData(label.lower(), SEARCH_ROLE)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                groups[label] = group
                root.appendRow(group)
            item = QStandardItem(camera.name)
            item.setData(camera.id, CAMERA_ROLE)
            item.setData(f"{camera.name}\n{camera.id}\n{label}".lower(), SEARCH_ROLE)
            item.setToolTip(f"{camera.name} ({camera.id})" if camera.name != camera.id else camera.id)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
            )
            group.appendRow(item)
            self._rows[camera.id] = item
        for group in groups.values():
            group.setText(f"{group.text()} ({group.rowCount()})")

    def camera_count(self) -> int:
        return len(self._rows)

    def index_of(self, camera_id: str) -> QModelIndex:
        item = self._rows.get(camera_id)
        return QModelIndex() if item is None else item.index()

    def mimeTypes(self) -> list[str]:
        return [CAMERA_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids = [str(index.data(CAMERA_ROLE)) for index in indexes if index.data(CAMERA_ROLE)]
        return camera_mime(ids)


class CameraFilter(QSortFilterProxyModel):
    """Shows the cameras whose name, id or building contains the search text (and their buildings)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFilterRole(SEARCH_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setRecursiveFilteringEnabled(True)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        needle = text.strip().lower()
        if needle == self._needle:
            return
        self._needle = needle
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._needle:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        if not index.data(CAMERA_ROLE):
            return False  # a building shows when one of its cameras matches (recursive filtering)
        return self._needle in str(index.data(SEARCH_ROLE))


class CameraTree(QWidget):
    """A search box over a building -> camera tree; drag a camera onto a tile."""

    cameraActivated = Signal(str)  # double-click / Enter on a camera

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraTree")
        self._cameras: list[TreeCamera] = []
        self._search = QLineEdit(self)
        self._search.setObjectName("cameraSearch")
        self._search.setClearButtonEnabled(True)
        self._model = CameraTreeModel(self)
        self._filter = CameraFilter(self)
        self._filter.setSourceModel(self._model)
        self._view = QTreeView(self)
        self._view.setObjectName("cameraTreeView")
        self._view.setModel(self._filter)
        self._view.setHeaderHidden(True)
        self._view.setUniformRowHeights(True)
        self._view.setDragEnabled(True)
        self._view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self._view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._view.activated.connect(self._on_activated)
        self._search.textChanged.connect(self.set_search)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._search)
        layout.addWidget(self._view, 1)
        self._retranslate()

    @property
    def view(self) -> QTreeView:
        return self._view

    @property
    def search_box(self) -> QLineEdit:
        return self._search

    @property
    def model(self) -> CameraTreeModel:
        return self._model

    def set_cameras(self, cameras: Sequence[TreeCamera]) -> None:
        self._cameras = list(cameras)
        self._model.set_cameras(self._cameras, self.tr("Other cameras"))
        self._view.expandAll()

    def set_search(self, text: str) -> None:
        if self._search.text() != text:
            self._search.setText(text)  # comes back here through textChanged
            return
        self._filter.set_needle(text)
        self._view.expandAll()

    def shown_camera_ids(self) -> list[str]:
        """The cameras the tree shows now (after the search), in order."""
        found: list[str] = []
        for group_row in range(self._filter.rowCount()):
            group = self._filter.index(group_row, 0)
            for row in range(self._filter.rowCount(group)):
                camera_id = self._filter.index(row, 0, group).data(CAMERA_ROLE)
                if camera_id:
                    found.append(str(camera_id))
        return found

    def mime_for(self, camera_id: str) -> QMimeData:
        """What dragging that camera carries (tests drop it onto a tile)."""
        return self._model.mimeData([self._model.index_of(camera_id)])

    def _on_activated(self, index: QModelIndex) -> None:
        camera_id = index.data(CAMERA_ROLE)
        if camera_id:
            self.cameraActivated.emit(str(camera_id))

    def _retranslate(self) -> None:
        self._search.setPlaceholderText(self.tr("Find a camera (name or id)"))
        if self._cameras:
            self._model.set_cameras(self._cameras, self.tr("Other cameras"))
            self._view.expandAll()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

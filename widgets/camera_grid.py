"""A plain grid of camera tiles laid out by count (1, 2x1, 2x2, 3x2, 3x3 ...).

The camera issue replaces this with the real wall (layouts, paging, overlays); this grid only has to
show every camera of a small site at once, readable, without configuration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from widgets.video_tile import VideoTile


def grid_shape(count: int) -> tuple[int, int]:
    """(rows, columns) for ``count`` tiles: as square as possible, wider than tall."""
    if count <= 0:
        return (0, 0)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    return (rows, columns)


class CameraGrid(QWidget):
    """Tiles for a list of (camera id, display name), in the order given."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraGrid")
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.setSpacing(6)
        self._tiles: dict[str, VideoTile] = {}
        self._empty = QLabel(self)
        self._empty.setObjectName("gridEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._retranslate()
        self._layout.addWidget(self._empty, 0, 0)

    def set_cameras(self, cameras: Sequence[tuple[str, str]]) -> None:
        """Replace the tiles; camera ids must be unique."""
        for tile in self._tiles.values():
            self._layout.removeWidget(tile)
            tile.deleteLater()
        self._tiles.clear()
        for row in range(self._layout.rowCount()):
            self._layout.setRowStretch(row, 0)
        for column in range(self._layout.columnCount()):
            self._layout.setColumnStretch(column, 0)
        rows, columns = grid_shape(len(cameras))
        self._empty.setVisible(not cameras)
        for index, (camera_id, name) in enumerate(cameras):
            if camera_id in self._tiles:
                raise ValueError(f"camera id {camera_id!r} appears twice")
            tile = VideoTile(camera_id, name, self)
            self._tiles[camera_id] = tile
            self._layout.addWidget(tile, index // columns, index % columns)
        for row in range(rows):
            self._layout.setRowStretch(row, 1)
        for column in range(columns):
            self._layout.setColumnStretch(column, 1)

    def tile(self, camera_id: str) -> VideoTile:
        return self._tiles[camera_id]

    def tiles(self) -> list[VideoTile]:
        return list(self._tiles.values())

    def refresh(self) -> None:
        """Let every tile repaint once if it has a new frame (called from the owner's timer)."""
        for tile in self._tiles.values():
            tile.refresh()

    def _retranslate(self) -> None:
        self._empty.setText(self.tr("This site has no cameras."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

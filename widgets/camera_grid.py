"""The wall's grid of tiles in one of the control-room layouts: 1, 2x2, 3x3, 4x4, 1+5 and 1+7.

Tiles are slots: the grid keeps as many :class:`VideoTile` as the layout has cells, and the owner puts
cameras on them (``assign``). "1+5" is a 3x3 grid whose first tile spans 2x2; "1+7" a 4x4 grid whose
first tile spans 3x3. One tile can be maximised over the whole grid and restored. The grid knows no
camera source: it lays out and forwards the tiles' clicks, double-clicks, drops and snapshot buttons.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from widgets.video_tile import VideoTile

GRIDS: tuple[str, ...] = ("1", "2x2", "3x3", "4x4", "1+5", "1+7")
Cell = tuple[int, int, int, int]  # row, column, row span, column span


def grid_cells(kind: str) -> tuple[int, int, list[Cell]]:
    """(rows, columns, cells) of a layout kind; the first cell is the big one where there is one."""
    if kind in ("1", "2x2", "3x3", "4x4"):
        side = 1 if kind == "1" else int(kind[0])
        return side, side, [(i // side, i % side, 1, 1) for i in range(side * side)]
    if kind in ("1+5", "1+7"):
        side = 3 if kind == "1+5" else 4
        big = side - 1
        cells: list[Cell] = [(0, 0, big, big)]
        cells += [(row, big, 1, 1) for row in range(big)]
        cells += [(big, column, 1, 1) for column in range(side)]
        return side, side, cells
    raise ValueError(f"unknown wall layout {kind!r}")


def grid_shape(count: int) -> tuple[int, int]:
    """(rows, columns) for ``count`` tiles: as square as possible, wider than tall."""
    if count <= 0:
        return (0, 0)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    return (rows, columns)


def is_big_cell(kind: str, slot: int) -> bool:
    """Whether a slot is large enough to deserve a camera's main stream (the single tile, or the
    big tile of 1+5 / 1+7)."""
    return kind == "1" or (kind in ("1+5", "1+7") and slot == 0)


class CameraGrid(QWidget):
    """Slots of a wall layout; ``set_grid(kind)`` changes the layout (tiles are reused)."""

    tileClicked = Signal(int)
    tileDoubleClicked = Signal(int)
    cameraDropped = Signal(int, str)
    snapshotRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None, kind: str = "2x2") -> None:
        super().__init__(parent)
        self.setObjectName("cameraGrid")
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.setSpacing(6)
        self._tiles: list[VideoTile] = []
        self._kind = ""
        self._maximised: int | None = None
        self.set_grid(kind)

    # ------------------------------------------------------------------ read
    @property
    def kind(self) -> str:
        return self._kind

    @property
    def maximised(self) -> int | None:
        """The maximised slot, or None."""
        return self._maximised

    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the cells as laid out now (1x1 while a tile is maximised)."""
        if self._maximised is not None:
            return (1, 1)
        rows, columns, _cells = grid_cells(self._kind)
        return rows, columns

    def tiles(self) -> list[VideoTile]:
        """Every slot's tile, in slot order."""
        return list(self._tiles)

    def tile_at(self, slot: int) -> VideoTile:
        return self._tiles[slot]

    def tile(self, camera_id: str) -> VideoTile:
        """The first tile showing ``camera_id`` (KeyError if none does)."""
        for tile in self._tiles:
            if tile.camera_id == camera_id:
                return tile
        raise KeyError(camera_id)

    def is_big(self, slot: int) -> bool:
        return self._maximised == slot or is_big_cell(self._kind, slot)

    # ------------------------------------------------------------------ write
    def set_grid(self, kind: str) -> None:
        """Lay out ``kind``'s cells; tiles beyond the new count are deleted, missing ones created."""
        _rows, _columns, cells = grid_cells(kind)
        if kind == self._kind:
            return
        self._kind = kind
        self._maximised = None
        while len(self._tiles) > len(cells):
            tile = self._tiles.pop()
            self._layout.removeWidget(tile)
            tile.deleteLater()
        while len(self._tiles) < len(cells):
            tile = VideoTile(parent=self, slot=len(self._tiles))
            tile.clicked.connect(self.tileClicked)
            tile.doubleClicked.connect(self.tileDoubleClicked)
            tile.cameraDropped.connect(self.cameraDropped)
            tile.snapshotRequested.connect(self.snapshotRequested)
            self._tiles.append(tile)
        self._place()

    def maximise(self, slot: int | None) -> None:
        """Show one slot over the whole grid (``None``: the layout again)."""
        if slot is not None and not 0 <= slot < len(self._tiles):
            raise IndexError(slot)
        if slot == self._maximised:
            return
        self._maximised = slot
        self._place()

    def refresh(self) -> None:
        """Let every shown tile repaint once if it has a new frame (called from the owner's timer)."""
        for tile in self._tiles:
            if tile.isVisibleTo(self):
                tile.refresh()

    # ------------------------------------------------------------------ private
    def _place(self) -> None:
        rows, columns, cells = grid_cells(self._kind)
        for tile in self._tiles:
            self._layout.removeWidget(tile)
        for index in range(max(self._layout.rowCount(), self._layout.columnCount())):
            self._layout.setRowStretch(index, 0)
            self._layout.setColumnStretch(index, 0)
        if self._maximised is not None:
            for tile in self._tiles:
                tile.setVisible(tile.slot == self._maximised)
            self._layout.addWidget(self._tiles[self._maximised], 0, 0, 1, 1)
            self._layout.setRowStretch(0, 1)
            self._layout.setColumnStretch(0, 1)
            return
        for tile, (row, column, row_span, column_span) in zip(self._tiles, cells, strict=True):
            self._layout.addWidget(tile, row, column, row_span, column_span)
            tile.setVisible(True)
        for row in range(rows):
            self._layout.setRowStretch(row, 1)
        for column in range(columns):
            self._layout.setColumnStretch(column, 1)

"""The camera wall: a camera tree, a grid of tiles in a control-room layout, pages, a tour, named
layouts per operator, snapshots.

The page owns no grabber (DESIGN §11): it opens a :class:`~app.video.frames.FrameSource` per shown
tile from whoever owns capture (the embedded station's hub, or a console's own hub) through
``start(opener)``, and releases the source as soon as the tile shows another camera, another page or
another stream. Cameras not on the current page are not opened. Small tiles ask for the substream
(the hub falls back to the main stream when a camera has none); the single tile, the big tile of
1+5 / 1+7 and a maximised tile ask for the main stream.

A ``QTimer`` at the display rate (bounded) takes each shown source's newest frame (a reference, no
copy) into its tile and lets the tiles repaint once; frames are never queued. The timer runs only
while the page is shown. Each tile shows its camera's state as capture reports it; where no source
is open (a console before its own grabber runs, or a disabled camera) the state the stations report
(``set_camera_state``) is shown instead.

Detection overlays (boxes, labels, plate text, zones, face blur) are drawn by the tiles over the
picture, never into the frames: on the same timer the page asks ``findings(camera_id)`` (the
station's vision service's ``latest``; thread-safe, no I/O) for each shown camera and hands the tile
its newest findings as plain overlay data (``ui.pages.wall_overlays``). The bar's "Overlays" menu
switches groups (people, vehicles, two-wheelers, plates, face outlines, zones) on and off for every
tile; a face blur cannot be switched off there.

Database work (named layouts, snapshots) runs off the GUI thread (``ui.tasks.BackgroundCall``); its
outcome comes back as a signal and is said in the note under the wall.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.auth.users import UserInfo
from app.storage.database import Database
from app.video import layouts as wall_layouts
from app.video.frames import CameraStatus, Frame, FrameSource, Stream
from app.video.layouts import Layout, tile_count
from app.vision.findings import FrameFindings
from ui.pages.wall_overlays import FACE_DISPLAYS, FaceDisplay, FindingsSource, overlay_for
from ui.tasks import BackgroundCall
from widgets.camera_grid import GRIDS, CameraGrid
from widgets.camera_tree import CameraTree, TreeCamera
from widgets.elided_label import ElidedLabel
from widgets.shown_timer import ShownTimer, interval_for
from widgets.video_overlay import GROUPS, OverlayShape, TileOverlay
from widgets.video_tile import VideoTile, fit_rect

log = logging.getLogger("wardroom.ui")

MAX_REFRESH_HZ = 25.0
DEFAULT_REFRESH_HZ = 20.0  # twice a 10 fps camera: a frame waits at most 50 ms to be painted
DEFAULT_ASPECT = 16 / 9  # until the first frame says otherwise
DEFAULT_GRID = "2x2"
# What the stations' link words mean on a tile (PLC-style words from older stations included).
EXTERNAL_STATES = {
    "unknown": "connecting",
    "connected": "live",
    "disconnected": "lost",
    "connecting": "connecting",
    "live": "live",
    "stalled": "stalled",
    "lost": "lost",
    "error": "error",
    "disabled": "disabled",
}


@dataclass(frozen=True, slots=True)
class WallCamera:
    """A camera as the wall needs it (plain data from the site file)."""

    id: str
    name: str
    building: str = ""
    substream: bool = False  # it has a substream_url
    enabled: bool = True
    zones: tuple[OverlayShape, ...] = ()  # its zones and lines (``wall_overlays.zone_shapes``)


class FrameOpener(Protocol):
    """What owns capture (``app.video.hub.CaptureHub``): a shared, ref-counted source per camera."""

    def open(self, camera_id: str, stream: Stream = "main") -> FrameSource: ...


class LayoutStore(Protocol):
    """The signed-in operator's named layouts (blocking: called off the GUI thread)."""

    def list(self) -> list[Layout]: ...

    def save(self, layout: Layout) -> Layout: ...

    def delete(self, name: str) -> bool: ...


SnapshotTaker = Callable[[Frame, str], object]  # (frame, camera id) -> what was saved (has .path)


class DatabaseLayouts:
    """The operator's layouts in the database (``app.video.layouts``); blocking, called off the GUI
    thread."""

    def __init__(self, db: Database, user_id: int) -> None:
        self._db = db
        self._user_id = user_id

    def list(self) -> list[Layout]:
        return wall_layouts.list_layouts(self._db, self._user_id)

    def save(self, layout: Layout) -> Layout:
        return wall_layouts.save_layout(self._db, self._user_id, layout)

    def delete(self, name: str) -> bool:
        return wall_layouts.delete_layout(self._db, self._user_id, name)


def database_snapshots(db: Database, user: UserInfo) -> SnapshotTaker:
    """Snapshots saved by ``app.video.snapshots.take`` as ``user``, faces blurred (blocking: off the GUI
    thread)."""

    def take(frame: Frame, camera_id: str) -> object:
        from app.video import snapshots  # JPEG encoding pulls in OpenCV: only when a snapshot is taken
        from app.vision.privacy import mask_faces  # faces blurred in every saved picture (DESIGN §6)

        return snapshots.take(db, frame, camera_id, user, mask=mask_faces)

    return take


def fitted_grid_size(
    area: QSize, rows: int, columns: int, aspect: float, tile_extra: QSize, spacing: int, margin: int
) -> QSize:
    """The grid size at which every tile's picture area has the frames' aspect ratio.

    Tiles stretched to fill the page leave tall letterboxed pictures. Instead the grid takes the
    largest size whose cells hold a picture of ``aspect`` (width / height) plus the tile's own chrome
    (``tile_extra``: caption and frame), and the page centres it.
    """
    if rows <= 0 or columns <= 0 or area.isEmpty() or aspect <= 0:
        return area
    free_w = area.width() - 2 * margin - (columns - 1) * spacing
    free_h = area.height() - 2 * margin - (rows - 1) * spacing
    picture_w = free_w / columns - tile_extra.width()
    picture_h = free_h / rows - tile_extra.height()
    if picture_w <= 0 or picture_h <= 0:
        return area
    if picture_w / picture_h > aspect:
        picture_w = picture_h * aspect
    else:
        picture_h = picture_w / aspect
    width = columns * (picture_w + tile_extra.width()) + (columns - 1) * spacing + 2 * margin
    height = rows * (picture_h + tile_extra.height()) + (rows - 1) * spacing + 2 * margin
    return QSize(min(area.width(), round(width)), min(area.height(), round(height)))


class _WallArea(QWidget):
    """Holds the camera grid at the size that suits the pictures' aspect, centred."""

    def __init__(self, grid: CameraGrid, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("wallArea")
        self._grid = grid
        grid.setParent(self)
        self._aspect = DEFAULT_ASPECT
        self.setMinimumSize(320, 200)

    @property
    def aspect(self) -> float:
        return self._aspect

    def set_aspect(self, aspect: float) -> None:
        if aspect > 0 and abs(aspect - self._aspect) > 1e-3:
            self._aspect = aspect
            self.place()

    def place(self) -> None:
        rows, columns = self._grid.shape()
        layout = self._grid.layout()
        margins = layout.contentsMargins() if layout is not None else None
        margin = margins.left() if margins is not None else 0
        spacing = max(layout.spacing(), 0) if layout is not None else 0
        extra = QSize(0, 0)
        tiles = self._grid.tiles()
        if tiles:
            tile = tiles[0]
            tile_layout = tile.layout()
            frame = 2 * tile.frameWidth()
            if tile_layout is not None:
                inner = tile_layout.contentsMargins()
                item = tile_layout.itemAt(0) if tile_layout.count() else None
                caption = item.widget() if item is not None else None
                extra = QSize(inner.left() + inner.right() + frame, inner.top() + inner.bottom() + frame)
                if caption is not None:
                    extra.setHeight(extra.height() + caption.sizeHint().height())
        size = fitted_grid_size(self.size(), rows, columns, self._aspect, extra, spacing, margin)
        left = (self.width() - size.width()) // 2
        top = (self.height() - size.height()) // 2
        self._grid.setGeometry(left, top, size.width(), size.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.place()


@dataclass
class _Open:
    camera_id: str
    stream: Stream
    source: FrameSource
    seq: int = -1


class CameraWallPage(QWidget):
    """The wall: ``start(opener)`` shows the current page's cameras, ``stop()`` lets them all go."""

    layoutsChanged = Signal()  # the operator's named layouts were (re)read
    layoutFailed = Signal(str)  # a layout could not be read, saved or deleted (plain words)
    snapshotTaken = Signal(object)  # what snapshots.take returned
    snapshotFailed = Signal(str)
    pageChanged = Signal(int)

    def __init__(
        self,
        cameras: Sequence[WallCamera | tuple[str, str]],
        refresh_hz: float = DEFAULT_REFRESH_HZ,
        parent: QWidget | None = None,
        *,
        layouts: LayoutStore | None = None,
        snapshot: SnapshotTaker | None = None,
        grid: str = DEFAULT_GRID,
        findings: FindingsSource | None = None,
        face_display: FaceDisplay = "blur",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cameraWall")
        self._cameras: dict[str, WallCamera] = {}
        for camera in cameras:
            entry = camera if isinstance(camera, WallCamera) else WallCamera(camera[0], camera[1])
            self._cameras[entry.id] = entry
        self._order: list[str | None] = list(self._cameras)
        self._page = 0
        self._layout_name = ""
        self._layouts: dict[str, Layout] = {}
        self._layout_store = layouts
        self._snapshot = snapshot
        self._opener: FrameOpener | None = None
        self._open: dict[int, _Open] = {}
        self._external: dict[str, tuple[str, str]] = {}  # camera id -> (tile state, reason)
        self._frame_sizes: dict[int, QSize] = {}
        self._selected = 0
        self._calls: set[BackgroundCall] = set()
        self._closed = False
        self._findings: FindingsSource | None = None
        self._face_display: FaceDisplay = "blur"
        self._overlays: dict[int, tuple[FrameFindings, TileOverlay]] = {}  # slot -> last converted
        self._findings_failing = False  # logged once per failing spell, not once per tick
        self._hidden: frozenset[str] = frozenset()

        self._tree = CameraTree(self)
        self._tree.set_cameras([TreeCamera(c.id, c.name, c.building) for c in self._cameras.values()])
        self._tree.cameraActivated.connect(self._on_tree_activated)
        self._grid = CameraGrid(self, kind=grid)
        self._grid.tileClicked.connect(self.select)
        self._grid.tileDoubleClicked.connect(self.toggle_maximise)
        self._grid.cameraDropped.connect(self.assign)
        self._grid.snapshotRequested.connect(self._on_snapshot_button)
        self._area = _WallArea(self._grid, self)

        # The tool bar: grid, pages, tour, named layouts.
        self._grid_choice = QComboBox(self)
        self._grid_choice.setObjectName("wallGridChoice")
        for kind in GRIDS:
            self._grid_choice.addItem(kind.replace("x", "×"), kind)
        self._grid_choice.setCurrentIndex(GRIDS.index(grid))
        self._grid_choice.currentIndexChanged.connect(
            lambda _i: self.set_grid(str(self._grid_choice.currentData()))
        )
        self._prev = QToolButton(self)
        self._prev.setObjectName("wallPrevPage")
        self._prev.clicked.connect(self.previous_page)
        self._next = QToolButton(self)
        self._next.setObjectName("wallNextPage")
        self._next.clicked.connect(self.next_page)
        self._page_label = QLabel(self)
        self._page_label.setObjectName("wallPageLabel")
        self._tour_label = QLabel(self)
        self._tour = QSpinBox(self)
        self._tour.setObjectName("wallTour")
        self._tour.setRange(0, 3600)
        self._tour.setSingleStep(5)
        self._tour.valueChanged.connect(self._on_tour_changed)
        self._layout_choice = QComboBox(self)
        self._layout_choice.setObjectName("wallLayoutChoice")
        self._layout_choice.setMinimumContentsLength(8)
        self._layout_choice.activated.connect(self._on_layout_chosen)
        self._save_button = QPushButton(self)
        self._save_button.setObjectName("wallSaveLayout")
        self._save_button.clicked.connect(self._ask_layout_name)
        self._delete_button = QPushButton(self)
        self._delete_button.setObjectName("wallDeleteLayout")
        self._delete_button.clicked.connect(lambda: self.delete_layout(self._layout_name))
        for widget in (self._save_button, self._delete_button, self._layout_choice):
            widget.setEnabled(layouts is not None)
        # Overlay groups in one menu: six buttons would not fit the bar at 800 × 600.
        self._overlay_button = QToolButton(self)
        self._overlay_button.setObjectName("wallOverlays")
        self._overlay_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._overlay_menu = QMenu(self._overlay_button)
        self._overlay_actions: dict[str, QAction] = {}
        for group in GROUPS:
            action = self._overlay_menu.addAction(group)
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda shown, g=group: self.show_overlay_group(g, shown))
            self._overlay_actions[group] = action
        self._overlay_button.setMenu(self._overlay_menu)
        # Two rows (view, then saved layouts): one row needs over 1,000 px and the window must work
        # at 800 × 600 beside the navigation and the camera tree.
        bar = QWidget(self)
        bar.setObjectName("wallBar")
        bar_layout = QVBoxLayout(bar)
        bar_layout.setContentsMargins(6, 4, 6, 0)
        bar_layout.setSpacing(4)
        view_row = QHBoxLayout()
        view_row.setSpacing(6)
        view_row.addWidget(self._grid_choice)
        view_row.addSpacing(8)
        view_row.addWidget(self._prev)
        view_row.addWidget(self._page_label)
        view_row.addWidget(self._next)
        view_row.addSpacing(8)
        view_row.addWidget(self._tour_label)
        view_row.addWidget(self._tour)
        view_row.addSpacing(8)
        view_row.addWidget(self._overlay_button)
        view_row.addStretch(1)
        saved_row = QHBoxLayout()
        saved_row.setSpacing(6)
        saved_row.addWidget(self._layout_choice, 1)
        saved_row.addWidget(self._save_button)
        saved_row.addWidget(self._delete_button)
        bar_layout.addLayout(view_row)
        bar_layout.addLayout(saved_row)

        self._note = ElidedLabel("", self)
        self._note.setObjectName("wallNote")
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(bar)
        right_layout.addWidget(self._area, 1)
        right_layout.addWidget(self._note)
        self._splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self._splitter.addWidget(self._tree)
        self._splitter.addWidget(right)
        self._splitter.setStretchFactor(1, 1)
        self._splitter.setSizes([230, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._splitter)

        for keys in ("S", "Ctrl+S"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.take_snapshot)
        for keys, slot in (("PgDown", self.next_page), ("PgUp", self.previous_page)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        escape = QShortcut(QKeySequence("Escape"), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(lambda: self.maximise(None))

        # The newest pictures at once when shown, not a tick later; nothing while hidden.
        self._timer = ShownTimer(
            self,
            interval_for(refresh_hz, MAX_REFRESH_HZ),
            self._pull_frames,
            name="wallRefresh",
            may_run=lambda: not self._closed and (self._opener is not None or bool(self._external)),
        )
        self._tour_timer = ShownTimer(
            self, 1000, self.next_page, name="wallTour", on_show=lambda: None, may_run=self._touring
        )
        self.set_findings_source(findings, face_display)
        self._show_page()
        self.select(0)
        self._retranslate()

    # ------------------------------------------------------------------ read
    @property
    def grid(self) -> CameraGrid:
        return self._grid

    @property
    def tree(self) -> CameraTree:
        return self._tree

    @property
    def note(self) -> str:
        return self._note.full_text

    @property
    def refresh_interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def running(self) -> bool:
        return self._opener is not None

    @property
    def timer_active(self) -> bool:
        """Whether frames are being pulled now (only while the page is shown and streams run)."""
        return self._timer.isActive()

    @property
    def tour_active(self) -> bool:
        return self._tour_timer.isActive()

    @property
    def aspect(self) -> float:
        """The picture aspect (width / height) the grid is laid out for."""
        return self._area.aspect

    @property
    def page(self) -> int:
        return self._page

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(len(self._order) / self._per_page()))

    @property
    def selected(self) -> int:
        return self._selected

    @property
    def layout_name(self) -> str:
        """The named layout shown ("" when the wall shows every camera in site order)."""
        return self._layout_name

    def layout_names(self) -> list[str]:
        return sorted(self._layouts)

    def shown_cameras(self) -> list[str | None]:
        """The camera on each slot of the current page."""
        return [tile.camera_id or None for tile in self._grid.tiles()]

    def opened(self) -> dict[str, Stream]:
        """The sources open now: camera id -> stream."""
        return {entry.camera_id: entry.stream for entry in self._open.values()}

    def picture_rect(self, camera_id: str) -> QRect:
        """Where the tile paints its picture, in screen coordinates (empty while it shows none).

        A test crops a screenshot to this, so a notice such as "Waiting for video…" can never pass
        for a picture.
        """
        try:
            tile = self._grid.tile(camera_id)
        except KeyError:
            return QRect()
        if not tile.has_signal or tile.frames_shown == 0 or not tile.isVisible():
            return QRect()
        fitted = fit_rect(tile.frame_size, tile.view.rect())
        return QRect(tile.view.mapToGlobal(fitted.topLeft()), fitted.size())

    @property
    def face_display(self) -> FaceDisplay:
        return self._face_display

    @property
    def hidden_overlay_groups(self) -> frozenset[str]:
        """The overlay groups switched off in the bar (see ``widgets.video_overlay.GROUPS``)."""
        return self._hidden

    def overlay_action(self, group: str) -> QAction:
        """The bar menu's check for one overlay group."""
        return self._overlay_actions[group]

    def current_layout(self, name: str = "") -> Layout:
        """What the wall shows now, as a layout of that name."""
        return Layout(name or self._layout_name, self._grid.kind, tuple(self._order), self._tour.value())

    # ------------------------------------------------------------------ start / stop
    def start(self, opener: FrameOpener) -> None:
        """Open the shown cameras through ``opener`` (the capture hub that owns the grabbers)."""
        if self._closed or self._opener is not None:
            return
        self._opener = opener
        self._sync_sources()
        self._timer.resume()
        log.info("camera wall started: %d source(s) open", len(self._open))

    def stop(self, timeout_s: float = 2.0) -> None:
        """Release every source and stop the timers (the hub stops grabbers no one needs)."""
        del timeout_s  # releasing is immediate: the hub's threads are the hub's to stop
        self._closed = True
        self._timer.stop()
        self._tour_timer.stop()
        self._release_all()
        self._opener = None
        for call in list(self._calls):
            call.abandon()
        self._calls.clear()
        log.info("camera wall stopped")

    # ------------------------------------------------------------------ operator actions
    @Slot(str)
    def set_grid(self, kind: str) -> None:
        if kind == self._grid.kind:
            return
        first = self._page * self._per_page()
        self._grid.set_grid(kind)
        self._page = min(first // self._per_page(), self.page_count - 1)
        if self._grid_choice.currentData() != kind:
            self._grid_choice.setCurrentIndex(GRIDS.index(kind))
        self._selected = min(self._selected, len(self._grid.tiles()) - 1)
        self._show_page()
        self._area.place()

    @Slot()
    def next_page(self) -> None:
        self.set_page((self._page + 1) % self.page_count)

    @Slot()
    def previous_page(self) -> None:
        self.set_page((self._page - 1) % self.page_count)

    def set_page(self, page: int) -> None:
        page = max(0, min(page, self.page_count - 1))
        if page == self._page:
            return
        self._page = page
        self._grid.maximise(None)
        self._show_page()
        self.pageChanged.emit(page)

    def set_tour(self, seconds: int) -> None:
        """Cycle the pages every ``seconds`` (0: no tour)."""
        self._tour.setValue(max(0, int(seconds)))

    def set_tour_interval_ms(self, interval_ms: int) -> None:
        """A tour faster than the spin box allows (tests): ``interval_ms`` per page."""
        self._tour_timer.setInterval(max(10, interval_ms))
        if self._tour.value() == 0:
            self._tour.blockSignals(True)
            self._tour.setValue(1)
            self._tour.blockSignals(False)
        self._tour_timer.resume()

    @Slot(int)
    def select(self, slot: int) -> None:
        tiles = self._grid.tiles()
        if not tiles:
            return
        self._selected = max(0, min(slot, len(tiles) - 1))
        for tile in tiles:
            tile.set_selected(tile.slot == self._selected)

    @Slot(int, str)
    def assign(self, slot: int, camera_id: str) -> None:
        """Put a camera on a slot of the current page (a drop from the tree)."""
        if camera_id not in self._cameras:
            return
        index = self._page * self._per_page() + slot
        while len(self._order) <= index:
            self._order.append(None)
        self._order[index] = camera_id
        self.select(slot)
        self._show_page()

    @Slot(int)
    def toggle_maximise(self, slot: int) -> None:
        self.maximise(None if self._grid.maximised == slot else slot)

    def maximise(self, slot: int | None) -> None:
        """One tile over the whole wall, on its camera's main stream (``None``: the layout again)."""
        if slot == self._grid.maximised:
            return
        self._grid.maximise(slot)
        if slot is not None:
            self.select(slot)
        self._sync_sources()
        self._area.place()

    @Slot()
    def take_snapshot(self) -> None:
        """Save the selected tile's current picture (masked by capture) off the GUI thread."""
        tile = self._grid.tile_at(self._selected)
        entry = self._open.get(self._selected)
        if not tile.camera_id:
            self._say(self.tr("Snapshot: no camera on the selected tile."))
            return
        frame = entry.source.latest() if entry is not None else None
        if frame is None or self._snapshot is None:
            why = (
                self.tr("snapshots need the database and a signed-in operator")
                if self._snapshot is None
                else self.tr("no picture from this camera yet")
            )
            self._on_snapshot_failed(why)
            return
        taker = self._snapshot
        camera_id = tile.camera_id
        self._run(
            "wall-snapshot", lambda: taker(frame, camera_id), self._on_snapshot_done, self._on_snapshot_error
        )
        self._say(self.tr("Saving a snapshot of {camera}…").format(camera=tile.name))

    def set_findings_source(
        self, findings: FindingsSource | None, face_display: FaceDisplay = "blur"
    ) -> None:
        """Where the newest detection findings come from (``station.vision.latest``; None: no
        overlays but zones) and how faces show: ``"blur"`` (default) or ``"box"``."""
        if face_display not in FACE_DISPLAYS:
            raise ValueError(f"face_display must be one of {FACE_DISPLAYS}, not {face_display!r}")
        self._findings = findings
        self._face_display = face_display
        self._findings_failing = False
        self._overlays.clear()
        if findings is None:
            for tile in self._grid.tiles():
                tile.set_overlay(None)

    def show_overlay_group(self, group: str, shown: bool) -> None:
        """Switch one overlay group on or off on every tile (the bar's menu does this)."""
        if group not in GROUPS:
            raise ValueError(f"unknown overlay group {group!r}")
        hidden = self._hidden - {group} if shown else self._hidden | {group}
        if hidden == self._hidden:
            return
        self._hidden = hidden
        action = self._overlay_actions[group]
        if action.isChecked() != shown:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        for tile in self._grid.tiles():
            tile.set_hidden_groups(hidden)
        self._show_overlay_button()

    def set_camera_state(self, camera_id: str, state: str, reason: str = "") -> None:
        """The state the stations report for a camera (shown while the wall has no source open)."""
        tile_state = EXTERNAL_STATES.get(state)
        if tile_state is None or camera_id not in self._cameras:
            return
        self._external[camera_id] = (tile_state, reason)
        self._timer.resume()

    # ------------------------------------------------------------------ named layouts
    def refresh_layouts(self) -> None:
        store = self._layout_store
        if store is not None:
            self._run("wall-layouts", store.list, self._on_layouts, self._on_layout_error)

    def save_layout(self, name: str) -> None:
        store = self._layout_store
        if store is None or not name.strip():
            return
        layout = self.current_layout(name.strip())
        self._run(
            "wall-layout-save", lambda: store.save(layout), self._on_layout_saved, self._on_layout_error
        )

    def delete_layout(self, name: str) -> None:
        store = self._layout_store
        if store is None or not name:
            return
        self._run(
            "wall-layout-delete", lambda: store.delete(name), self._on_layout_deleted, self._on_layout_error
        )

    def apply_layout(self, layout: Layout) -> None:
        """Show a named layout: its grid, its cameras (pages of them), its tour."""
        known = [c if c in self._cameras else None for c in layout.tiles]
        self._layout_name = layout.name
        self._order = known if known else [None] * tile_count(layout.grid)
        self._page = 0
        self._grid.maximise(None)
        self._grid_choice.blockSignals(True)
        self._grid_choice.setCurrentIndex(GRIDS.index(layout.grid))
        self._grid_choice.blockSignals(False)
        self._grid.set_grid(layout.grid)
        self._tour.setValue(layout.tour_s)
        self.select(0)
        self._show_page()
        self._area.place()
        self._show_layout_choice()

    def load_layout(self, name: str) -> None:
        layout = self._layouts.get(name)
        if layout is not None:
            self.apply_layout(layout)

    def show_all_cameras(self) -> None:
        """Back to every camera of the site in site order (no named layout)."""
        self._layout_name = ""
        self._order = list(self._cameras)
        self._page = 0
        self._show_page()
        self._show_layout_choice()

    # ------------------------------------------------------------------ private: sources
    def _per_page(self) -> int:
        return len(self._grid.tiles())

    def _touring(self) -> bool:
        return self._tour.value() > 0 and self.page_count > 1

    def _show_page(self) -> None:
        per_page = self._per_page()
        first = self._page * per_page
        for tile in self._grid.tiles():
            index = first + tile.slot
            camera_id = self._order[index] if index < len(self._order) else None
            camera = self._cameras.get(camera_id) if camera_id else None
            tile.assign(camera.id if camera else "", camera.name if camera else "")
            tile.set_zones(camera.zones if camera else ())
            tile.set_hidden_groups(self._hidden)
            if camera is not None and not camera.enabled:
                tile.set_state("disabled", self.tr("Switched off in the site file."))
        self._sync_sources()
        self._show_page_label()
        self._update_tour()

    def _update_tour(self) -> None:
        if self._touring():
            self._tour_timer.resume()
        else:
            self._tour_timer.stop()

    def _wanted(self, tile: VideoTile) -> tuple[str, Stream] | None:
        camera = self._cameras.get(tile.camera_id) if tile.camera_id else None
        if camera is None or not camera.enabled:
            return None
        big = self._grid.is_big(tile.slot)
        return camera.id, "main" if big or not camera.substream else "sub"

    def _sync_sources(self) -> None:
        """Open what the shown tiles need, release what they no longer show (cameras not shown are
        not opened)."""
        opener = self._opener
        for tile in self._grid.tiles():
            wanted = self._wanted(tile) if opener is not None else None
            entry = self._open.get(tile.slot)
            if entry is not None and (entry.camera_id, entry.stream) == wanted:
                continue
            if entry is not None:
                self._release(tile.slot)
            if wanted is None or opener is None:
                continue
            camera_id, stream = wanted
            try:
                source = opener.open(camera_id, stream)
            except Exception as exc:  # a plain-words refusal from the hub: show it on the tile
                log.warning("camera %s could not be opened for the wall: %s", camera_id, exc)
                tile.set_state("error", str(exc))
                continue
            self._open[tile.slot] = _Open(camera_id, stream, source)

    def _release(self, slot: int) -> None:
        entry = self._open.pop(slot, None)
        self._frame_sizes.pop(slot, None)
        self._overlays.pop(slot, None)
        if entry is None:
            return
        try:
            entry.source.release()
        except Exception:
            log.exception("releasing camera %s failed", entry.camera_id)

    def _release_all(self) -> None:
        for slot in list(self._open):
            self._release(slot)

    @Slot()
    def _pull_frames(self) -> None:
        now = time.time()
        sizes_changed = False
        for tile in self._grid.tiles():
            if not tile.camera_id or not tile.isVisibleTo(self._grid):
                continue
            entry = self._open.get(tile.slot)
            if entry is None:
                external = self._external.get(tile.camera_id)
                camera = self._cameras.get(tile.camera_id)
                if camera is not None and not camera.enabled:
                    continue
                if external is not None:
                    tile.set_state(external[0], external[1])
                continue
            frame = entry.source.latest()
            if frame is not None and frame.seq != entry.seq:
                entry.seq = frame.seq
                tile.set_frame(frame.image, at=frame.at)
                size = QSize(frame.image.shape[1], frame.image.shape[0])
                if self._frame_sizes.get(tile.slot) != size:
                    self._frame_sizes[tile.slot] = size
                    sizes_changed = True
            if self._findings is not None:
                tile.set_overlay(self._overlay(tile.slot, entry.camera_id))
            self._show_status(tile, entry.source.status(), now)
        if sizes_changed:
            self._area.set_aspect(self._common_aspect())
        self._grid.refresh()

    def _overlay(self, slot: int, camera_id: str) -> TileOverlay | None:
        """The tile overlay of the camera's newest findings, converted once per new findings."""
        source = self._findings
        if source is None:
            return None
        try:
            findings = source(camera_id)
        except Exception:  # the vision service must never take the wall down
            if not self._findings_failing:
                log.exception("reading detection findings for camera %s failed", camera_id)
            self._findings_failing = True
            return None
        self._findings_failing = False
        if findings is None or findings.camera_id != camera_id:
            self._overlays.pop(slot, None)
            return None
        cached = self._overlays.get(slot)
        if cached is not None and cached[0] is findings:
            return cached[1]
        overlay = overlay_for(findings, self._face_display)
        self._overlays[slot] = (findings, overlay)
        return overlay

    def _show_status(self, tile: VideoTile, status: CameraStatus, now: float) -> None:
        age = None if status.last_frame_at is None else max(0.0, now - status.last_frame_at)
        if status.state == "connecting" and tile.has_picture:
            return  # a new stream (substream to main): the last picture stays until the new one
        tile.set_state(status.state, status.reason, fps=status.fps, age_s=age)

    def _common_aspect(self) -> float:
        """The aspect most shown frames have (ties: the widest), for the one grid of equal cells."""
        counts: dict[float, int] = {}
        for size in self._frame_sizes.values():
            if not size.isEmpty():
                ratio = round(size.width() / size.height(), 3)
                counts[ratio] = counts.get(ratio, 0) + 1
        if not counts:
            return DEFAULT_ASPECT
        return max(counts, key=lambda ratio: (counts[ratio], ratio))

    # ------------------------------------------------------------------ private: background calls
    def _run(
        self,
        name: str,
        fn: Callable[[], object],
        done: Callable[[object], None],
        failed: Callable[[object], None],
    ) -> None:
        if self._closed:
            return
        call = BackgroundCall(name, fn, self)
        call.succeeded.connect(done, Qt.ConnectionType.QueuedConnection)
        call.failed.connect(failed, Qt.ConnectionType.QueuedConnection)
        call.succeeded.connect(lambda _r, c=call: self._forget(c), Qt.ConnectionType.QueuedConnection)
        call.failed.connect(lambda _e, c=call: self._forget(c), Qt.ConnectionType.QueuedConnection)
        self._calls.add(call)
        call.start()

    def _forget(self, call: BackgroundCall) -> None:
        self._calls.discard(call)
        call.deleteLater()

    def busy(self) -> bool:
        """Whether a layout or snapshot call is still running (tests wait for it)."""
        return bool(self._calls)

    def _on_layouts(self, result: object) -> None:
        layouts = result if isinstance(result, list) else []
        self._layouts = {layout.name: layout for layout in layouts if isinstance(layout, Layout)}
        self._show_layout_choice()
        self.layoutsChanged.emit()

    def _on_layout_saved(self, result: object) -> None:
        if isinstance(result, Layout):
            self._layouts[result.name] = result
            self._layout_name = result.name
            self._say(self.tr("Layout \u201c{name}\u201d saved.").format(name=result.name))
        self._show_layout_choice()
        self.layoutsChanged.emit()

    def _on_layout_deleted(self, _result: object) -> None:
        name = self._layout_name
        self._layouts.pop(name, None)
        self._say(self.tr("Layout \u201c{name}\u201d deleted.").format(name=name))
        self._layout_name = ""
        self._show_layout_choice()
        self.layoutsChanged.emit()

    def _on_layout_error(self, error: object) -> None:
        text = self.tr("Layouts: {error}").format(error=error)
        self._say(text, problem=True)
        self.layoutFailed.emit(str(error))

    def _on_snapshot_button(self, slot: int) -> None:
        self.select(slot)
        self.take_snapshot()

    def _on_snapshot_done(self, info: object) -> None:
        where = getattr(info, "path", "")
        self._say(self.tr("Snapshot saved: {path}").format(path=where))
        self.snapshotTaken.emit(info)

    def _on_snapshot_error(self, error: object) -> None:
        self._on_snapshot_failed(str(error))

    def _on_snapshot_failed(self, why: str) -> None:
        self._say(self.tr("Snapshot not saved: {why}").format(why=why), problem=True)
        self.snapshotFailed.emit(why)

    def _say(self, text: str, *, problem: bool = False) -> None:
        self._note.set_full_text(text)
        self._note.setProperty("problem", "true" if problem else "false")
        self._note.style().unpolish(self._note)
        self._note.style().polish(self._note)

    # ------------------------------------------------------------------ private: widgets
    def _on_tree_activated(self, camera_id: str) -> None:
        self.assign(self._selected, camera_id)

    def _on_tour_changed(self, seconds: int) -> None:
        if seconds > 0:
            self._tour_timer.setInterval(seconds * 1000)
        self._update_tour()

    def _on_layout_chosen(self, index: int) -> None:
        name = str(self._layout_choice.itemData(index) or "")
        if name:
            self.load_layout(name)
        else:
            self.show_all_cameras()

    def _ask_layout_name(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Save layout"))
        dialog.setLabelText(self.tr("Name of this layout:"))
        dialog.setTextValue(self._layout_name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(self.save_layout)
        dialog.open()

    def _show_layout_choice(self) -> None:
        self._layout_choice.blockSignals(True)
        self._layout_choice.clear()
        self._layout_choice.addItem(self.tr("All cameras"), "")
        for name in sorted(self._layouts):
            self._layout_choice.addItem(name, name)
        index = self._layout_choice.findData(self._layout_name)
        self._layout_choice.setCurrentIndex(max(0, index))
        self._layout_choice.blockSignals(False)
        self._delete_button.setEnabled(self._layout_store is not None and self._layout_name in self._layouts)

    def _show_overlay_button(self) -> None:
        shown = len(GROUPS) - len(self._hidden)
        self._overlay_button.setText(
            self.tr("Overlays")
            if not self._hidden
            else self.tr("Overlays {shown}/{total}").format(shown=shown, total=len(GROUPS))
        )

    def _show_page_label(self) -> None:
        self._page_label.setText(
            self.tr("Page {page} of {count}").format(page=self._page + 1, count=self.page_count)
        )
        many = self.page_count > 1
        self._prev.setEnabled(many)
        self._next.setEnabled(many)

    def _retranslate(self) -> None:
        self._prev.setText("◀")
        self._prev.setToolTip(self.tr("Previous page (PgUp)"))
        self._next.setText("▶")
        self._next.setToolTip(self.tr("Next page (PgDown)"))
        self._tour_label.setText(self.tr("Tour:"))
        self._tour.setSpecialValueText(self.tr("off"))
        self._tour.setSuffix(self.tr(" s"))
        self._tour.setToolTip(self.tr("Show the next page every so many seconds"))
        self._grid_choice.setToolTip(self.tr("Layout of the tiles"))
        self._overlay_button.setToolTip(self.tr("What is drawn over the pictures"))
        words = {
            "person": self.tr("People"),
            "vehicle": self.tr("Vehicles"),
            "two-wheeler": self.tr("Two-wheelers"),
            "plate": self.tr("Plates"),
            "face": self.tr("Face outlines"),
            "zone": self.tr("Zones and lines"),
        }
        for group, action in self._overlay_actions.items():
            action.setText(words[group])
        self._overlay_actions["face"].setToolTip(self.tr("Blurred faces stay blurred"))
        self._show_overlay_button()
        self._save_button.setText(self.tr("Save layout…"))
        self._delete_button.setText(self.tr("Delete layout"))
        self._show_page_label()
        self._show_layout_choice()
        if not self._cameras:
            self._say(self.tr("This site has no cameras."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

"""The plain camera wall: every camera of the site in a grid, showing its newest frame.

One ``FrameGrabber`` per camera decodes on its own thread and keeps only the newest frame; the GUI
thread never decodes. A ``QTimer`` at a bounded rate (10 Hz at most) takes each grabber's newest
frame (a reference, no copy) into its tile and lets the tiles repaint once. The timer runs only while
the page is shown: a hidden wall costs the GUI thread nothing, while the grabbers keep running so
the picture is current the moment the page is shown again. The camera issue replaces this page
with the real wall (layouts, substreams, overlays, supervision).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QEvent, QRect, QSize, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.video.capture import FrameGrabber
from widgets.camera_grid import CameraGrid, grid_shape
from widgets.shown_timer import ShownTimer, interval_for
from widgets.video_tile import fit_rect

log = logging.getLogger("wardroom.ui")

MAX_REFRESH_HZ = 10.0
# A grabber reports "disconnected" with these reasons before its first attempt has ended: that is
# not a lost signal yet, so the tile keeps saying it is waiting.
NOT_YET_TRIED = frozenset({"not started", "connecting"})
DEFAULT_ASPECT = 16 / 9  # until the first frame says otherwise


def fitted_grid_size(
    area: QSize, rows: int, columns: int, aspect: float, tile_extra: QSize, spacing: int, margin: int
) -> QSize:
    """The grid size at which every tile's picture area has the frames' aspect ratio.

    Tiles stretched to fill the page leave tall letterboxed pictures (two 16:9 cameras side by side
    on a 1230 x 800 page were two 612 x 800 tiles, half of each grey bars). Instead the grid takes
    the largest size whose cells hold a picture of ``aspect`` (width / height) plus the tile's own
    chrome (``tile_extra``: caption and frame), and the page centres it.
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
        self.setMinimumSize(grid.minimumSizeHint())

    @property
    def aspect(self) -> float:
        return self._aspect

    def set_aspect(self, aspect: float) -> None:
        if aspect > 0 and abs(aspect - self._aspect) > 1e-3:
            self._aspect = aspect
            self.place()

    def place(self) -> None:
        tiles = self._grid.tiles()
        rows, columns = grid_shape(len(tiles))
        layout = self._grid.layout()
        margins = layout.contentsMargins() if layout is not None else None
        margin = margins.left() if margins is not None else 0
        spacing = max(layout.spacing(), 0) if layout is not None else 0
        extra = QSize(0, 0)
        if tiles:
            tile = tiles[0]
            tile_layout = tile.layout()
            caption = tile.findChild(QLabel, "tileCaption")
            frame = 2 * tile.frameWidth()
            if tile_layout is not None:
                inner = tile_layout.contentsMargins()
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


class CameraWallPage(QWidget):
    """A grid of tiles fed by grabbers that ``start(urls)`` creates and ``stop()`` ends."""

    def __init__(
        self,
        cameras: Sequence[tuple[str, str]],
        refresh_hz: float = MAX_REFRESH_HZ,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cameraWall")
        self._cameras = list(cameras)
        self._grid = CameraGrid(self)
        self._grid.set_cameras(self._cameras)
        self._area = _WallArea(self._grid, self)
        self._note = QLabel(self)
        self._note.setObjectName("wallNote")
        self._note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._area, 1)
        layout.addWidget(self._note)
        self._grabbers: dict[str, FrameGrabber] = {}
        self._last_seq: dict[str, int] = {}
        self._frame_sizes: dict[str, QSize] = {}  # each camera's newest frame size (width, height)
        # The newest pictures at once when shown, not a tick later; the grabbers keep running while
        # hidden, only the GUI thread's work stops.
        self._timer = ShownTimer(
            self,
            interval_for(refresh_hz, MAX_REFRESH_HZ),
            self._pull_frames,
            name="wallRefresh",
            may_run=lambda: bool(self._grabbers),
        )
        self._retranslate()

    @property
    def grid(self) -> CameraGrid:
        return self._grid

    @property
    def refresh_interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def running(self) -> bool:
        return bool(self._grabbers)

    @property
    def timer_active(self) -> bool:
        """Whether frames are being pulled now (only while the page is shown and streams run)."""
        return self._timer.isActive()

    @property
    def aspect(self) -> float:
        """The picture aspect (width / height) the grid is laid out for."""
        return self._area.aspect

    def _common_aspect(self) -> float:
        """The aspect most cameras' frames have (ties: the widest), for the one grid of equal cells."""
        counts: dict[float, int] = {}
        for size in self._frame_sizes.values():
            if not size.isEmpty():
                ratio = round(size.width() / size.height(), 3)
                counts[ratio] = counts.get(ratio, 0) + 1
        if not counts:
            return DEFAULT_ASPECT
        return max(counts, key=lambda ratio: (counts[ratio], ratio))

    def picture_rect(self, camera_id: str) -> QRect:
        """Where the tile paints its picture, in screen coordinates (empty while it shows none).

        The letterboxed frame inside the tile, as the tile fits it: a test crops a screenshot to
        this, so a notice such as "Waiting for video…" can never pass for a picture.
        """
        tile = self._grid.tile(camera_id)
        size = self._frame_sizes.get(camera_id)
        view = tile.findChild(QWidget, "tileView")
        if size is None or view is None or not tile.has_signal or tile.frames_shown == 0:
            return QRect()
        fitted = fit_rect(size, view.rect())
        return QRect(view.mapToGlobal(fitted.topLeft()), fitted.size())

    def start(self, urls: Mapping[str, str]) -> None:
        """Start one grabber per camera with a URL (the station's resolved URLs)."""
        if self._grabbers:
            return
        for camera_id, _name in self._cameras:
            url = urls.get(camera_id)
            if not url:
                self._grid.tile(camera_id).set_no_signal(self.tr("No stream address for this camera."))
                continue
            grabber = FrameGrabber(camera_id, url)
            grabber.start()
            self._grabbers[camera_id] = grabber
        self._timer.resume()
        log.info("camera wall started with %d stream(s)", len(self._grabbers))

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the refresh timer and every grabber; the grabbers stop in parallel within ``timeout_s``."""
        self._timer.stop()
        grabbers = list(self._grabbers.values())
        self._grabbers.clear()
        if not grabbers:
            return
        with ThreadPoolExecutor(max_workers=len(grabbers), thread_name_prefix="wardroom-wall-stop") as pool:
            for grabber in grabbers:
                pool.submit(grabber.stop, max(0.1, timeout_s))
        log.info("camera wall stopped")

    @Slot()
    def _pull_frames(self) -> None:
        for camera_id, grabber in self._grabbers.items():
            tile = self._grid.tile(camera_id)
            latest = grabber.latest()
            if latest is not None:
                frame, _ts, seq = latest
                if seq != self._last_seq.get(camera_id):
                    self._last_seq[camera_id] = seq
                    size = QSize(frame.shape[1], frame.shape[0])
                    if self._frame_sizes.get(camera_id) != size:
                        self._frame_sizes[camera_id] = size
                        self._area.set_aspect(self._common_aspect())
                    tile.set_frame(frame, bgr=True)
            if grabber.status == "disconnected" and grabber.reason not in NOT_YET_TRIED:
                tile.set_no_signal(grabber.reason or self.tr("The camera does not answer."))
        self._grid.refresh()

    def _retranslate(self) -> None:
        self._note.setText(
            self.tr("Plain wall: the newest picture of every camera. Layouts and overlays come later.")
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

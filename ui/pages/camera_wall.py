"""The plain camera wall: every camera of the site in a grid, showing its newest frame.

One ``FrameGrabber`` per camera decodes on its own thread and keeps only the newest frame; the GUI
thread never decodes. A ``QTimer`` at a bounded rate (10 Hz at most) takes each grabber's newest
frame (a reference, no copy) into its tile and lets the tiles repaint once. The camera issue replaces
this page with the real wall (layouts, substreams, overlays, supervision).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QEvent, QTimer, Slot
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.video.capture import FrameGrabber
from widgets.camera_grid import CameraGrid

log = logging.getLogger("wardroom.ui")

MAX_REFRESH_HZ = 10.0
# A grabber reports "disconnected" with these reasons before its first attempt has ended: that is
# not a lost signal yet, so the tile keeps saying it is waiting.
NOT_YET_TRIED = frozenset({"not started", "connecting"})


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
        self._note = QLabel(self)
        self._note.setObjectName("wallNote")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._grid, 1)
        layout.addWidget(self._note)
        self._grabbers: dict[str, FrameGrabber] = {}
        self._last_seq: dict[str, int] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(max(int(1000 / min(refresh_hz, MAX_REFRESH_HZ)), 1))
        self._timer.timeout.connect(self._pull_frames)
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
        self._timer.start()
        log.info("camera wall started with %d stream(s)", len(self._grabbers))

    def stop(self) -> None:
        """Stop the refresh timer and every grabber; the grabbers stop in parallel (bounded)."""
        self._timer.stop()
        grabbers = list(self._grabbers.values())
        self._grabbers.clear()
        if not grabbers:
            return
        with ThreadPoolExecutor(max_workers=len(grabbers), thread_name_prefix="wardroom-wall-stop") as pool:
            for grabber in grabbers:
                pool.submit(grabber.stop, 2.0)
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

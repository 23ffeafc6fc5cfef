"""Frame sources for simulated cameras: a still image seen through a slowly moving camera, or a loop.

A still photo makes a dull, obviously fake camera; panning and zooming a 640x360 window over it (plus a
burned-in clock, as real DVRs do) gives a live-looking stream in which a frozen feed is visible at a
glance. Video media are simply looped; ``scene:<name>`` media are the composited demo scenes of
:mod:`app.sim.scenes`. Every frame also carries a machine-readable stamp of its capture time
(:mod:`app.sim.stamp`), so the age of a frame on screen can be measured. OpenCV is imported lazily:
it is heavy, and modules that only describe a station must stay cheap to import.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.sim.overlay import burn_in

FRAME_SIZE = (640, 360)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


class FrameSource(Protocol):
    """Something that yields the next BGR frame of a stream.

    ``now`` is the wall clock (``time.time()``): it is what the frame is stamped with, and what makes
    scenes deterministic across processes.
    """

    def frame(self, now: float) -> np.ndarray: ...

    def close(self) -> None: ...


def _cv2() -> Any:
    import cv2

    cv2.setNumThreads(1)  # see MODELS.md: OpenCV's pool costs more than it saves on small frames
    return cv2


def open_source(media: Path | str, name: str, size: tuple[int, int] = FRAME_SIZE) -> FrameSource:
    """An image, video or scene source for ``media``; ValueError in plain words if it cannot be read.

    ``media`` is a file, or ``scene:<name>`` (also as the last part of a path: a site loader resolves
    media against the site file's folder before it gets here).
    """
    from app.sim.scenes import open_scene, scene_name

    scene = scene_name(media)
    if scene is not None:
        return open_scene(scene, name, size)
    media = Path(media)
    if not media.is_file():
        raise ValueError(f"media file {media} does not exist")
    if media.suffix.lower() in IMAGE_SUFFIXES:
        return PanningImage(media, name, size)
    return LoopedVideo(media, name, size)


class PanningImage:
    """A 16:9 window drifting and zooming over a still image (periods of tens of seconds)."""

    def __init__(self, media: Path, name: str, size: tuple[int, int] = FRAME_SIZE) -> None:
        cv2 = _cv2()
        image = cv2.imread(str(media), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"media file {media} is not a readable image")
        self._image: np.ndarray = image
        self._name = name
        self._size = size
        h, w = image.shape[:2]
        aspect = size[0] / size[1]
        # The largest window of the output's aspect that fits in the image.
        self._base_w = min(float(w), h * aspect)
        self._base_h = self._base_w / aspect
        self._t0 = time.time()

    def frame(self, now: float) -> np.ndarray:
        cv2 = _cv2()
        t = now - self._t0
        h, w = self._image.shape[:2]
        zoom = 1.15 + 0.1 * math.sin(2 * math.pi * t / 40.0)
        crop_w, crop_h = self._base_w / zoom, self._base_h / zoom
        cx = w / 2 + (w - crop_w) / 2 * math.sin(2 * math.pi * t / 30.0)
        cy = h / 2 + (h - crop_h) / 2 * math.sin(2 * math.pi * t / 47.0)
        s = self._size[0] / crop_w
        # warpAffine crops and scales in one pass with sub-pixel motion (no jerky integer crops).
        matrix = np.array([[s, 0.0, -(cx - crop_w / 2) * s], [0.0, s, -(cy - crop_h / 2) * s]])
        out = cv2.warpAffine(self._image, matrix, self._size, flags=cv2.INTER_LINEAR)
        return burn_in(out, self._name, now)

    def close(self) -> None:
        pass


class LoopedVideo:
    """A video file played one frame per tick, rewound at the end."""

    def __init__(self, media: Path, name: str, size: tuple[int, int] = FRAME_SIZE) -> None:
        cv2 = _cv2()
        self._media = media
        self._name = name
        self._size = size
        self._cap = cv2.VideoCapture(str(media))
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise ValueError(f"media file {media} is not a readable video")
        self._pending: np.ndarray | None = first

    def frame(self, now: float) -> np.ndarray:
        cv2 = _cv2()
        frame, self._pending = self._pending, None
        if frame is None:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = self._cap.read()
            if not ok or frame is None:
                frame = np.zeros((self._size[1], self._size[0], 3), np.uint8)
        if (frame.shape[1], frame.shape[0]) != self._size:
            frame = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA)
        return burn_in(frame, self._name, now)

    def close(self) -> None:
        self._cap.release()

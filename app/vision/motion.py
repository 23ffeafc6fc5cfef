"""Motion gating: cheap frame differencing that decides whether a camera's frame needs the detector.

Why: the detector costs ~35-100 ms of CPU a frame; a frame difference on a 160x90 grey downscale costs
~0.4 ms. The best NVRs run the detector only where something moves, so a wall of quiet cameras costs
almost nothing. Here, per camera: the frame is shrunk, blurred (sensor noise and JPEG grain are not
motion) and compared with a slowly adapting background; changed pixels are thresholded, opened (lone
pixels go), and grouped into regions. A frame "has motion" when the changed regions cover more than
``min_area`` of the picture. A clock burnt into the picture changes every second: as NVRs do, the
site file masks it per camera (``motion_masks``, unit-square polygons), and regions smaller than
``min_area`` never count.

The regions are returned in the frame's pixels, so a caller can tell where the motion is (the service
logs and counts them; the rules only run where tracks are).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.vision.findings import Box

SMALL = (160, 90)  # width, height of the comparison picture (16:9)
THRESHOLD = 18  # grey levels (0-255) a pixel must change by
MIN_AREA = 0.002  # share of the picture a region must cover to count (0.2 %: ~29 of 14,400 pixels)
LEARN = 0.1  # how fast the background follows the scene (per compared frame)


def _cv2() -> Any:
    import cv2

    cv2.setNumThreads(1)
    return cv2


@dataclass(frozen=True, slots=True)
class Motion:
    """What one comparison found: whether it counts, the regions (frame pixels) and the changed share."""

    moving: bool
    regions: tuple[Box, ...]
    changed: float  # share of the small picture's pixels that changed


class MotionGate:
    """One camera's motion detector; ``update`` each frame the service looks at (one thread)."""

    def __init__(
        self,
        *,
        masks: Sequence[Sequence[tuple[float, float]]] = (),
        threshold: int = THRESHOLD,
        min_area: float = MIN_AREA,
        learn: float = LEARN,
    ) -> None:
        self.threshold = threshold
        self.min_area = min_area
        self.learn = learn
        self._background: np.ndarray | None = None
        self._kernel = np.ones((3, 3), np.uint8)
        self._keep = self._mask(masks)

    @staticmethod
    def _mask(masks: Sequence[Sequence[tuple[float, float]]]) -> np.ndarray | None:
        """1 where change counts, 0 inside the camera's motion masks (unit-square polygons)."""
        if not masks:
            return None
        cv2 = _cv2()
        keep = np.ones((SMALL[1], SMALL[0]), np.uint8)
        for polygon in masks:
            corners = np.array([(x * SMALL[0], y * SMALL[1]) for x, y in polygon], np.float32)
            cv2.fillPoly(keep, [np.round(corners).astype(np.int32)], 0)
        return keep

    def reset(self) -> None:
        self._background = None

    def update(self, image_bgr: np.ndarray) -> Motion:
        """Compare with the background and learn from this frame. The first frame is all motion."""
        cv2 = _cv2()
        height, width = image_bgr.shape[:2]
        small = cv2.resize(image_bgr, SMALL, interpolation=cv2.INTER_AREA)
        grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0).astype(np.float32)
        if self._background is None or self._background.shape != grey.shape:
            self._background = grey
            return Motion(True, ((0.0, 0.0, float(width), float(height)),), 1.0)
        diff = cv2.absdiff(grey, self._background)
        cv2.accumulateWeighted(grey, self._background, self.learn)
        mask = (diff > self.threshold).astype(np.uint8)
        if self._keep is not None:
            mask &= self._keep
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        changed = float(mask.mean())
        if changed == 0.0:
            return Motion(False, (), 0.0)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        sx, sy = width / SMALL[0], height / SMALL[1]
        min_pixels = self.min_area * SMALL[0] * SMALL[1]
        regions: list[Box] = []
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            if area >= min_pixels:
                regions.append((x * sx, y * sy, (x + w) * sx, (y + h) * sy))
        return Motion(bool(regions), tuple(regions), changed)

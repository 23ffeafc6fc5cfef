"""Privacy masks: polygons in the unit square, blacked out in every frame before anyone sees it.

The masks are drawn by the grabber, on the frame it is about to publish, so the wall, snapshots, exports
and detection all receive the same blacked-out pixels and none of them can forget to mask. Rasterising
polygons costs far more than applying a ready mask, and a stream's size rarely changes, so the mask is
computed once per frame size and reused.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

Polygon = Sequence[tuple[float, float]]
SUBPIXEL_BITS = 4  # corners placed at 1/16 pixel: a mask edge is where the file says, not rounded


class PrivacyMask:
    """Blacks out ``polygons`` (fractions of width and height) in frames of any size; thread-safe."""

    def __init__(self, polygons: Sequence[Polygon]) -> None:
        self.polygons = [tuple((float(x), float(y)) for x, y in poly) for poly in polygons if len(poly) >= 3]
        self._lock = threading.Lock()
        self._by_size: dict[tuple[int, int], np.ndarray] = {}

    def __bool__(self) -> bool:
        return bool(self.polygons)

    def mask_for(self, height: int, width: int) -> np.ndarray:
        """Boolean (height, width) array, True where the picture must be black."""
        key = (height, width)
        with self._lock:
            mask = self._by_size.get(key)
        if mask is not None:
            return mask
        import cv2

        canvas = np.zeros((height, width), dtype=np.uint8)
        scale = 1 << SUBPIXEL_BITS
        pts = [
            np.array([[round(x * width * scale), round(y * height * scale)] for x, y in poly], dtype=np.int32)
            for poly in self.polygons
        ]
        cv2.fillPoly(canvas, pts, 1, lineType=cv2.LINE_8, shift=SUBPIXEL_BITS)
        mask = canvas.astype(bool)
        mask.flags.writeable = False
        with self._lock:
            if len(self._by_size) > 8:  # a stream that keeps changing size must not grow memory
                self._by_size.clear()
            self._by_size[key] = mask
        return mask

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Black out the masked area of ``image`` in place (it must be writable) and return it."""
        if not self.polygons:
            return image
        mask = self.mask_for(image.shape[0], image.shape[1])
        image[mask] = 0
        return image

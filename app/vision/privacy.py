"""Blurring faces out of pictures that leave the live view: snapshots, exports, prints (DESIGN §6).

A face in a stored or exported picture is personal data that outlives the moment; the ward needs to
see *that* someone was there, not who. So every picture written by Wardroom goes through
:func:`mask_faces` first, and what it writes is the blurred copy (the caller's frame is never
changed: it is shared read-only with the wall and the detector).

The blur is strong on purpose: each face box is grown (a box from the detector hugs the face; hair,
ears and chin identify too), shrunk to a few pixels across and blown up again, then smoothed with a
box filter, so no detail of the face survives, whatever its size, while the scene around it stays
sharp.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.vision.faces import FaceDetector
    from app.vision.findings import Box

GROW = 0.25
"""Fraction of a face box's size added on each side before blurring."""
CELLS = 6
"""A blurred face keeps at most this many cells across (no feature survives at that resolution)."""


def _region(box: Box, width: int, height: int, grow: float) -> tuple[int, int, int, int] | None:
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * grow, (y2 - y1) * grow
    left, top = max(0, int(x1 - dx)), max(0, int(y1 - dy))
    right, bottom = min(width, int(np.ceil(x2 + dx))), min(height, int(np.ceil(y2 + dy)))
    if right - left < 2 or bottom - top < 2:
        return None
    return left, top, right, bottom


def blur_boxes(image_bgr: np.ndarray, boxes: Iterable[Box], *, grow: float = GROW) -> np.ndarray:
    """A copy of ``image_bgr`` with each box (grown by ``grow``) blurred beyond recognition."""
    import cv2

    out = np.array(image_bgr, copy=True)
    height, width = out.shape[:2]
    for box in boxes:
        region = _region(box, width, height, grow)
        if region is None:
            continue
        left, top, right, bottom = region
        patch = out[top:bottom, left:right]
        h, w = patch.shape[:2]
        cells_w = max(1, min(CELLS, w))
        cells_h = max(1, min(CELLS, round(CELLS * h / max(w, 1))))
        tiny = cv2.resize(patch, (cells_w, cells_h), interpolation=cv2.INTER_AREA)
        blocky = cv2.resize(tiny, (w, h), interpolation=cv2.INTER_LINEAR)
        # A box filter one cell wide smooths the cells' edges; its cost does not grow with its size
        # (a Gaussian of that width took ~160 ms a face here, the box filter ~0.2 ms).
        out[top:bottom, left:right] = cv2.blur(blocky, (max(1, w // CELLS), max(1, h // CELLS)))
    return out


def face_boxes(image_bgr: np.ndarray, detector: FaceDetector | None = None) -> Sequence[Box]:
    """The face boxes :func:`mask_faces` blurs (the shared detector when none is given)."""
    from app.vision.faces import shared_face_detector

    found = (detector or shared_face_detector()).detect(image_bgr)
    return [f.box for f in found]


def mask_faces(image_bgr: np.ndarray, detector: FaceDetector | None = None) -> np.ndarray:
    """A copy of ``image_bgr`` with every face the detector finds blurred (for snapshots, exports,
    prints). Without ``detector`` the process's shared one is used (built on first use)."""
    return blur_boxes(image_bgr, face_boxes(image_bgr, detector))


def export_image(image_bgr: np.ndarray, path: str, detector: FaceDetector | None = None) -> np.ndarray:
    """Write ``image_bgr`` to ``path`` (format from its suffix) with faces masked; the masked copy.

    The one way a picture leaves Wardroom as a file outside the snapshot store (an export for the
    police, a picture for a printed report): the masking cannot be forgotten by the caller.
    """
    import cv2

    masked = mask_faces(image_bgr, detector)
    if not cv2.imwrite(path, masked):
        raise OSError(f"the picture could not be written to {path}")
    return masked

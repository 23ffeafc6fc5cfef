"""The one masking step for pictures in printed and exported reports.

Report builders take a ``mask_image`` callable (:data:`MaskImage`) so a permitted, audited unmasked
print can swap it for :func:`no_mask` without touching them. The default blurs every face (vision's
BlazeFace, the detector the wall, snapshots and exports use) and every licence plate (vision's plate
detector) in a picture: a printed page leaves the building, and the plates that matter to an incident
are already in its timeline as text (its access events), so no picture needs to show one. The face
detector is shared between threads (one interpreter under a lock); each thread gets its own plate
detector, so pictures may be masked in parallel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.vision.plates import PlateDetector

MaskImage = Callable[[np.ndarray], np.ndarray]
"""BGR image in, masked BGR image out (a new array; the input is left as it was)."""


_local = threading.local()


def _plate_detector() -> PlateDetector:
    detector: PlateDetector | None = getattr(_local, "plates", None)
    if detector is None:
        from app.vision.plates import PlateDetector

        detector = PlateDetector()
        _local.plates = detector
    return detector


def blur_faces(image_bgr: np.ndarray) -> np.ndarray:
    """A copy of the picture with every detected face blurred beyond recognition."""
    from app.vision.privacy import mask_faces

    return mask_faces(image_bgr)


def blur_faces_and_plates(image_bgr: np.ndarray) -> np.ndarray:
    """A copy of the picture with every detected face and licence plate blurred."""
    from app.vision.privacy import blur_boxes, face_boxes

    boxes = [*face_boxes(image_bgr), *(box for box, _score in _plate_detector().detect(image_bgr))]
    return blur_boxes(image_bgr, boxes)


def no_mask(image_bgr: np.ndarray) -> np.ndarray:
    """The picture unchanged: only for an unmasked print that was permitted and audited."""
    return np.array(image_bgr, copy=True)


DEFAULT_MASK: MaskImage = blur_faces_and_plates

"""The one masking step for pictures in printed and exported reports.

Report builders take a ``mask_image`` callable (:data:`MaskImage`) so a permitted, audited unmasked
print can swap it for :func:`no_mask` without touching them. The default blurs every face (vision's
BlazeFace, the detector the wall, snapshots and exports use) and every licence plate (vision's plate
detector) in a picture: a printed page leaves the building. An incident's own plates (those of the
access events in its timeline) are the exception (issue #12: "plates not part of the incident are
blurred"): :func:`keeping_plates` gives the incident report a mask that reads each plate it finds and
leaves those, and only those, legible.

The detectors are shared and loaded once per process (each serialises its own calls): pictures are
masked one after the other, each model using both cores, which measured as fast here as masking two
pictures at once with one thread each.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.vision.plates import PlateReader

MaskImage = Callable[[np.ndarray], np.ndarray]
"""BGR image in, masked BGR image out (a new array; the input is left as it was)."""

THREADS = 2
_lock = threading.Lock()
_reader: PlateReader | None = None


def _plates() -> PlateReader:
    """The process's plate reader (its detector finds the boxes; its recogniser reads them)."""
    global _reader
    with _lock:
        if _reader is None:
            from app.vision.plates import PlateReader

            _reader = PlateReader(threads=THREADS)
        return _reader


def blur_faces(image_bgr: np.ndarray) -> np.ndarray:
    """A copy of the picture with every detected face blurred beyond recognition."""
    from app.vision.privacy import mask_faces

    return mask_faces(image_bgr)


def blur_faces_and_plates(image_bgr: np.ndarray, keep_plates: Collection[str] = ()) -> np.ndarray:
    """A copy of the picture with every detected face and licence plate blurred, except plates whose
    reading (normalised, :mod:`app.plate_text`) is in ``keep_plates``: a plate that cannot be read,
    or reads as anything else, is blurred."""
    from app.vision.privacy import blur_boxes, face_boxes

    boxes = list(face_boxes(image_bgr))
    reader = _plates()
    if keep_plates:
        boxes += [p.box for p in reader.read(image_bgr) if p.text is None or p.text not in keep_plates]
    else:
        boxes += [box for box, _score in reader.detector.detect(image_bgr)]
    return blur_boxes(image_bgr, boxes)


def keeping_plates(mask: MaskImage, plates: Collection[str]) -> MaskImage:
    """``mask``, but leaving ``plates`` (normalised) legible when it is the default mask; any other
    mask (an audited unmasked print, a test's own) is returned as it is."""
    if mask is not blur_faces_and_plates or not plates:
        return mask
    return functools.partial(blur_faces_and_plates, keep_plates=frozenset(plates))


def no_mask(image_bgr: np.ndarray) -> np.ndarray:
    """The picture unchanged: only for an unmasked print that was permitted and audited."""
    return np.array(image_bgr, copy=True)


DEFAULT_MASK: MaskImage = blur_faces_and_plates

"""The one masking step for pictures in printed and exported reports.

Report builders take a ``mask_image`` callable (:data:`MaskImage`) so the detector can be swapped
without touching them: today it is OpenCV's Haar frontal-face cascade (ships with
opencv-python-headless < 5), blurring each face with a strong Gaussian blur over a slightly enlarged
box; the vision issue's detector (``app.vision.privacy.mask_faces``) replaces it when merged. A
bystander's face must not be recognisable on paper, so the blur kernel scales with the face.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

MaskImage = Callable[[np.ndarray], np.ndarray]
"""BGR image in, masked BGR image out (a new array; the input is left as it was)."""

_local = threading.local()


def _face_cascade() -> Any:
    """This thread's face detector: one ``CascadeClassifier`` must not run in two threads at once
    (it keeps scratch state; two threads in ``detectMultiScale`` crashed it here), and pictures are
    masked in parallel."""
    cascade = getattr(_local, "cascade", None)
    if cascade is None:
        import cv2

        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"the face detector could not be loaded from {path}")
        _local.cascade = cascade
    return cascade


DETECT_SIDE = 960
"""Pictures are searched for faces at most this many pixels on their long side: the cascade's cost
grows with the area, and at 960 px it still found every face of the test pictures (both pedestrians'
in bus.jpg, which 640 px lost), at about 60 % of the full-size cost."""


def face_boxes(image_bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Faces found in the picture, as (x, y, w, h) boxes in its own pixels."""
    import cv2

    scale = min(1.0, DETECT_SIDE / max(image_bgr.shape[:2]))
    small = (
        image_bgr
        if scale == 1.0
        else cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    found = _face_cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4, minSize=(16, 16))
    return [(int(x / scale), int(y / scale), int(w / scale), int(h / scale)) for x, y, w, h in found]


def blur_faces(image_bgr: np.ndarray) -> np.ndarray:
    """A copy of the picture with every detected face blurred beyond recognition."""
    import cv2

    out = np.array(image_bgr, copy=True)
    height, width = out.shape[:2]
    for x, y, w, h in face_boxes(image_bgr):
        pad_w, pad_h = w // 5, h // 5
        x0, y0 = max(0, x - pad_w), max(0, y - pad_h)
        x1, y1 = min(width, x + w + pad_w), min(height, y + h + pad_h)
        region = out[y0:y1, x0:x1]
        k = max(31, (max(w, h) // 2) | 1)
        out[y0:y1, x0:x1] = cv2.GaussianBlur(region, (k, k), 0)
    return out


def no_mask(image_bgr: np.ndarray) -> np.ndarray:
    """The picture unchanged: only for an unmasked print that was permitted and audited."""
    return np.array(image_bgr, copy=True)


DEFAULT_MASK: MaskImage = blur_faces

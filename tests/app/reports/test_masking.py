"""The one masking step: a bystander's face is blurred, the rest of the picture is left as it was,
the input is never changed, and two threads may mask at once (a shared detector crashed doing that)."""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.reports.masking import blur_faces, no_mask

BYSTANDER_FACE = (925, 115, 130, 135)  # x, y, w, h in zidane.jpg, by hand


def picture(name: str) -> np.ndarray:
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or spec.origin is None:
        pytest.fail("ultralytics is not installed (its sample pictures are the test's faces)")
    image = cv2.imread(str(Path(spec.origin).parent / "assets" / name))
    assert image is not None
    return image


def test_the_bystanders_face_is_blurred_and_the_input_kept() -> None:
    frame = picture("zidane.jpg")
    before = frame.copy()
    masked = blur_faces(frame)
    assert np.array_equal(frame, before)
    x, y, w, h = BYSTANDER_FACE
    face_diff = np.abs(
        masked[y : y + h, x : x + w].astype(int) - frame[y : y + h, x : x + w].astype(int)
    ).mean()
    assert face_diff > 12
    assert np.array_equal(masked[600:720, 600:900], frame[600:720, 600:900])  # far from any face
    assert np.array_equal(no_mask(frame), frame) and no_mask(frame) is not frame


def test_two_threads_mask_at_once() -> None:
    pictures = [picture("zidane.jpg"), picture("bus.jpg")] * 3
    alone = [blur_faces(p) for p in pictures]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(blur_faces, pictures))
    assert all(np.array_equal(a, b) for a, b in zip(alone, together, strict=True))


def test_a_licence_plate_in_a_printed_picture_is_blurred() -> None:
    from app.reports.masking import DEFAULT_MASK
    from app.vision.plates import PlateDetector
    from tests.vision.test_plates import render_plates

    (rendered,) = render_plates(1, seed=3)
    frame = rendered.image
    ((box, _score),) = PlateDetector().detect(frame)  # where the plate is, found once here
    x1, y1, x2, y2 = (int(v) for v in box)
    printed = DEFAULT_MASK(frame)
    plate_before = frame[y1:y2, x1:x2].astype(np.float32)
    plate_after = printed[y1:y2, x1:x2].astype(np.float32)
    detail = float(cv2.Laplacian(plate_before, cv2.CV_32F).var())
    assert float(cv2.Laplacian(plate_after, cv2.CV_32F).var()) < 0.2 * detail, "the plate is still sharp"
    assert np.array_equal(printed[:100, :300], frame[:100, :300])  # sky: untouched

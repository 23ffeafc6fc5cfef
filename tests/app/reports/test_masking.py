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

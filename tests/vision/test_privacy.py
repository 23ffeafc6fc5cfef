"""Faces are blurred in what leaves the live view: snapshots and exports (pixel tests against the
unmasked frame, on the real face detector and a real SQLite file and data folder)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from app.storage.database import Database
from app.video import snapshots
from app.video.frames import Frame
from app.vision.faces import FaceDetector
from app.vision.findings import Box
from app.vision.privacy import blur_boxes, export_image, face_boxes, mask_faces
from models.audit import AuditEntry
from tests.vision.vision_support import zidane_jpg


def sharpness(image: np.ndarray, box: Box) -> float:
    x1, y1, x2, y2 = (round(v) for v in box)
    grey = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


@pytest.fixture(scope="module")
def zidane() -> np.ndarray:
    image = cv2.imread(str(zidane_jpg()))
    assert image is not None
    image.setflags(write=False)  # as frames are shared: read-only
    return image


@pytest.fixture(scope="module")
def boxes(zidane: np.ndarray) -> list[Box]:
    found = list(face_boxes(zidane, FaceDetector()))
    assert len(found) == 2
    return found


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'privacy.sqlite3'}")
    database.upgrade()
    yield database
    database.close()


def assert_faces_blurred(masked: np.ndarray, original: np.ndarray, boxes: list[Box]) -> None:
    """Each face region lost its detail; the picture away from the faces is unchanged."""
    for box in boxes:
        assert sharpness(masked, box) < 0.1 * sharpness(original, box), box
        x1, y1, x2, y2 = (round(v) for v in box)
        diff = np.abs(masked[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2].astype(int)).mean()
        assert diff > 8, box
    away = np.ones(original.shape[:2], bool)
    for bx1, by1, bx2, by2 in boxes:
        w, h = bx2 - bx1, by2 - by1
        rows = slice(max(0, int(by1 - h * 0.4)), int(by2 + h * 0.4))
        away[rows, max(0, int(bx1 - w * 0.4)) : int(bx2 + w * 0.4)] = False
    outside = np.abs(masked.astype(int) - original.astype(int))[away]
    assert outside.mean() < 3  # JPEG noise at most


def test_blur_boxes_returns_a_new_array_and_blurs_only_the_boxes(
    zidane: np.ndarray, boxes: list[Box]
) -> None:
    before = zidane.copy()
    out = blur_boxes(zidane, boxes)
    assert out is not zidane and np.array_equal(zidane, before)
    assert_faces_blurred(out, zidane, boxes)
    assert np.array_equal(blur_boxes(zidane, []), zidane)
    assert np.array_equal(blur_boxes(zidane, [(5000.0, 5000.0, 6000.0, 6000.0)]), zidane)  # off the picture


def test_mask_faces_blurs_what_the_detector_finds(zidane: np.ndarray, boxes: list[Box]) -> None:
    assert_faces_blurred(mask_faces(zidane), zidane, boxes)


def test_a_snapshot_has_the_faces_blurred(
    db: Database, tmp_path: Path, zidane: np.ndarray, boxes: list[Box]
) -> None:
    info = snapshots.take(
        db,
        Frame(zidane, 1_800_000_000.0, 1),
        "b3-lobby",
        None,
        source="vision",
        root=tmp_path,
        mask=mask_faces,
    )
    saved = cv2.imread(str(info.path))
    assert saved is not None and saved.shape == zidane.shape
    assert_faces_blurred(saved, zidane, boxes)
    with db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "snapshot.take")).one()
        assert json.loads(entry.details)["faces_masked"] is True
    # Without the mask (what capture alone gives) the faces stay sharp: the test above can fail.
    plain = snapshots.take(
        db, Frame(zidane, 1_800_000_001.0, 2), "b3-lobby", None, source="vision", root=tmp_path
    )
    unmasked = cv2.imread(str(plain.path))
    assert unmasked is not None
    assert sharpness(unmasked, boxes[0]) > 0.5 * sharpness(zidane, boxes[0])


def test_an_export_has_the_faces_blurred(tmp_path: Path, zidane: np.ndarray, boxes: list[Box]) -> None:
    target = tmp_path / "export.png"
    returned = export_image(zidane, str(target))
    written = cv2.imread(str(target))
    assert written is not None and np.array_equal(written, returned)
    assert_faces_blurred(written, zidane, boxes)
    with pytest.raises(OSError):
        export_image(zidane, str(tmp_path / "no-such-folder" / "x.png"))


def test_an_operators_snapshot_from_the_wall_has_the_faces_blurred(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zidane: np.ndarray, boxes: list[Box]
) -> None:
    """The wall's snapshot key goes through ``database_snapshots``: the same masking."""
    from argon2 import PasswordHasher

    from app.auth.users import UserService
    from ui.pages.camera_wall import database_snapshots

    monkeypatch.setenv("WARDROOM_HOME", str(tmp_path / "home"))
    service = UserService(db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    service.add("olga", "duty-officer", "long-enough-pw")
    user = service.authenticate("olga", "long-enough-pw")
    info = database_snapshots(db, user)(Frame(zidane, 1_800_000_000.0, 1), "b3-lobby")
    assert isinstance(info, snapshots.SnapshotInfo) and info.user_name == "olga"
    saved = cv2.imread(str(info.path))
    assert saved is not None
    assert_faces_blurred(saved, zidane, boxes)

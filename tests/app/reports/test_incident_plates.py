"""Plates in an incident report: the incident's own plate (an access event in its timeline) prints
legible; any other plate in its pictures prints blurred (issue #12, "faces and plates not part of the
incident are blurred").

The pictures are real photographs (the demo's bus) with rendered Chinese plates composited onto them
(tests/vision/test_plates.py); the plate regions are found by the plate detector on the stored
pictures, and the printed pixels are compared with them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from argon2 import PasswordHasher

from app.auth.users import UserService
from app.incidents.service import IncidentService
from app.reports.common import Request
from app.reports.incident import build_incident_report
from app.reports.masking import blur_faces_and_plates
from app.reports.model import Picture
from app.video import snapshots
from app.video.frames import Frame
from app.vision.access import record_access
from app.vision.plates import PlateDetector
from models.incidents import Incident
from tests.app.alarm_support import SITE, open_db, write_site
from tests.vision.test_plates import render_plates

CAMERAS = """
[[camera]]
id = "gate-b3"
url = "http://127.0.0.1:9/gate"
building = "B3"
"""


def sharpness(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x1, y1, x2, y2 = box
    gray = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def plate_box(detector: PlateDetector, image: np.ndarray) -> tuple[int, int, int, int]:
    ((box, _score),) = detector.detect(image)
    x1, y1, x2, y2 = (int(v) for v in box)
    return x1, y1, x2, y2


def test_the_incidents_own_plate_prints_legible_and_another_is_blurred(tmp_path: Path) -> None:
    own, other = render_plates(2, seed=3)
    db = open_db(tmp_path, write_site(tmp_path, SITE + CAMERAS))
    root = tmp_path / "snapshots"
    try:
        user = UserService(db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add(
            "li", "duty-officer", "long-enough-pw"
        )
        service = IncidentService(db)
        incident = service.create(user, "车辆冲卡", building="B3").id
        with db.session() as s:
            row = s.get(Incident, incident)
            assert row is not None
            record_access(db, "gate-b3", own.truth, row.opened_at)
        taken = []
        for seq, rendered in enumerate((own, other), start=1):
            snap = snapshots.take(
                db, Frame(image=rendered.image, at=time.time(), seq=seq), "gate-b3", user, root=root
            )
            service.attach_snapshot(user, incident, snap.id)
            stored = cv2.imread(str(snap.path))
            assert stored is not None
            taken.append(stored)
        with db.session() as s:
            report = build_incident_report(s, incident, Request("li", "en", datetime.now(UTC)), root)
        printed = [block.image for block in report.blocks if isinstance(block, Picture)]
        assert len(printed) == 2
        detector = PlateDetector(threads=2, confidence=0.25)
        own_box, other_box = plate_box(detector, taken[0]), plate_box(detector, taken[1])
        x1, y1, x2, y2 = own_box
        assert np.array_equal(printed[0][y1:y2, x1:x2], taken[0][y1:y2, x1:x2]), (
            "the incident's plate was blurred"
        )
        assert sharpness(printed[1], other_box) < 0.2 * sharpness(taken[1], other_box), (
            "another plate is legible"
        )
        # The same picture, printed for an incident without that plate, has it blurred too.
        blurred = blur_faces_and_plates(taken[0], keep_plates={other.truth})
        assert sharpness(blurred, own_box) < 0.2 * sharpness(taken[0], own_box)
    finally:
        db.close()

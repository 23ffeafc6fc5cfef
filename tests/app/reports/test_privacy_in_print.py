"""Privacy in print: a bystander's face in a snapshot is blurred in the PDF by default; an unmasked
print is refused (and audited) for a duty officer, allowed (and audited) for a supervisor.

The snapshot is ultralytics' ``zidane.jpg`` (a real photograph of two men). The bystander is the man
on the right; his face box below was drawn by hand, not taken from the detector under test. The test
pulls the embedded picture back out of the PDF with ``pdfimages`` and compares its pixels with the
frame as it was taken.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from app.auth.users import UserService
from app.incidents.service import IncidentService
from app.storage.database import Database
from app.video import snapshots
from app.video.frames import Frame
from models.audit import AuditEntry
from tests.app.alarm_support import open_db, write_site
from tests.app.reports.support import FAST, PASSWORD, as_user, poppler

BYSTANDER_FACE = (925, 115, 130, 135)  # x, y, w, h in zidane.jpg (1280 × 720), by hand


def zidane() -> np.ndarray:
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or spec.origin is None:
        pytest.fail(
            "ultralytics is not installed (its sample pictures are the test's faces): installer/setup.sh"
        )
    image = cv2.imread(str(Path(spec.origin).parent / "assets" / "zidane.jpg"))
    assert image is not None and image.shape == (720, 1280, 3)
    return image


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    users = UserService(database, hasher=FAST)
    users.add("li.wei", "duty-officer", PASSWORD)
    users.add("zhang.min", "supervisor", PASSWORD)
    yield database
    database.close()


def embedded_picture(pdf: Path, out: Path, shape: tuple[int, ...]) -> np.ndarray:
    """The picture embedded in the PDF at the snapshot's size (``pdfimages -png``)."""
    out.mkdir()
    subprocess.run([poppler("pdfimages"), "-png", str(pdf), str(out / "img")], check=True, timeout=60)
    for path in sorted(out.glob("img-*.png")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is not None and image.shape == shape:
            return image
    pytest.fail(f"no embedded picture of {shape[1]}×{shape[0]} in {pdf}")


def region_difference(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    return float(
        np.mean(np.abs(a[y : y + h, x : x + w].astype(np.int16) - b[y : y + h, x : x + w].astype(np.int16)))
    )


def sharpness(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    gray = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def audit_rows(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.details)
            .where(AuditEntry.action.like("report.%"))
            .order_by(AuditEntry.id)
        ).all()
    return [(a, b, json.loads(d)) for a, b, d in rows]


def test_a_bystanders_face_is_blurred_and_unmasked_prints_need_a_supervisor(
    db: Database, tmp_path: Path
) -> None:
    users = UserService(db)
    officer = users.get("li.wei")
    assert officer is not None
    snap = snapshots.take(db, Frame(image=zidane(), at=time.time(), seq=1), "b3-lobby", officer)
    taken = cv2.imread(str(snap.path))  # the frame as stored (its JPEG), which the report starts from
    assert taken is not None
    service = IncidentService(db)
    incident = service.create(officer, "电动车进入大堂", building="B3").id
    service.attach_snapshot(officer, incident, snap.id)
    url = ("--database", db.url)

    masked_pdf = tmp_path / "masked.pdf"
    made = as_user(
        "li.wei", "report", "incident", str(incident), "--pdf", str(masked_pdf), "--lang", "en", *url
    )
    assert made.returncode == 0, made.stderr
    printed = embedded_picture(masked_pdf, tmp_path / "masked", taken.shape)
    outside = (100, 500, 300, 200)  # a patch of the crowd and the suit, far from any face
    assert region_difference(printed, taken, BYSTANDER_FACE) > 12, "the bystander's face is printed as taken"
    assert sharpness(printed, BYSTANDER_FACE) < 0.2 * sharpness(taken, BYSTANDER_FACE)
    assert region_difference(printed, taken, outside) < 4, "the rest of the picture should print as taken"

    refused = as_user(
        "li.wei",
        "report",
        "incident",
        str(incident),
        "--pdf",
        str(tmp_path / "x.pdf"),
        "--unmasked",
        "--reason",
        "police request",
        *url,
    )
    assert refused.returncode == 2 and "supervisor" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "x.pdf").exists()
    no_reason = as_user(
        "zhang.min", "report", "incident", str(incident), "--pdf", str(tmp_path / "y.pdf"), "--unmasked", *url
    )
    assert no_reason.returncode == 2 and "needs a reason" in no_reason.stderr

    unmasked_pdf = tmp_path / "unmasked.pdf"
    allowed = as_user(
        "zhang.min",
        "report",
        "incident",
        str(incident),
        "--pdf",
        str(unmasked_pdf),
        "--unmasked",
        "--reason",
        "police request 2026-118",
        *url,
    )
    assert allowed.returncode == 0, allowed.stderr
    clear = embedded_picture(unmasked_pdf, tmp_path / "unmasked", taken.shape)
    assert region_difference(clear, taken, BYSTANDER_FACE) < 4

    rows = audit_rows(db)
    assert [(a, b) for a, b, _ in rows] == [
        ("li.wei", "report.generate"),
        ("li.wei", "report.unmasked-refused"),
        ("zhang.min", "report.unmasked-refused"),
        ("zhang.min", "report.unmasked"),
        ("zhang.min", "report.generate"),
    ]
    assert rows[0][2]["masked"] is True and rows[4][2]["masked"] is False
    assert rows[3][2]["reason"] == "police request 2026-118"
    assert rows[3][2]["target"] == f"incident:{incident}"

"""A vehicle passing a ``vehicle-gate`` zone gives one access event, not one per frame.

Real parts throughout: the shipped COCO detector and ByteTrack (V1's pipeline), the plate reader,
a real SQLite file, the snapshot written to the data folder with faces blurred. The frames: the demo
gate scene's drawn car is not recognised as a car by yolov8n (measured: no detection over a whole
14 s cycle), so the passing vehicle is the real bus of ``bus.jpg`` carrying a rendered plate at its
bumper, moving across a 1215x1620 frame (a gate camera's picture) 30 px a frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from app.paths import RESOURCES
from app.sim.plates import cjk_font_path, mounted_plate
from app.site.schema import Camera, Zone
from app.storage.database import Database
from app.video.snapshots import snapshots_root
from app.vision.detector import ObjectDetector
from app.vision.faces import FaceDetector
from app.vision.gate import GateWatcher
from app.vision.pipeline import CameraPipeline
from app.vision.plates import PlateReader
from models.vehicles import RegisteredVehicle
from models.video import Snapshot
from models.vision import AccessEvent
from tests.vision import vision_support  # noqa: F401  (the shared export cache)

pytestmark = pytest.mark.skipif(cjk_font_path() is None, reason="no CJK font (Debian fonts-wqy-microhei)")
SCALE = 1.5
PLATE = "京A·D12345"
START = 1_800_000_000.0


def passing_bus(frames: int = 8, step: int = 30) -> list[np.ndarray]:
    """The bus (with its plate) moving right ``step`` pixels a frame."""
    bus = cv2.imread(str(RESOURCES / "demo" / "media" / "bus.jpg"))
    assert bus is not None
    bus = cv2.resize(bus, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_CUBIC)
    plate = mounted_plate(PLATE, "green", 46)
    ph, pw = plate.shape[:2]
    cx, cy = int(540 * SCALE), int(655 * SCALE)
    bus[cy - ph // 2 : cy - ph // 2 + ph, cx - pw // 2 : cx - pw // 2 + pw] = plate
    size = (bus.shape[1], bus.shape[0])
    out = []
    for k in range(frames):
        shift = np.array([[1, 0, -150 + step * k], [0, 1, 0]], dtype=np.float32)
        out.append(cv2.warpAffine(bus, shift, size, borderMode=cv2.BORDER_REPLICATE))
    return out


@pytest.fixture(scope="module")
def detector() -> ObjectDetector:
    d = ObjectDetector(confidence=0.1)
    d.load()
    return d


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("WARDROOM_HOME", str(tmp_path / "home"))
    database = Database(f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    database.upgrade()
    yield database
    database.close()


def gate(polygon: tuple[tuple[float, float], ...]) -> tuple[Camera, Zone]:
    zone = Zone(name="lane", polygon=polygon, rule="vehicle-gate")
    return Camera(
        id="gate-west", url="file:///dev/null", detect=("car", "bus", "truck", "plate"), zones=(zone,)
    ), zone


def test_a_vehicle_passing_gives_one_access_event(
    db: Database, detector: ObjectDetector, reader: PlateReader
) -> None:
    def register(session: object) -> int:
        row = RegisteredVehicle(kind="car", plate="京AD1Z345")  # one confusable character off (2/Z)
        session.add(row)  # type: ignore[attr-defined]
        session.flush()  # type: ignore[attr-defined]
        return int(row.id)

    vehicle_id = db.write(register)
    camera, zone = gate(((0.0, 0.3), (1.0, 0.3), (1.0, 1.0), (0.0, 1.0)))
    watcher = GateWatcher(db, camera.id, zone, reader, timezone="Asia/Shanghai")
    pipeline = CameraPipeline(camera, detector, timezone="Asia/Shanghai", gates=[watcher], gating=False)
    frames = passing_bus()
    plates_shown = []
    for k, frame in enumerate(frames):
        found = pipeline.process(frame, START + 0.2 * k).findings.findings
        plates_shown.append([f.text for f in found if f.kind == "plate"])
    # Read on every frame the bus is in the lane (the overlay shows it), stored once.
    assert sum("京AD12345" in shown for shown in plates_shown) >= len(frames) - 1, plates_shown
    with db.session() as s:
        events = list(s.scalars(select(AccessEvent)))
        assert len(events) == 1
        event = events[0]
        assert (event.plate, event.status, event.vehicle_id, event.matched_plate) == (
            "京AD12345",
            "registered",
            vehicle_id,
            "京AD1Z345",
        )
        assert event.camera == "gate-west" and event.seen_at.timestamp() == pytest.approx(START + 0.2)
        snapshot = s.get(Snapshot, event.snapshot_id)
        assert snapshot is not None and snapshot.source == "vision"
    # The snapshot has the pedestrians' faces blurred (the frame handed in is left as it was).
    saved = cv2.imread(str(snapshots_root() / snapshot.path))
    assert saved is not None
    faces = FaceDetector().detect(frames[1])
    assert faces, "the bus photograph shows pedestrians' faces"
    for face in faces:
        x1, y1, x2, y2 = (round(v) for v in face.box)
        original = frames[1][y1:y2, x1:x2].astype(np.float32)
        stored = saved[y1:y2, x1:x2].astype(np.float32)
        assert cv2.Laplacian(stored, cv2.CV_32F).var() < 0.2 * cv2.Laplacian(original, cv2.CV_32F).var()


def test_vehicles_outside_the_zone_are_not_read(
    db: Database, detector: ObjectDetector, reader: PlateReader
) -> None:
    camera, zone = gate(((0.0, 0.0), (1.0, 0.0), (1.0, 0.2), (0.0, 0.2)))  # the sky above the bus
    watcher = GateWatcher(db, camera.id, zone, reader, snapshots=False)
    pipeline = CameraPipeline(camera, detector, timezone="UTC", gates=[watcher], gating=False)
    for k, frame in enumerate(passing_bus(3)):
        found = pipeline.process(frame, START + k).findings.findings
        assert [f for f in found if f.kind == "plate"] == []
    with db.session() as s:
        assert list(s.scalars(select(AccessEvent))) == []

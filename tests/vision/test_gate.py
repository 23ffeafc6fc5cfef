"""A vehicle passing a ``vehicle-gate`` zone gives one access event, not one per frame.

Real parts throughout: the shipped COCO detector and ByteTrack (V1's pipeline), the plate reader,
a real SQLite file, the snapshot written to the data folder with faces blurred. Two kinds of frames:

- the demo gate camera's own scene (``app.sim.scenes.GateScene``): a drawn car with a rendered plate
  drives up, stops at the barrier and passes, every 14 s. yolov8n does not see the drawn car as a
  car (measured: no detection in a whole cycle), so the watcher reads the lane itself, as it does
  whenever no tracked vehicle stands in the zone;
- the real bus of ``bus.jpg`` carrying a rendered plate at its bumper, moving across a 1215x1620
  frame (a gate camera's picture) 30 px a frame: detected and tracked as a bus, its plate read on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from app.paths import RESOURCES
from app.sim.plates import mounted_plate, plate_characters
from app.sim.scenes import GateScene
from app.site.loader import load_site
from app.site.schema import Camera, Zone
from app.storage.database import Database
from app.video.snapshots import snapshots_root
from app.vision.detector import ObjectDetector
from app.vision.faces import FaceDetector
from app.vision.findings import Finding, FrameFindings
from app.vision.gate import GateWatcher
from app.vision.pipeline import CameraPipeline
from app.vision.plates import PlateReader
from models.vehicles import RegisteredVehicle
from models.video import Snapshot
from models.vision import AccessEvent
from tests.vision import vision_support  # noqa: F401  (the shared export cache)

pytestmark = pytest.mark.usefixtures("cjk_font")
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


def test_each_car_through_the_demo_gate_gives_one_access_event(
    db: Database, detector: ObjectDetector, reader: PlateReader
) -> None:
    site = load_site(RESOURCES / "demo" / "demo.toml").site
    camera = next(c for c in site.camera if c.id == "gate-north")
    zone = next(z for z in camera.zones if z.rule == "vehicle-gate")
    watcher = GateWatcher(db, camera.id, zone, reader, timezone=site.site.timezone)
    pipeline = CameraPipeline(camera, detector, timezone=site.site.timezone, gates=[watcher])
    scene = GateScene("North gate")
    start = START - START % scene.CYCLE_S  # a cycle begins: the first car is far up the road
    cars = [plate_characters(scene.vehicle(start + k * scene.CYCLE_S).plate) for k in (0, 1)]

    def register(session: object) -> None:
        session.add(RegisteredVehicle(kind="car", plate=cars[0]))  # type: ignore[attr-defined]

    db.write(register)
    frames = 0
    at = start
    while at < start + 1.5 * scene.CYCLE_S:  # the first car's whole passage, the second's arrival
        pipeline.process(scene.frame(at), at)
        frames += 1
        at += 0.8
    with db.session() as s:
        events = [(e.plate, e.status) for e in s.scalars(select(AccessEvent).order_by(AccessEvent.seen_at))]
    assert events == [(cars[0], "registered"), (cars[1], "unregistered")], (frames, events)


def test_the_same_plate_moments_later_is_the_same_passage(db: Database, reader: PlateReader) -> None:
    """A tracker that loses the car at the barrier gives it a new id: still one event."""
    camera, zone = gate(((0.0, 0.3), (1.0, 0.3), (1.0, 1.0), (0.0, 1.0)))
    watcher = GateWatcher(db, camera.id, zone, reader, snapshots=False)
    frame = passing_bus(1)[0]
    bus = (0.0, 345.0, 1215.0, 1110.0)
    for k, track in enumerate((1, 1, 2, 2)):  # track 1 accepted, lost; found again as track 2
        seen = (Finding("object", "bus", 0.9, bus, track_id=track),)
        watcher.update(frame, FrameFindings(camera.id, START + k, frame.shape[1], frame.shape[0], seen))
    seen = (Finding("object", "bus", 0.9, bus, track_id=3),)
    for k in (0, 1):  # the same car back two minutes later: a new passage
        watcher.update(frame, FrameFindings(camera.id, START + 120 + k, frame.shape[1], frame.shape[0], seen))
    with db.session() as s:
        assert [e.track_id for e in s.scalars(select(AccessEvent).order_by(AccessEvent.id))] == [1, 3]


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

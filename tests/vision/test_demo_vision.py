"""The demo lobby camera: the e-bike's passage raises exactly one no-ebike alarm, with a snapshot.

Real parts throughout: the demo site file, its scene as the simulated camera draws it, the shipped
detector, ByteTrack, the zone rules, a real SQLite journal and the alarm engine, and the snapshot
saved to the data folder. Frames are fed at the camera's detect_fps with the scene's own clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.alarms.engine import AlarmEngine
from app.events import EventBus
from app.sim.scenes import LobbyScene
from app.site.loader import LoadedSite, load_site
from app.site.sync import sync_site
from app.storage.database import Database
from app.video.frames import Frame
from app.video.snapshots import snapshots_root
from app.vision.detector import ObjectDetector
from app.vision.rules import zone_key
from app.vision.service import VisionService
from models.alarms import AlarmOccurrence
from models.video import Snapshot
from tests.vision import vision_support  # noqa: F401  (the shared export cache)

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "demo.toml"
LOBBY = "b3-lobby"
KEY = zone_key(LOBBY, "lobby")
CYCLE_START = 1_800_000_000 - 1_800_000_000 % 60  # a lobby cycle begins here (scene time is wall time)


class LobbyWithoutEbike(LobbyScene):
    """The same lobby, the same receptionist and clock, but nobody wheels an e-bike in."""

    def ebike_in_view(self, t: float) -> bool:
        return False


@pytest.fixture(scope="module")
def detector() -> ObjectDetector:
    d = ObjectDetector(confidence=0.1)
    d.load()
    return d


@pytest.fixture
def site_db(tmp_path: Path) -> Iterator[tuple[LoadedSite, Database, AlarmEngine]]:
    loaded = load_site(DEMO)
    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    db.upgrade()
    sync_site(db, loaded)
    engine = AlarmEngine(loaded, db, EventBus())
    engine.start()
    try:
        yield loaded, db, engine
    finally:
        engine.stop()
        db.close()


def play(service: VisionService, scene: LobbyScene, start: float, seconds: float) -> None:
    camera = next(c for c in service.site.camera if c.id == LOBBY)
    pipeline = service.pipeline_for(LOBBY)
    step = 1.0 / camera.detect_fps
    for n in range(round(seconds / step)):
        at = start + n * step
        service.handle(LOBBY, pipeline, Frame(scene.frame(at), at, n))


def zone_alarms(db: Database) -> list[AlarmOccurrence]:
    with db.session() as session:
        rows = session.scalars(select(AlarmOccurrence).where(AlarmOccurrence.alarm_key == KEY)).all()
        session.expunge_all()
        return list(rows)


def test_the_ebike_passage_raises_one_alarm_with_a_snapshot(
    site_db: tuple[LoadedSite, Database, AlarmEngine], detector: ObjectDetector
) -> None:
    loaded, db, engine = site_db
    service = VisionService(loaded.site, None, alarms=engine, db=db, detector=detector)
    assert service.load()
    # From 10 s before the e-bike comes in to 8 s after it has gone: 48 s at 5 frames a second.
    play(service, LobbyScene("Building 3 lobby"), CYCLE_START + 10, 48)
    assert engine.drain()
    alarms = zone_alarms(db)
    assert len(alarms) == 1, [(a.key, a.message) for a in alarms]
    alarm = alarms[0]
    assert (alarm.category, alarm.priority) == ("supervisory", "high")
    assert alarm.source == KEY and "e-bike" in (alarm.message or "")
    assert alarm.snapshot is not None
    with db.session() as session:
        snap = session.get(Snapshot, int(alarm.snapshot))
        assert snap is not None and snap.camera == LOBBY and snap.source == "vision"
        assert (snapshots_root() / snap.path).is_file()
    stats = service.stats(LOBBY)
    assert stats.alarms == 1 and stats.frames == 240


def test_the_same_clip_without_the_ebike_raises_none(
    site_db: tuple[LoadedSite, Database, AlarmEngine], detector: ObjectDetector
) -> None:
    loaded, db, engine = site_db
    service = VisionService(loaded.site, None, alarms=engine, db=db, detector=detector)
    assert service.load()
    play(service, LobbyWithoutEbike("Building 3 lobby"), CYCLE_START + 10, 48)
    assert engine.drain()
    assert zone_alarms(db) == []
    assert service.stats(LOBBY).alarms == 0


def test_the_demo_corridor_counts_one_walker_in_and_out(detector: ObjectDetector) -> None:
    """The corridor walker comes towards the camera and goes back once every 24 s: one in, one out."""
    from app.sim.scenes import CorridorScene
    from app.vision.rules import Crossing

    loaded = load_site(DEMO)
    service = VisionService(loaded.site, None, detector=detector)
    assert service.load()
    pipeline = service.pipeline_for("b1-corridor")
    scene = CorridorScene("Building 1 corridor, floor 2")
    start = 1_800_000_000 - 1_800_000_000 % 24  # a corridor cycle begins here
    crossings: list[Crossing] = []
    for n in range(24 * 5):
        at = start + n / 5
        result = pipeline.process(scene.frame(at), at)
        crossings += [a for a in result.actions if isinstance(a, Crossing)]
    assert [c.direction for c in crossings] == ["in", "out"], crossings
    assert pipeline.rules.counts()["stairs door"] == {"in": 1, "out": 1}

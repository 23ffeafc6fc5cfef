"""A small real site, a real SQLite journal and an engine fed with readings, for the alarm tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.alarms import journal
from app.alarms.engine import AlarmEngine
from app.alarms.events import AlarmChanged
from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointQualityChanged
from app.fieldbus.quality import PointReading
from app.site.loader import LoadedSite, load_site
from app.site.sync import sync_site
from app.storage.database import Database

SITE = """
[site]
name = "Alarm test site"
timezone = "Asia/Shanghai"

[[building]]
id = "B3"
name = "Building 3"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 1502
poll_ms = 200
timeout_ms = 200

[[point]]
id = "b3.pressure"
plc = "panel"
address = "hr:1"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
building = "B3"
alarms = [
  { limit = "low", value = 0.10, priority = "high", category = "supervisory", deadband = 0.01 },
  { limit = "low-low", value = 0.05, priority = "urgent" },
]

[[point]]
id = "b3.smoke"
plc = "panel"
address = "co:1"
type = "bool"
kind = "smoke"
building = "B3"
alarms = [ { limit = "on" } ]

[[point]]
id = "b3.zone-test"
plc = "panel"
address = "co:2"
type = "bool"
kind = "other"
building = "B3"

[[point]]
id = "b3.heat"
plc = "panel"
address = "co:3"
type = "bool"
kind = "heat"
building = "B3"
alarms = [ { limit = "on", suppress_when = "b3.zone-test", latch = false } ]

[[point]]
id = "b3.temp"
plc = "panel"
address = "hr:2"
type = "int16"
scale = 0.1
unit = "°C"
kind = "temperature"
building = "B3"
alarms = [ { limit = "high", value = 40, off_delay_s = 0.6, realarm_min = 0.01 } ]
"""


def write_site(tmp_path: Path, text: str = SITE) -> LoadedSite:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def open_db(tmp_path: Path, loaded: LoadedSite | None = None) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    db.upgrade()
    if loaded is not None:
        sync_site(db, loaded)
    return db


def reading(point_id: str, value: float | bool | None, quality: str = "good") -> PointQualityChanged:
    return PointQualityChanged(
        plc_id="panel",
        reading=PointReading(point_id, value, None, quality, None, ""),  # type: ignore[arg-type]
        previous="good",
    )


def link(plc_id: str, up: bool, kind: str = "plc") -> LinkStateChanged:
    return LinkStateChanged(
        kind=kind,  # type: ignore[arg-type]
        id=plc_id,
        status="connected" if up else "disconnected",
        reason="" if up else "no reply within 200 ms",
    )


def journaled(db: Database, event: AlarmChanged) -> bool:
    """False when the event's recorded transition is not (yet) in the journal as it is published."""
    t = event.transition
    if t is None or not event.view.recorded:
        return True
    with db.session() as session:
        ids = {x.id for x in journal.occurrence_transitions(session, t.occurrence_id or 0)}
    return t.id is not None and t.id in ids


class Recorder:
    """Collects AlarmChanged events and checks each was in the journal when it was published."""

    def __init__(self, bus: EventBus, db: Database) -> None:
        self.events: list[AlarmChanged] = []
        self.unjournaled: list[AlarmChanged] = []
        self._db = db
        self._lock = threading.Lock()
        bus.subscribe(AlarmChanged, self._on)

    def _on(self, event: AlarmChanged) -> None:
        if not journaled(self._db, event):
            self.unjournaled.append(event)
        with self._lock:
            self.events.append(event)

    def moves(self, key: str) -> list[tuple[str, str]]:
        with self._lock:
            return [
                (e.transition.from_state, e.transition.to_state)
                for e in self.events
                if e.transition is not None and e.view.key == key
            ]


@contextmanager
def running_engine(loaded: LoadedSite, db: Database, bus: EventBus) -> Iterator[AlarmEngine]:
    engine = AlarmEngine(loaded, db, bus)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()

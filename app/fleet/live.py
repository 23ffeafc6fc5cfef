"""The station's side of the live tables: every point's latest value and every link's state.

The pollers already publish only what matters (a value beyond its deadband, a quality change, a link
change), so the writer keeps the newest of each per point and link and writes what has gathered every
``FLUSH_S`` in one transaction: the ``bus_counters`` row numbers the rows (its lock orders the
writers, so a reader's ``seq > last`` misses nothing) and, on PostgreSQL, one NOTIFY wakes the
consoles when the transaction commits. A steady point is not rewritten: its PLC's ``seen_at`` (the
newest good read of the PLC) is refreshed every ``SEEN_S`` instead, one row per PLC, and a console
takes a good point's age from the later of the two.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from app.events import EventBus, LinkStateChanged, utcnow
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import LIVE_QUALITIES, PointReading
from app.storage.bus import notify
from app.storage.engine import StorageError
from app.workers import CancelToken, Worker
from models.fleet import LIVE_COUNTER, BusCounter, LiveLink, LivePoint

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

    from app.storage.database import Database

log = logging.getLogger("wardroom.fleet")

FLUSH_S = 0.1
SEEN_S = 2.0


def take_seqs(session: Session, count: int) -> range:
    """``count`` new sequence numbers for live rows, in this transaction's commit order."""
    top = session.execute(
        update(BusCounter)
        .where(BusCounter.name == LIVE_COUNTER)
        .values(value=BusCounter.value + count)
        .returning(BusCounter.value)
    ).scalar_one()
    return range(top - count + 1, top + 1)


def _upsert(session: Session, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = table.__table__  # Core: one executemany, no ORM bookkeeping
    insert = pg_insert(table) if session.get_bind().dialect.name == "postgresql" else sqlite_insert(table)
    columns = [c for c in rows[0] if c != key]
    statement = insert.on_conflict_do_update(
        index_elements=[key], set_={c: getattr(insert.excluded, c) for c in columns}
    )
    session.execute(statement, rows)


def point_row(plc_id: str, reading: PointReading, station: str) -> dict[str, Any]:
    value = reading.value
    return {
        "point": reading.point_id,
        "plc": plc_id,
        "value": None if value is None else float(value),
        "is_bool": isinstance(value, bool),
        "quality": reading.quality,
        "last_good_at": reading.last_good_at,
        "error": reading.error,
        "station": station,
        "changed_at": utcnow(),
    }


def link_row(event: LinkStateChanged, station: str, seen_at: float | None) -> dict[str, Any]:
    return {
        "key": f"{event.kind}:{event.id}",
        "kind": event.kind,
        "device": event.id,
        "status": event.status,
        "reason": event.reason,
        "endpoint": event.endpoint,
        "station": station,
        "changed_at": event.at,
        "seen_at": seen_at,
    }


def reading_of(row: Any) -> PointReading:
    """A ``live_points`` row back as the reading the station published."""
    value: float | bool | None = row.value
    if value is not None and row.is_bool:
        value = bool(value)
    return PointReading(row.point, value, None, row.quality, row.last_good_at, row.error)


def aged(reading: PointReading, seen_at: float | None) -> PointReading:
    """A live point's age from the later of its last change and its PLC's newest good read.

    The station rewrites a steady point only when it changes and refreshes the PLC's ``seen_at``
    instead, so a good value read a second ago is not shown as minutes old.
    """
    if reading.quality not in LIVE_QUALITIES or seen_at is None:
        return reading
    if reading.last_good_at is not None and reading.last_good_at >= seen_at:
        return reading
    return replace(reading, last_good_at=seen_at)


class LiveWriter:
    """Writes the station's point readings and link states to the live tables (its own thread)."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        station: str,
        *,
        seen: Callable[[], dict[str, float]] = dict,
        flush_s: float = FLUSH_S,
        seen_s: float = SEEN_S,
    ) -> None:
        self.db = db
        self.bus = bus
        self.station = station
        self.seen = seen
        self.flush_s = flush_s
        self.seen_s = seen_s
        self._lock = threading.Lock()
        self._points: dict[str, dict[str, Any]] = {}
        self._links: dict[str, dict[str, Any]] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        self._worker: Worker | None = None
        self._next_seen = 0.0
        self.flushes = 0  # for the benchmark and tests
        self.rows = 0

    def start(self) -> None:
        self._unsubscribe = [
            self.bus.subscribe(PointValueChanged, self._on_point),
            self.bus.subscribe(PointQualityChanged, self._on_point),
            self.bus.subscribe(LinkStateChanged, self._on_link),
        ]
        self._worker = Worker("wardroom-live", self._run).start()

    def stop(self, timeout_s: float = 2.0) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self._worker is not None:
            self._worker.stop(timeout_s)
            self._worker = None
        self.flush()

    def put_points(self, plc_id: str, readings: list[PointReading]) -> None:
        """Write these readings (a gained PLC's first state) whether or not the pollers publish them."""
        with self._lock:
            for reading in readings:
                self._points[reading.point_id] = point_row(plc_id, reading, self.station)

    def _on_point(self, event: PointValueChanged | PointQualityChanged) -> None:
        row = point_row(event.plc_id, event.reading, self.station)
        with self._lock:
            self._points[event.reading.point_id] = row

    def _on_link(self, event: LinkStateChanged) -> None:
        row = link_row(event, self.station, None)
        with self._lock:
            self._links[row["key"]] = row

    def _run(self, token: CancelToken) -> None:
        while not token.wait(self.flush_s):
            self.flush()
            if time.monotonic() >= self._next_seen:
                self._next_seen = time.monotonic() + self.seen_s
                self._refresh_seen()

    def flush(self) -> None:
        with self._lock:
            points, self._points = self._points, {}
            links, self._links = self._links, {}
        if not points and not links:
            return
        seen = self.seen()
        for key, row in links.items():
            row["seen_at"] = seen.get(key)
        try:
            self.db.write(
                lambda s: self._write(s, list(points.values()), list(links.values())), timeout_s=5.0
            )
        except (SQLAlchemyError, StorageError) as exc:
            log.warning("live values not written (%d point(s), %d link(s)): %s", len(points), len(links), exc)
            with self._lock:  # keep them unless something newer came meanwhile
                for key, row in points.items():
                    self._points.setdefault(key, row)
                for key, row in links.items():
                    self._links.setdefault(key, row)
            return
        self.flushes += 1
        self.rows += len(points) + len(links)

    def _write(self, session: Session, points: list[dict[str, Any]], links: list[dict[str, Any]]) -> None:
        seqs = iter(take_seqs(session, len(points) + len(links)))
        for row in points:
            row["seq"] = next(seqs)
        for row in links:
            row["seq"] = next(seqs)
        _upsert(session, LivePoint, "point", points)
        _upsert(session, LiveLink, "key", links)
        notify(session, "live")

    def _refresh_seen(self) -> None:
        seen = self.seen()
        if not seen:
            return
        rows = [{"k": key, "t": at} for key, at in seen.items()]
        table = cast("Table", LiveLink.__table__)
        statement = (
            update(table)
            .where(table.c.key == bindparam("k"), table.c.station == self.station)
            .values(seen_at=bindparam("t"))
        )
        try:
            self.db.write(lambda s: s.execute(statement, rows), timeout_s=5.0)
        except (SQLAlchemyError, StorageError) as exc:
            log.warning("live link ages not refreshed: %s", exc)

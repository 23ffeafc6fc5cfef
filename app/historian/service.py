"""The historian service: takes point readings, keeps the ones the rules say to, writes them in batches.

Why buffered, batched writes: SQLite manages ~5,000 single-row transactions a second but ~150,000
rows a second at 100 rows a transaction (MODELS.md). Readings arrive on the pollers' threads and must
not wait for the disk, so ``record`` only decides and appends to a buffer; a background thread
flushes the buffer every ``flush_interval_s`` through the database's single writer, a bounded batch
per transaction, so other writers (alarms, audit) interleave between batches.

Why a heartbeat: the pollers publish a value only when it moves by its deadband, so a steady sensor
sends nothing at all. The background thread repeats each steady point's newest reading once
``max_interval_s`` has passed since its last stored row, so a flat line still has points and "steady"
is distinguishable from "no data".

Why a bounded buffer: if the database is unreachable (PostgreSQL down, disk full) samples wait in
memory and are retried, but never more than ``max_buffer_rows``; past that the oldest are dropped and
the loss is logged, because a historian must not take the station down with it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from app.events import EventBus
from app.fieldbus.quality import LIVE_QUALITIES
from app.historian.purge import purge_before
from app.historian.query import TrendSeries, trend
from app.historian.rules import IGNORED_QUALITIES, PointTrack
from app.storage.database import Database
from app.storage.engine import StorageError
from app.workers import CancelToken, Worker
from models.history import PointSample
from models.site import Point

log = logging.getLogger("wardroom.historian")

Clock = Callable[[], float]
"""Wall-clock time source in epoch seconds (``time.time`` unless a test simulates time)."""

UNKNOWN_RETRY_S = 60.0
"""How long a point key missing from the database is ignored before it is looked up again."""

_Row = tuple[int, float, float | None, str]


class Reading(Protocol):
    """What ``on_reading`` needs of a reading (``app.fieldbus.quality.PointReading`` fits)."""

    @property
    def point_id(self) -> str: ...

    @property
    def value(self) -> float | bool | None: ...

    @property
    def quality(self) -> str: ...


def _epoch(ts: datetime | float) -> float:
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be recorded (give it a time zone): {ts!r}")
        return ts.timestamp()
    return float(ts)


def _as_datetime(ts: datetime | float) -> datetime:
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            raise ValueError(f"a naive datetime is ambiguous (give it a time zone): {ts!r}")
        return ts.astimezone(UTC)
    return datetime.fromtimestamp(ts, UTC)


class Historian:
    """Stores point samples by the deadband/max-interval rules, answers trend queries, purges old rows.

    Thread-safe: ``record``/``on_reading`` may be called from any thread. Call ``start()`` for the
    background flush/heartbeat/purge thread and ``stop()`` to flush and end it; without ``start()``
    (tests, tools) call ``flush()``, ``heartbeat()`` and ``purge()`` directly.
    """

    def __init__(
        self,
        db: Database,
        *,
        max_interval_s: float = 60.0,
        retention_days: float = 90.0,
        clock: Clock = time.time,
        flush_interval_s: float = 1.0,
        purge_every_s: float = 86_400.0,
        batch_rows: int = 5_000,
        max_buffer_rows: int = 1_000_000,
        latest: Callable[[str], Reading | None] | None = None,
    ) -> None:
        if max_interval_s <= 0 or retention_days <= 0 or flush_interval_s <= 0 or purge_every_s <= 0:
            raise ValueError("historian intervals and the retention must be positive")
        self.db = db
        self.max_interval_s = float(max_interval_s)
        self.retention = timedelta(days=retention_days)
        self.clock = clock
        self.flush_interval_s = float(flush_interval_s)
        self.purge_every_s = float(purge_every_s)
        self.batch_rows = int(batch_rows)
        self.max_buffer_rows = int(max_buffer_rows)
        self.latest = latest
        self._lock = threading.Lock()  # tracks, buffer
        self._flush_lock = threading.Lock()  # one flush at a time
        self._tracks: dict[str, PointTrack] = {}
        self._unknown: dict[str, float] = {}  # key -> monotonic time of the failed lookup
        self._buffer: list[_Row] = []
        self._dropped = 0
        self._worker: Worker | None = None

    # ------------------------------------------------------------------ points
    def load_points(self) -> int:
        """Read every point's id and deadband now (call at start, so no reading waits on a lookup)."""
        with self.db.session() as session:
            rows = session.execute(select(Point.key, Point.id, Point.value_deadband)).all()
        with self._lock:
            for key, point_id, deadband in rows:
                track = self._tracks.get(key)
                if track is None:
                    self._tracks[key] = PointTrack(point_id, float(deadband or 0.0))
                else:
                    track.deadband = float(deadband or 0.0)
                self._unknown.pop(key, None)
        return len(rows)

    def _track(self, key: str) -> PointTrack | None:
        """The point's track, looked up once in the database; None (warned once a minute) if unknown."""
        track = self._tracks.get(key)
        if track is not None:
            return track
        failed_at = self._unknown.get(key)
        if failed_at is not None and time.monotonic() - failed_at < UNKNOWN_RETRY_S:
            return None
        with self.db.session() as session:
            row = session.execute(select(Point.id, Point.value_deadband).where(Point.key == key)).first()
        if row is None:
            self._unknown[key] = time.monotonic()
            log.warning(
                "historian: no point %r in the database (site not synced?); its samples are skipped", key
            )
            return None
        track = PointTrack(int(row[0]), float(row[1] or 0.0))
        self._tracks[key] = track
        self._unknown.pop(key, None)
        return track

    def _point_id(self, key: str) -> int:
        with self._lock:
            track = self._track(key)
        if track is None:
            raise KeyError(f"no point {key!r} in the database")
        return track.point_id

    # ------------------------------------------------------------------ recording
    def record(
        self,
        point_key: str,
        ts: datetime | float,
        value: float | bool | None,
        quality: str,
        deadband: float | None = None,
    ) -> bool:
        """Note one reading of a point (``ts``: aware datetime or epoch seconds); True if it is kept.

        ``deadband`` defaults to the point's ``value_deadband`` from the database. Kept readings wait
        in the buffer until the next ``flush()``.
        """
        if quality in IGNORED_QUALITIES:
            return False
        at = _epoch(ts)
        is_bool = isinstance(value, bool)
        number: float | None = None
        if quality in LIVE_QUALITIES and value is not None:  # others store NULL
            number = float(value)
            if not math.isfinite(number):
                number = None  # SQLite cannot store NaN; a non-number is no reading of the sensor
        with self._lock:
            track = self._track(point_key)
            if track is None:
                return False
            track.is_bool = track.is_bool or is_bool
            band = track.deadband if deadband is None else deadband
            if not track.decide(at, number, quality, self.max_interval_s, band):
                return False
            track.stored(at, number, quality)
            self._append((track.point_id, at, number, quality))
        return True

    def on_reading(self, reading: Reading, at: datetime | float | None = None) -> bool:
        """Record a published reading; ``at`` defaults to the clock (a reading has no time of its own)."""
        return self.record(
            reading.point_id, self.clock() if at is None else at, reading.value, reading.quality
        )

    def subscribe(self, bus: EventBus) -> Callable[[], None]:
        """Record every ``PointValueChanged`` and ``PointQualityChanged`` on ``bus``; returns unsubscribe.

        The event's own time stamps the sample. Handlers run on the publisher's thread and only touch
        memory (call ``load_points()`` first so no lookup hits the database there).
        """
        from app.fieldbus.events import PointQualityChanged, PointValueChanged

        def handle(event: Any) -> None:
            self.on_reading(event.reading, event.at)

        unsubscribers = [bus.subscribe(PointValueChanged, handle), bus.subscribe(PointQualityChanged, handle)]

        def unsubscribe() -> None:
            for undo in unsubscribers:
                undo()

        return unsubscribe

    def heartbeat(self, now: datetime | float | None = None) -> int:
        """Store a row for every steady point silent for ``max_interval_s``; returns how many.

        With ``latest`` (e.g. ``FieldbusManager.reading``) the row is the poller's current reading,
        so a point whose poller has gone away or whose quality changed unseen is not drawn as a flat
        line; without it, the newest reading the historian saw is repeated.
        """
        at = self.clock() if now is None else _epoch(now)
        with self._lock:
            due = [key for key, track in self._tracks.items() if track.heartbeat_due(at, self.max_interval_s)]
            if self.latest is None:
                for key in due:
                    track = self._tracks[key]
                    assert track.seen_quality is not None
                    track.stored(at, track.seen_value, track.seen_quality)
                    self._append((track.point_id, at, track.seen_value, track.seen_quality))
                return len(due)
        added = 0
        for key in due:  # outside our lock: ``latest`` takes the pollers' lock
            reading = self.latest(key)
            if reading is not None:
                added += self.record(key, at, reading.value, reading.quality)
        return added

    def _append(self, row: _Row) -> None:
        """Buffer a row (lock held); drop the oldest if the database has been away too long."""
        self._buffer.append(row)
        excess = len(self._buffer) - self.max_buffer_rows
        if excess > 0:
            del self._buffer[:excess]
            self._dropped += excess

    @property
    def pending(self) -> int:
        """Rows kept but not yet written."""
        with self._lock:
            return len(self._buffer)

    # ------------------------------------------------------------------ writing
    def flush(self, timeout_s: float | None = None) -> int:
        """Write the buffered rows, ``batch_rows`` per transaction; returns how many were written.

        ``timeout_s`` bounds the whole flush (waiting for a running flush, then each batch gets what
        is left); None gives each batch the database's own write timeout. On a database error or when
        the time is up, the unwritten rows go back to the front of the buffer for the next try and the
        error (a ``StorageError`` for the time) is raised.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        if not self._flush_lock.acquire(timeout=-1 if timeout_s is None else max(0.0, timeout_s)):
            raise StorageError(f"historian: another flush still runs after {timeout_s:g} s")
        try:
            with self._lock:
                rows, self._buffer = self._buffer, []
                dropped, self._dropped = self._dropped, 0
            if dropped:
                log.error("historian: database unavailable too long; dropped %d oldest samples", dropped)
            written = 0
            try:
                for first in range(0, len(rows), self.batch_rows):
                    chunk = rows[first : first + self.batch_rows]
                    if deadline is None:
                        self.db.write(_insert_rows(chunk))
                    else:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise StorageError(f"historian: flush ran out of its {timeout_s:g} s")
                        self.db.write(_insert_rows(chunk), timeout_s=left)
                    written += len(chunk)
            except BaseException:
                with self._lock:
                    self._buffer[:0] = rows[written:]
                    excess = len(self._buffer) - self.max_buffer_rows
                    if excess > 0:
                        del self._buffer[:excess]
                        self._dropped += excess
                raise
            return written
        finally:
            self._flush_lock.release()

    # ------------------------------------------------------------------ reading, retention
    def query(self, point_key: str, start: datetime, end: datetime, max_points: int = 2000) -> TrendSeries:
        """The point's trend over ``[start, end)``: raw rows, or min/max/avg buckets if more than
        ``max_points`` (never more than ``max_points`` rows). Unflushed rows are not included."""
        point_id = self._point_id(point_key)
        with self.db.session() as session:
            return trend(session, point_key, point_id, start, end, max_points)

    def cutoff(self, now: datetime | float | None = None) -> datetime:
        """The retention boundary: samples stamped before it are purged (one exactly at it is kept)."""
        return _as_datetime(self.clock() if now is None else now) - self.retention

    def purge(self, now: datetime | float | None = None) -> int:
        """Delete every sample older than the retention (``ts < now - retention``); returns the count."""
        return purge_before(self.db, self.cutoff(now), batch=self.batch_rows)

    # ------------------------------------------------------------------ background thread
    def start(self) -> None:
        """Load the points and start the flush/heartbeat/purge thread (first purge after a minute)."""
        if self._worker is not None and self._worker.is_alive():
            return
        self.load_points()
        self._worker = Worker("wardroom-historian", self._run).start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread and write what is buffered, all within ``timeout_s``.

        The whole budget is shared: the final flush gets what the thread's end left over, so a busy or
        unreachable database cannot stretch a station's bounded stop. Samples that could not be written
        in time are logged as lost, not raised.
        """
        deadline = time.monotonic() + timeout_s
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop(timeout_s)
        try:
            self.flush(timeout_s=max(0.0, deadline - time.monotonic()))
        except Exception:
            log.exception("historian: final flush failed; %d samples not written", self.pending)

    def _run(self, token: CancelToken) -> None:
        next_purge = time.monotonic() + min(60.0, self.purge_every_s)
        while not token.wait(self.flush_interval_s):
            try:
                self.heartbeat()
                self.flush()
            except Exception:
                log.exception("historian: writing samples failed; will retry")
            if time.monotonic() >= next_purge:
                next_purge = time.monotonic() + self.purge_every_s
                try:
                    self.purge()
                except Exception:
                    log.exception("historian: purge failed; will retry at the next purge time")


_SAMPLES: Table = PointSample.metadata.tables[PointSample.__tablename__]


def _insert_rows(rows: list[_Row]) -> Callable[[Session], None]:
    """A write job inserting ``rows`` with Core executemany (no ORM objects: 5,000 rows a batch)."""

    def run(session: Session) -> None:
        session.execute(
            insert(_SAMPLES),
            [
                {"point_id": pid, "ts": datetime.fromtimestamp(ts, UTC), "value": value, "quality": quality}
                for pid, ts, value, quality in rows
            ],
        )

    return run

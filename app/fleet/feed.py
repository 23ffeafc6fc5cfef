"""The console's side of the bus: alarms, point values, link states and stations, from the database.

A console runs no poller and no engine. The feed reads what the stations wrote and publishes it on
the console's own :class:`~app.events.EventBus` as the same events a station would (``AlarmChanged``,
``PointValueChanged``, ``PointQualityChanged``, ``LinkStateChanged``), so the GUI's pages and the
``watch`` commands cannot tell the difference.

The rule that makes it lossless: the tables are the truth, a NOTIFY only wakes. On PostgreSQL the
feed LISTENs first and *then* reads everything newer than what it last saw (alarm transitions by id,
live rows by ``seq``), on connect and on every reconnect, so a dropped connection loses nothing and
shows nothing twice; a slow poll backs the NOTIFY up. With SQLite it polls every ``POLL_S``.

It also watches the stations: a point whose connection no live station holds (its owner silent, or
none at all) is shown ``stale`` with the reason, and a silent station is announced at once
(:class:`StationSilence`), so a dead station never looks calm.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.alarms import journal
from app.alarms.events import AlarmChanged
from app.events import Event, EventBus, LinkKind, LinkStateChanged, LinkStatus
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import PointReading, Quality, never_read
from app.fleet import leases
from app.fleet.clock import db_now
from app.fleet.connections import connection_of, site_connections
from app.fleet.leases import EXPIRY_S, StationInfo
from app.fleet.live import aged, reading_of
from app.storage import engine as storage_engine
from app.storage.bus import CHANNEL
from app.storage.engine import StorageError
from app.workers import CancelToken, Worker
from models.fleet import LiveLink, LivePoint

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.site.schema import SiteFile
    from app.storage.database import Database

log = logging.getLogger("wardroom.fleet")

POLL_S = 0.25  # SQLite: how often the tables are read (the issue allows 500 ms)
SLOW_POLL_S = 1.0  # PostgreSQL: read even without a NOTIFY; and the stations, every time
RECONNECT_S = (0.5, 1.0, 2.0)


@dataclass(frozen=True, slots=True)
class StationSilence(Event):
    """A station stopped heartbeating (``silent``) or beats again; ``since`` is its last heartbeat."""

    station: str
    silent: bool
    since: datetime
    owns: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.silent:
            return f"station {self.station} silent since {self.since.isoformat(timespec='seconds')}"
        return f"station {self.station} is heartbeating again"


def conninfo(url: str) -> str:
    """A libpq connection string for the listener (psycopg), from the SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class SiteFeed:
    """Follows the site through the database; ``start()`` returns once the first read is done."""

    def __init__(
        self,
        site: SiteFile,
        db: Database,
        bus: EventBus,
        *,
        name: str = "console",
        poll_s: float = POLL_S,
        slow_poll_s: float = SLOW_POLL_S,
        expiry_s: float = EXPIRY_S,
        alarms: bool = True,
    ) -> None:
        self.site = site
        self.db = db
        self.bus = bus
        self.name = name
        self.poll_s = poll_s
        self.slow_poll_s = slow_poll_s
        self.expiry_s = expiry_s
        self.follow_alarms = alarms
        connections = site_connections(site)
        self._lease_of = connection_of(connections)  # plc:<id> / camera:<id> -> lease key
        self._plc_of = {p.id: p.plc for p in site.point}
        self._postgres = db.engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._readings: dict[str, PointReading] = {p.id: never_read(p.id) for p in site.point}
        self._links: dict[tuple[str, str], LinkStateChanged] = {}
        self._seen_at: dict[str, float] = {}  # plc:<id> -> newest good read of the PLC
        self._stations: list[StationInfo] = []
        self._orphaned: dict[str, str] = {}  # plc id -> why no live station polls it
        self._silent: set[str] = set()
        self._last_tid: int | None = None
        self._last_point_seq = 0
        self._last_link_seq = 0
        self._next_slow = 0.0
        self._ready = threading.Event()
        self._worker: Worker | None = None
        self._listen_conn: Any = None
        self.reconnects = 0  # for tests and the benchmark
        self.wakeups = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self, wait_s: float = 10.0) -> bool:
        """Start following; True once the whole site has been read (False: still trying, see log)."""
        self._worker = Worker(f"wardroom-feed-{self.name}", self._run, on_cancel=self._interrupt).start()
        return self._ready.wait(wait_s)

    def stop(self, timeout_s: float = 2.0) -> None:
        if self._worker is not None:
            self._worker.stop(timeout_s)
            self._worker = None

    def _interrupt(self) -> None:
        conn = self._listen_conn
        if conn is not None:
            try:
                conn.cancel_safe(timeout=0.5)
            except Exception:
                log.debug("could not interrupt the listener", exc_info=True)

    # ------------------------------------------------------------------ queries (any thread)

    def readings(self) -> dict[str, PointReading]:
        with self._lock:
            return {pid: self._shown(r) for pid, r in self._readings.items()}

    def reading(self, point_id: str) -> PointReading | None:
        with self._lock:
            reading = self._readings.get(point_id)
            return None if reading is None else self._shown(reading)

    def link_states(self) -> dict[tuple[str, str], LinkStateChanged]:
        with self._lock:
            return dict(self._links)

    def stations(self) -> list[StationInfo]:
        with self._lock:
            return list(self._stations)

    def silent_stations(self) -> list[StationInfo]:
        with self._lock:
            return [s for s in self._stations if s.name in self._silent]

    def link_endpoint(self, kind: str, device: str) -> str | None:
        with self._lock:
            event = self._links.get((kind, device))
            return event.endpoint if event is not None and event.endpoint else None

    def _shown(self, reading: PointReading) -> PointReading:
        """A point as the console must show it: stale when no live station polls its PLC; a good
        point's age from the newest good read of its PLC."""
        plc = self._plc_of.get(reading.point_id, "")
        why = self._orphaned.get(plc)
        if why is not None:
            if reading.quality == "never-read":
                return replace(reading, error=why)
            return replace(reading, quality="stale", error=why)
        return aged(reading, self._seen_at.get(f"plc:{plc}"))

    # ------------------------------------------------------------------ the loop

    def _run(self, token: CancelToken) -> None:
        if not self._postgres:
            while not token.cancelled:
                self._read_safely(slow=True)
                token.wait(self.poll_s)
            return
        attempt = 0
        while not token.cancelled:
            try:
                self._listen(token)
            except Exception as exc:  # psycopg or SQLAlchemy: the connection broke
                if token.cancelled:
                    return
                self.reconnects += 1
                delay = RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)]
                attempt += 1
                log.warning("console feed lost the database (%s); reconnecting in %g s", exc, delay)
                token.wait(delay)
                continue
            attempt = 0

    def _listen(self, token: CancelToken) -> None:
        import psycopg

        conn = psycopg.connect(
            conninfo(self.db.url),
            autocommit=True,
            connect_timeout=5,
            application_name=f"{storage_engine.application_name} listen"[:63],
        )
        self._listen_conn = conn
        try:
            conn.execute(f"LISTEN {CHANNEL}")
            self._read(slow=True)  # LISTEN first, then everything newer than what we saw
            while not token.cancelled:
                woke = False
                for _notice in conn.notifies(timeout=self.slow_poll_s, stop_after=1):
                    woke = True
                if token.cancelled:
                    return
                if woke:
                    self.wakeups += 1
                slow = time.monotonic() >= self._next_slow
                self._read(slow=slow)
        finally:
            self._listen_conn = None
            conn.close()

    def _read_safely(self, slow: bool) -> None:
        try:
            self._read(slow)
        except (SQLAlchemyError, StorageError) as exc:
            log.warning("console feed could not read the database: %s", exc)

    def _read(self, slow: bool) -> None:
        """Read what is new. Each step advances its cursor as it collects events, so the events
        collected are published even when a later step fails (a connection killed mid-read): the
        next read starts after them, and holding them back would lose them."""
        events: list[Event] = []
        try:
            with self.db.session() as session:
                if self.follow_alarms:
                    self._read_alarms(session, events)
                self._read_points(session, events)
                self._read_links(session, events)
                if slow:
                    self._next_slow = time.monotonic() + self.slow_poll_s
                    self._read_stations(session, events)
        finally:
            for event in events:
                self.bus.publish(event)
        self._ready.set()

    def _read_alarms(self, session: Session, events: list[Event]) -> None:
        if self._last_tid is None:  # first read: the open alarms, then follow from here
            last = journal.last_transition_id(session)
            events.extend(AlarmChanged(view=view) for view in journal.open_alarms(session))
            self._last_tid = last
        while True:
            rows = journal.transitions_after(session, self._last_tid)
            for transition, view in rows:
                assert transition.id is not None
                self._last_tid = transition.id
                events.append(AlarmChanged(view=view, transition=transition))
            if len(rows) < 1000:
                return

    def _read_points(self, session: Session, events: list[Event]) -> None:
        rows = (
            session.execute(
                select(LivePoint).where(LivePoint.seq > self._last_point_seq).order_by(LivePoint.seq)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        with self._lock:
            for row in rows:
                self._last_point_seq = max(self._last_point_seq, row.seq)
                reading = reading_of(row)
                before = self._readings.get(row.point)
                self._readings[row.point] = reading
                if row.plc in self._orphaned:
                    continue  # shown stale until a live station holds it again
                if before is None or before.value != reading.value or before.quality == "never-read":
                    events.append(PointValueChanged(plc_id=row.plc, reading=reading))
                if before is not None and before.quality != reading.quality:
                    events.append(
                        PointQualityChanged(plc_id=row.plc, reading=reading, previous=before.quality)
                    )

    def _read_links(self, session: Session, events: list[Event]) -> None:
        rows = (
            session.execute(select(LiveLink).where(LiveLink.seq > self._last_link_seq).order_by(LiveLink.seq))
            .scalars()
            .all()
        )
        with self._lock:
            for row in rows:
                self._last_link_seq = max(self._last_link_seq, row.seq)
                event = LinkStateChanged(
                    kind=cast("LinkKind", row.kind),
                    id=row.device,
                    status=cast("LinkStatus", row.status),
                    reason=row.reason,
                    endpoint=row.endpoint,
                    at=row.changed_at,
                )
                if row.seen_at is not None:
                    self._seen_at[row.key] = row.seen_at
                self._links[(row.kind, row.device)] = event
                if row.kind != "plc" or row.device not in self._orphaned:
                    events.append(event)

    def _read_stations(self, session: Session, events: list[Event]) -> None:
        now = db_now(session)
        found = leases.stations(session, now)
        held = leases.leases(session)
        seen = session.execute(select(LiveLink.key, LiveLink.seen_at).where(LiveLink.kind == "plc")).all()
        by_name = {s.name: s for s in found}
        silent_now = {s.name for s in found if s.silent(self.expiry_s)}
        orphaned: dict[str, str] = {}
        for plc in self.site.plc:
            lease = held.get(self._lease_of.get(f"plc:{plc.id}", ""))
            station = by_name.get(lease.station) if lease is not None else None
            if lease is None or station is None:
                orphaned[plc.id] = f"no station polls PLC {plc.id}"
            elif station.name in silent_now or lease.expired(now, self.expiry_s):
                since = station.heartbeat_at.isoformat(timespec="seconds")
                orphaned[plc.id] = f"station {station.name} silent since {since}"
        with self._lock:
            for key, at in seen:
                if at is not None:
                    self._seen_at[key] = at
            self._stations = found
            newly = {p: why for p, why in orphaned.items() if self._orphaned.get(p) != why}
            back = [p for p in self._orphaned if p not in orphaned]
            self._orphaned = orphaned
            for name in sorted(silent_now - self._silent):
                info = by_name[name]
                events.append(
                    StationSilence(station=name, silent=True, since=info.heartbeat_at, owns=info.owns)
                )
            for name in sorted(self._silent - silent_now):
                back_info = by_name.get(name)
                back_since = back_info.heartbeat_at if back_info is not None else now
                events.append(StationSilence(station=name, silent=False, since=back_since))
            self._silent = silent_now
            for point_id, plc_id in self._plc_of.items():
                if plc_id in newly or plc_id in back:
                    reading = self._shown(self._readings[point_id])
                    previous: Quality = "good" if plc_id in newly else "stale"
                    events.append(PointQualityChanged(plc_id=plc_id, reading=reading, previous=previous))
            for plc_id in newly:
                events.append(
                    LinkStateChanged(kind="plc", id=plc_id, status="unknown", reason=orphaned[plc_id])
                )
            for plc_id in back:
                if ("plc", plc_id) in self._links:
                    events.append(self._links[("plc", plc_id)])


def watch_events(bus: EventBus, handler: Callable[[Event], None]) -> list[Callable[[], None]]:
    """Subscribe ``handler`` to everything a feed publishes (the ``watch`` commands)."""
    return [
        bus.subscribe(kind, handler)
        for kind in (AlarmChanged, PointValueChanged, PointQualityChanged, LinkStateChanged, StationSilence)
    ]

"""Station rows and connection leases in the database: register, heartbeat, acquire, renew, release.

Each function runs inside the caller's transaction. Races between stations are settled by the
database: a lease is inserted only if absent (the primary key refuses a second), and an expired one
is taken over only by a conditional update naming the holder and heartbeat that were seen, so two
stations can never both believe they took it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.fleet.clock import age_ms, is_postgres
from models.fleet import Lease, StationRow

HEARTBEAT_S = 2.0
EXPIRY_S = 6.0


@dataclass(frozen=True)
class StationIdentity:
    name: str
    host: str
    pid: int
    standby: bool = False


@dataclass(frozen=True)
class LeaseInfo:
    key: str
    station: str
    members: tuple[str, ...]
    acquired_at: datetime
    heartbeat_at: datetime
    endpoint: str

    def expired(self, now: datetime, expiry_s: float = EXPIRY_S) -> bool:
        return now - self.heartbeat_at > timedelta(seconds=expiry_s)


@dataclass(frozen=True)
class StationInfo:
    name: str
    host: str
    pid: int
    standby: bool
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    note: str
    heartbeat_age_ms: int
    owns: tuple[str, ...]  # plc:<id> / camera:<id>

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def silent(self, expiry_s: float = EXPIRY_S) -> bool:
        """Not stopped cleanly, and no heartbeat for longer than a lease lives."""
        return self.stopped_at is None and self.heartbeat_age_ms > expiry_s * 1000

    def json_row(self) -> dict[str, object]:
        return {
            "name": self.name,
            "host": self.host,
            "pid": self.pid,
            "started_at": self.started_at.isoformat(),
            "heartbeat_age_ms": self.heartbeat_age_ms,
            "standby": self.standby,
            "owns": list(self.owns),
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
            "silent": self.silent(),
            "note": self.note,
        }


def _lease(row: Lease) -> LeaseInfo:
    return LeaseInfo(
        row.key,
        row.station,
        tuple(json.loads(row.members or "[]")),
        row.acquired_at,
        row.heartbeat_at,
        row.endpoint,
    )


# ------------------------------------------------------------------------------------- stations


def register(session: Session, me: StationIdentity, now: datetime, site_sha256: str = "") -> None:
    """Insert or restart this station's row (a name is one station: a restart takes its row over)."""
    row = session.scalar(select(StationRow).where(StationRow.name == me.name))
    if row is None:
        row = StationRow(name=me.name)
        session.add(row)
    row.host, row.pid, row.standby = me.host, me.pid, me.standby
    row.started_at = row.heartbeat_at = now
    row.stopped_at = None
    row.site_sha256 = site_sha256
    row.note = ""
    session.flush()


def beat(session: Session, name: str, now: datetime, note: str) -> None:
    session.execute(
        update(StationRow).where(StationRow.name == name).values(heartbeat_at=now, note=note, stopped_at=None)
    )


def stopped(session: Session, name: str, now: datetime) -> None:
    """A clean stop: the row says so (never silent), and its leases are free at once."""
    session.execute(update(StationRow).where(StationRow.name == name).values(stopped_at=now, note="stopped"))
    session.execute(delete(Lease).where(Lease.station == name))


def stations(session: Session, now: datetime) -> list[StationInfo]:
    owns: dict[str, list[str]] = {}
    for lease in session.scalars(select(Lease).order_by(Lease.key)):
        owns.setdefault(lease.station, []).extend(json.loads(lease.members or "[]"))
    found = []
    for row in session.scalars(select(StationRow).order_by(StationRow.name)):
        found.append(
            StationInfo(
                row.name,
                row.host,
                row.pid,
                row.standby,
                row.started_at,
                row.heartbeat_at,
                row.stopped_at,
                row.note,
                age_ms(now, row.heartbeat_at) or 0,
                tuple(owns.get(row.name, ())) if row.stopped_at is None else (),
            )
        )
    return found


def running_elsewhere(session: Session, me: StationIdentity, now: datetime) -> StationInfo | None:
    """Another live process already running under ``me.name`` (None if the name is free)."""
    for info in stations(session, now):
        if info.name != me.name:
            continue
        if info.stopped or info.silent() or (info.host, info.pid) == (me.host, me.pid):
            return None
        if info.host == me.host and not _process_alive(info.pid):
            return None  # it crashed here moments ago (kill -9, power cut): restarting it is right
        return info
    return None


def _process_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


# ------------------------------------------------------------------------------------- leases


def leases(session: Session) -> dict[str, LeaseInfo]:
    return {row.key: _lease(row) for row in session.scalars(select(Lease))}


@dataclass(frozen=True)
class Acquired:
    """The outcome of one try: ``ok`` if we hold it now; ``previous`` the holder we took it from."""

    ok: bool
    holder: LeaseInfo | None = None  # who holds it when not ok
    previous: LeaseInfo | None = None  # whose expired lease we took over


def acquire(
    session: Session,
    key: str,
    members: list[str],
    me: str,
    now: datetime,
    *,
    endpoint: str = "",
    take_expired: bool = True,
    expiry_s: float = EXPIRY_S,
) -> Acquired:
    """Take the lease ``key`` if it is free, ours, or (``take_expired``) expired."""
    values = {
        "key": key,
        "members": json.dumps(members),
        "station": me,
        "acquired_at": now,
        "heartbeat_at": now,
        "endpoint": endpoint,
    }
    insert = pg_insert(Lease) if is_postgres(session) else sqlite_insert(Lease)
    done = session.execute(insert.values(**values).on_conflict_do_nothing(index_elements=["key"]))
    if done.rowcount == 1:  # type: ignore[attr-defined]
        return Acquired(True)
    row = session.scalar(select(Lease).where(Lease.key == key))
    if row is None:  # released between the two statements: next round
        return Acquired(False)
    seen = _lease(row)
    if seen.station == me:
        session.execute(
            update(Lease).where(Lease.key == key).values(heartbeat_at=now, members=values["members"])
        )
        return Acquired(True)
    if not (take_expired and seen.expired(now, expiry_s)):
        return Acquired(False, holder=seen)
    taken = session.execute(
        update(Lease)
        .where(Lease.key == key, Lease.station == seen.station, Lease.heartbeat_at == seen.heartbeat_at)
        .values(**{k: v for k, v in values.items() if k != "key"})
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return Acquired(True, previous=seen)
    return Acquired(False, holder=seen)


def renew(session: Session, me: str, keys: list[str], now: datetime, endpoints: dict[str, str]) -> set[str]:
    """Renew our leases; returns the keys still ours (one taken over meanwhile is missing)."""
    if not keys:
        return set()
    held = set(
        session.scalars(
            update(Lease)
            .where(Lease.station == me, Lease.key.in_(keys))
            .values(heartbeat_at=now)
            .returning(Lease.key)
        )
    )
    for key, endpoint in endpoints.items():
        if key in held:
            session.execute(
                update(Lease).where(Lease.key == key, Lease.endpoint != endpoint).values(endpoint=endpoint)
            )
    return held


def release(session: Session, me: str, keys: list[str]) -> None:
    if keys:
        session.execute(delete(Lease).where(Lease.station == me, Lease.key.in_(keys)))

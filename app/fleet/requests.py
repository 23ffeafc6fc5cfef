"""Requests to a device's owner: what only the station holding a connection may do (DESIGN §1).

A console or the CLI never opens a second connection to a PLC a station owns (a serial line cannot
even be shared). It inserts a ``device_requests`` row instead — who, what, value, a deadline — and
waits for the outcome; the owning station (``app.fleet.executor``) claims the row, executes it and
records ``done`` / ``refused`` / ``failed`` / ``expired`` with the reason and the audit row.

The rule that makes this safe: **a request past its deadline is never executed**, so a plant write
cannot happen after the CLI said it failed.

- The deadline is a little (:data:`MARGIN_S`) before the caller gives up, so an outcome the station
  records at the last moment still reaches the caller.
- A station claims a row only by a conditional update (``pending`` -> ``running``, deadline not
  passed, lease one it holds): two stations can never both execute it.
- A caller whose time is up turns its still ``pending`` row into ``expired`` by a conditional update,
  so a station paused meanwhile (SIGSTOP, a long GC) cannot claim it afterwards.
- Deadlines are compared with the database's clock (``app.fleet.clock``), never a workstation's.

Audit: whoever settles a row's final status appends the audit row in the same transaction (the
station for what it executes or lets expire, the caller for what it expires), so an outcome is
audited exactly once, under the *requesting* user's name.

The CLI acting itself (no live station holds the connection) borrows the lease for the duration
(:func:`owner_or_borrow`), so a station starting meanwhile waits instead of opening the line too.

Qt-free; every blocking call is bounded by the caller's timeout.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from app.audit.chain import append
from app.fleet import leases as lease_rows
from app.fleet.clock import db_now
from app.fleet.leases import HEARTBEAT_S, LeaseInfo
from app.storage.bus import notify
from app.workers import CancelToken, Worker
from models.fleet import DeviceRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.auth.users import UserInfo
    from app.storage.database import Database

log = logging.getLogger("wardroom.fleet")

MARGIN_S = 0.5
"""The deadline is this much before the caller gives up (at most a quarter of its timeout)."""
CLAIM_MARGIN_S = 0.1
"""A station claims only a request with at least this long left before its deadline."""
WAIT_POLL_S = 0.05
"""How often a waiting caller reads its row (a NOTIFY would save little: the wait is seconds)."""

PENDING, RUNNING = "pending", "running"
DONE, REFUSED, FAILED, EXPIRED = "done", "refused", "failed", "expired"
TIMED_OUT = "timed-out"
"""Not a row status: what :func:`wait` reports when the station was still executing at the end."""
FINAL: frozenset[str] = frozenset({DONE, REFUSED, FAILED, EXPIRED})

NOT_EXECUTED = "no station executed it before its deadline"
CLI_PREFIX = "cli:"
"""Lease holders named ``cli:<host>:<pid>`` are commands acting themselves, not stations."""


@dataclass(frozen=True)
class RequestOutcome:
    """How a request ended, as the caller reports it; ``station`` who executed or refused it."""

    id: int
    status: str  # done / refused / failed / expired / timed-out (or pending / running while waiting)
    reason: str
    station: str

    @property
    def exit_code(self) -> int:
        """DESIGN §10: 0 done, 2 refused, 1 failed, expired or timed out."""
        return {DONE: 0, REFUSED: 2}.get(self.status, 1)


@dataclass(frozen=True)
class DeviceRequestInfo:
    """One request as the executing station sees it (``value`` decoded from JSON)."""

    id: int
    kind: str
    target: str
    lease: str
    value: Any
    user_id: int | None
    user_name: str
    origin: str
    created_at: datetime
    deadline: datetime

    def left_s(self, now: datetime) -> float:
        """Seconds from ``now`` (the database's clock) to the deadline; negative once passed."""
        return (self.deadline - now).total_seconds()


def _info(row: DeviceRequest) -> DeviceRequestInfo:
    return DeviceRequestInfo(
        row.id, row.kind, row.target, row.lease, json.loads(row.value or "null"), row.user_id,
        row.user_name, row.origin, row.created_at, row.deadline,
    )  # fmt: skip


def origin_of(what: str = "cli") -> str:
    """Who asks, for the row and the lease: ``<what>:<host>:<pid>``."""
    return f"{what}:{socket.gethostname()}:{os.getpid()}"


def audit_action(kind: str, status: str) -> str:
    """The audit action for a request's outcome (DESIGN §10 names): ``point.write-failed`` ...

    An expired request was never attempted, but for the operator it is a write that did not happen:
    ``-failed``, with ``"outcome": "expired"`` in the details.
    """
    suffix = {DONE: "", REFUSED: "-refused"}.get(status, "-failed")
    return kind + suffix


def audit_outcome(
    session: Session,
    request: DeviceRequestInfo,
    status: str,
    reason: str,
    station: str,
    details: dict[str, Any] | None = None,
) -> int:
    """The audit row of a settled request, under the requesting user, in the caller's transaction."""
    full: dict[str, Any] = {"request": request.id, "origin": request.origin, "outcome": status}
    if station:
        full["station"] = station
    if request.kind == "point.write":
        full["value"] = request.value
    if reason and status != DONE:
        full["reason"] = reason
    full.update(details or {})
    return append(session, request.user_name or "(no user given)", audit_action(request.kind, status),
                  request.target, full)  # fmt: skip


# ------------------------------------------------------------------------------------- caller side


def submit(
    db: Database,
    *,
    kind: str,
    target: str,
    lease: str,
    value: object,
    user: UserInfo,
    origin: str,
    timeout_s: float,
) -> int:
    """Insert a pending request (deadline: ``timeout_s`` less the margin from now); its id.

    The station is woken by a NOTIFY on PostgreSQL; on SQLite it finds the row at its next poll.
    """
    margin = min(MARGIN_S, max(timeout_s, 0.0) / 4)

    def insert(session: Session) -> int:
        now = db_now(session)
        row = DeviceRequest(
            kind=kind,
            target=target,
            lease=lease,
            value=json.dumps(value),
            user_id=user.id,
            user_name=user.name,
            origin=origin,
            created_at=now,
            deadline=now + timedelta(seconds=max(timeout_s - margin, 0.0)),
            status=PENDING,
        )
        session.add(row)
        session.flush()
        notify(session, "requests")
        return row.id

    return db.write(insert)


def outcome(db: Database, request_id: int) -> RequestOutcome:
    """The row's status now (``pending`` and ``running`` are not final)."""
    with db.session() as session:
        row = session.get(DeviceRequest, request_id)
        if row is None:
            return RequestOutcome(request_id, FAILED, f"request {request_id} is not in the database", "")
        return RequestOutcome(row.id, row.status, row.reason, row.station)


def _give_up(session: Session, request_id: int) -> bool:
    """``pending`` -> ``expired`` (audited) if no station claimed it yet; whether it did."""
    now = db_now(session)
    taken = session.execute(
        update(DeviceRequest)
        .where(DeviceRequest.id == request_id, DeviceRequest.status == PENDING)
        .values(status=EXPIRED, reason=NOT_EXECUTED, finished_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    row = session.get(DeviceRequest, request_id)
    assert row is not None
    audit_outcome(session, _info(row), EXPIRED, NOT_EXECUTED, "")
    notify(session, "requests")
    return True


def wait(
    db: Database, request_id: int, timeout_s: float, *, sleep: Callable[[float], object] = time.sleep
) -> RequestOutcome:
    """Wait at most ``timeout_s`` for the request's outcome.

    When time is up a request still ``pending`` is made ``expired`` (so it can never be executed
    afterwards); one still ``running`` is reported ``timed-out``: the station was executing it, and
    will record (and audit) its outcome itself.
    """
    end = time.monotonic() + max(timeout_s, 0.0)
    while True:
        seen = outcome(db, request_id)
        if seen.status in FINAL:
            return seen
        left = end - time.monotonic()
        if left <= 0:
            break
        sleep(min(WAIT_POLL_S, left))
    if db.write(lambda session: _give_up(session, request_id)):
        return RequestOutcome(request_id, EXPIRED, NOT_EXECUTED, "")
    seen = outcome(db, request_id)
    if seen.status == RUNNING:
        return RequestOutcome(
            request_id,
            TIMED_OUT,
            f"station {seen.station} was still executing it when the wait ended; "
            "its outcome will be in the audit log",
            seen.station,
        )
    return seen


def submit_and_wait(
    db: Database,
    *,
    kind: str,
    target: str,
    lease: str,
    value: object,
    user: UserInfo,
    origin: str,
    timeout_s: float,
) -> RequestOutcome:
    """:func:`submit` then :func:`wait`, the two together bounded by ``timeout_s``."""
    started = time.monotonic()
    request_id = submit(
        db, kind=kind, target=target, lease=lease, value=value, user=user, origin=origin, timeout_s=timeout_s
    )
    return wait(db, request_id, timeout_s - (time.monotonic() - started))


# ------------------------------------------------------------------------------------- station side


def pending_ids(session: Session, owned: set[str] | list[str]) -> list[int]:
    """Pending requests for the leases in ``owned``, oldest first (a cheap read, before claiming)."""
    if not owned:
        return []
    query = (
        select(DeviceRequest.id)
        .where(DeviceRequest.status == PENDING, DeviceRequest.lease.in_(sorted(owned)))
        .order_by(DeviceRequest.id)
    )
    return list(session.scalars(query))


def expire_overdue(session: Session, owned: set[str] | list[str], station: str, now: datetime) -> list[int]:
    """Settle as ``expired`` (audited) the pending requests of ``owned`` past their deadline.

    They are never executed: their caller has given up, or is about to.
    """
    if not owned:
        return []
    limit = now + timedelta(seconds=CLAIM_MARGIN_S)
    reason = f"its deadline passed before station {station} could execute it"
    rows = session.scalars(
        update(DeviceRequest)
        .where(
            DeviceRequest.status == PENDING,
            DeviceRequest.lease.in_(sorted(owned)),
            DeviceRequest.deadline <= limit,
        )
        .values(status=EXPIRED, reason=reason, station=station, finished_at=now)
        .returning(DeviceRequest)
    ).all()
    for row in rows:
        audit_outcome(session, _info(row), EXPIRED, reason, station)
    if rows:
        notify(session, "requests")
    return [row.id for row in rows]


def claim(
    session: Session, request_id: int, station: str, owned: set[str] | list[str], now: datetime
) -> DeviceRequestInfo | None:
    """Take one pending request for execution (``running``), or None if it is not ours to run.

    Conditional on its being still pending, for a lease in ``owned``, with at least
    :data:`CLAIM_MARGIN_S` before its deadline: of two stations racing, exactly one gets it.
    """
    if not owned:
        return None
    row = session.scalars(
        update(DeviceRequest)
        .where(
            DeviceRequest.id == request_id,
            DeviceRequest.status == PENDING,
            DeviceRequest.lease.in_(sorted(owned)),
            DeviceRequest.deadline > now + timedelta(seconds=CLAIM_MARGIN_S),
        )
        .values(status=RUNNING, station=station)
        .returning(DeviceRequest)
    ).one_or_none()
    return None if row is None else _info(row)


def finish(session: Session, request_id: int, status: str, reason: str, station: str) -> bool:
    """Record the outcome of a request this station is running; False if it was not running here."""
    if status not in FINAL:
        raise ValueError(f"{status!r} is not a final request status")
    done = session.execute(
        update(DeviceRequest)
        .where(
            DeviceRequest.id == request_id, DeviceRequest.status == RUNNING, DeviceRequest.station == station
        )
        .values(status=status, reason=reason, finished_at=db_now(session))
    )
    if done.rowcount == 1:  # type: ignore[attr-defined]
        notify(session, "requests")
        return True
    return False


# ------------------------------------------------------------------------------------- who acts


class LeaseBusy(Exception):
    """Another command holds the connection's lease (a station would take a request instead)."""

    def __init__(self, holder: LeaseInfo) -> None:
        super().__init__(f"its connection is in use by {holder.station} (another command); try again shortly")
        self.holder = holder


def live_holder(db: Database, key: str) -> LeaseInfo | None:
    """The live station (not a command) holding lease ``key`` now, if any."""
    with db.session() as session:
        now = db_now(session)
        lease = lease_rows.leases(session).get(key)
    if lease is None or lease.expired(now) or lease.station.startswith(CLI_PREFIX):
        return None
    return lease


def _renew_until_cancelled(db: Database, key: str, me: str) -> Callable[[CancelToken], None]:
    def run(token: CancelToken) -> None:
        while not token.wait(HEARTBEAT_S):
            try:
                db.write(lambda s: lease_rows.renew(s, me, [key], db_now(s), {}), timeout_s=HEARTBEAT_S)
            except Exception:  # the next beat tries again; the lease lives EXPIRY_S
                log.warning("could not renew the lease %s held by %s", key, me, exc_info=True)

    return run


@contextmanager
def owner_or_borrow(db: Database, key: str, members: list[str], me: str) -> Iterator[str | None]:
    """Who acts on connection ``key``: yields the live station holding it (send it a request), or
    None after taking its lease for ``me`` (act yourself; renewed meanwhile, released on exit).

    A lease left by a dead station (expired) is taken over. Raises :class:`LeaseBusy` when another
    command holds it.
    """
    holder = live_holder(db, key)
    if holder is not None:
        yield holder.station
        return

    def take(session: Session) -> lease_rows.Acquired:
        return lease_rows.acquire(session, key, members, me, db_now(session), take_expired=True)

    got = db.write(take)
    if not got.ok:
        if got.holder is not None and not got.holder.station.startswith(CLI_PREFIX):
            yield got.holder.station  # a station took it between our look and our try
            return
        if got.holder is not None:
            raise LeaseBusy(got.holder)
        raise LeaseBusy(LeaseInfo(key, "(unknown)", (), datetime.min, datetime.min, ""))
    beat = Worker(f"wardroom-lease-{key}", _renew_until_cancelled(db, key, me)).start()
    try:
        yield None
    finally:
        beat.stop(HEARTBEAT_S + 1)
        try:
            db.write(lambda s: lease_rows.release(s, me, [key]))
        except Exception:  # it expires by itself within EXPIRY_S
            log.warning("could not release the lease %s held by %s", key, me, exc_info=True)

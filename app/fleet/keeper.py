"""The lease keeper: a station's heartbeat, and the connections it owns, gains and loses.

Every ``HEARTBEAT_S`` it renews the station row and its leases in one transaction, tries to take the
connections it wants that are free (or, expired: the owner died), and watches the other stations: one
that has not beaten for ``EXPIRY_S`` is *silent*. What changed is handed to the station afterwards,
outside the transaction, on this thread: ``gained`` (start polling), ``lost`` (stop at once),
``silent`` / ``back`` (the ``station:<name>`` fault alarm).

A station started ``standby`` takes no free connection during its first ``EXPIRY_S`` (the primary
starting beside it gets them), and afterwards takes every connection that is free or expired.

Fencing: a station that cannot renew its leases for ``EXPIRY_S - HEARTBEAT_S`` while another live
station could take them over stops polling them itself, so a device is never polled by two stations
after a network split. A station alone keeps polling through a database outage (its alarms are held
in memory, see the alarm engine): blinding the only station would be worse.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from app.audit import chain as audit
from app.fleet import leases
from app.fleet.clock import db_now
from app.fleet.connections import Connection
from app.fleet.leases import EXPIRY_S, HEARTBEAT_S, LeaseInfo, StationIdentity, StationInfo
from app.storage.engine import StorageError
from app.workers import CancelToken, Worker

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.storage.database import Database

log = logging.getLogger("wardroom.fleet")


@dataclass
class KeeperHooks:
    """What the station does when ownership changes (called on the keeper's thread)."""

    gained: Callable[[list[Connection], dict[str, LeaseInfo]], None]
    lost: Callable[[list[Connection], str], None]
    silent: Callable[[StationInfo], None] = lambda info: None
    back: Callable[[str], None] = lambda name: None


@dataclass
class _Round:
    gained: list[Connection] = field(default_factory=list)
    previous: dict[str, LeaseInfo] = field(default_factory=dict)
    lost: list[Connection] = field(default_factory=list)
    held_by: dict[str, str] = field(default_factory=dict)  # wanted key -> holder
    stations: list[StationInfo] = field(default_factory=list)


class LeaseKeeper:
    def __init__(
        self,
        db: Database,
        me: StationIdentity,
        want: list[Connection],
        hooks: KeeperHooks,
        *,
        site_sha256: str = "",
        endpoints: Callable[[], dict[str, str]] = dict,
        heartbeat_s: float = HEARTBEAT_S,
        expiry_s: float = EXPIRY_S,
    ) -> None:
        self.db = db
        self.me = me
        self.want = {c.key: c for c in want}
        self.hooks = hooks
        self.site_sha256 = site_sha256
        self.endpoints = endpoints
        self.heartbeat_s = heartbeat_s
        self.expiry_s = expiry_s
        self._owned: dict[str, Connection] = {}
        self._held_by: dict[str, str] = {}
        self._silent: set[str] = set()
        self._others_live = False
        self._last_ok = time.monotonic()
        self._started = time.monotonic()
        self._worker: Worker | None = None

    # ------------------------------------------------------------------ queries (any thread)

    @property
    def owned(self) -> list[Connection]:
        return list(self._owned.values())

    @property
    def held_by(self) -> dict[str, str]:
        """Wanted connection key -> the station that holds it (as last seen)."""
        return dict(self._held_by)

    def note(self) -> str:
        if self._owned:
            return f"owns {len(self._owned)} connection(s)"
        if self.me.standby:
            return "standby: owns nothing, ready to take over"
        if self._held_by:
            return "idle: everything it should own is held by other stations"
        return "idle: nothing to own"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Register, take what is free now (hooks run before this returns), then keep beating."""
        self._write(self._register)
        self.hooks.back(self.me.name)
        self._round()
        self._worker = Worker("wardroom-leases", self._run).start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop beating and free every lease at once (a clean stop is never 'silent')."""
        if self._worker is not None:
            self._worker.stop(timeout_s)
            self._worker = None
        self._owned.clear()
        try:
            self._write(lambda s: leases.stopped(s, self.me.name, db_now(s)))
        except (SQLAlchemyError, StorageError) as exc:
            log.warning(
                "could not mark station %s stopped: %s (its leases expire in %g s)",
                self.me.name,
                exc,
                self.expiry_s,
            )

    def _run(self, token: CancelToken) -> None:
        while not token.wait(self.heartbeat_s):
            try:
                self._round()
            except Exception:  # the heartbeat must go on whatever one round did
                log.exception("lease round failed")

    # ------------------------------------------------------------------ one round

    def _write(self, fn: Callable[[Session], object]) -> object:
        return self.db.write(fn, timeout_s=max(1.0, self.expiry_s - self.heartbeat_s))

    def _register(self, session: Session) -> None:
        leases.register(session, self.me, db_now(session), self.site_sha256)

    def _round(self) -> None:
        try:
            done = self._write(self._in_transaction)
        except (SQLAlchemyError, StorageError) as exc:
            self._cannot_renew(str(exc))
            return
        assert isinstance(done, _Round)
        self._last_ok = time.monotonic()
        self._apply(done)

    def _in_transaction(self, session: Session) -> _Round:
        now = db_now(session)
        result = _Round()
        leases.beat(session, self.me.name, now, self.note())
        endpoints = self.endpoints()
        still = leases.renew(session, self.me.name, list(self._owned), now, endpoints)
        result.lost = [c for key, c in self._owned.items() if key not in still]
        may_take_free = not self.me.standby or time.monotonic() - self._started >= self.expiry_s
        for key, connection in self.want.items():
            if key in still:
                continue
            seen = session.get(leases.Lease, key)
            if seen is None and not may_take_free:
                continue
            got = leases.acquire(
                session,
                key,
                connection.members,
                self.me.name,
                now,
                endpoint=endpoints.get(key, ""),
                expiry_s=self.expiry_s,
            )
            if got.ok:
                result.gained.append(connection)
                if got.previous is not None:
                    result.previous[key] = got.previous
                    audit.append(
                        session,
                        f"station:{self.me.name}",
                        "lease.taken-over",
                        target=key,
                        details={
                            "from": got.previous.station,
                            "silent_since": got.previous.heartbeat_at.isoformat(),
                            "members": connection.members,
                        },
                    )
            elif got.holder is not None:
                result.held_by[key] = got.holder.station
        result.stations = leases.stations(session, now)
        return result

    def _apply(self, done: _Round) -> None:
        for connection in done.lost:
            self._owned.pop(connection.key, None)
        if done.lost:
            log.warning("lost %s to another station", ", ".join(c.key for c in done.lost))
            self.hooks.lost(done.lost, "another station took it over")
        for connection in done.gained:
            self._owned[connection.key] = connection
        for key, holder in done.held_by.items():
            if self._held_by.get(key) != holder:
                members = ", ".join(self.want[key].members)
                log.info("%s (%s) is held by station %s: not polling it here", key, members, holder)
        self._held_by = done.held_by
        if done.gained:
            took = [f"{k} from silent station {p.station}" for k, p in done.previous.items()]
            log.info(
                "owning %s%s",
                ", ".join(c.key for c in done.gained),
                f" (took over {'; '.join(took)})" if took else "",
            )
            self.hooks.gained(done.gained, done.previous)
        others = [s for s in done.stations if s.name != self.me.name]
        self._others_live = any(not s.stopped and not s.silent(self.expiry_s) for s in others)
        silent_now = {s.name for s in others if s.silent(self.expiry_s)}
        for info in others:
            if info.name in silent_now and info.name not in self._silent:
                self.hooks.silent(info)
        for name in self._silent - silent_now:
            self.hooks.back(name)
        self._silent = silent_now

    def _cannot_renew(self, reason: str) -> None:
        blind_s = time.monotonic() - self._last_ok
        log.warning("station heartbeat failed (%.1f s without one): %s", blind_s, reason)
        if self._owned and self._others_live and blind_s >= self.expiry_s - self.heartbeat_s:
            lost = list(self._owned.values())
            self._owned.clear()
            self.hooks.lost(
                lost, f"the database could not be reached for {blind_s:.0f} s; another station may own it now"
            )

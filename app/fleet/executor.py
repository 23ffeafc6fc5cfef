"""The station's side of device requests: execute what consoles and the CLI ask of its devices.

A station holds the leases of some connections; only it may write to those PLCs or drill their
simulators. :class:`RequestExecutor` polls ``device_requests`` every :data:`POLL_S` for pending rows
of the leases it holds now, and executes them one at a time, oldest first (the order operators
asked them in). For each row it

1. settles as ``expired`` every pending row already past its deadline (never executed);
2. claims the row by a conditional update (``app.fleet.requests.claim``): of two stations that both
   believe they hold a lease, only one executes it;
3. checks the *requesting* user again from the users table — still there, not disabled, a role the
   permissions table allows — and the point against its own site file (the rules of
   ``app.fieldbus.writes`` and ``app.sim.drill``), refusing with the reason otherwise;
4. acts with a timeout that ends before the deadline (``min(5 s, time left)``), so a write can never
   land after the caller was told it failed;
5. records ``done`` / ``refused`` / ``failed`` / ``expired`` and the audit row (under the requesting
   user, naming this station) in one transaction.

The device calls are handed in (the station's running poller's ``write``, its simulators' drill), so
this module opens no connection of its own and stays free of the station.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from app.auth.permissions import Action, PermissionRefused, allowed
from app.auth.users import UserInfo
from app.fieldbus.writes import check_write
from app.fleet import requests
from app.fleet.clock import db_now
from app.fleet.requests import DONE, EXPIRED, FAILED, REFUSED, DeviceRequestInfo
from app.workers import CancelToken, Worker
from models.users import User

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from app.auth.permissions import HasRole
    from app.site.loader import LoadedSite
    from app.storage.database import Database

log = logging.getLogger("wardroom.fleet")

POLL_S = 0.2
"""How often pending requests are looked for: a request is executed within one period."""
WRITE_TIMEOUT_S = 5.0
"""The longest a plant write may take (less when the deadline is nearer)."""
MIN_WRITE_S = 0.1
"""A write with less time than this before its deadline is not started (``expired``)."""
MIN_DRILL_S = 1.0
"""A drill waits up to about 1 s per simulator (``app.sim.drill.DEFAULT_TIMEOUT_S``)."""

WriteCall = Callable[[str, "float | bool", float], None]
"""``write(point_id, value, timeout_s)``: the station's poller writes one value (raises ``WriteError``)."""
DrillCall = Callable[["HasRole", str, bool], object]
"""``drill(operator, point_id, on)``: trip (``on``) or restore the point's drill on the station's
simulator, *without* a permission check or audit (the executor does both). An exception is a failed
drill, one with ``exit_code == 2`` (unknown point, not a simulated PLC) a refused one; a returned
object with ``endpoints`` names the simulators drilled."""


@dataclass(frozen=True)
class _Settled:
    status: str
    reason: str = ""
    details: dict[str, Any] | None = None


class RequestExecutor:
    """Executes the device requests for the leases its station holds (one worker thread)."""

    def __init__(
        self,
        db: Database,
        station_name: str,
        owned: Callable[[], set[str]],
        write: WriteCall,
        drill: DrillCall | None,
        loaded: LoadedSite,
        *,
        demo: bool = False,
    ) -> None:
        """``owned()`` returns the lease keys held now; ``demo`` opens drills to every role (as
        ``DrillService``)."""
        self.db = db
        self.station = station_name
        self.loaded = loaded
        self.demo = demo
        self._owned = owned
        self._write = write
        self._drill = drill
        self._worker: Worker | None = None
        self._token = CancelToken()  # run_once called directly (tests) is never cancelled

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> RequestExecutor:
        worker = Worker(f"wardroom-requests-{self.station}", self._run)
        self._worker = worker
        self._token = worker.token
        worker.start()
        return self

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop polling; a request being executed finishes first (its own timeout bounds it)."""
        if self._worker is None:
            return True
        return self._worker.stop(timeout_s)

    def _run(self, token: CancelToken) -> None:
        while not token.cancelled:
            try:
                self.run_once()
            except Exception:  # a database outage: try again next period
                log.warning("station %s: reading device requests failed", self.station, exc_info=True)
            token.wait(POLL_S)

    # ------------------------------------------------------------------ one round
    def run_once(self) -> int:
        """Execute every pending request of the leases held now; how many were settled here."""
        keys = set(self._owned())
        if not keys:
            return 0
        with self.db.session() as session:
            ids = requests.pending_ids(session, keys)
        if not ids:
            return 0
        settled = len(self.db.write(lambda s: requests.expire_overdue(s, keys, self.station, db_now(s))))
        for request_id in ids:
            if self._token.cancelled:
                break
            claimed = self.db.write(partial(self._claim, request_id=request_id, keys=set(self._owned())))
            if claimed is None:
                continue  # expired above, another station's, or a lease lost meanwhile
            request, now = claimed
            started = time.monotonic()

            def left_s(
                request: DeviceRequestInfo = request, now: datetime = now, started: float = started
            ) -> float:
                return request.left_s(now) - (time.monotonic() - started)

            result = self._execute(request, left_s)
            self._settle(request, result)
            settled += 1
        return settled

    def _claim(
        self, session: Session, request_id: int, keys: set[str]
    ) -> tuple[DeviceRequestInfo, datetime] | None:
        now = db_now(session)
        request = requests.claim(session, request_id, self.station, keys, now)
        return None if request is None else (request, now)

    def _settle(self, request: DeviceRequestInfo, result: _Settled) -> None:
        def record(session: Session) -> None:
            if requests.finish(session, request.id, result.status, result.reason, self.station):
                requests.audit_outcome(
                    session, request, result.status, result.reason, self.station, result.details
                )

        try:
            self.db.write(record)
        except Exception:  # the row stays 'running': its caller reports 'timed-out', never 'done'
            log.error(
                "station %s: the outcome of request %s (%s) could not be recorded",
                self.station, request.id, result.status, exc_info=True,
            )  # fmt: skip

    # ------------------------------------------------------------------ the actions
    def _execute(self, request: DeviceRequestInfo, left_s: Callable[[], float]) -> _Settled:
        user = self._user(request)
        if isinstance(user, str):
            return _Settled(REFUSED, user)
        try:
            if request.kind == "point.write":
                return self._plant_write(request, user, left_s)
            if request.kind in ("drill.trip", "drill.restore"):
                return self._drill_request(request, user, left_s)
        except Exception as exc:  # never leave a claimed row running because of our own bug
            log.exception("station %s: request %s failed unexpectedly", self.station, request.id)
            return _Settled(FAILED, f"station {self.station} could not execute it ({exc})")
        return _Settled(REFUSED, f"station {self.station} does not know requests of kind {request.kind!r}")

    def _user(self, request: DeviceRequestInfo) -> UserInfo | str:
        """The requesting user as the users table holds them now, or why they may not act."""
        with self.db.session() as session:
            row = session.get(User, request.user_id) if request.user_id is not None else None
            user = UserInfo.of(row) if row is not None else None
        if user is None:
            return f"there is no user {request.user_name!r} in the database"
        if user.disabled:
            return f"user {user.name} is disabled"
        return user

    def _site_details(self) -> dict[str, Any]:
        return {"site": str(self.loaded.path)}

    def _plant_write(
        self, request: DeviceRequestInfo, user: UserInfo, left_s: Callable[[], float]
    ) -> _Settled:
        value = request.value
        text = ("on" if value else "off") if isinstance(value, bool) else str(value)
        checked = check_write(self.loaded, user.role, request.target, text, user_name=user.name)
        if isinstance(checked, str):
            return _Settled(REFUSED, checked, self._site_details())
        point, parsed = checked
        left = left_s()
        if left < MIN_WRITE_S:
            return _Settled(EXPIRED, f"its deadline passed before station {self.station} could write it")
        try:
            self._write(point.id, parsed, min(WRITE_TIMEOUT_S, left))
        except Exception as exc:  # WriteError, or anything else the poller raised: the PLC did not take it
            return _Settled(FAILED, str(exc) or type(exc).__name__, self._site_details())
        where = {**self._site_details(), "plc": point.plc, "address": point.address, "value": parsed}
        return _Settled(DONE, "", where)

    def _drill_request(
        self, request: DeviceRequestInfo, user: UserInfo, left_s: Callable[[], float]
    ) -> _Settled:
        where = {**self._site_details(), "demo": self.demo}
        if not allowed(user.role, Action.DRILL, demo=self.demo):
            return _Settled(REFUSED, str(PermissionRefused(user.name, user.role, Action.DRILL)), where)
        if self._drill is None:
            return _Settled(REFUSED, f"station {self.station} runs no simulator to drill", where)
        if left_s() < MIN_DRILL_S:
            return _Settled(EXPIRED, f"its deadline was too near for station {self.station} to drill", where)
        try:
            result = self._drill(user, request.target, request.kind == "drill.trip")
        except Exception as exc:
            status = REFUSED if getattr(exc, "exit_code", 1) == 2 else FAILED
            return _Settled(status, str(exc) or type(exc).__name__, where)
        endpoints = getattr(result, "endpoints", None)
        if endpoints is not None:
            where["endpoints"] = list(endpoints)
        return _Settled(DONE, "", where)

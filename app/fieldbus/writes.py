"""Writes to the plant (PLC outputs): who may write, to which points, and the audit row of every attempt.

DESIGN §6: permissions are checked in the services, not only by hiding buttons, and PLC writes are off
unless the site file marks a point ``writable = true``. ``wardroom points write`` and the GUI both go
through :class:`PlantWriter`, so neither can write what the other would refuse, and every attempt
(refused, failed or done) is audited under the operator's name.

The order of the audit rows is the point: ``point.write-requested`` is committed *before* the PLC is
touched, then ``point.write`` or ``point.write-failed``. If the request row cannot be committed the
PLC is not written (:class:`WriteNotRecorded`): nothing reaches the plant that the log does not hold.

Qt-free, and free of the fieldbus too: the caller hands in a ``write`` function that writes one value
to one point of a site holding only that point and its PLC (the CLI opens one connection to one PLC
for it; the GUI may hand in its running poller's write).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.audit.chain import append
from app.auth.permissions import Action, PermissionRefused, allowed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.auth.permissions import HasRole
    from app.auth.users import UserInfo
    from app.site.loader import LoadedSite
    from app.site.schema import Point, SiteFile
    from app.storage.database import Database

DEFAULT_TIMEOUT_S = 5.0

WriteFunction = Callable[["SiteFile", str, "float | bool", float], None]
"""``write(site, point_id, value, timeout_s)``: put one value on the PLC, raising if it is not taken.

``site`` holds only the written point and its PLC."""


class WriteRefused(Exception):
    """The write was not attempted; ``reason`` says why in an operator's words. Already audited."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WriteFailed(Exception):
    """The write was attempted but the PLC did not take it; ``reason`` says why. Already audited."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WriteOutcome:
    """A write the PLC took: who, which point (where), and the engineering value written."""

    user: str
    point_id: str
    plc_id: str
    address: str
    value: float | bool


def parse_value(point: Point, text: str) -> float | bool:
    """The operator's text as a value for ``point``: on/off (and the like) for bool, else a number."""
    if point.type == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "on", "yes"):
            return True
        if lowered in ("0", "false", "off", "no"):
            return False
        raise ValueError(f"{text!r} is not a value for bool point {point.id}; use on/off, true/false or 1/0")
    try:
        return float(text)
    except ValueError:
        unit = f" in {point.unit}" if point.unit else ""
        raise ValueError(f"{text!r} is not a number; point {point.id} takes a number{unit}") from None


def single_point_site(site: SiteFile, point: Point) -> SiteFile:
    """A copy of ``site`` holding only ``point`` and its PLC (no cameras, no other points or PLCs)."""
    plcs = tuple(p for p in site.plc if p.id == point.plc)
    return site.model_copy(update={"plc": plcs, "point": (point,), "camera": ()})


def check_write(
    site: LoadedSite, role: str, point_id: str, value_text: str, *, user_name: str = ""
) -> tuple[Point, float | bool] | str:
    """The point and parsed value, or why a write by ``role`` may not happen (in words).

    The one rule set for every writer: the CLI and GUI (:class:`PlantWriter`) and a station executing
    another process's request (``app.fleet.executor``), so none can write what another would refuse.
    """
    point = next((p for p in site.site.point if p.id == point_id), None)
    if not allowed(role, Action.PLANT_WRITE):
        return str(PermissionRefused(user_name or "(unknown)", role, Action.PLANT_WRITE))
    if point is None:
        return f"there is no point {point_id!r} in {site.path}"
    if not point.writable:
        return (
            f"point {point_id} is read-only: PLC writes are off unless the site file says "
            "writable = true for that point"
        )
    try:
        return point, parse_value(point, value_text)
    except ValueError as exc:
        return str(exc)


class WriteNotRecorded(Exception):
    """The request row could not be committed, so the PLC was not written (storage failure: exit 1)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PlantWriter:
    """Checks, performs and audits writes to writable points of one site.

    ``write`` takes an operator who has logged in (``UserService.authenticate``) and refuses
    (``WriteRefused``, audited ``point.write-refused``) a role the permissions table does not let
    write, an unknown or read-only point and a value the point cannot take. Then it commits
    ``point.write-requested`` (``WriteNotRecorded`` if it cannot), calls the write function, and
    audits ``point.write`` (returning a ``WriteOutcome``) or ``point.write-failed`` (``WriteFailed``).
    """

    def __init__(self, db: Database, site: LoadedSite, write: WriteFunction) -> None:
        self.db = db
        self.site = site
        self._write = write

    def write(
        self, operator: UserInfo, point_id: str, value_text: str, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> WriteOutcome:
        """Write ``value_text`` (engineering units, or on/off) to ``point_id`` as ``operator``."""
        point, value = self.check(operator, point_id, value_text)
        self.record_request(operator.name, point, value)
        return self.perform(operator.name, point, value, timeout_s)

    def record_request(self, user_name: str, point: Point, value: float | bool) -> None:
        """Commit ``point.write-requested``; ``WriteNotRecorded`` if the log cannot hold it.

        Separate from :meth:`perform` because a write may be carried out by another process (the
        station owning the PLC, ``app.fleet.requests``), which audits the outcome itself.
        """
        details = {"value": value, "plc": point.plc, "address": point.address}
        try:
            self._audit(user_name, "point.write-requested", point.id, details)
        except Exception as exc:  # the log cannot hold the request: the plant is not touched
            raise WriteNotRecorded(
                f"the write was not sent to the PLC because its audit record could not be stored ({exc})"
            ) from exc

    def perform(self, user_name: str, point: Point, value: float | bool, timeout_s: float) -> WriteOutcome:
        """Put a checked, requested value on the PLC here; audit ``point.write`` or ``-failed``."""
        try:
            self._write(single_point_site(self.site.site, point), point.id, value, timeout_s)
        except Exception as exc:  # every failure of an attempted write is audited, whatever its kind
            reason = str(exc) or type(exc).__name__
            self.audit_failed(user_name, point, value, reason)
            raise WriteFailed(reason) from exc
        self._audit(
            user_name, "point.write", point.id, {"value": value, "plc": point.plc, "address": point.address}
        )
        return WriteOutcome(user_name, point.id, point.plc, point.address, value)

    def audit_failed(self, user_name: str, point: Point, value: float | bool, reason: str) -> None:
        """Audit ``point.write-failed``: a requested write that did not reach the PLC."""
        self._audit(user_name, "point.write-failed", point.id, {"value": value, "reason": reason})

    def refuse(self, user_name: str, point_id: str, value_text: str, reason: str) -> None:
        """Audit a write refused before the service was reached (e.g. the login failed)."""
        self._audit(user_name, "point.write-refused", point_id, {"value": value_text, "reason": reason})

    def check(self, operator: HasRole, point_id: str, value_text: str) -> tuple[Point, float | bool]:
        """The point and parsed value, or WriteRefused (audited) saying why the write may not happen."""
        checked = check_write(self.site, operator.role, point_id, value_text, user_name=operator.name)
        if isinstance(checked, str):
            self.refuse(operator.name, point_id, value_text, checked)
            raise WriteRefused(checked)
        return checked

    def _audit(self, user_name: str, action: str, point_id: str, details: dict[str, Any]) -> None:
        full = {"site": str(self.site.path), **details}
        actor = user_name or "(no user given)"  # an audit row needs an actor, even for a refusal

        def record(session: Session) -> int:
            return append(session, actor, action, point_id, full)

        self.db.write(record)

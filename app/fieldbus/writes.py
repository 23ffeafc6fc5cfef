"""Writes to the plant (PLC outputs): who may write, to which points, and the audit row of every attempt.

DESIGN §6: permissions are checked in the services, not only by hiding buttons, and PLC writes are off
unless the site file marks a point ``writable = true``. ``wardroom points write`` and the GUI both go
through :class:`PlantWriter`, so neither can write what the other would refuse, and every attempt
(refused, failed or done) is one audit row under the operator's name.

Qt-free, and free of the fieldbus too: the caller hands in a ``manager_factory`` that builds the
poller (``app.fieldbus.manager.FieldbusManager`` in the CLI; the GUI may hand in its running one). The
factory is given a site holding only the written point and its PLC, so a write opens one connection
to one PLC rather than starting pollers for the whole site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from app.audit.chain import append
from app.auth.users import UserService

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.site.loader import LoadedSite
    from app.site.schema import Point, SiteFile
    from app.storage.database import Database

WRITE_ROLES: tuple[str, ...] = ("duty-officer", "supervisor", "administrator")
"""Roles that may operate plant outputs; a records clerk keeps records, not pumps."""

DEFAULT_TIMEOUT_S = 5.0


class PlantManager(Protocol):
    """What a write needs of a poller (``FieldbusManager`` fits)."""

    def start(self) -> None: ...

    def write(self, point_id: str, value: float | bool, timeout_s: float = ...) -> None: ...

    def stop(self, timeout_s: float = ...) -> None: ...


ManagerFactory = Callable[["SiteFile"], PlantManager]
"""Builds a poller for a site (given only the written point and its PLC)."""


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


class PlantWriter:
    """Checks, performs and audits writes to writable points of one site.

    ``write`` refuses (``WriteRefused``) an unknown user, a role outside ``WRITE_ROLES``, an unknown
    or read-only point and a value the point cannot take; raises ``WriteFailed`` when the PLC does not
    take the value; returns a ``WriteOutcome`` when it does. Each of the three is audited (actions
    ``point.write-refused``, ``point.write-failed``, ``point.write``). Storage errors propagate.
    """

    def __init__(
        self,
        db: Database,
        site: LoadedSite,
        manager_factory: ManagerFactory,
        *,
        stop_timeout_s: float = 2.0,
    ) -> None:
        self.db = db
        self.site = site
        self.manager_factory = manager_factory
        self.stop_timeout_s = stop_timeout_s

    def write(
        self, user_name: str, point_id: str, value_text: str, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> WriteOutcome:
        """Write ``value_text`` (engineering units, or on/off) to ``point_id`` as ``user_name``."""
        point, value = self._check(user_name, point_id, value_text)
        manager = self.manager_factory(single_point_site(self.site.site, point))
        try:
            manager.start()
            manager.write(point_id, value, timeout_s=timeout_s)
        except Exception as exc:  # every failure of an attempted write is audited, whatever its kind
            reason = str(exc) or type(exc).__name__
            self._audit(user_name, "point.write-failed", point_id, {"value": value, "reason": reason})
            raise WriteFailed(reason) from exc
        finally:
            manager.stop(self.stop_timeout_s)
        details = {"value": value, "plc": point.plc, "address": point.address}
        self._audit(user_name, "point.write", point_id, details)
        return WriteOutcome(user_name, point_id, point.plc, point.address, value)

    def _check(self, user_name: str, point_id: str, value_text: str) -> tuple[Point, float | bool]:
        """The point and parsed value, or WriteRefused (audited) saying why the write may not happen."""
        operator = UserService(self.db).get(user_name)
        point = next((p for p in self.site.site.point if p.id == point_id), None)
        reason: str | None = None
        value: float | bool | None = None
        if operator is None:
            reason = f"there is no user {user_name!r} (add one: wardroom users add NAME --role supervisor)"
        elif operator.role not in WRITE_ROLES:
            reason = (
                f"user {user_name} is a {operator.role}; writing to the plant needs one of "
                f"{', '.join(WRITE_ROLES)}"
            )
        elif point is None:
            reason = f"there is no point {point_id!r} in {self.site.path}"
        elif not point.writable:
            reason = (
                f"point {point_id} is read-only: PLC writes are off unless the site file says "
                "writable = true for that point"
            )
        else:
            try:
                value = parse_value(point, value_text)
            except ValueError as exc:
                reason = str(exc)
        if reason is not None or point is None or value is None:
            reason = reason or "the write was refused"
            self._audit(user_name, "point.write-refused", point_id, {"value": value_text, "reason": reason})
            raise WriteRefused(reason)
        return point, value

    def _audit(self, user_name: str, action: str, point_id: str, details: dict[str, Any]) -> None:
        full = {"site": str(self.site.path), **details}
        actor = user_name or "(no user given)"  # an audit row needs an actor, even for a refusal

        def record(session: Session) -> int:
            return append(session, actor, action, point_id, full)

        self.db.write(record)

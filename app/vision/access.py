"""Access events: a plate accepted at a gate, matched against the ward's registered vehicles only.

Why here and so:

- Plates are matched only against ``registered_vehicles`` (DESIGN §6), through the one matcher
  (:func:`app.plate_text.match_plate`): an exact plate first, else the single registration one
  confusable character away (0/D, 8/B, 1/I, 5/S, 2/Z). The lookup asks the database for the read
  plate and its one-confusion variants (:func:`app.plate_text.confusable_variants`), an indexed
  ``IN`` on the unique plate column, never a scan of the whole table.
- A registration that has expired (``expires_on`` before the day the car was seen, in the site's time
  zone) or was withdrawn (``active`` false) is *not* registered, and the event says which, so the duty
  officer at the barrier reads why a known car is not let through.
- Access events are personal data: listing them is audited (``access.list``), and
  :func:`purge_access_events` deletes those older than ``[vision] access_retention_days``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select

from app.audit import chain as audit
from app.auth.permissions import Action, PermissionRefused, require
from app.plate_text import confusable_variants, match_plate, normalise_plate
from models.vehicles import RegisteredVehicle
from models.vision import AccessEvent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.auth.users import UserInfo
    from app.storage.database import Database

log = logging.getLogger("wardroom.vision")

SYSTEM_ACTOR = "system"
DEFAULT_RETENTION_DAYS = 90.0


@dataclass(frozen=True, slots=True)
class Registration:
    """What a read plate is in the register: ``status`` one of :data:`models.vision.ACCESS_STATUSES`."""

    status: str
    vehicle_id: int | None = None
    matched_plate: str | None = None  # the registered plate when a confusable character was forgiven
    expires_on: date | None = None

    @property
    def registered(self) -> bool:
        return self.status == "registered"

    def words(self) -> str:
        """The status in a duty officer's words."""
        if self.status == "registered":
            return "registered"
        if self.status == "expired":
            when = f" on {self.expires_on.isoformat()}" if self.expires_on else ""
            return f"not registered: the registration expired{when}"
        if self.status == "inactive":
            return "not registered: the registration was withdrawn"
        return "not registered"


def local_day(at: datetime, timezone: str | None) -> date:
    """The calendar day of ``at`` in the site's time zone (UTC when unknown)."""
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return at.astimezone(zone).date()


def match_registration(session: Session, plate: str, on: date) -> Registration:
    """The registration ``plate`` (normalised) matches on day ``on``, tolerating one confusion."""
    plate = normalise_plate(plate)
    candidates = [plate, *confusable_variants(plate)]
    rows = session.execute(
        select(
            RegisteredVehicle.id,
            RegisteredVehicle.plate,
            RegisteredVehicle.expires_on,
            RegisteredVehicle.active,
        ).where(RegisteredVehicle.plate.in_(candidates))
    ).all()
    found = match_plate(plate, [(row.id, str(row.plate)) for row in rows])
    if found is None:
        return Registration("unregistered")
    row = next(r for r in rows if r.id == found.key)
    matched = None if found.exact else found.plate
    if not row.active:
        return Registration("inactive", int(row.id), matched, row.expires_on)
    if row.expires_on is not None and row.expires_on < on:
        return Registration("expired", int(row.id), matched, row.expires_on)
    return Registration("registered", int(row.id), matched, row.expires_on)


@dataclass(frozen=True, slots=True)
class AccessInfo:
    """One access event as the CLI and the console show it."""

    id: int
    time: datetime
    camera: str
    plate: str
    status: str
    vehicle_id: int | None
    matched_plate: str | None
    snapshot: int | None
    track_id: int | None = None

    @property
    def registered(self) -> bool:
        return self.status == "registered"

    def row(self) -> dict[str, Any]:
        """The ``--json`` object (field names fixed by issue #10), plus ``status`` saying why."""
        return {
            "time": self.time.astimezone(UTC).isoformat(),
            "camera": self.camera,
            "plate": self.plate,
            "registered": self.registered,
            "vehicle_id": self.vehicle_id,
            "snapshot": self.snapshot,
            "status": self.status,
            "matched_plate": self.matched_plate,
            "id": self.id,
        }


def _info(row: AccessEvent) -> AccessInfo:
    return AccessInfo(
        int(row.id),
        row.seen_at,
        row.camera,
        row.plate,
        row.status,
        row.vehicle_id,
        row.matched_plate,
        row.snapshot_id,
        row.track_id,
    )


def record_access(
    database: Database,
    camera: str,
    plate: str,
    seen_at: datetime,
    *,
    timezone: str | None = None,
    track_id: int | None = None,
    confidence: float | None = None,
    snapshot_id: int | None = None,
) -> AccessInfo:
    """Match ``plate`` and store one access event (with its audit entry, ``access.record``, by the
    system) in one transaction; what was stored."""
    if seen_at.tzinfo is None:
        raise ValueError("an access event's time needs a time zone")
    plate = normalise_plate(plate)
    day = local_day(seen_at, timezone)

    def write(session: Session) -> AccessInfo:
        registration = match_registration(session, plate, day)
        row = AccessEvent(
            camera=camera,
            seen_at=seen_at,
            plate=plate,
            status=registration.status,
            vehicle_id=registration.vehicle_id,
            matched_plate=registration.matched_plate,
            track_id=track_id,
            confidence=confidence,
            snapshot_id=snapshot_id,
        )
        session.add(row)
        session.flush()
        details: dict[str, Any] = {"plate": plate, "status": registration.status}
        if registration.vehicle_id is not None:
            details["vehicle_id"] = registration.vehicle_id
        if snapshot_id is not None:
            details["snapshot"] = snapshot_id
        audit.append(session, SYSTEM_ACTOR, "access.record", target=camera[:200], details=details)
        return _info(row)

    info = database.write(write)
    log.info("access at %s: %s (%s)", camera, plate, info.status)
    return info


def list_access(
    database: Database,
    user: UserInfo,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    camera: str | None = None,
) -> list[AccessInfo]:
    """Access events with ``start <= time < end``, oldest first, as ``user`` (audited).

    Refused (``PermissionRefused``, audited ``access.list-refused``) unless ``user``'s role may see
    access events; a listing is itself audited as ``access.list`` with the range and the count, since
    it shows who came and went.
    """
    target = camera or "all cameras"
    span = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None}
    try:
        require(user, Action.ACCESS_VIEW)
    except PermissionRefused as exc:
        reason = {"reason": str(exc)}
        database.write(
            lambda s: audit.append(s, user.name, "access.list-refused", target=target, details=reason)
        )
        raise
    query = select(AccessEvent).order_by(AccessEvent.seen_at, AccessEvent.id)
    if start is not None:
        query = query.where(AccessEvent.seen_at >= start)
    if end is not None:
        query = query.where(AccessEvent.seen_at < end)
    if camera is not None:
        query = query.where(AccessEvent.camera == camera)

    def read_and_audit(session: Session) -> list[AccessInfo]:
        found = [_info(row) for row in session.scalars(query)]
        audit.append(session, user.name, "access.list", target=target, details={**span, "count": len(found)})
        return found

    return database.write(read_and_audit)


def purge_access_events(database: Database, older_than_days: float, now: datetime | None = None) -> int:
    """Delete access events seen before ``now - older_than_days``; how many went (audited
    ``access.purge`` when any did). The station calls this from its daily housekeeping."""
    if older_than_days <= 0:
        raise ValueError("the access event retention must be more than 0 days")
    now = now if now is not None else datetime.now(UTC)
    cutoff = now - timedelta(days=older_than_days)

    def run(session: Session) -> int:
        result = session.execute(delete(AccessEvent).where(AccessEvent.seen_at < cutoff))
        removed = int(getattr(result, "rowcount", 0) or 0)
        if removed:
            audit.append(
                session,
                SYSTEM_ACTOR,
                "access.purge",
                target="access_events",
                details={"retention_days": older_than_days, "cutoff": cutoff.isoformat(), "removed": removed},
            )
        return removed

    removed = database.write(run)
    log.info("access purge before %s: %d removed", cutoff.isoformat(), removed)
    return removed

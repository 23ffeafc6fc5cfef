"""An incident's story, assembled from what the system already recorded, oldest first.

Why assembled rather than typed in: the duty officer is busy during an incident, and a record typed
afterwards is neither complete nor trustworthy. So the timeline is read from the journal itself:
the incident's status changes and notes, every transition and operator action of its alarms
(acknowledgements and alarm notes included, via :func:`app.alarms.queries.timeline`), the camera
snapshots attached to it, and the gate access events of its building's cameras while it was open
(from :data:`ACCESS_LEAD` before it began). Detections are not stored one by one; what a camera rule
made of them is an alarm (source ``camera:<id>/zone:<name>``) and arrives with the alarms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alarms.queries import timeline as alarm_timeline
from models.alarms import AlarmOccurrence
from models.incidents import Incident, IncidentAlarm, IncidentNote, IncidentStatusChange
from models.site import Camera
from models.users import User
from models.video import Snapshot
from models.vision import AccessEvent

ACCESS_LEAD = timedelta(minutes=10)
"""Access events this long before an incident began belong to its story (who drove in just before)."""


@dataclass(frozen=True)
class Entry:
    """One line of the timeline. ``kind``: status, note, alarm, action, snapshot."""

    at: datetime
    kind: str
    what: str
    by: str | None
    text: str = ""
    alarm_id: int | None = None
    snapshot_id: int | None = None
    plate: str | None = None
    """The normalised plate of an access entry: the incident's own plates stay legible in print."""

    def json_row(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "what": self.what,
            "by": self.by,
            "text": self.text,
            "alarm_id": self.alarm_id,
            "snapshot_id": self.snapshot_id,
        }


_KIND_ORDER = {"status": 0, "alarm": 1, "action": 2, "access": 3, "snapshot": 4, "note": 5}


def alarm_ids(session: Session, incident_id: int) -> list[int]:
    return list(
        session.scalars(
            select(IncidentAlarm.occurrence_id)
            .where(IncidentAlarm.incident_id == incident_id)
            .order_by(IncidentAlarm.occurrence_id)
        )
    )


def snapshots(session: Session, incident_id: int) -> list[Snapshot]:
    """The snapshots attached to the incident, oldest first."""
    return list(
        session.scalars(
            select(Snapshot).where(Snapshot.incident_id == incident_id).order_by(Snapshot.taken_at)
        )
    )


def assemble(session: Session, incident_id: int) -> list[Entry]:
    """Every recorded event of the incident, oldest first (ties: status, alarm, action, access,
    snapshot, note)."""
    out: list[Entry] = []
    for change in session.scalars(
        select(IncidentStatusChange).where(IncidentStatusChange.incident_id == incident_id)
    ):
        what = f"{change.from_status} → {change.to_status}" if change.from_status else change.to_status
        out.append(Entry(change.at, "status", what, change.by_name or None, change.reason))
    for occ_id in alarm_ids(session, incident_id):
        occ = session.get(AlarmOccurrence, occ_id)
        label = occ.alarm_key if occ is not None else str(occ_id)
        for t in alarm_timeline(session, occ_id):
            if t.kind == "transition":
                what = f"{label}: {t.from_state} → {t.to_state}"
                out.append(Entry(t.at, "alarm", what, t.by, t.text, alarm_id=occ_id))
            else:
                out.append(Entry(t.at, "action", f"{label}: {t.what}", t.by, t.text, alarm_id=occ_id))
    notes = session.execute(
        select(IncidentNote, User.name)
        .outerjoin(User, User.id == IncidentNote.author_id)
        .where(IncidentNote.incident_id == incident_id)
    ).all()
    for note, name in notes:
        out.append(Entry(note.at, "note", "note", name, note.text))
    for snap in snapshots(session, incident_id):
        out.append(
            Entry(
                snap.taken_at, "snapshot", snap.camera, snap.user_name or None, snap.path, snapshot_id=snap.id
            )
        )
    out.extend(access_entries(session, incident_id, [e.at for e in out if e.kind == "alarm"]))
    out.sort(key=lambda e: (e.at, _KIND_ORDER.get(e.kind, 9)))
    return out


def access_entries(session: Session, incident_id: int, alarm_times: list[datetime]) -> list[Entry]:
    """Gate access events of the incident's building's cameras from :data:`ACCESS_LEAD` before the
    incident (or its first alarm) began until it closed (no end while it is open)."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.building_id is None:
        return []
    start = min([incident.opened_at, *alarm_times]) - ACCESS_LEAD
    query = (
        select(AccessEvent)
        .join(Camera, Camera.key == AccessEvent.camera)
        .where(Camera.building_id == incident.building_id, AccessEvent.seen_at >= start)
        .order_by(AccessEvent.seen_at, AccessEvent.id)
    )
    if incident.closed_at is not None:
        query = query.where(AccessEvent.seen_at <= incident.closed_at)
    rows = session.execute(query).scalars()
    return [
        Entry(
            event.seen_at,
            "access",
            f"{event.camera}: {event.plate}",
            None,
            event.status,
            snapshot_id=event.snapshot_id,
            plate=event.plate,
        )
        for event in rows
    ]

"""An incident's story, assembled from what the system already recorded, oldest first.

Why assembled rather than typed in: the duty officer is busy during an incident, and a record typed
afterwards is neither complete nor trustworthy. So the timeline is read from the journal itself:
the incident's status changes and notes, every transition and operator action of its alarms
(acknowledgements and alarm notes included, via :func:`app.alarms.queries.timeline`), and the camera
snapshots attached to it. Detections and access events of the building's cameras join here when the
vision issue's tables exist (one more source in :func:`assemble`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alarms.queries import timeline as alarm_timeline
from models.alarms import AlarmOccurrence
from models.incidents import IncidentAlarm, IncidentNote, IncidentStatusChange
from models.users import User
from models.video import Snapshot


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


_KIND_ORDER = {"status": 0, "alarm": 1, "action": 2, "snapshot": 3, "note": 4}


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
    """Every recorded event of the incident, oldest first (ties: status, alarm, action, snapshot, note)."""
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
    out.sort(key=lambda e: (e.at, _KIND_ORDER.get(e.kind, 9)))
    return out

"""Incidents as the duty officer works them: create, change status, note, attach, assign a team.

The console and ``wardroom incidents`` call this one service, so both apply the same rules: who may
(the permissions table, checked here even where the GUI hid a button), which status moves are legal
(:mod:`app.incidents.workflow`), and that every change, its history row and its audit row are written
in ONE transaction. Every refusal raises :class:`IncidentRefused` with words for the operator, after
an ``incident.<verb>-refused`` audit row written in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import Action, PermissionRefused, require
from app.auth.users import UserInfo
from app.events import utcnow
from app.incidents.workflow import MoveRefused, check
from app.storage.database import Database
from models.alarms import PRIORITIES, AlarmOccurrence
from models.incidents import Incident, IncidentAlarm, IncidentNote, IncidentStatusChange
from models.people import DutyTeam
from models.site import Building
from models.video import Snapshot

T = TypeVar("T")
MAX_TITLE = 200
MAX_NOTE = 10_000


class IncidentRefused(Exception):
    """Nothing was changed; ``reason`` says why in a duty officer's words (already audited)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refusal(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IncidentRow:
    """One incident as ``incidents list`` and the incident list page show it."""

    id: int
    title: str
    status: str
    priority: str
    building: str | None
    opened_at: datetime
    opened_by: str | None
    closed_at: datetime | None
    alarm_ids: tuple[int, ...]
    duty_team: str | None = None
    description: str = ""

    def json_row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "building": self.building,
            "opened_at": self.opened_at.isoformat(),
            "opened_by": self.opened_by,
            "closed_at": self.closed_at.isoformat() if self.closed_at is not None else None,
            "alarm_ids": list(self.alarm_ids),
            "duty_team": self.duty_team,
        }


def _row(session: Session, inc: Incident) -> IncidentRow:
    alarm_ids = tuple(
        session.scalars(
            select(IncidentAlarm.occurrence_id)
            .where(IncidentAlarm.incident_id == inc.id)
            .order_by(IncidentAlarm.occurrence_id)
        )
    )
    return IncidentRow(
        id=inc.id,
        title=inc.title,
        status=inc.status,
        priority=inc.priority,
        building=inc.building.key if inc.building is not None else None,
        opened_at=inc.opened_at,
        opened_by=inc.opened_by.name if inc.opened_by is not None else None,
        closed_at=inc.closed_at,
        alarm_ids=alarm_ids,
        duty_team=inc.duty_team.name if inc.duty_team is not None else None,
        description=inc.description,
    )


def list_incidents(session: Session, status: str | None = None) -> list[IncidentRow]:
    """Every incident, newest first (``status`` narrows to one status)."""
    query = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
    if status is not None:
        query = query.where(Incident.status == status)
    return [_row(session, inc) for inc in session.scalars(query)]


def get_incident(session: Session, incident_id: int) -> IncidentRow | None:
    inc = session.get(Incident, incident_id)
    return _row(session, inc) if inc is not None else None


def _highest(priorities: Sequence[str]) -> str:
    return min(priorities, key=PRIORITIES.index) if priorities else "medium"


class IncidentService:
    """Writes incidents through the database's writer; reads use ``db.session()``."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------ actions
    def create(
        self,
        user: UserInfo,
        title: str,
        *,
        alarm_ids: Sequence[int] = (),
        building: str | None = None,
        description: str = "",
        team: str | None = None,
    ) -> IncidentRow:
        """A new incident (status ``new``) from these alarms (or none: by hand).

        The building is ``building`` (a site-file id) if given, else the first alarm's; the priority
        is the highest of the alarms' (``medium`` by hand).
        """
        self._permit(user, "create", Action.INCIDENT_CREATE, title[:80])
        title = title.strip()
        if not title:
            self._refuse(user, "create", "", "an incident needs a title (--title TEXT)")
        if len(title) > MAX_TITLE:
            self._refuse(user, "create", title[:80], f"the title is longer than {MAX_TITLE} characters")

        def write(session: Session) -> IncidentRow:
            at = self.clock()
            occs: list[AlarmOccurrence] = []
            for occ_id in dict.fromkeys(alarm_ids):
                occ = session.get(AlarmOccurrence, occ_id)
                if occ is None:
                    raise _Refusal(f"alarm {occ_id} does not exist (see 'wardroom alarms list')")
                occs.append(occ)
            building_key = building or next((o.building for o in occs if o.building), None)
            building_row = self._building(session, building_key) if building_key else None
            inc = Incident(
                title=title,
                description=description,
                status="new",
                priority=_highest([o.priority for o in occs]),
                opened_at=at,
                opened_by_id=user.id,
                building_id=building_row.id if building_row is not None else None,
                duty_team_id=self._team(session, team).id if team else None,
            )
            session.add(inc)
            session.flush()
            for occ in occs:
                session.add(IncidentAlarm(incident_id=inc.id, occurrence_id=occ.id, linked_at=at))
            session.add(
                IncidentStatusChange(
                    incident_id=inc.id,
                    at=at,
                    from_status=None,
                    to_status="new",
                    by_user_id=user.id,
                    by_name=user.name,
                )
            )
            session.flush()
            details: dict[str, Any] = {"title": title, "alarms": [o.id for o in occs]}
            if building_key:
                details["building"] = building_key
            if team:
                details["team"] = team
            audit.append(session, user.name, "incident.create", target=f"incident:{inc.id}", details=details)
            session.refresh(inc)
            return _row(session, inc)

        return self._write(user, "create", title[:80], write)

    def set_status(self, user: UserInfo, incident_id: int, to: str, reason: str = "") -> IncidentRow:
        """Move the incident to ``to`` if the workflow allows it for this user; history and audit."""
        target = f"incident:{incident_id}"
        self._permit(user, "status", Action.INCIDENT_STATUS, target)

        def write(session: Session) -> IncidentRow:
            inc = self._incident(session, incident_id)
            try:
                check(inc.status, to, user.role, reason)
            except MoveRefused as exc:
                raise _Refusal(str(exc)) from exc
            at = self.clock()
            before = inc.status
            inc.status = to
            if to == "closed":
                inc.closed_at, inc.closed_by_id = at, user.id
            elif before == "closed":
                inc.closed_at, inc.closed_by_id = None, None
            session.add(
                IncidentStatusChange(
                    incident_id=inc.id,
                    at=at,
                    from_status=before,
                    to_status=to,
                    by_user_id=user.id,
                    by_name=user.name,
                    reason=reason.strip(),
                )
            )
            session.flush()
            details: dict[str, Any] = {"from": before, "to": to}
            if reason.strip():
                details["reason"] = reason.strip()
            audit.append(session, user.name, "incident.status", target=target, details=details)
            return _row(session, inc)

        return self._write(user, "status", target, write, details={"to": to})

    def note(self, user: UserInfo, incident_id: int, text: str) -> int:
        """An operator's note on the incident; returns the note's id."""
        target = f"incident:{incident_id}"
        self._permit(user, "note", Action.INCIDENT_NOTE, target)
        text = text.strip()
        if not text:
            self._refuse(user, "note", target, "the note is empty")
        if len(text) > MAX_NOTE:
            self._refuse(user, "note", target, f"the note is longer than {MAX_NOTE} characters")

        def write(session: Session) -> int:
            self._incident(session, incident_id)
            note = IncidentNote(incident_id=incident_id, at=self.clock(), author_id=user.id, text=text)
            session.add(note)
            session.flush()
            audit.append(session, user.name, "incident.note", target=target, details={"note": note.id})
            return int(note.id)

        return self._write(user, "note", target, write)

    def attach_snapshot(self, user: UserInfo, incident_id: int, snapshot_id: int) -> None:
        """Keep a camera snapshot with the incident (and past the snapshots' retention)."""
        target = f"incident:{incident_id}"
        self._permit(user, "attach", Action.INCIDENT_NOTE, target)

        def write(session: Session) -> None:
            self._incident(session, incident_id)
            snap = session.get(Snapshot, snapshot_id)
            if snap is None:
                raise _Refusal(f"snapshot {snapshot_id} does not exist")
            if snap.incident_id not in (None, incident_id):
                raise _Refusal(f"snapshot {snapshot_id} already belongs to incident {snap.incident_id}")
            snap.incident_id = incident_id
            audit.append(
                session, user.name, "incident.attach", target=target, details={"snapshot": snapshot_id}
            )

        self._write(user, "attach", target, write)

    def link_alarms(self, user: UserInfo, incident_id: int, alarm_ids: Sequence[int]) -> IncidentRow:
        """Add alarm occurrences to an incident (the console's "add to incident")."""
        target = f"incident:{incident_id}"
        self._permit(user, "link", Action.INCIDENT_NOTE, target)

        def write(session: Session) -> IncidentRow:
            inc = self._incident(session, incident_id)
            have = set(
                session.scalars(
                    select(IncidentAlarm.occurrence_id).where(IncidentAlarm.incident_id == inc.id)
                )
            )
            added = []
            for occ_id in dict.fromkeys(alarm_ids):
                if session.get(AlarmOccurrence, occ_id) is None:
                    raise _Refusal(f"alarm {occ_id} does not exist (see 'wardroom alarms list')")
                if occ_id not in have:
                    session.add(
                        IncidentAlarm(incident_id=inc.id, occurrence_id=occ_id, linked_at=self.clock())
                    )
                    added.append(occ_id)
            session.flush()
            audit.append(session, user.name, "incident.link", target=target, details={"alarms": added})
            return _row(session, inc)

        return self._write(user, "link", target, write)

    def assign_team(self, user: UserInfo, incident_id: int, team: str) -> IncidentRow:
        """Assign the duty team that follows the incident up."""
        target = f"incident:{incident_id}"
        self._permit(user, "assign", Action.INCIDENT_STATUS, target)

        def write(session: Session) -> IncidentRow:
            inc = self._incident(session, incident_id)
            inc.duty_team_id = self._team(session, team).id
            session.flush()
            session.refresh(inc)
            audit.append(session, user.name, "incident.assign", target=target, details={"team": team})
            return _row(session, inc)

        return self._write(user, "assign", target, write)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _incident(session: Session, incident_id: int) -> Incident:
        inc = session.get(Incident, incident_id)
        if inc is None:
            raise _Refusal(f"incident {incident_id} does not exist (see 'wardroom incidents list')")
        return inc

    @staticmethod
    def _building(session: Session, key: str) -> Building:
        row = session.scalars(select(Building).where(Building.key == key)).one_or_none()
        if row is None:
            raise _Refusal(f"building '{key}' is not in the site file")
        return row

    @staticmethod
    def _team(session: Session, name: str) -> DutyTeam:
        row = session.scalars(select(DutyTeam).where(DutyTeam.name == name)).one_or_none()
        if row is None:
            raise _Refusal(f"there is no duty team named '{name}'")
        return row

    def _permit(self, user: UserInfo, verb: str, action: Action, target: str) -> None:
        try:
            require(user, action)
        except PermissionRefused as exc:
            self._refuse(user, verb, target, str(exc))

    def _refuse(
        self, user: UserInfo, verb: str, target: str, reason: str, details: dict[str, Any] | None = None
    ) -> NoReturn:
        row = {**(details or {}), "reason": reason}
        self.db.write(
            lambda s: audit.append(s, user.name, f"incident.{verb}-refused", target=target, details=row)
        )
        raise IncidentRefused(reason)

    def _write(
        self,
        user: UserInfo,
        verb: str,
        target: str,
        fn: Callable[[Session], T],
        details: dict[str, Any] | None = None,
    ) -> T:
        try:
            return self.db.write(fn)
        except _Refusal as refusal:
            self._refuse(user, verb, target, refusal.reason, details)

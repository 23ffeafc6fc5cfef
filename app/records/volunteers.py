"""Volunteers' service hours: approval by a supervisor, and totals that count approved hours only.

Totals are one ``GROUP BY`` over the covering index ``ix_service_hours_totals`` (approved, day,
volunteer, project, minutes): a year of a million rows is summed without touching the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import Action
from app.records.access import Viewer, require
from app.records.fields import mask_phone
from app.storage.database import Database
from models.base import utcnow
from models.people import ServiceHours, Volunteer, VolunteerProject
from models.users import User

BY = ("volunteer", "project")


@dataclass(frozen=True)
class Total:
    key: int | None
    name: str
    minutes: int
    entries: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    def json_row(self) -> dict[str, Any]:
        return {"id": self.key, "name": self.name, "hours": self.hours, "entries": self.entries}


def totals(session: Session, start: date, end: date, by: str = "volunteer") -> list[Total]:
    """Approved hours with ``start <= day < end`` per volunteer or per project, most hours first."""
    if by not in BY:
        raise ValueError(f"totals are by one of: {', '.join(BY)}")
    column = ServiceHours.volunteer_id if by == "volunteer" else ServiceHours.project_id
    sums = (
        select(column.label("key"), func.sum(ServiceHours.minutes).label("m"), func.count().label("n"))
        .where(ServiceHours.approved.is_(True), ServiceHours.served_on >= start, ServiceHours.served_on < end)
        .group_by(column)
        .subquery()
    )
    model: Any = Volunteer if by == "volunteer" else VolunteerProject
    query = select(sums.c.key, model.name, sums.c.m, sums.c.n).outerjoin(model, model.id == sums.c.key)
    out = [Total(k, name or "(no project)", int(m), int(n)) for k, name, m, n in session.execute(query)]
    return sorted(out, key=lambda t: (-t.minutes, t.name))


def total_minutes(session: Session, start: date, end: date) -> int:
    query = select(func.coalesce(func.sum(ServiceHours.minutes), 0)).where(
        ServiceHours.approved.is_(True), ServiceHours.served_on >= start, ServiceHours.served_on < end
    )
    return int(session.scalar(query) or 0)


class VolunteerService:
    def __init__(self, db: Database, viewer: Viewer) -> None:
        self.db = db
        self.viewer = viewer

    def rows(self, search: str = "", limit: int = 500) -> list[dict[str, Any]]:
        require(self.db, self.viewer, Action.RESIDENTS_VIEW, "volunteer.view-refused", "volunteers")
        query = select(Volunteer).order_by(Volunteer.id).limit(limit)
        if search.strip():
            query = query.where(Volunteer.name.like(f"%{search.strip()}%"))
        with self.db.session() as session:
            return [
                {
                    "id": v.id,
                    "name": v.name,
                    "phone": v.phone if self.viewer.unmasked else mask_phone(v.phone),
                    "resident_id": v.resident_id,
                    "skills": v.skills,
                    "joined_on": v.joined_on.isoformat() if v.joined_on else "",
                    "active": v.active,
                }
                for v in session.scalars(query)
            ]

    def totals(self, start: date, end: date, by: str = "volunteer") -> list[Total]:
        require(self.db, self.viewer, Action.RESIDENTS_VIEW, "volunteer.view-refused", "volunteer-hours")
        with self.db.session() as session:
            return totals(session, start, end, by)

    def approve(self, entry_ids: list[int]) -> int:
        """Approve unapproved entries (a supervisor's act, audited); returns how many changed."""
        require(
            self.db,
            self.viewer,
            Action.VOLUNTEER_HOURS_APPROVE,
            "volunteer-hours.approve-refused",
            "service-hours",
        )

        def write(session: Session) -> int:
            user_id = session.scalar(select(User.id).where(User.name == self.viewer.name))
            result = session.execute(
                update(ServiceHours)
                .where(ServiceHours.id.in_(entry_ids), ServiceHours.approved.is_(False))
                .values(approved=True, approved_by_id=user_id, approved_at=utcnow())
            )
            changed = int(getattr(result, "rowcount", 0) or 0)
            audit.append(
                session,
                self.viewer.name,
                "volunteer-hours.approve",
                "service-hours",
                {"entries": len(entry_ids), "approved": changed},
            )
            return changed

        return self.db.write(write)

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
from app.records.hours_summary import month_of, next_month, refresh
from app.storage.database import Database
from models.base import utcnow
from models.people import ServiceHours, ServiceHoursMonthly, Volunteer, VolunteerProject
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
    """Approved hours with ``start <= day < end`` per volunteer or per project, most hours first.

    Whole months come from ``service_hours_monthly``; the days of a partial first or last month
    from the entries themselves (an index range on the day).
    """
    if by not in BY:
        raise ValueError(f"totals are by one of: {', '.join(BY)}")
    sums: dict[int | None, list[int]] = {}

    def add(key: int | None, minutes: int, entries: int) -> None:
        cell = sums.setdefault(key, [0, 0])
        cell[0] += int(minutes)
        cell[1] += int(entries)

    first_full = start if start.day == 1 else next_month(start)
    end_full = month_of(end)
    raw_spans = [(start, end)]
    if first_full < end_full:
        raw_spans = [(start, first_full), (end_full, end)]
        key = ServiceHoursMonthly.volunteer_id if by == "volunteer" else ServiceHoursMonthly.project_key
        summary = (
            select(key, func.sum(ServiceHoursMonthly.minutes), func.sum(ServiceHoursMonthly.entries))
            .where(ServiceHoursMonthly.month >= first_full, ServiceHoursMonthly.month < end_full)
            .group_by(key)
        )
        for k, m, n in session.execute(summary):
            add(k if by == "volunteer" or k else None, m, n)
    column: Any = ServiceHours.volunteer_id if by == "volunteer" else ServiceHours.project_id
    for a, b in raw_spans:
        if a >= b:
            continue
        raw = (
            select(column, func.sum(ServiceHours.minutes), func.count())
            .where(ServiceHours.approved.is_(True), ServiceHours.served_on >= a, ServiceHours.served_on < b)
            .group_by(column)
        )
        for key_value, m, n in session.execute(raw):
            add(key_value, m, n)
    model: Any = Volunteer if by == "volunteer" else VolunteerProject
    # Every name at once: a ward has hundreds of volunteers and a few projects, and one plain read
    # is far cheaper than binding thousands of ids into an IN list (48 ms on PostgreSQL for 2,000).
    names: dict[int, str] = {k: n for k, n in session.execute(select(model.id, model.name))}
    out = [
        Total(k, names.get(k, "") if k is not None else "(no project)", m, n) for k, (m, n) in sums.items()
    ]
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
            days = session.scalars(select(ServiceHours.served_on).where(ServiceHours.id.in_(entry_ids)))
            refresh(session, set(days))
            audit.append(
                session,
                self.viewer.name,
                "volunteer-hours.approve",
                "service-hours",
                {"entries": len(entry_ids), "approved": changed},
            )
            return changed

        return self.db.write(write)

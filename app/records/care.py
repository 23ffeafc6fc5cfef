"""Elderly care: residents of 60 and over, and the overdue-visit list for those who live alone.

A resident who lives alone (tag ``lives-alone``) is overdue when their last care record of kind
``visit`` is older than their care plan's interval (the site's ``[records] visit_interval_days`` when
they have no plan), or when they were never visited. Counted in site days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import Action
from app.records.access import Viewer, require
from app.records.fields import FieldError, age_on
from app.records.settings import ELDERLY_AGE, RecordsRules, load_rules
from app.storage.database import Database
from models.people import CarePlan, ElderlyCareRecord, Household, Resident
from models.site import Building


def born_by(today: date, years: int) -> date:
    """The latest birth date of someone who is ``years`` old on ``today``."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


@dataclass(frozen=True)
class Overdue:
    resident_id: int
    name: str
    building: str
    unit: str
    age: int | None
    last_visit: datetime | None
    interval_days: int
    days_overdue: int

    def json_row(self) -> dict[str, Any]:
        return {
            "id": self.resident_id,
            "name": self.name,
            "building": self.building,
            "unit": self.unit,
            "age": self.age,
            "last_visit": self.last_visit.isoformat() if self.last_visit else None,
            "interval_days": self.interval_days,
            "days_overdue": self.days_overdue,
        }


def overdue_visits(session: Session, now: datetime, rules: RecordsRules | None = None) -> list[Overdue]:
    """Residents living alone without a visit within their interval, the most overdue first."""
    rules = rules or load_rules(session)
    today = rules.today(now)
    last_visit = (
        select(ElderlyCareRecord.resident_id, func.max(ElderlyCareRecord.at).label("last"))
        .where(ElderlyCareRecord.kind == "visit", ElderlyCareRecord.at <= now)
        .group_by(ElderlyCareRecord.resident_id)
        .subquery()
    )
    query = (
        select(Resident, CarePlan.visit_interval_days, last_visit.c.last, Building.key, Household.unit)
        .outerjoin(CarePlan, (CarePlan.resident_id == Resident.id) & CarePlan.active.is_(True))
        .outerjoin(last_visit, last_visit.c.resident_id == Resident.id)
        .outerjoin(Household, Resident.household_id == Household.id)
        .outerjoin(Building, Household.building_id == Building.id)
        .where(Resident.tags.like("%;lives-alone;%"), Resident.moved_out.is_(None))
    )
    out: list[Overdue] = []
    for resident, interval, last, building, unit in session.execute(query):
        days = int(interval or rules.visit_interval_days)
        if last is not None:
            last_day = last.astimezone(rules.zone()).date()
            due = last_day + timedelta(days=days)
            if due >= today:
                continue
            late = (today - due).days
        else:
            late = days  # never visited: a whole interval late, at least
        out.append(
            Overdue(
                resident.id,
                resident.name,
                building or "",
                unit or "",
                age_on(resident.birth_date, today),
                last,
                days,
                late,
            )
        )
    return sorted(out, key=lambda o: (-o.days_overdue, o.resident_id))


def elderly_count(session: Session, today: date) -> int:
    """Current residents aged 60 and over."""
    query = select(func.count(Resident.id)).where(
        Resident.birth_date <= born_by(today, ELDERLY_AGE), Resident.moved_out.is_(None)
    )
    return int(session.scalar(query) or 0)


def set_care_plan(db: Database, viewer: Viewer, resident_id: int, every_days: int, notes: str = "") -> bool:
    """Create or change a resident's care plan (visit every ``every_days``); audited as
    ``care-plan.edit``. Returns True when a new plan was made."""
    target = f"resident:{resident_id}"
    require(db, viewer, Action.RECORDS_EDIT, "care-plan.edit-refused", target)
    if not 1 <= every_days <= 366:
        raise FieldError(f"a visit interval of {every_days} days is not between 1 and 366")

    def write(session: Session) -> bool:
        if session.get(Resident, resident_id) is None:
            raise LookupError(f"there is no resident with id {resident_id}")
        plan = session.scalar(select(CarePlan).where(CarePlan.resident_id == resident_id))
        created = plan is None
        if plan is None:
            plan = CarePlan(resident_id=resident_id, visit_interval_days=every_days, notes=notes)
            session.add(plan)
        else:
            plan.visit_interval_days = every_days
            plan.active = True
            if notes:
                plan.notes = notes
        session.flush()
        audit.append(
            session, viewer.name, "care-plan.edit", target, {"every_days": every_days, "new": created}
        )
        return created

    return db.write(write)

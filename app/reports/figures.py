"""The figures reports print that come from the records and the journal: plain functions over a session.

One place for each figure, so the shift report, the monthly summary and their tests agree:

- volunteer hours: the minutes of approved service entries in the period (whole minutes add up
  exactly), from the records service (:func:`app.records.volunteers.total_minutes`);
- elderly visits: care records of kind ``visit`` in the period;
- employment rate = employed ÷ (employed + seeking) at the end of the period, among residents of
  working age, as the records service defines it (:func:`app.records.employment.employment_rate`:
  ``training`` counts as seeking);
- the team on duty at a time T: the roster shifts with ``starts_at <= T < ends_at``;
- alarms counted by category or building (raised in the period).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.records.employment import EmploymentRate
from app.records.employment import employment_rate as records_employment_rate
from app.records.volunteers import total_minutes
from models.alarms import AlarmOccurrence
from models.people import DutyTeam, ElderlyCareRecord, RosterShift


def volunteer_minutes(session: Session, start: date, end: date) -> int:
    """Minutes of approved volunteer service with ``start <= served_on < end``."""
    return total_minutes(session, start, end)


def elderly_visits(session: Session, start: datetime, end: datetime) -> int:
    """Visits to elderly residents with ``start <= at < end``."""
    count = session.scalar(
        select(func.count())
        .select_from(ElderlyCareRecord)
        .where(ElderlyCareRecord.kind == "visit", ElderlyCareRecord.at >= start, ElderlyCareRecord.at < end)
    )
    return int(count or 0)


def employment(session: Session, start: date, end: date) -> EmploymentRate:
    """Employed and seeking at the end of ``[start, end)`` (site-local days), and the rate."""
    return records_employment_rate(session, start, end)


def teams_on_duty(session: Session, at: datetime) -> list[str]:
    """Names of the duty teams rostered at ``at`` (usually one)."""
    return list(
        session.scalars(
            select(DutyTeam.name)
            .join(RosterShift, RosterShift.team_id == DutyTeam.id)
            .where(RosterShift.starts_at <= at, RosterShift.ends_at > at)
            .order_by(DutyTeam.name)
        )
    )


def alarms_by_category(session: Session, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """(category, alarms raised) in the period, most first."""
    return _count_by(session, AlarmOccurrence.category, start, end)


def alarms_by_building(session: Session, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """(building id, alarms raised) in the period, most first; alarms without a building as "-"."""
    return _count_by(session, func.coalesce(AlarmOccurrence.building, "-"), start, end)


def _count_by(session: Session, column: object, start: datetime, end: datetime) -> list[tuple[str, int]]:
    rows = session.execute(
        select(column, func.count())  # type: ignore[call-overload]
        .where(AlarmOccurrence.raised_at >= start, AlarmOccurrence.raised_at < end)
        .group_by(column)
        .order_by(func.count().desc(), column)
    ).all()
    return [(str(label), int(n)) for label, n in rows]

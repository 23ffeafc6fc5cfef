"""The figures reports print that come from the records and the journal: plain functions over a session.

One place for each figure, so the shift report, the monthly summary and their tests agree:

- volunteer hours: the minutes of service entries in the period (whole minutes add up exactly);
  when the records issue adds approval, only approved entries count (the lead points this at the
  records service);
- elderly visits: care records of kind ``visit`` in the period;
- employment rate = employed ÷ (employed + seeking), over each resident's latest employment record
  up to the end of the period (``placed`` is employed; ``training`` and ``ended`` count in neither);
- the team on duty at a time T: the roster shifts with ``starts_at <= T < ends_at``;
- alarms counted by category or building (raised in the period).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.alarms import AlarmOccurrence
from models.people import DutyTeam, ElderlyCareRecord, EmploymentRecord, RosterShift, ServiceHours

EMPLOYED = "placed"
SEEKING = "seeking"


def volunteer_minutes(session: Session, start: date, end: date) -> int:
    """Minutes of volunteer service with ``start <= served_on < end``."""
    total = session.scalar(
        select(func.coalesce(func.sum(ServiceHours.minutes), 0)).where(
            ServiceHours.served_on >= start, ServiceHours.served_on < end
        )
    )
    return int(total or 0)


def elderly_visits(session: Session, start: datetime, end: datetime) -> int:
    """Visits to elderly residents with ``start <= at < end``."""
    count = session.scalar(
        select(func.count())
        .select_from(ElderlyCareRecord)
        .where(ElderlyCareRecord.kind == "visit", ElderlyCareRecord.at >= start, ElderlyCareRecord.at < end)
    )
    return int(count or 0)


def employment_counts(session: Session, end: datetime) -> tuple[int, int]:
    """(employed, seeking) over each resident's latest record made before ``end``."""
    latest = (
        select(EmploymentRecord.resident_id, func.max(EmploymentRecord.id).label("id"))
        .where(EmploymentRecord.recorded_at < end)
        .group_by(EmploymentRecord.resident_id)
        .subquery()
    )
    statuses = session.scalars(
        select(EmploymentRecord.status).join(latest, latest.c.id == EmploymentRecord.id)
    ).all()
    return sum(1 for s in statuses if s == EMPLOYED), sum(1 for s in statuses if s == SEEKING)


def employment_rate(session: Session, end: datetime) -> float | None:
    """employed ÷ (employed + seeking); None when nobody is in either group."""
    employed, seeking = employment_counts(session, end)
    return employed / (employed + seeking) if employed + seeking else None


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

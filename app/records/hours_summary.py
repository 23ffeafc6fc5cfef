"""Keeping ``service_hours_monthly`` (approved minutes per month, volunteer, project) true.

Every write of service hours marks the months it touched, and those months' summary rows are rebuilt
from the entries before the transaction commits: bulk writers (import, demo) call :func:`refresh`
themselves; ORM writes are caught by a ``before_commit`` hook on every session. A month is rebuilt whole
(``DELETE`` + ``INSERT ... SELECT ... GROUP BY``) rather than adjusted, so the summary cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, event, func, insert, literal, select
from sqlalchemy.orm import Session

from models.people import ServiceHours, ServiceHoursMonthly

PENDING = "wardroom.records.hours_months"


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def refresh(session: Session, days: Iterable[date]) -> None:
    """Rebuild the summary rows of every month holding one of ``days``."""
    for month in sorted({month_of(d) for d in days}):
        session.execute(delete(ServiceHoursMonthly).where(ServiceHoursMonthly.month == month))
        project = func.coalesce(ServiceHours.project_id, 0)
        source = (
            select(
                literal(month, ServiceHoursMonthly.month.type),
                ServiceHours.volunteer_id,
                project,
                func.sum(ServiceHours.minutes),
                func.count(),
            )
            .where(
                ServiceHours.approved.is_(True),
                ServiceHours.served_on >= month,
                ServiceHours.served_on < next_month(month),
            )
            .group_by(ServiceHours.volunteer_id, project)
        )
        session.execute(
            insert(ServiceHoursMonthly).from_select(
                ["month", "volunteer_id", "project_key", "minutes", "entries"], source
            )
        )


def _remember(session: Session, _context: object, _instances: object) -> None:
    days: set[date] = session.info.setdefault(PENDING, set())
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, ServiceHours) and obj.served_on is not None:
            days.add(obj.served_on)


def _before_commit(session: Session) -> None:
    session.flush()
    days = session.info.pop(PENDING, None)
    if days:
        refresh(session, days)
        session.flush()


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


event.listen(Session, "before_flush", _remember)
event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_soft_rollback", lambda session, _previous: _after_rollback(session))

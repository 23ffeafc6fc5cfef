"""Sensor-trend excerpts around an incident, from the historian.

Which points: those whose alarms the incident holds (the pressure that fell, the temperature that
rose). Which window: from ``before`` ahead of the first alarm to ``after`` past the last change
(capped at ``now``), so the chart shows the value leading up to the alarm and its recovery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.historian.query import TrendSeries, trend
from app.incidents.timeline import alarm_ids
from models.alarms import AlarmDefinition, AlarmOccurrence, AlarmTransition
from models.site import Point

BEFORE = timedelta(minutes=10)
AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class TrendExcerpt:
    point_key: str
    unit: str
    series: TrendSeries


def excerpts(
    session: Session,
    incident_id: int,
    now: datetime,
    *,
    before: timedelta = BEFORE,
    after: timedelta = AFTER,
    max_points: int = 600,
) -> list[TrendExcerpt]:
    """One trend per point of the incident's alarms, over the incident's window."""
    ids = alarm_ids(session, incident_id)
    if not ids:
        return []
    first = session.scalar(select(func.min(AlarmOccurrence.raised_at)).where(AlarmOccurrence.id.in_(ids)))
    last = session.scalar(select(func.max(AlarmTransition.at)).where(AlarmTransition.occurrence_id.in_(ids)))
    if first is None:
        return []
    start = first - before
    end = min(now, (last or first) + after)
    points = session.execute(
        select(Point.id, Point.key, Point.unit)
        .join(AlarmDefinition, AlarmDefinition.point_id == Point.id)
        .join(AlarmOccurrence, AlarmOccurrence.definition_id == AlarmDefinition.id)
        .where(AlarmOccurrence.id.in_(ids))
        .distinct()
        .order_by(Point.key)
    ).all()
    return [
        TrendExcerpt(key, unit, trend(session, key, pid, start, end, max_points)) for pid, key, unit in points
    ]

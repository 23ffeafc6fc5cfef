"""From a site point and its latest reading to what a gauge shows (plain data, no widgets).

Kept apart from the page so the rules are plain functions a test can call: which gauge a point gets,
which limits its scale draws, and when it is shown *in alarm*.

The alarm mark comes from the alarm engine: a point is in alarm while one of its ``<point>/<limit>``
alarms is open and not shelved, suppressed or out of service, named by the most severe such limit
(:class:`PointMark`, worked out by ``ui.pages.alarm_rows.point_marks`` from the engine's views). Only
without the engine (no database, so no journal) does the gauge fall back to the plain limit comparison
of :mod:`app.alarms.limits`, so a sprinkler main below its low limit is never shown calm; that
comparison raises nothing, and a value that is not live is never shown in alarm by it. The gauge
receives the limit's name as plain data (``GaugeState.alarm_limit``): widgets do not decide it.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, replace

from app.alarms.limits import limit_beyond as _limit_beyond
from app.alarms.limits import reading_beyond
from app.fieldbus.quality import PointReading
from app.site.schema import NUMERIC_LIMITS, Point
from widgets.gauge_state import GaugeState

_ID_PARTS = re.compile(r"[._\-\s]+")


@dataclass(frozen=True, slots=True)
class PointMark:
    """What a gauge shows of its point's open limit alarm: the limit and that alarm's priority."""

    limit: str
    priority: str


def point_label(point_id: str) -> str:
    """A readable title for a point: the site file has ids but no names for points.

    ``b3.sprinkler.pressure`` reads "B3 sprinkler pressure": the id's parts as words, a short part
    with a digit (a building or floor code like ``b3``, ``f2``) in capitals, the first letter capital.
    The id itself stays available (the gauge's tooltip) because that is what a technician searches for.
    """
    words = []
    for part in _ID_PARTS.split(point_id.strip()):
        if not part:
            continue
        words.append(part.upper() if len(part) <= 4 and any(c.isdigit() for c in part) else part)
    if not words:
        return point_id
    text = " ".join(words)
    return text[0].upper() + text[1:]


def is_binary(point: Point) -> bool:
    """A ``bool`` point is a contact: a lamp, whatever its kind (a heat *detector* is not a thermometer)."""
    return point.type == "bool"


def numeric_limits(point: Point) -> list[tuple[str, float]]:
    """The limits a scale or a trend can draw: (kind, value) for high-high/high/low/low-low."""
    return [
        (alarm.limit, float(alarm.value))
        for alarm in point.alarms
        if alarm.limit in NUMERIC_LIMITS and alarm.value is not None and math.isfinite(alarm.value)
    ]


def value_range(point: Point) -> tuple[float, float] | None:
    """The value axis of the point's trend: its gauge range, 0..1 for a contact, else None (auto)."""
    if is_binary(point):
        return (0.0, 1.0)
    return point.range


def limit_beyond(point: Point, value: float | bool | None) -> str | None:
    """The most severe alarm limit of ``point`` that ``value`` is at or beyond, or None."""
    return _limit_beyond(value, _limits_of(point), binary=is_binary(point))


def _limits_of(point: Point) -> list[tuple[str, float | None]]:
    return [(alarm.limit, alarm.value) for alarm in point.alarms]


def reading_limit(point: Point, reading: PointReading | None) -> str | None:
    """The limit the point's reading is beyond, when the reading is live (the banner counts these)."""
    if reading is None:
        return None
    return reading_beyond(reading.quality, reading.value, _limits_of(point), binary=is_binary(point))


def with_mark(state: GaugeState, mark: PointMark | None) -> GaugeState:
    """The state with the engine's alarm mark (None: not in alarm)."""
    return replace(
        state,
        alarm_active=mark is not None,
        alarm_priority=None if mark is None else mark.priority,
        alarm_limit=None if mark is None else mark.limit,
    )


def gauge_state(
    point: Point,
    reading: PointReading | None,
    now: float | None = None,
    *,
    engine: bool = False,
    mark: PointMark | None = None,
) -> GaugeState:
    """What the point's gauge shows for ``reading`` (None: not read yet).

    ``engine``: the alarm mark is ``mark`` (the engine's); otherwise the plain limit comparison.
    """
    if reading is None:
        state = GaugeState(
            unit=point.unit, range=point.range, limits=numeric_limits(point), label=point_label(point.id)
        )
        return with_mark(state, mark) if engine else state
    age_ms = reading.age_ms(time.time() if now is None else now)
    beyond = None if engine else reading_limit(point, reading)
    state = GaugeState(
        value=reading.value,
        unit=point.unit,
        quality=reading.quality,
        age_s=None if age_ms is None else age_ms / 1000.0,
        range=point.range,
        limits=numeric_limits(point),
        label=point_label(point.id),
        alarm_active=beyond is not None,
        alarm_priority=alarm_priority(point, beyond),
        alarm_limit=beyond,
    )
    return with_mark(state, mark) if engine else state


def alarm_priority(point: Point, limit: str | None) -> str | None:
    """The site file's priority of the alarm at ``limit`` (the gauge takes that priority's colour)."""
    if limit is None:
        return None
    return next((alarm.priority for alarm in point.alarms if alarm.limit == limit), None)


def same_look(old: GaugeState | None, new: GaugeState) -> bool:
    """Whether a new snapshot would draw exactly like the old one, whatever its age.

    The gauge keeps a failed value's age counting by itself from the snapshot it has, and a live
    value's age is not drawn at all, so the 1 Hz refresh need not repaint every steady gauge.
    """
    return old is not None and replace(new, age_s=old.age_s) == old

"""Point readings and their quality.

A fire-safety screen must never show a stale value as if it were live, so every reading carries its
quality and the wall time of its last good value. A reading that is not ``good`` keeps the last good
value (so an operator can still see "0.42 MPa, 37 s old, PLC not answering"), but consumers must
check ``quality`` before treating it as current.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from app.fieldbus.codec import Raw

Quality = Literal["good", "comm-fail", "stale", "bad-config", "out-of-range", "never-read"]
QUALITIES: tuple[str, ...] = ("good", "comm-fail", "stale", "bad-config", "out-of-range", "never-read")
LIVE_QUALITIES: frozenset[str] = frozenset({"good", "out-of-range"})
"""Qualities whose value is a current reading of the sensor (out-of-range: real, but off the scale)."""
STALE_PERIODS = 3  # a point with no good read for this many poll periods turns stale


@dataclass(frozen=True, slots=True)
class PointReading:
    """The latest published state of one point (immutable: safe to hand to any thread).

    ``value`` is in engineering units (``raw * scale + offset``; bools stay bools), None if never read.
    ``last_good_at`` is wall-clock (``time.time()``) of the last good read, so an age survives being
    shown in another process; ``error`` says in plain words why the point is not good.
    """

    point_id: str
    value: float | bool | None
    raw: Raw | None
    quality: Quality
    last_good_at: float | None
    error: str = ""

    @property
    def is_good(self) -> bool:
        return self.quality == "good"

    def age_ms(self, now: float | None = None) -> int | None:
        """Milliseconds since the last good read (None if never read)."""
        if self.last_good_at is None:
            return None
        current = time.time() if now is None else now
        return max(0, round((current - self.last_good_at) * 1000))


def never_read(point_id: str) -> PointReading:
    return PointReading(point_id, None, None, "never-read", None, "not read yet")


def crosses_deadband(old: float | bool | None, new: float | bool | None, deadband: float) -> bool:
    """Whether ``new`` differs enough from the last *published* ``old`` to be published.

    Changes smaller than ``deadband`` are not published (they would flood the bus and the historian);
    a change of exactly ``deadband`` is. Bools and first values always count.
    """
    if old is None or new is None or isinstance(old, bool) or isinstance(new, bool):
        return old != new
    change = abs(new - old)
    return change > 0 and change >= deadband


def range_error(value: float | bool, limits: tuple[float, float] | None, unit: str) -> str:
    """Plain-words reason if ``value`` lies outside the point's gauge range, else ''."""
    if limits is None or isinstance(value, bool):
        return ""
    low, high = limits
    if low <= value <= high:
        return ""
    suffix = f" {unit}" if unit else ""
    return f"value {value:g}{suffix} is outside the range {low:g} to {high:g}{suffix}"

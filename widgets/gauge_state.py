"""Plain data for the sensor gauges, and the pure arithmetic they share (no Qt here).

The Sensors page hands each gauge a :class:`GaugeState`, a snapshot in plain Python types, so the
widgets never see the poller, the database or a model object (``widgets/`` must not import ``app`` or
``models``). The arithmetic (where a value sits on a scale, where a limit mark goes on the dial, how
an age reads) lives here as pure functions so tests can check the geometry without reading pixels,
and so each gauge draws with the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Quality = Literal["good", "comm-fail", "stale", "bad-config", "out-of-range", "never-read"]
LimitKind = Literal["high-high", "high", "low", "low-low"]

QUALITIES: tuple[str, ...] = ("good", "comm-fail", "stale", "bad-config", "out-of-range", "never-read")
# Qualities whose value is not live: drawn greyed and hatched (the issue: never shown as if live).
HATCHED: frozenset[str] = frozenset({"comm-fail", "stale", "bad-config"})
LIMIT_SHORT: dict[str, str] = {"high-high": "HH", "high": "H", "low": "L", "low-low": "LL"}

# The dial's scale: a 270° arc opening at the bottom, in Qt's convention (degrees counter-clockwise
# from 3 o'clock), so the low end sits at lower left and the high end at lower right.
DIAL_START_DEG = 225.0
DIAL_SPAN_DEG = 270.0


@dataclass(frozen=True)
class GaugeState:
    """One point's snapshot as a gauge shows it.

    ``value`` is in engineering units (a bool for binary inputs, None if never read); ``age_s`` is how
    old that value is (None if never read); ``range`` is the scale (lo, hi); ``limits`` are the alarm
    limits as (kind, value) with kind one of high-high/high/low/low-low (other kinds are ignored);
    ``alarm_active`` says the alarm system (not the gauge) considers this point in alarm.
    """

    value: float | bool | None = None
    unit: str = ""
    quality: Quality = "never-read"
    age_s: float | None = None
    range: tuple[float, float] | None = None
    limits: Sequence[tuple[str, float]] = ()
    label: str = ""
    alarm_active: bool = False


def scale_of(state: GaugeState) -> tuple[float, float]:
    """The scale to draw: the point's range, or a fallback that still shows the value and limits.

    A point without a range still needs a readable scale; 0..max(limits, value) rounded up is what an
    operator would sketch, and it never moves with every sample (which would make the needle lie).
    """
    if state.range is not None and math.isfinite(state.range[0]) and math.isfinite(state.range[1]):
        lo, hi = float(state.range[0]), float(state.range[1])
        if hi < lo:
            lo, hi = hi, lo
        if hi > lo:
            return lo, hi
        return lo, lo + 1.0
    candidates = [v for _, v in numeric_limits(state)]
    lo = min([0.0, *candidates])
    top = max([1.0, *candidates])
    step = nice_step(top - lo, 4)
    return lo, math.ceil(top * 1.25 / step) * step


def numeric_limits(state: GaugeState) -> list[tuple[str, float]]:
    """The limits a scale can show: known kinds with finite values (on/off limits are for lamps)."""
    return [(kind, float(v)) for kind, v in state.limits if kind in LIMIT_SHORT and math.isfinite(v)]


def fraction(value: float, lo: float, hi: float) -> float:
    """Where ``value`` sits on the scale, 0..1, clamped (out-of-range values pin to an end)."""
    if not math.isfinite(value) or hi <= lo:
        return 0.0
    return min(1.0, max(0.0, (value - lo) / (hi - lo)))


def clamp_side(value: float, lo: float, hi: float) -> Literal["low", "high"] | None:
    """Which end a value was clamped to, if any (the gauge draws a marker there)."""
    if value < lo:
        return "low"
    if value > hi:
        return "high"
    return None


def dial_angle(value: float, lo: float, hi: float) -> float:
    """The dial angle (degrees, Qt convention) of ``value``: 225° at ``lo`` down to -45° at ``hi``."""
    return DIAL_START_DEG - DIAL_SPAN_DEG * fraction(value, lo, hi)


def polar(cx: float, cy: float, radius: float, angle_deg: float) -> tuple[float, float]:
    """The point at ``angle_deg`` (counter-clockwise from 3 o'clock) on a circle; y grows downwards."""
    rad = math.radians(angle_deg)
    return cx + radius * math.cos(rad), cy - radius * math.sin(rad)


# Radii of the dial's parts as fractions of its radius (shared by painting and tests).
DIAL_SCALE_R = 0.92  # the scale line
DIAL_BAND_R = 0.86  # the alarm-zone band, inside the scale line
DIAL_TICK_R = 0.80  # inner end of major ticks
DIAL_MARK_INNER_R = 0.76  # limit marks run across the scale from here ...
DIAL_MARK_OUTER_R = 1.0  # ... to here
DIAL_NEEDLE_R = 0.84


def dial_frame(left: float, top: float, width: float, height: float) -> tuple[float, float, float]:
    """Centre and radius of the dial inside a body rectangle.

    The 270° arc is open at the bottom, so it needs only ``(1 + sin 45°)·r`` of height; centring that
    (rather than a full circle) makes the dial as large as the card allows. A margin of 15 % of the
    radius is kept for the limit labels outside the arc.
    """
    extent = 1.0 + math.sin(math.radians(45.0))
    radius = max(4.0, min(width / 2.0, height / extent) / 1.15)
    cx = left + width / 2.0
    cy = top + (height - extent * radius) / 2.0 + radius
    return cx, cy, radius


def nice_step(span: float, divisions: int) -> float:
    """A 1/2/5×10ⁿ step that cuts ``span`` into about ``divisions`` parts (readable tick labels)."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, divisions)
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= multiple * power:
            return multiple * power
    return 10.0 * power


def nice_ticks(lo: float, hi: float, divisions: int = 5, min_gap: float = 0.5) -> list[float]:
    """Tick values on ``[lo, hi]`` at a nice step, always including both ends of the scale.

    Interior ticks closer than ``min_gap`` steps to an end are dropped so their labels do not overlap
    the end's label (the ends matter most: they say what the scale spans).
    """
    step = nice_step(hi - lo, divisions)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = [lo]
    count = 0
    value = first
    while value < hi - step * min_gap and count < 100:
        if value > lo + step * min_gap:
            ticks.append(value)
        value += step
        count += 1
    ticks.append(hi)
    return ticks


def decimals_for(lo: float, hi: float) -> int:
    """How many decimals a reading on this scale deserves: enough to see it move, no more."""
    span = abs(hi - lo)
    if span >= 100:
        return 0
    if span >= 10:
        return 1
    return 2


def format_number(value: float, decimals: int) -> str:
    """A number with fixed decimals; never "-0.0", which reads like a fault that is not there."""
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


def format_age(age_s: float) -> str:
    """An age as an operator reads it: ``00:42``, ``12:05``, ``3:07:09``, ``2 d 04:00``."""
    seconds = max(0, int(age_s))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours:02d}:{minutes:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def numeric(value: float | bool | None) -> float | None:
    """The value as a finite float, or None when there is nothing to place on a scale."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None

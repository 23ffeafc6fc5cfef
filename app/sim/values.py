"""Engineering values to raw PLC data, for the simulators.

A simulator must serve exactly the words a real PLC would (same scaling, same encoding, same word
order), so it encodes through the pollers' own :mod:`app.fieldbus.codec` (one implementation, so the
two cannot drift apart); this module only adds what a simulated PLC needs on top (saturating at the
type's limits instead of refusing, bools in whole registers or bytes). The simulators also pick
*plausible* starting values: the demo should open calm, with every numeric point inside its gauge
range and clear of its alarm limits, and every bool in its normal (non-alarm) state.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from app.fieldbus import codec
from app.site.schema import Point

_LOW_LIMITS = ("low", "low-low")
_HIGH_LIMITS = ("high", "high-high")


def _scale(point: Point) -> float:
    """A zero scale would divide by zero; the loader should refuse it, but a simulator must not crash."""
    return point.scale if point.scale else 1.0


def to_raw(point: Point, value: float) -> codec.Raw:
    """The raw PLC value for an engineering value, via :func:`app.fieldbus.codec.to_raw`.

    The one thing the simulator adds: physics may push a value past what the type can hold (a tank
    overfilling in a drill), and a simulated PLC then serves the type's limit, as a real transmitter
    saturates, where the codec would refuse a write.
    """
    if point.type == "bool":
        return bool(value)
    scale = _scale(point)
    try:
        return codec.to_raw(float(value), point.type, scale, point.offset)
    except ValueError:
        pass
    raw = (float(value) - point.offset) / scale
    if math.isnan(raw):
        raw = 0.0
    if point.type == "float32":
        return min(max(raw, -codec.FLOAT32_MAX), codec.FLOAT32_MAX)
    lo, hi = codec.INT_LIMITS[point.type]
    return round(min(max(raw, lo), hi))


def from_raw(point: Point, raw: codec.Raw) -> float:
    """The engineering value a poller computes from a raw value (raw * scale + offset)."""
    if point.type == "bool":
        return 1.0 if raw else 0.0
    return float(codec.to_engineering(raw, _scale(point), point.offset))


def served_value(point: Point, value: float) -> float:
    """The value a client will decode: what survives scaling, rounding and clamping to the type."""
    return from_raw(point, to_raw(point, value))


def registers(point: Point, raw: codec.Raw, word_order: str) -> list[int]:
    """The point's Modbus registers: :func:`app.fieldbus.codec.encode_registers`, plus the bool
    "word flag" (a bool in a whole register reads nonzero/zero, which the codec decodes but leaves
    to the writer to encode)."""
    if point.type == "bool":
        return [1 if raw else 0]
    return codec.encode_registers(raw, point.type, word_order)


def s7_bytes(point: Point, raw: codec.Raw) -> bytes:
    """The point's S7 bytes: :func:`app.fieldbus.codec.encode_bytes`, plus a bool in a whole byte."""
    if point.type == "bool":
        return b"\x01" if raw else b"\x00"
    return codec.encode_bytes(raw, point.type)


def normal_band(point: Point) -> tuple[float | None, float | None]:
    """The span of values that is inside the gauge range and clear of every numeric alarm limit."""
    lower = point.range[0] if point.range else None
    upper = point.range[1] if point.range else None
    for alarm in point.alarms:
        if alarm.value is None:
            continue
        if alarm.limit in _LOW_LIMITS:
            edge = alarm.value + alarm.deadband
            lower = edge if lower is None else max(lower, edge)
        elif alarm.limit in _HIGH_LIMITS:
            edge = alarm.value - alarm.deadband
            upper = edge if upper is None else min(upper, edge)
    return lower, upper


def initial_value(point: Point) -> float:
    """A calm starting value: mid-band for numbers, the non-alarm state for bools."""
    if point.type == "bool":
        # An "on" alarm means the normal state is off, and vice versa; with no alarm, off.
        limits = {a.limit for a in point.alarms}
        return 1.0 if ("off" in limits and "on" not in limits) else 0.0
    lower, upper = normal_band(point)
    if lower is not None and upper is not None:
        value = (lower + upper) / 2
    elif lower is not None:
        value = lower + max(abs(lower) * 0.5, 1.0)
    elif upper is not None:
        value = upper - max(abs(upper) * 0.5, 1.0)
    else:
        value = 0.0
    # Snap to what the type can represent, so the first read returns exactly this value.
    return from_raw(point, to_raw(point, value))


@dataclass
class Drift:
    """A gentle random walk around a start value, so a demo looks alive without raising alarms."""

    centre: float
    step: float
    amplitude: float

    @classmethod
    def for_point(cls, point: Point, centre: float) -> Drift:
        lower, upper = normal_band(point)
        if lower is not None and upper is not None and upper > lower:
            span = upper - lower
        else:
            span = max(abs(centre) * 0.2, 1.0)
        return cls(centre=centre, step=span * 0.004, amplitude=span * 0.03)

    def next(self, value: float, rng: random.Random) -> float:
        """One step: random nudge plus a pull back to the centre, bounded by the amplitude."""
        if not math.isfinite(value):
            return self.centre
        moved = value + rng.uniform(-1.0, 1.0) * self.step - 0.1 * (value - self.centre)
        return min(max(moved, self.centre - self.amplitude), self.centre + self.amplitude)

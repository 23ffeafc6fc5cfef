"""Engineering values to raw PLC data, for the simulators.

A simulator must serve exactly the words a real PLC would (same scaling, same encoding, same word
order), so that the pollers of later issues decode simulator data through the very code path they
use in the field. The simulators also pick *plausible* starting values: the demo should open calm,
with every numeric point inside its gauge range and clear of its alarm limits, and every bool in its
normal (non-alarm) state.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass

from app.site.schema import Point

INT_LIMITS: dict[str, tuple[int, int]] = {
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
}
_STRUCT = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "float32": "f"}
_LOW_LIMITS = ("low", "low-low")
_HIGH_LIMITS = ("high", "high-high")

Raw = int | float | bool


def _scale(point: Point) -> float:
    """A zero scale would divide by zero; the loader should refuse it, but a simulator must not crash."""
    return point.scale if point.scale else 1.0


def to_raw(point: Point, value: float) -> Raw:
    """The raw PLC value for an engineering value: raw = (value - offset) / scale, clamped to the type."""
    if point.type == "bool":
        return bool(value)
    raw = (float(value) - point.offset) / _scale(point)
    if point.type == "float32":
        return raw
    lo, hi = INT_LIMITS[point.type]
    return int(min(max(round(raw), lo), hi))


def from_raw(point: Point, raw: Raw) -> float:
    """The engineering value a poller computes from a raw value (raw * scale + offset)."""
    if point.type == "bool":
        return 1.0 if raw else 0.0
    return float(raw) * _scale(point) + point.offset


def encode_registers(type_: str, raw: Raw, word_order: str = "big") -> list[int]:
    """Modbus registers for a raw value; ``word_order`` orders the two registers of 32-bit types."""
    if type_ == "bool":
        return [1 if raw else 0]
    data = struct.pack(">" + _STRUCT[type_], raw)
    regs = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    if word_order == "little":
        regs.reverse()
    return regs


def encode_bytes(type_: str, raw: Raw) -> bytes:
    """S7 bytes for a raw value (S7 data is always big-endian; bools are handled as bits by the caller)."""
    if type_ == "bool":
        return b"\x01" if raw else b"\x00"
    return struct.pack(">" + _STRUCT[type_], raw)


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

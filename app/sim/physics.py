"""Plausible fire-water and detector behaviour for a simulated PLC, driven by drill conditions.

A drill must look like the real thing on the gauges and trip the site's *own* alarm limits, whatever
the site file says: so every target here is derived from each point's ``kind``, ``range`` and
``alarms``, never from demo constants. The model (one :class:`Plant` per simulated PLC):

- **Numeric points** sit at a calm value (mid-band, clear of every limit) and drift gently. *Tripped*,
  a point moves past its outermost alarm limit: down for pressure and level (a sprinkler head or
  hydrant opens, a tank leaks), up for the others (fire heats a charging shed, a charger overloads,
  water flows). *Restored*, it returns to its calm value; pressure waits a moment for the pump to
  start. The move is exponential but never slower than a straight line covering the whole swing in
  the kind's time (pressure: down in 3 s, back in 10 s), so the time to cross a limit is bounded.
- **Water coupling**: a tripped pressure point means water is flowing, so flow points of the same
  building follow it up (the flow switch of an open sprinkler), and level points (tank, fire pool)
  drain slowly while any pressure or flow point is tripped, refilling slowly afterwards.
- **Bool points** (smoke and heat detectors, call points, door contacts): tripped = their alarm
  state ("on" limit: 1, "off" limit: 0, no alarm: the opposite of normal), restored = normal.

Deterministic: all randomness comes from one seeded ``random.Random`` and time only enters as ``dt``,
so unit tests step the plant with fixed intervals. Not thread-safe: the simulator serialises calls.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from app.sim.values import Drift, initial_value, served_value
from app.site.schema import Point

_LOW = ("low", "low-low")
_HIGH = ("high", "high-high")
_DOWN_KINDS = ("pressure", "level")
TRIP_FRACTION = 0.5  # the trip target lies this far from the outermost limit towards the gauge end
PUMP_START_S = 1.0  # restored pressure stays low this long while the pump starts
DRAIN_PER_S = 0.001  # share of a level point's span drained per second per flowing outlet
REFILL_PER_S = 0.004  # share of the span refilled per second once no water flows


@dataclass(frozen=True)
class Timing:
    """Longest time to cover the whole swing between calm value and trip target, each way."""

    trip_s: float
    restore_s: float


TIMINGS: dict[str, Timing] = {
    "pressure": Timing(3.0, 10.0),
    "flow": Timing(3.0, 6.0),
    "level": Timing(20.0, 25.0),
    "temperature": Timing(20.0, 25.0),
    "heat": Timing(10.0, 20.0),
    "current": Timing(3.0, 6.0),
}
DEFAULT_TIMING = Timing(5.0, 10.0)


def _span(point: Point, calm: float) -> float:
    if point.range and point.range[1] > point.range[0]:
        return point.range[1] - point.range[0]
    return max(abs(calm), 1.0) * 2.0


def trip_direction(point: Point) -> str:
    """The side ("down" or "up") whose alarm limits a trip of this point crosses."""
    lows = any(a.limit in _LOW and a.value is not None for a in point.alarms)
    highs = any(a.limit in _HIGH and a.value is not None for a in point.alarms)
    if lows != highs:
        return "down" if lows else "up"
    return "down" if point.kind in _DOWN_KINDS else "up"


def trip_target(point: Point) -> float:
    """The value a tripped numeric point settles at: clearly past its outermost limit on its side.

    Halfway between that limit and the gauge end (``range``), or, with no range, as far past the limit
    as the calm value is before it. With no limit on that side: 5 % of the span inside the gauge end.
    The result is snapped to what the point's type can represent.
    """
    calm = initial_value(point)
    span = _span(point, calm)
    if trip_direction(point) == "down":
        limits = [a.value for a in point.alarms if a.limit in _LOW and a.value is not None]
        end = point.range[0] if point.range else None
        if not limits:
            target = end + 0.05 * span if end is not None else calm - 0.5 * span
        else:
            limit = min(limits)
            floor = end if end is not None and end < limit else limit - max(abs(calm - limit), 1e-6)
            target = limit - TRIP_FRACTION * (limit - floor)
    else:
        limits = [a.value for a in point.alarms if a.limit in _HIGH and a.value is not None]
        end = point.range[1] if point.range else None
        if not limits:
            target = end - 0.05 * span if end is not None else calm + 0.5 * span
        else:
            limit = max(limits)
            ceiling = end if end is not None and end > limit else limit + max(abs(calm - limit), 1e-6)
            target = limit + TRIP_FRACTION * (ceiling - limit)
    return served_value(point, target)


def trip_description(point: Point) -> str:
    """What a trip does to the point, in words (for drill lists): "falls to 0.025 MPa" or "turns on"."""
    if point.type == "bool":
        _, alarm = _contact_states(point)
        return "turns on" if alarm else "turns off"
    verb = "falls" if trip_direction(point) == "down" else "rises"
    unit = f" {point.unit}" if point.unit else ""
    return f"{verb} to {trip_target(point):g}{unit}"


def approach(value: float, target: float, dt: float, time_s: float, swing: float) -> float:
    """One step towards ``target``: exponential (time constant ``time_s``/3), but at least as fast as a
    straight line covering ``swing`` in ``time_s``, so the target is reached within ``time_s``."""
    distance = target - value
    if distance == 0 or dt <= 0:
        return value
    exp_step = abs(distance) * (1.0 - math.exp(-3.0 * dt / max(time_s, 1e-6)))
    line_step = abs(swing) / max(time_s, 1e-6) * dt
    step = min(max(exp_step, line_step), abs(distance))
    return value + math.copysign(step, distance)


@dataclass
class _Analog:
    point: Point
    calm: float
    target: float
    timing: Timing
    drift: Drift | None
    value: float
    span: float
    mode: str = "calm"  # calm | tripped | returning (restore) | refilling (after draining)
    hold_s: float = 0.0  # pump start delay left before a restored pressure rises

    @property
    def swing(self) -> float:
        return abs(self.calm - self.target)

    @property
    def settle_band(self) -> float:
        """Close enough to calm to hand over to the drift (exactly calm without drift)."""
        return self.drift.amplitude if self.drift is not None else 0.0


@dataclass
class _Contact:
    point: Point
    normal: float
    alarm: float
    value: float


def _contact_states(point: Point) -> tuple[float, float]:
    """(normal, alarm) values of a bool point, read from its alarm limits."""
    normal = initial_value(point)
    limits = {a.limit for a in point.alarms}
    if "on" in limits:
        return normal, 1.0
    if "off" in limits:
        return normal, 0.0
    return normal, 1.0 - normal


class Plant:
    """The simulated process behind one PLC's points: calm drift, drill trips, water coupling."""

    def __init__(self, points: Sequence[Point], *, seed: int | None = None, vary: bool = True) -> None:
        self._rng = random.Random(seed)
        self._order = [p.id for p in points]
        self._analog: dict[str, _Analog] = {}
        self._contact: dict[str, _Contact] = {}
        self._tripped: set[str] = set()
        self._pinned: set[str] = set()
        for point in points:
            if point.type == "bool":
                normal, alarm = _contact_states(point)
                self._contact[point.id] = _Contact(point, normal, alarm, normal)
                continue
            calm = initial_value(point)
            # A writable point is a set-point the control room owns: it must not wander on its own.
            drift = Drift.for_point(point, calm) if vary and not point.writable else None
            timing = TIMINGS.get(point.kind, DEFAULT_TIMING)
            span = _span(point, calm)
            self._analog[point.id] = _Analog(point, calm, trip_target(point), timing, drift, calm, span)

    # ------------------------------------------------------------------------- queries

    def value(self, point_id: str) -> float:
        if point_id in self._contact:
            return self._contact[point_id].value
        return self._analog[point_id].value

    def values(self) -> dict[str, float]:
        return {pid: self.value(pid) for pid in self._order}

    def is_tripped(self, point_id: str) -> bool:
        return point_id in self._tripped

    @property
    def tripped(self) -> frozenset[str]:
        return frozenset(self._tripped)

    def target(self, point_id: str) -> float:
        """Where a trip of a numeric point takes it (its alarm value for a bool point)."""
        if point_id in self._contact:
            return self._contact[point_id].alarm
        return self._analog[point_id].target

    # ------------------------------------------------------------------------- drill and overrides

    def _check(self, point_id: str) -> None:
        if point_id not in self._analog and point_id not in self._contact:
            raise KeyError(f"no simulated point {point_id!r}")

    def trip(self, point_id: str) -> None:
        """Start the point's alarm condition (takes over from a pinned value)."""
        self._check(point_id)
        self._pinned.discard(point_id)
        self._tripped.add(point_id)

    def restore(self, point_id: str) -> None:
        """End the point's alarm condition; the value returns to calm (takes over from a pin)."""
        self._check(point_id)
        analog = self._analog.get(point_id)
        if analog is not None and point_id in self._pinned:
            analog.mode = "returning"
        self._pinned.discard(point_id)
        self._tripped.discard(point_id)

    def pin(self, point_id: str, value: float) -> None:
        """Hold a value set from outside (a test, an operator's write); physics leaves it alone."""
        self._check(point_id)
        self._pinned.add(point_id)
        if point_id in self._contact:
            self._contact[point_id].value = 1.0 if value else 0.0
        else:
            self._analog[point_id].value = float(value)

    # ------------------------------------------------------------------------- time

    def _flowing(self) -> int:
        """Open outlets: tripped pressure and flow points (each is water leaving the system)."""
        return sum(
            1
            for pid in self._tripped
            if pid in self._analog and self._analog[pid].point.kind in ("pressure", "flow")
        )

    def _forced(self, analog: _Analog) -> bool:
        """A flow point follows a tripped (opened) pressure point of its own building."""
        if analog.point.kind != "flow":
            return False
        return any(
            self._analog[pid].point.kind == "pressure"
            and self._analog[pid].point.building == analog.point.building
            for pid in self._tripped
            if pid in self._analog
        )

    def step(self, dt: float) -> list[str]:
        """Advance ``dt`` seconds; returns the ids whose value changed, in file order."""
        flowing = self._flowing()
        changed: list[str] = []
        for pid in self._order:
            if pid in self._pinned:
                continue
            contact = self._contact.get(pid)
            if contact is not None:
                new = contact.alarm if pid in self._tripped else contact.normal
                if new != contact.value:
                    contact.value = new
                    changed.append(pid)
                continue
            analog = self._analog[pid]
            old = analog.value
            self._step_analog(analog, dt, pid in self._tripped or self._forced(analog), flowing)
            if analog.value != old:
                changed.append(pid)
        return changed

    def _step_analog(self, a: _Analog, dt: float, active: bool, flowing: int) -> None:
        if active:
            a.mode = "tripped"
            a.value = approach(a.value, a.target, dt, a.timing.trip_s, a.swing)
            a.hold_s = PUMP_START_S if a.point.kind == "pressure" else 0.0
            return
        if a.point.kind == "level" and flowing:
            a.mode = "refilling"
            a.value = max(min(a.target, a.calm), a.value - DRAIN_PER_S * a.span * flowing * dt)
            return
        if a.mode == "tripped":
            a.mode = "returning"
        if a.mode == "returning":
            if a.hold_s > 0:
                a.hold_s = max(0.0, a.hold_s - dt)
                return
            a.value = approach(a.value, a.calm, dt, a.timing.restore_s, a.swing)
        elif a.mode == "refilling":
            a.value = _towards(a.value, a.calm, REFILL_PER_S * a.span * dt)
        else:
            if a.drift is not None:
                a.value = a.drift.next(a.value, self._rng)
            return
        if abs(a.value - a.calm) <= a.settle_band:
            a.mode = "calm"


def _towards(value: float, target: float, step: float) -> float:
    """Move in a straight line by at most ``step`` towards ``target``."""
    if abs(target - value) <= step:
        return target
    return value + math.copysign(step, target - value)

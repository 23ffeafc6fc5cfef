"""Plain data for the sensor gauges, and the pure arithmetic they share (no Qt here).

The Sensors page hands each gauge a :class:`GaugeState`, a snapshot in plain Python types, so the
widgets never see the poller, the database or a model object (``widgets/`` must not import ``app`` or
``models``). The arithmetic (where a value sits on a scale, where a limit mark goes on the dial, how
an age reads) lives here as pure functions so tests can check the geometry without reading pixels,
and so each gauge draws with the same rules.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Quality = Literal["good", "comm-fail", "stale", "bad-config", "out-of-range", "never-read"]
LimitKind = Literal["high-high", "high", "low", "low-low"]

QUALITIES: tuple[str, ...] = ("good", "comm-fail", "stale", "bad-config", "out-of-range", "never-read")
# Qualities whose value is not live: drawn greyed and hatched, never shown as if live.
HATCHED: frozenset[str] = frozenset({"comm-fail", "stale", "bad-config"})
# Qualities whose value is old and keeps ageing on screen (the age is drawn and must keep counting).
AGEING: frozenset[str] = frozenset({"comm-fail", "stale"})
LIMIT_SHORT: dict[str, str] = {"high-high": "HH", "high": "H", "low": "L", "low-low": "LL"}
# Alarm priorities (the site file's, fire first), as the gauge's ``alarm`` dynamic property names them.
ALARM_PRIORITIES: tuple[str, ...] = ("fire", "urgent", "high", "medium", "low")
# The priority of an alarm whose source gave none: the site file's default priority.
DEFAULT_ALARM_PRIORITY = "medium"

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
    ``alarm_active`` says the alarm system (not the gauge) considers this point in alarm;
    ``alarm_priority`` (fire/urgent/high/medium/low) says how urgent that alarm is, so the gauge's
    alarm box takes that priority's colour (a priority alone also puts the gauge in alarm; an alarm
    without a priority is ``medium``, the site file's default). See :func:`alarm_level`.
    ``alarm_limit`` names the limit the value is beyond (high-high/high/low/low-low/on/off), as the
    page worked it out (the widget shows it, it does not decide it); None when not known.
    """

    value: float | bool | None = None
    unit: str = ""
    quality: Quality = "never-read"
    age_s: float | None = None
    range: tuple[float, float] | None = None
    limits: Sequence[tuple[str, float]] = ()
    label: str = ""
    alarm_active: bool = False
    alarm_priority: str | None = None
    alarm_limit: str | None = None


def alarm_level(state: GaugeState) -> str:
    """The gauge's ``alarm`` property: the alarm's priority, or ``none`` when not in alarm.

    Styled by QSS selectors (``GaugeBase[alarm="high"]``), so each priority has its own colour and a
    fire alarm never looks like a low one. An unknown priority counts as the default one rather
    than as no alarm: an alarm must never be hidden by a typo.
    """
    if state.alarm_priority is None and not state.alarm_active:
        return "none"
    if state.alarm_priority in ALARM_PRIORITIES:
        return str(state.alarm_priority)
    return DEFAULT_ALARM_PRIORITY


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


def dial_frame(
    left: float, top: float, width: float, height: float, label_margin: float = 0.0
) -> tuple[float, float, float]:
    """Centre and radius of the dial inside a body rectangle, leaving room for the limit labels.

    The 270° arc is open at the bottom, so it needs only ``(1 + sin 45°)·R`` of height; centring that
    (rather than a full circle) makes the dial as large as the card allows. ``R`` is the radius plus
    ``label_margin``: the ring outside the scale where the limit labels sit (see
    :func:`dial_label_margin`), so a label never leaves the body for the card's title.
    Without a margin 15 % of the radius is kept.
    """
    extent = 1.0 + math.sin(math.radians(45.0))
    outer = max(4.0, min(width / 2.0, height / extent))
    radius = max(4.0, outer - label_margin) if label_margin > 0 else max(4.0, outer / 1.15)
    cx = left + width / 2.0
    cy = top + (height - extent * outer) / 2.0 + outer
    return cx, cy, radius


def dial_label_margin(text_height: float, widest_label: float) -> float:
    """The ring outside the dial's scale that its limit labels need.

    At least 1.5 text heights: a label centred half-way across the ring then stays inside it at the
    top, and at the 45° ends of the arc too (which needs ``h / sin 45°``, about 1.41 h); and at least
    the widest label, so a label at 9 or 3 o'clock stays inside it sideways.
    """
    return max(1.5 * text_height, widest_label + 2.0)


Box = tuple[float, float, float, float]  # left, top, width, height


def boxes_overlap(a: Box, b: Box) -> bool:
    """Whether two axis-aligned boxes (left, top, width, height) share any area."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def spread(desired: Sequence[float], gaps: Sequence[float], lo: float, hi: float) -> list[float]:
    """Positions on a line as close to ``desired`` as possible, consecutive ones ``gaps`` apart.

    ``desired`` must be sorted; ``gaps[i]`` is the least distance between items ``i`` and ``i + 1``.
    A forward pass pushes each item past the previous one, a backward pass pulls items back inside
    ``hi`` (pushing earlier ones back as needed), and a last forward pass honours ``lo`` where the
    two together fit. Labels of close limits (L at 0.5, LL at 0.45) then stand side by side instead
    of printing on top of each other.
    """
    n = len(desired)
    if n == 0:
        return []
    pos = [min(max(float(desired[0]), lo), hi)]
    for i in range(1, n):
        pos.append(max(float(desired[i]), pos[-1] + gaps[i - 1]))
    pos[-1] = min(pos[-1], hi)
    for i in range(n - 2, -1, -1):
        pos[i] = min(pos[i], pos[i + 1] - gaps[i])
    if pos[0] < lo:  # pushed out at the low end: shift forward again (overflows hi only if too full)
        pos[0] = lo
        for i in range(1, n):
            pos[i] = max(pos[i], pos[i - 1] + gaps[i - 1])
    return pos


def spread_boxes(
    centres: Sequence[float], sizes: Sequence[float], lo: float, hi: float, gap: float = 1.0
) -> list[float]:
    """Centres of boxes along one axis (any order), none overlapping, as near their wish as fits.

    ``lo``/``hi`` bound the boxes' edges, not their centres. Used for the limit labels beside a tank
    or a thermometer: sizes are text heights, centres the limits' y.
    """
    order = sorted(range(len(centres)), key=lambda i: centres[i])
    wanted = [centres[i] for i in order]
    size = [sizes[i] for i in order]
    gaps = [(size[k] + size[k + 1]) / 2.0 + gap for k in range(len(order) - 1)]
    first = lo + (size[0] / 2.0 if size else 0.0)
    last = hi - (size[-1] / 2.0 if size else 0.0)
    placed = spread(wanted, gaps, first, max(first, last))
    result = [0.0] * len(centres)
    for k, i in enumerate(order):
        result[i] = placed[k]
    return result


def dial_label_boxes(
    cx: float,
    cy: float,
    radius: float,
    margin: float,
    labels: Sequence[tuple[float, float, float]],
    lo: float,
    hi: float,
    gap: float = 2.0,
) -> list[Box]:
    """Boxes of a dial's limit labels: (value, text width, text height) each, in the same order.

    Each label is centred on the ring half-way across ``margin`` outside the scale, at its limit's
    angle, and pushed along the ring (never past the arc's ends) until its box clears its
    neighbours: two boxes whose centres are at least their half-diagonal sum apart cannot overlap,
    and the angle that chord needs on the ring is what separates them.
    """
    if not labels:
        return []
    ring = radius * DIAL_MARK_OUTER_R + margin / 2.0
    # position along the arc: degrees travelled clockwise from the low end (225°)
    along = [DIAL_START_DEG - dial_angle(value, lo, hi) for value, _, _ in labels]
    order = sorted(range(len(labels)), key=lambda i: along[i])
    gaps: list[float] = []
    for a, b in itertools.pairwise(order):
        wa, ha = labels[a][1], labels[a][2]
        wb, hb = labels[b][1], labels[b][2]
        chord = math.hypot((wa + wb) / 2.0 + gap, (ha + hb) / 2.0 + gap)
        gaps.append(math.degrees(2.0 * math.asin(min(1.0, chord / (2.0 * ring)))))
    placed = spread([along[i] for i in order], gaps, 0.0, DIAL_SPAN_DEG)
    boxes: list[Box] = [(0.0, 0.0, 0.0, 0.0)] * len(labels)
    for k, i in enumerate(order):
        x, y = polar(cx, cy, ring, DIAL_START_DEG - placed[k])
        _, w, h = labels[i]
        boxes[i] = (x - w / 2.0, y - h / 2.0, w, h)
    return boxes


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


AGE_UNITS: dict[str, str] = {"s": "s", "min": "min", "h": "h", "d": "d"}


def format_age(age_s: float, units: Mapping[str, str] = AGE_UNITS) -> str:
    """An age in compact units, as an operator reads it: ``7 s``, ``12 min``, ``1 h 02 min``, ``2 d 04 h``.

    Two units at most, the larger first, so the text is short enough for a narrow card's status line
    and the age is never the part that gets cut; it changes at most once a second (once a minute
    past the first minute), which bounds the repaints of a failed gauge. ``units`` carries the
    translated unit words (keys ``s``, ``min``, ``h``, ``d``).
    """
    seconds = max(0, int(age_s))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} {units['d']} {hours:02d} {units['h']}"
    if hours:
        return f"{hours} {units['h']} {minutes:02d} {units['min']}"
    if minutes:
        return f"{minutes} {units['min']}"
    return f"{secs} {units['s']}"


# Ages whose text is the widest a status line shows (for a card's minimum width).
WIDEST_AGES_S: tuple[float, ...] = (59.0, 59 * 60.0, 23 * 3600 + 59 * 60.0, 99 * 86_400 + 23 * 3600.0)


def numeric(value: float | bool | None) -> float | None:
    """The value as a finite float, or None when there is nothing to place on a scale."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None

"""Zone rules: what tracked objects inside a camera's zones mean, as alarms to raise and counts to keep.

Pure logic on plain data (no threads, no I/O), driven by frame time, so a test can replay a clip at
any speed and get the same answer. The vision service feeds each processed frame's tracked findings
in and carries out what comes back: takes the snapshot, raises or clears the alarm through the alarm
engine (source ``camera:<id>/zone:<name>``). ``vehicle-gate`` zones are not decided here: their plate
reading belongs to :class:`app.vision.gate.GateWatcher`, which the service calls.

Where an object is: the bottom centre of its box (feet, wheels), which is where it stands on the
floor the zone was drawn on; a box's centre would put a tall person's head in a zone behind them.

Once per object, not per frame: an alarm is raised when qualifying tracks have been inside without a
break (``GAP_S``, or three looks at the camera when detection is slower) for the dwell, and the zone
stays "active" while any qualifying track remains (a new track id for the same e-bike after a missed
detection raises nothing new); when none has been seen for ``CLEAR_AFTER_S`` the alarm's condition
is cleared, and a later passage raises again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.site.schedule import DailyWindow, parse_schedule
from app.site.schema import Camera, Zone
from app.vision.findings import Finding

Point = tuple[float, float]

RULE_DEFAULTS: dict[str, tuple[str, str]] = {
    # rule: (category, priority), as the issue sets them; a zone may override either.
    "no-ebike": ("supervisory", "high"),
    "no-person-at-night": ("supervisory", "medium"),
    "line-crossing": ("supervisory", "low"),
    "vehicle-gate": ("supervisory", "low"),
}
TWO_WHEELERS = frozenset({"motorcycle", "bicycle"})
NIGHT = "22:00-06:00"  # no-person-at-night without a schedule
CLEAR_AFTER_S = 10.0  # no qualifying track for this long: the zone's condition is over
GAP_S = 2.0  # a qualifying object unseen for longer (or 3 looks, if slower) has left: dwell restarts
LINE_MARGIN = 0.01  # a side of a line counts once the point is this far past it (share of the diagonal)


@dataclass(frozen=True, slots=True)
class RaiseAlarm:
    """Raise the zone's alarm; ``snapshot``: attach a picture of this frame."""

    key: str
    category: str
    priority: str
    message: str
    snapshot: bool
    track_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ClearAlarm:
    key: str


@dataclass(frozen=True, slots=True)
class Crossing:
    """One track crossed a line-crossing zone's line."""

    zone: str
    track_id: int
    direction: Literal["in", "out"]
    at: float


Action = RaiseAlarm | ClearAlarm | Crossing


def zone_key(camera_id: str, zone_name: str) -> str:
    """The alarm key and source of a zone's rule: ``camera:<id>/zone:<name>``."""
    return f"camera:{camera_id}/zone:{zone_name}"


def anchor(finding: Finding) -> Point:
    """Where an object stands: its box's bottom centre."""
    x1, _, x2, y2 = finding.box
    return ((x1 + x2) / 2.0, y2)


def inside(point: Point, polygon: Sequence[Point]) -> bool:
    """Ray casting; a point on an edge may go either way (zones are drawn with margin)."""
    x, y = point
    result = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def side(point: Point, a: Point, b: Point) -> float:
    """Signed distance of ``point`` from the line a->b: > 0 on the right-hand side as seen on screen."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = (dx * dx + dy * dy) ** 0.5
    return (dx * (point[1] - a[1]) - dy * (point[0] - a[0])) / length


def _within_segment(p: Point, q: Point, a: Point, b: Point) -> bool:
    """Whether the move p->q passes the segment a-b itself (not its extension beyond the ends)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    mid = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
    t = ((mid[0] - a[0]) * dx + (mid[1] - a[1]) * dy) / length2
    return -0.05 <= t <= 1.05


@dataclass
class _ZoneState:
    since: float | None = None  # when qualifying objects began to be inside (without a long gap)
    last_seen: float | None = None  # last frame time a qualifying track was inside
    prev_at: float | None = None  # the previous update's frame time
    active: bool = False
    # line-crossing: track id -> (confirmed side, where the track was when it was last on that side)
    sides: dict[int, tuple[float, Point]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"in": 0, "out": 0})


class ZoneRules:
    """One camera's zone rules. ``update`` once per processed frame, in time order (one thread)."""

    def __init__(self, camera: Camera, timezone: str) -> None:
        self.camera = camera
        self.timezone = timezone
        self.zones = [z for z in camera.zones if z.rule != "vehicle-gate"]
        self._state = {z.name: _ZoneState() for z in self.zones}
        self._windows: dict[str, DailyWindow] = {
            z.name: parse_schedule(z.schedule or NIGHT) for z in self.zones if z.rule == "no-person-at-night"
        }

    def counts(self) -> dict[str, dict[str, int]]:
        """Line-crossing counts so far: zone name -> {"in": n, "out": m}."""
        return {z.name: dict(self._state[z.name].counts) for z in self.zones if z.rule == "line-crossing"}

    def update(self, findings: Sequence[Finding], at: float, width: int, height: int) -> list[Action]:
        actions: list[Action] = []
        tracked = [f for f in findings if f.kind == "object" and f.track_id is not None]
        for zone in self.zones:
            if zone.rule == "line-crossing":
                actions += self._line(zone, tracked, at, width, height)
            elif zone.rule == "no-ebike":
                actions += self._dwell(zone, [f for f in tracked if f.cls in TWO_WHEELERS], at, width, height)
            elif zone.rule == "no-person-at-night":
                night = self._windows[zone.name].contains_epoch(at, self.timezone)
                people = [f for f in tracked if f.cls == "person"] if night else []
                actions += self._dwell(zone, people, at, width, height)
        return actions

    # ------------------------------------------------------------------ area rules
    def _dwell(
        self, zone: Zone, candidates: list[Finding], at: float, width: int, height: int
    ) -> list[Action]:
        state = self._state[zone.name]
        polygon = [(x * width, y * height) for x, y in zone.polygon]
        present = [f for f in candidates if inside(anchor(f), polygon)]
        # Presence is continuous across short gaps and track-id changes: when detection runs slowly
        # (a busy CPU, many cameras) a moving e-bike can get a new id between two looks at it.
        interval = at - state.prev_at if state.prev_at is not None else 0.0
        state.prev_at = at
        tolerance = max(GAP_S, 3.0 * interval)
        if present:
            if state.since is None or state.last_seen is None or at - state.last_seen > tolerance:
                state.since = at
            state.last_seen = at
        elif state.last_seen is None or at - state.last_seen > tolerance:
            state.since = None
        actions: list[Action] = []
        key = zone_key(self.camera.id, zone.name)
        dwelling = bool(present) and state.since is not None and at - state.since >= zone.dwell_s
        if dwelling and not state.active and zone.alarm is not False:
            state.active = True
            category, priority = _levels(zone)
            ids = tuple(sorted(int(f.track_id) for f in present if f.track_id is not None))
            things = ", ".join(f"{f.cls} #{f.track_id}" for f in present)
            message = f"{self.camera.display_name}, zone {zone.name}: {_rule_words(zone)} ({things})"
            actions.append(RaiseAlarm(key, category, priority, message, zone.rule == "no-ebike", ids))
        elif state.active and (state.last_seen is None or at - state.last_seen >= CLEAR_AFTER_S):
            state.active = False
            actions.append(ClearAlarm(key))
        return actions

    # ------------------------------------------------------------------ lines
    def _line(self, zone: Zone, tracked: list[Finding], at: float, width: int, height: int) -> list[Action]:
        assert zone.line is not None
        state = self._state[zone.name]
        a = (zone.line[0][0] * width, zone.line[0][1] * height)
        b = (zone.line[1][0] * width, zone.line[1][1] * height)
        margin = LINE_MARGIN * (width * width + height * height) ** 0.5
        actions: list[Action] = []
        seen: set[int] = set()
        for finding in tracked:
            assert finding.track_id is not None
            track_id = int(finding.track_id)
            seen.add(track_id)
            point = anchor(finding)
            distance = side(point, a, b)
            if abs(distance) < margin:
                continue  # on the line: wait until it is clearly on one side
            now_side = 1.0 if distance > 0 else -1.0
            before = state.sides.get(track_id)
            state.sides[track_id] = (now_side, point)
            if before is None or before[0] == now_side:
                continue
            if not _within_segment(before[1], point, a, b):
                continue  # crossed the line's extension, beside the door
            direction: Literal["in", "out"] = "in" if now_side > 0 else "out"
            state.counts[direction] += 1
            actions.append(Crossing(zone.name, track_id, direction, at))
            if zone.alarm and zone.direction in (direction, "both"):
                category, priority = _levels(zone)
                key = zone_key(self.camera.id, zone.name)
                where = f"{self.camera.display_name}, line {zone.name}"
                message = f"{where}: {finding.cls} #{track_id} crossed {direction}"
                actions += [RaiseAlarm(key, category, priority, message, False, (track_id,)), ClearAlarm(key)]
        for gone in set(state.sides) - seen:
            if len(state.sides) > 512:  # forget old tracks now and then; a lost track may come back
                del state.sides[gone]
        return actions


def _levels(zone: Zone) -> tuple[str, str]:
    category, priority = RULE_DEFAULTS[zone.rule]
    return zone.category or category, zone.priority or priority


def _rule_words(zone: Zone) -> str:
    if zone.rule == "no-ebike":
        return f"an e-bike or bicycle has been in the zone for {zone.dwell_s:g} s (no e-bikes allowed)"
    if zone.rule == "no-person-at-night":
        return f"someone is in the zone during {zone.schedule or NIGHT}"
    return zone.rule

"""From the engine's :class:`~app.alarms.views.AlarmView` to what the console, banner and gauges show.

Plain functions over plain data (no widgets), so the rules have their own tests:

- :class:`RowMapper` turns a view into an :class:`~widgets.alarm_table.AlarmRow`: the rank is
  :func:`app.alarms.views.console_rank` (fire first, then priority, then newest; decided there and
  nowhere else), the value formatted with the point's unit, the building by its display name, the
  source by a readable name. A view held in memory while storage is down has no journal id yet: it
  gets a stable negative id per alarm key, and its row is replaced when the journaled view arrives.
- :func:`banner_pick`: the newest unacknowledged alarm of the highest priority (console order among
  the alarms that need acknowledgement) and the count of active alarms.
- :func:`point_marks`: which limit alarm marks each gauge (the most severe open, unshelved one).
- :func:`allowed_actions`: the detail pane's buttons from the permissions table and the row's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.alarms import queries
from app.alarms.views import AlarmView, console_rank
from app.auth.permissions import Action, allowed
from app.site.schema import SiteFile
from ui.pages.sensor_view import PointMark, point_label
from widgets.alarm_detail import TimelineEntry
from widgets.alarm_table import AlarmRow

NEEDS_ACK: frozenset[str] = frozenset({"unacknowledged", "rtn-unacknowledged"})
"""States whose alarm waits for an acknowledgement (the banner, the sound)."""
SET_ASIDE: frozenset[str] = frozenset({"shelved", "out-of-service", "suppressed"})
"""Open but set aside: listed on their own tab, never on a gauge, not counted as active."""
LIMIT_SEVERITY: tuple[str, ...] = ("high-high", "low-low", "high", "low", "on", "off")
"""Limits most severe first: a point in both its low and low-low alarm is marked low-low."""


class RowMapper:
    """Views to rows for one site (unit, building and camera names come from the site file)."""

    def __init__(self, site: SiteFile) -> None:
        self._units = {point.id: point.unit for point in site.point}
        self._buildings = {building.id: building.name for building in site.building}
        self._cameras = {camera.id: camera.display_name for camera in site.camera}
        self._held_ids: dict[str, int] = {}

    def building_name(self, building: str | None) -> str:
        if not building:
            return ""
        return self._buildings.get(building, building)

    def buildings(self) -> dict[str, str]:
        """Display name per building id, in file order."""
        return dict(self._buildings)

    def row_id(self, view: AlarmView) -> int:
        """The journal id, or a stable negative stand-in for a view not recorded yet."""
        if view.id is not None:
            return view.id
        return self._held_ids.setdefault(view.key, -(len(self._held_ids) + 1))

    def held_id(self, key: str) -> int | None:
        """The stand-in id of a key's unrecorded view, if one was shown."""
        return self._held_ids.get(key)

    def forget_held(self, key: str) -> int | None:
        return self._held_ids.pop(key, None)

    def source_name(self, view: AlarmView) -> str:
        kind, _, rest = view.source.partition(":")
        if view.point is not None:
            return point_label(view.point)
        if kind == "camera":
            camera, _, zone = rest.partition("/zone:")
            name = self._cameras.get(camera, camera)
            return f"{name} / {zone}" if zone else name
        if kind == "plc":
            return f"PLC {rest}"
        if view.source == "system:storage":
            return "Alarm journal"
        return view.source

    def value_text(self, view: AlarmView) -> str:
        value = view.value
        if value is None:
            return ""
        if isinstance(value, bool):
            return "on" if value else "off"
        unit = self._units.get(view.point or "", "") or ""
        text = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        return f"{text} {unit}".strip()

    def row(self, view: AlarmView) -> AlarmRow:
        return AlarmRow(
            id=self.row_id(view),
            key=view.definition_key,
            source=view.source,
            source_name=self.source_name(view),
            building=self.building_name(view.building),
            category=view.category,
            priority=view.priority,
            state=view.state,
            value=self.value_text(view),
            message=view.message,
            raised_at=view.raised_at,
            acknowledged_by=view.acknowledged_by or "",
            recorded=view.recorded,
            chattering=view.chattering,
            shelved_until=view.shelved_until,
            rank=console_rank(view.category, view.priority, view.raised_at),
        )


def banner_pick(rows: Iterable[AlarmRow]) -> tuple[AlarmRow | None, int]:
    """The alarm the banner shows (best-ranked among those needing acknowledgement) and the count
    of active alarms (open and not shelved, suppressed or out of service)."""
    best: AlarmRow | None = None
    count = 0
    for row in rows:
        if row.state in SET_ASIDE or row.state == "normal":
            continue
        count += 1
        if row.state in NEEDS_ACK and (best is None or (row.rank, row.id) < (best.rank, best.id)):
            best = row
    return best, count


def point_marks(views: Iterable[AlarmView]) -> dict[str, PointMark]:
    """Per point, the most severe of its open limit alarms that is not set aside (or normal)."""
    marks: dict[str, PointMark] = {}
    for view in views:
        if view.point is None or view.limit is None or view.definition_key is None:
            continue
        if view.state == "normal" or view.state in SET_ASIDE:
            continue
        old = marks.get(view.point)
        if old is None or _severity(view.limit) < _severity(old.limit):
            marks[view.point] = PointMark(view.limit, view.priority)
    return marks


def _severity(limit: str) -> int:
    return LIMIT_SEVERITY.index(limit) if limit in LIMIT_SEVERITY else len(LIMIT_SEVERITY)


def allowed_actions(role: str, row: AlarmRow | None) -> set[str]:
    """The detail pane's enabled buttons: the role may (permissions table) and the state fits."""
    if row is None:
        return set()
    may = {
        "acknowledge": allowed(role, Action.ALARM_ACKNOWLEDGE),
        "reset": allowed(role, Action.ALARM_RESET),
        "note": allowed(role, Action.ALARM_NOTE),
        "shelve": allowed(role, Action.ALARM_SHELVE),
        "unshelve": allowed(role, Action.ALARM_SHELVE),
        "out-of-service": allowed(role, Action.OUT_OF_SERVICE),
        "return": allowed(role, Action.OUT_OF_SERVICE),
    }
    fits = {
        "acknowledge": row.state in NEEDS_ACK,
        "reset": row.state == "latched",
        "note": row.recorded,
        "shelve": row.state in ("unacknowledged", "acknowledged", "rtn-unacknowledged", "latched"),
        "unshelve": row.state == "shelved",
        "out-of-service": row.state not in ("out-of-service",),
        "return": row.state == "out-of-service",
    }
    if row.id < 0:  # not in the journal yet: nothing to act on until storage returns
        return set()
    return {action for action, ok in may.items() if ok and fits[action]}


def timeline(entries: Iterable[queries.TimelineEntry]) -> list[TimelineEntry]:
    """An occurrence's story (``app.alarms.queries.timeline``) as the detail pane's lines."""
    out = []
    for e in entries:
        if e.kind == "transition":
            text = f"{e.from_state} → {e.to_state}"
            kind = "transition"
        elif e.what == "note":
            text, kind = "", "note"
        else:
            text, kind = e.what, "action"
        if e.text:
            text = f"{text}: {e.text}" if text else e.text
        out.append(TimelineEntry(e.at, kind, text, e.by or ""))
    return out


def changed_marks(old: Mapping[str, PointMark], new: Mapping[str, PointMark]) -> set[str]:
    """Points whose mark differs between two :func:`point_marks` answers."""
    return {p for p in set(old) | set(new) if old.get(p) != new.get(p)}

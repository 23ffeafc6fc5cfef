"""Alarms as every reader sees them: one frozen view per occurrence, and the console's order.

The engine publishes these on the bus, the CLI prints them as JSON, and the console turns them into
table rows; all three read the same fields, so ``wardroom alarms list --json`` and the screen agree.
The order (fire first, then priority, then newest) is decided here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.alarms import PRIORITIES

_PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}


@dataclass(frozen=True, slots=True)
class AlarmView:
    """One occurrence with the fields of ``wardroom alarms list --json``.

    ``id`` is None only for a transition held in memory while storage is down (not yet written, so
    it has no journal id); ``recorded`` is False then.
    """

    id: int | None
    key: str  # the alarm: "<point>/<limit>", "plc:<id>", "point:<id>/fault", "system:storage" ...
    definition_key: str | None  # "<point>/<limit>" for limit alarms, else None
    source: str  # "point:<id>", "plc:<id>", "camera:<id>", "camera:<id>/zone:<name>", "system:storage"
    point: str | None
    limit: str | None
    building: str | None
    category: str
    priority: str
    state: str
    value: float | bool | None
    message: str
    raised_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    returned_at: datetime | None = None
    shelved_until: datetime | None = None
    chattering: bool = False
    recorded: bool = True
    snapshot: str | None = None

    def json_row(self) -> dict[str, object]:
        """The row ``alarms list --json`` prints (times ISO 8601 UTC)."""

        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "id": self.id,
            "key": self.definition_key,
            "source": self.source,
            "point": self.point,
            "limit": self.limit,
            "building": self.building,
            "category": self.category,
            "priority": self.priority,
            "state": self.state,
            "value": self.value,
            "message": self.message,
            "raised_at": iso(self.raised_at),
            "acknowledged_at": iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "returned_at": iso(self.returned_at),
            "shelved_until": iso(self.shelved_until),
            "chattering": self.chattering,
            "recorded": self.recorded,
        }


def console_rank(category: str, priority: str, raised_at: datetime) -> tuple[int, int, float]:
    """Sort key of the console and of ``alarms list``: fire first, then priority, then newest."""
    priority_rank = _PRIORITY_RANK.get(priority, len(PRIORITIES))
    return (0 if category == "fire" else 1, priority_rank, -raised_at.timestamp())


@dataclass(frozen=True, slots=True)
class TransitionView:
    """One journaled state change (``alarms history``)."""

    id: int | None
    occurrence_id: int | None
    key: str
    at: datetime
    from_state: str
    to_state: str
    by: str | None
    note: str
    held: bool = False

    def json_row(self) -> dict[str, object]:
        return {
            "occurrence_id": self.occurrence_id,
            "at": self.at.isoformat(),
            "from_state": self.from_state,
            "to_state": self.to_state,
            "by": self.by,
            "note": self.note,
        }

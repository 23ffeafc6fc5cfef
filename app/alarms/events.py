"""What the alarm engine tells the rest of the system, always after the journal holds it."""

from __future__ import annotations

from dataclasses import dataclass

from app.alarms.views import AlarmView, TransitionView
from app.events import Event


@dataclass(frozen=True, slots=True)
class AlarmChanged(Event):
    """An occurrence as it is now, and the transition that made it so.

    Published only after the transition was committed, except while storage is down: then
    ``view.recorded`` is False ("not recorded") and the transition is held until storage returns.
    ``transition`` is None for the open alarms a starting engine or console restores from the
    journal (nothing changed; they are shown again). ``reannounce`` marks a re-alarm of a still
    unacknowledged alarm (``realarm_min``): sound again, even after a silence.
    """

    view: AlarmView
    transition: TransitionView | None = None
    reannounce: bool = False

    def describe(self) -> str:
        t = self.transition
        move = f"{t.from_state} -> {t.to_state}" if t else f"restored {self.view.state}"
        by = f" by {t.by}" if t and t.by else ""
        mark = "" if self.view.recorded else " (NOT RECORDED)"
        return f"alarm {self.view.key} [{self.view.priority}] {move}{by}: {self.view.message}{mark}"

"""Whether one limit of one point is in alarm: deadband, on-delay and off-delay over good readings.

Each limit of a point is its own alarm (``<point>/<limit>``), so a pressure below its low-low limit
has both its ``low`` and ``low-low`` conditions active. This module decides only the *condition*
(``activate`` / ``clear``); what that does to the alarm (acknowledgement, latching, shelving) is
:mod:`app.alarms.lifecycle`'s business.

Rules:

- Only a reading of quality ``good`` counts. Any other quality (``never-read`` at start included)
  neither raises nor clears, and it restarts a running on- or off-delay: a delay needs the condition
  to hold over good readings for its whole length.
- Deadband: an active high alarm clears only below ``limit - deadband`` (low: above ``limit +
  deadband``), so a value hovering at the limit does not chatter. A value *at* the limit is beyond it,
  as :func:`app.alarms.limits.limit_beyond` says for the gauges.
- ``delay_s`` (on-delay): the condition must hold that long before it activates; ``off_delay_s``
  likewise before it clears. Delays run out between readings (a poller publishes changes only), so
  the engine calls :meth:`LimitCondition.evaluate` when :meth:`LimitCondition.deadline` comes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from app.alarms.limits import BOOL_LIMITS, NUMERIC_LIMITS

ConditionEvent = Literal["activate", "clear"]


@dataclass
class LimitCondition:
    """The condition of one ``<point>/<limit>`` alarm, fed with the point's readings."""

    limit: str
    value: float | None = None
    deadband: float = 0.0
    delay_s: float = 0.0
    off_delay_s: float = 0.0
    active: bool = False
    _beyond_since: float | None = field(default=None, repr=False)
    _within_since: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.limit not in NUMERIC_LIMITS and self.limit not in BOOL_LIMITS:
            raise ValueError(f"unknown alarm limit {self.limit!r}")
        if self.limit in NUMERIC_LIMITS and (self.value is None or not math.isfinite(self.value)):
            raise ValueError(f"a {self.limit} alarm needs a finite value")

    def beyond(self, reading: float | bool) -> bool:
        """Whether a good reading is in the alarm region, the deadband counted while active."""
        if self.limit == "on":
            return bool(reading)
        if self.limit == "off":
            return not bool(reading)
        number = float(reading)
        if not math.isfinite(number):
            return self.active  # a NaN says nothing new: keep the condition as it is
        assert self.value is not None
        band = self.deadband if self.active else 0.0
        if self.limit in ("high", "high-high"):
            return number >= self.value - band
        return number <= self.value + band

    def observe(self, reading: float | bool | None, quality: str, now: float) -> ConditionEvent | None:
        """Take one reading of the point at ``now`` (monotonic seconds); return a change, if any."""
        if quality != "good" or reading is None:
            self._beyond_since = self._within_since = None
            return None
        if self.beyond(reading):
            self._within_since = None
            if self._beyond_since is None:
                self._beyond_since = now
        else:
            self._beyond_since = None
            if self._within_since is None:
                self._within_since = now
        return self.evaluate(now)

    def evaluate(self, now: float) -> ConditionEvent | None:
        """Apply a delay that has run out by ``now``; return a change, if any."""
        if not self.active and self._beyond_since is not None and now - self._beyond_since >= self.delay_s:
            self.active = True
            self._within_since = None
            return "activate"
        if self.active and self._within_since is not None and now - self._within_since >= self.off_delay_s:
            self.active = False
            self._beyond_since = None
            return "clear"
        return None

    def deadline(self) -> float | None:
        """When a running delay runs out (monotonic seconds), or None when nothing is pending."""
        if not self.active and self._beyond_since is not None:
            return self._beyond_since + self.delay_s
        if self.active and self._within_since is not None:
            return self._within_since + self.off_delay_s
        return None


@dataclass
class ChatterWatch:
    """Counts an alarm's condition changes: ``threshold`` or more within ``window_s`` is chattering."""

    threshold: int = 3
    window_s: float = 60.0
    _times: list[float] = field(default_factory=list, repr=False)
    episodes: int = 0
    chattering: bool = False

    def record(self, now: float) -> bool:
        """Note one transition at ``now``; True when this one starts a chattering episode."""
        self._times = [t for t in self._times if now - t < self.window_s]
        self._times.append(now)
        started = False
        if len(self._times) >= self.threshold and not self.chattering:
            self.chattering = True
            self.episodes += 1
            started = True
        elif len(self._times) < self.threshold:
            self.chattering = False
        return started

    def refresh(self, now: float) -> None:
        """Let an episode end once the window holds fewer transitions than the threshold."""
        self._times = [t for t in self._times if now - t < self.window_s]
        if len(self._times) < self.threshold:
            self.chattering = False

"""Alarm flood: more new alarms in 10 minutes than an operator can handle (ISA-18.2, EEMUA 191).

A flood starts when more than ``per_10min`` alarms were raised in the last 10 minutes and ends when
fewer than half of that remain in the window, so the console does not flip in and out of flood mode
on every alarm around the threshold. The console groups alarms while it holds; the KPIs replay the
same rule over the journal (:mod:`app.alarms.kpi`).
"""

from __future__ import annotations

from collections import deque

WINDOW_S = 600.0


class FloodWatch:
    """Sliding 10-minute count of raisings with the start/end thresholds; times in seconds."""

    def __init__(self, per_10min: int = 10) -> None:
        if per_10min < 1:
            raise ValueError("flood_per_10min must be at least 1")
        self.per_10min = per_10min
        self._times: deque[float] = deque()
        self.flooding = False

    @property
    def count(self) -> int:
        """Raisings in the window as of the last call."""
        return len(self._times)

    def raised(self, now: float) -> bool:
        """Note a new alarm at ``now``; True when the flood state changed."""
        self._drop(now)
        self._times.append(now)
        return self._judge()

    def expire(self, now: float) -> bool:
        """Let time pass to ``now`` (no new alarm); True when the flood state changed."""
        self._drop(now)
        return self._judge()

    def _drop(self, now: float) -> None:
        while self._times and self._times[0] <= now - WINDOW_S:
            self._times.popleft()

    def _judge(self) -> bool:
        before = self.flooding
        if not self.flooding and len(self._times) > self.per_10min:
            self.flooding = True
        elif self.flooding and len(self._times) < self.per_10min / 2:
            self.flooding = False
        return self.flooding != before

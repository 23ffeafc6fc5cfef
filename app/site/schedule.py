"""The grammar of a zone's ``schedule = "HH:MM-HH:MM"``: one daily window in the site's time zone.

Shared by the site check (which reports a bad one as FILE:LINE) and the vision rules (which ask
whether a moment falls inside it), so both read the text the same way. A window may pass midnight
("22:00-06:00" is 22:00 up to, not including, 06:00 the next morning); equal ends mean all day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class ScheduleError(ValueError):
    """The text is not ``HH:MM-HH:MM``; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class DailyWindow:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # passes midnight

    def contains_epoch(self, at: float, timezone: str) -> bool:
        """Whether the epoch second ``at`` lies inside the window on the site's clock."""
        local = datetime.fromtimestamp(at, ZoneInfo(timezone))
        return self.contains(local.time().replace(tzinfo=None))


def parse_schedule(text: str) -> DailyWindow:
    match = _PATTERN.match(text)
    if match is None:
        raise ScheduleError(f'schedule "{text}" is not a daily window; expected e.g. "22:00-06:00"')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    for h, m in ((h1, m1), (h2, m2)):
        if h > 23 or m > 59:
            raise ScheduleError(f'schedule "{text}": {h:02d}:{m:02d} is not a time of day (00:00-23:59)')
    return DailyWindow(time(h1, m1), time(h2, m2))

"""Time-axis helpers of the trends, in plain Python (no Qt).

Times on a trend are in the *site's* time zone, not the workstation's: a trend viewed from a control
room in another zone must still match the site's logs. These functions read a zone from the site
file's spelling, word a trend window, and format one tick in a zone; the pyqtgraph axis
(:class:`widgets.trend_plot.ZonedDateAxis`) only wires them in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def window_parts(seconds: int) -> tuple[str, int]:
    """A window's length as (unit, count): ("min", 10), ("h", 24), ("d", 7)."""
    if seconds % 604_800 == 0:
        return "d", seconds // 86_400
    if seconds % 3600 == 0:
        return "h", seconds // 3600
    return "min", seconds // 60


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def parse_timezone(text: str | None) -> tzinfo | None:
    """A time zone from an IANA name ("Asia/Shanghai") or a fixed offset ("+08:00", "UTC+8").

    None or "" means the workstation's own zone. Raises ``ValueError`` naming the input otherwise.
    """
    if text is None or not text.strip():
        return None
    name = text.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = _OFFSET.match(name)
    if match is not None:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"time zone offset {text!r} is out of range (at most ±23:59)")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {text!r}: expected an IANA name like 'Asia/Shanghai' "
            "or an offset like '+08:00'"
        ) from exc


def seconds_west_of_utc(at: float, zone: tzinfo) -> float | None:
    """The zone's offset at epoch second ``at``, in seconds *west* of UTC (as ``time.timezone`` and
    pyqtgraph count it); None when ``at`` cannot be placed in the zone."""
    try:
        offset = datetime.fromtimestamp(at, zone).utcoffset()
    except (OverflowError, OSError, ValueError):
        return None
    return None if offset is None else -offset.total_seconds()


def tick_text(value: float, zone: tzinfo, fmt: str) -> str:
    """One tick label: epoch second ``value`` in ``zone``, formatted as pyqtgraph's date axis does
    ("" when it cannot be placed): milliseconds rather than microseconds, no leading zero on years."""
    try:
        text = datetime.fromtimestamp(value, zone).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return ""
    if "%f" in fmt:
        return text[:-3]
    if "%Y" in fmt:
        return text.lstrip("0")
    return text

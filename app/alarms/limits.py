"""Which alarm limit a value is beyond: the one rule the gauges, the banner and the site checks share.

A plain comparison of a value with a point's limits, with no on/off delays, deadbands, latching or
shelving (those belong to the alarm engine, which builds on this rule). A value *at* a limit counts as
beyond it, so a pressure that sits exactly on its low-low limit is already shown in alarm.

Only a live value is compared: a reading whose quality is not in :data:`LIVE_QUALITIES` (comm-fail,
stale, bad address, never read) says nothing current about the sensor, so it is never beyond a limit.

Plain Python, no Qt: the ui layer calls it and hands the widgets the answer as plain data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from app.fieldbus.quality import LIVE_QUALITIES
from app.site.schema import BOOL_LIMITS, LIMIT_STACK, NUMERIC_LIMITS

__all__ = [
    "BOOL_LIMITS",
    "LIMIT_SEVERITY",
    "LIMIT_STACK",
    "LIVE_QUALITIES",
    "NUMERIC_LIMITS",
    "is_live",
    "limit_beyond",
    "reading_beyond",
]


# The numeric limits from the lowest to the highest value: how they must stack on a scale.
# The same limits, most severe first: a value beyond both high and high-high is named high-high.
LIMIT_SEVERITY: tuple[str, ...] = ("high-high", "low-low", "high", "low")

Limit = tuple[str, float | None]


def is_live(quality: str) -> bool:
    """Whether a reading of this quality is a current value of the sensor."""
    return quality in LIVE_QUALITIES


def limit_beyond(value: float | bool | None, limits: Iterable[Limit], *, binary: bool = False) -> str | None:
    """The most severe limit ``value`` is at or beyond ("high-high", "low", "on" ...), or None.

    ``limits`` are (kind, value) pairs as the site file gives them; a contact's ``on``/``off`` limits
    have no value. ``binary`` (or a bool ``value``) compares the contact's state with its on/off limits;
    otherwise the numeric limits are checked from the most severe down. NaN and missing values are
    beyond nothing.
    """
    if value is None:
        return None
    pairs = list(limits)
    if binary or isinstance(value, bool):
        on = bool(value)
        for kind, _ in pairs:
            if (kind == "on" and on) or (kind == "off" and not on):
                return kind
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    for kind in LIMIT_SEVERITY:
        for limit_kind, limit in pairs:
            if limit_kind != kind or limit is None or not math.isfinite(limit):
                continue
            high = kind in ("high", "high-high")
            if (high and number >= limit) or (not high and number <= limit):
                return kind
    return None


def reading_beyond(
    quality: str, value: float | bool | None, limits: Iterable[Limit], *, binary: bool = False
) -> str | None:
    """:func:`limit_beyond` for a reading: None unless its quality is live."""
    if not is_live(quality):
        return None
    return limit_beyond(value, limits, binary=binary)

"""Alarm-system performance figures for any period, beside their ISA-18.2 / EEMUA 191 targets.

A plain function over plain records, so the shift report, ``wardroom alarms kpi`` and the tests all
compute the same numbers. Periods are ``[start, end)``; an alarm counts for the period in which it was
raised. Flood is judged on a sliding 10-minute window of raisings, with the same thresholds as the
console (:class:`app.alarms.flood.FloodWatch`): it starts above ``flood_per_10min`` and ends below
half of it.

Targets (ISA-18.2 table 5 / EEMUA 191): about one alarm per 10 minutes on average and at most 10 in
the busiest 10 minutes; under 1 % of the time in flood; the ten most frequent alarms under 5 % of the
load; no chattering alarm; fewer than 5 stale alarms (active over 24 h). Shelved and out-of-service
alarms have no numeric target: they are counted so that none is forgotten.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.alarms.flood import FloodWatch

WINDOW = timedelta(minutes=10)
STALE_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class AlarmRecord:
    """What the figures need of one occurrence."""

    key: str  # the definition key or source: what "the same alarm" means for top-10 and chattering
    raised_at: datetime
    ended_at: datetime | None = None  # back to normal (None: still open)
    shelved: bool = False  # shelved at the end of the period
    out_of_service: bool = False  # out of service at the end of the period
    chattering: bool = False  # marked chattering during the period


@dataclass(frozen=True)
class Kpi:
    kpi: str
    value: float
    target: str
    unit: str


def _peak(times: Sequence[datetime]) -> int:
    """The most raisings in any 10-minute window (``times`` sorted)."""
    peak = 0
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - WINDOW:
            j += 1
        peak = max(peak, i - j + 1)
    return peak


def _flood_seconds(times: Sequence[datetime], start: datetime, end: datetime, per_10min: int) -> float:
    """Seconds of [start, end) spent in flood, replaying the console's flood rule over the raisings."""
    watch = FloodWatch(per_10min)
    flooded = 0.0
    since: datetime | None = None
    events: list[tuple[datetime, bool]] = [(t, True) for t in times] + [(t + WINDOW, False) for t in times]
    events.sort(key=lambda e: (e[0], e[1]))  # a raising leaving the window goes before one entering it
    for at, entering in events:
        if at >= end:
            break
        changed = watch.raised(at.timestamp()) if entering else watch.expire(at.timestamp())
        if changed and watch.flooding:
            since = at
        elif changed and not watch.flooding and since is not None:
            flooded += (at - since).total_seconds()
            since = None
    if since is not None:
        flooded += (end - since).total_seconds()
    return flooded


def compute(
    records: Iterable[AlarmRecord], start: datetime, end: datetime, *, flood_per_10min: int = 10
) -> list[Kpi]:
    """The figures for alarms raised in [start, end), each beside its target."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    inside = sorted((r for r in records if start <= r.raised_at < end), key=lambda r: r.raised_at)
    times = [r.raised_at for r in inside]
    span = (end - start).total_seconds()
    windows = span / WINDOW.total_seconds()
    counts = Counter(r.key for r in inside)
    top10 = sum(n for _, n in counts.most_common(10))
    total = len(inside)
    stale = sum(1 for r in inside if (r.ended_at or end) - r.raised_at > STALE_AFTER)
    return [
        Kpi("alarms", total, "", "alarms"),
        Kpi("alarms per 10 min (mean)", round(total / windows, 3), "≤ 1", "alarms/10 min"),
        Kpi("alarms per 10 min (peak)", _peak(times), "≤ 10", "alarms/10 min"),
        Kpi(
            "time in flood",
            round(100 * _flood_seconds(times, start, end, flood_per_10min) / span, 3),
            "< 1",
            "%",
        ),
        Kpi("top 10 share", round(100 * top10 / total, 3) if total else 0.0, "< 5", "%"),
        Kpi("chattering alarms", len({r.key for r in inside if r.chattering}), "0", "alarms"),
        Kpi("stale alarms (active > 24 h)", stale, "< 5", "alarms"),
        Kpi("shelved", sum(1 for r in inside if r.shelved), "", "alarms"),
        Kpi("out of service", sum(1 for r in inside if r.out_of_service), "", "alarms"),
    ]


def top_ten(records: Iterable[AlarmRecord], start: datetime, end: datetime) -> list[tuple[str, int]]:
    """The ten most frequent alarms of the period with their counts, most frequent first."""
    return Counter(r.key for r in records if start <= r.raised_at < end).most_common(10)

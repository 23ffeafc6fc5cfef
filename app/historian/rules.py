"""Which readings the historian keeps: the deadband and maximum-interval rules, per point.

Why these rules: a fire sensor read once a second for 90 days is 7.8 million rows per point, almost
all of them repeating the previous value. Keeping a reading only when it moved by the point's
``value_deadband`` (the same rule the pollers publish with: a change of exactly the deadband counts,
any change counts for booleans or a zero deadband), or when its quality changed, keeps every real
movement; keeping one at least every ``max_interval_s`` anyway means a flat line still has points, so
a trend can tell "steady" from "no data". A reading without a trustworthy value (comm-fail, stale,
bad-config) is kept only as the transition into that state, with no value, so trends show a gap for
the whole outage rather than a line drawn through it.

Pure logic (no database, no threads), so it can be tested and benchmarked on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

IGNORED_QUALITIES: frozenset[str] = frozenset({"never-read"})
"""Qualities that say nothing about the sensor yet (before the first poll): nothing is stored."""


def crosses(old: float, new: float, deadband: float, is_bool: bool) -> bool:
    """Whether ``new`` moved far enough from the last stored ``old`` to be stored."""
    change = abs(new - old)
    if is_bool or deadband <= 0:
        return change > 0
    return change >= deadband


@dataclass(slots=True)
class PointTrack:
    """What the historian remembers about one point between readings.

    ``stored_*`` describe the last row handed to the database (what the rules compare against);
    ``seen_*`` the newest reading, which the heartbeat repeats when a point stays within its deadband.
    Times are epoch seconds (floats: cheaper than datetimes at 100 readings a second).
    """

    point_id: int
    deadband: float
    stored_ts: float | None = None
    stored_value: float | None = None
    stored_quality: str | None = None
    seen_ts: float | None = None
    seen_value: float | None = None
    seen_quality: str | None = None
    is_bool: bool = False

    def decide(
        self, ts: float, value: float | None, quality: str, max_interval_s: float, deadband: float
    ) -> bool:
        """Note a reading; True if it must be stored (the caller then calls :meth:`stored`)."""
        self.seen_ts, self.seen_value, self.seen_quality = ts, value, quality
        if self.stored_quality is None or quality != self.stored_quality:
            return True
        if value is None or self.stored_value is None or self.stored_ts is None:
            return False  # an outage continues: its start row already says so
        if crosses(self.stored_value, value, deadband, self.is_bool):
            return True
        return ts - self.stored_ts >= max_interval_s

    def stored(self, ts: float, value: float | None, quality: str) -> None:
        self.stored_ts, self.stored_value, self.stored_quality = ts, value, quality

    def heartbeat_due(self, now: float, max_interval_s: float) -> bool:
        """True if a steady point has had no stored row for ``max_interval_s`` (repeat the last reading)."""
        return (
            self.stored_ts is not None
            and self.stored_value is not None
            and self.seen_value is not None
            and self.seen_quality == self.stored_quality
            and now - self.stored_ts >= max_interval_s
        )

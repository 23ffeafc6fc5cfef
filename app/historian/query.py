"""Trend queries: a point's samples over a window, downsampled in SQL when there are too many.

Why min/max/avg per bucket: a trend over 24 h of 1 Hz data has far more samples than a chart has
pixels, but plotting every n-th sample (or only the average) hides exactly what matters on a fire
sensor, a short pressure drop or a temperature spike. Grouping by time bucket in the database and
returning each bucket's minimum and maximum keeps every extreme visible while the result stays
small (at most ``max_points`` rows), and moves no raw rows into Python.

Why dialect-aware SQL: the bucket number is ``milliseconds since window start // bucket width``,
and "milliseconds since" is ``julianday`` arithmetic on SQLite (timestamps are text there) but
``extract(epoch from interval)`` on PostgreSQL.

Gaps: a row with no value marks the start of an outage (comm-fail, stale...). Raw rows keep it as
NaN; a bucket holding such a row is followed by a NaN point. A chart that breaks lines at NaN
(pyqtgraph ``connect="finite"``) then shows the outage as a gap instead of a line across it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, ColumnElement, bindparam, cast, extract, func, select
from sqlalchemy.orm import Session

from models.base import UTCDateTime
from models.history import PointSample

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _empty_float() -> FloatArray:
    return np.empty(0, dtype=np.float64)


def _empty_int() -> IntArray:
    return np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class TrendSeries:
    """One point's trend over ``[start, end)``.

    ``ts`` are epoch seconds (what pyqtgraph's ``DateAxisItem`` expects). For raw rows
    (``bucket_s == 0``) ``min``, ``max`` and ``avg`` are all the sample's value; for buckets ``ts``
    is the bucket start and ``count`` the number of values in it. NaN marks a gap.
    """

    point_key: str
    start: datetime
    end: datetime
    bucket_s: float = 0.0
    ts: FloatArray = field(default_factory=_empty_float)
    min: FloatArray = field(default_factory=_empty_float)
    max: FloatArray = field(default_factory=_empty_float)
    avg: FloatArray = field(default_factory=_empty_float)
    count: IntArray = field(default_factory=_empty_int)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @property
    def bucketed(self) -> bool:
        return self.bucket_s > 0


def _window(point_id: int, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [PointSample.point_id == point_id, PointSample.ts >= start, PointSample.ts < end]


def count_samples(session: Session, point_id: int, start: datetime, end: datetime) -> int:
    return int(session.scalar(select(func.count()).where(*_window(point_id, start, end))) or 0)


def raw_series(
    session: Session, point_key: str, point_id: int, start: datetime, end: datetime
) -> TrendSeries:
    rows = session.execute(
        select(PointSample.ts, PointSample.value)
        .where(*_window(point_id, start, end))
        .order_by(PointSample.ts, PointSample.id)
    ).all()
    ts = np.fromiter((row[0].timestamp() for row in rows), dtype=np.float64, count=len(rows))
    values = np.fromiter(
        (math.nan if row[1] is None else row[1] for row in rows), dtype=np.float64, count=len(rows)
    )
    counts = np.where(np.isnan(values), 0, 1).astype(np.int64)
    return TrendSeries(point_key, start, end, 0.0, ts, values, values.copy(), values.copy(), counts)


def _ms_since(session: Session, start: datetime) -> ColumnElement[int]:
    """SQL for "whole milliseconds from ``start`` to the row's ts", in the session's dialect.

    Integer milliseconds (not float seconds) so a sample exactly on a bucket boundary always lands
    in the same bucket, on both back-ends and in any check that recomputes the buckets.
    """
    start_param = bindparam("window_start", start, type_=UTCDateTime())
    if session.get_bind().dialect.name == "sqlite":
        # julianday() counts whole milliseconds internally; rounding undoes the float's error.
        days = func.julianday(PointSample.ts) - func.julianday(start_param)
        return cast(func.round(days * 86_400_000.0), BigInteger)
    return cast(func.round(extract("epoch", PointSample.ts - start_param) * 1000), BigInteger)


@dataclass
class _Bucket:
    """One time bucket's aggregates, merged from one or more SQL groups."""

    low: float = math.inf
    high: float = -math.inf
    total: float = 0.0
    values: int = 0
    gaps: int = 0

    def add(self, low: float | None, high: float | None, total: float | None, values: int, gaps: int) -> None:
        if values and low is not None and high is not None and total is not None:
            self.low = min(self.low, float(low))
            self.high = max(self.high, float(high))
            self.total += float(total)
            self.values += values
        self.gaps += gaps


def bucket_series(
    session: Session, point_key: str, point_id: int, start: datetime, end: datetime, buckets: int
) -> TrendSeries:
    """``buckets`` equal time buckets over the window, each with min/max/avg; NaN after a gap start."""
    span_ms = round((end - start).total_seconds() * 1000)
    width_ms = max(1, -(-span_ms // buckets))  # ceil: ``buckets`` buckets cover the whole window
    width = width_ms / 1000
    index = (_ms_since(session, start) // bindparam("bucket_ms", width_ms, type_=BigInteger())).label(
        "bucket"
    )
    stmt = (
        select(
            index,
            func.min(PointSample.value),
            func.max(PointSample.value),
            func.sum(PointSample.value),
            func.count(PointSample.value),
            func.count(),
        )
        .where(*_window(point_id, start, end))
        .group_by(index)
    )
    # Merge in Python by clamped bucket number: rounding at the window's edges may put a row in
    # bucket -1 or ``buckets``; folding it into its neighbour keeps the row count bounded.
    merged: dict[int, _Bucket] = {}
    for bucket, low, high, total, values, rows in session.execute(stmt):
        key = min(max(int(bucket), 0), buckets - 1)
        merged.setdefault(key, _Bucket()).add(low, high, total, int(values), int(rows) - int(values))
    start_s = start.timestamp()
    out_ts: list[float] = []
    out_min: list[float] = []
    out_max: list[float] = []
    out_avg: list[float] = []
    out_count: list[int] = []
    for key in sorted(merged):
        entry = merged[key]
        bucket_start = start_s + (key * width_ms) / 1000
        if entry.values:
            out_ts.append(bucket_start)
            out_min.append(entry.low)
            out_max.append(entry.high)
            out_avg.append(entry.total / entry.values)
            out_count.append(entry.values)
        if entry.gaps:
            out_ts.append(bucket_start + width / 2 if entry.values else bucket_start)
            out_min.append(math.nan)
            out_max.append(math.nan)
            out_avg.append(math.nan)
            out_count.append(0)
    return TrendSeries(
        point_key,
        start,
        end,
        width,
        np.array(out_ts, dtype=np.float64),
        np.array(out_min, dtype=np.float64),
        np.array(out_max, dtype=np.float64),
        np.array(out_avg, dtype=np.float64),
        np.array(out_count, dtype=np.int64),
    )


def trend(
    session: Session, point_key: str, point_id: int, start: datetime, end: datetime, max_points: int
) -> TrendSeries:
    """Raw rows if there are at most ``max_points``, else buckets; never more than ``max_points`` rows.

    A bucket with both values and a gap start yields two rows, so if the first bucketing comes out
    too long it is redone with half as many buckets (at most ``2 × buckets`` rows by construction).
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError(f"trend window must be time-zone aware: {start!r} .. {end!r}")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return TrendSeries(point_key, start, end)
    if count_samples(session, point_id, start, end) <= max_points:
        return raw_series(session, point_key, point_id, start, end)
    series = bucket_series(session, point_key, point_id, start, end, max_points)
    if len(series) > max_points:
        series = bucket_series(session, point_key, point_id, start, end, max_points // 2)
    return series

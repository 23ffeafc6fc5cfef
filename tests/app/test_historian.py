"""Historian: deadband/max-interval storage, bounded trend queries that keep extremes, exact purge.

The day-long test replays 24 h of 1 Hz readings (simulated clock) per point through ``record`` into
a real SQLite file: a random walk with an upward and a downward spike, a flat hour, a comm-fail then
stale outage, and an out-of-range spell. It then checks the stored rows against the rules in both
directions (nothing kept without a reason, nothing dropped that the rules say to keep), queries 24 h
per point (<= 2,000 rows, min/max equal to the stored extremes, every stored value inside its
bucket) and purges at a cutoff mid-day (exactly the rows before the cutoff go).

Size: ``DAY_POINTS`` points, the acceptance size of 100 (8.64 M readings, ~21 s here) by default;
``WARDROOM_HISTORIAN_POINTS=12`` shrinks it for a quick local run. Speed is measured in
``bench/bench_historian.py``, not here.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.events import EventBus
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import PointReading
from app.historian import Historian, TrendSeries
from app.historian.rules import PointTrack, crosses
from app.storage.database import Database
from models.history import PointSample
from models.site import Plc, Point
from tests.models.support import fresh_pg_database, sqlite_url

DAY_POINTS = int(os.environ.get("WARDROOM_HISTORIAN_POINTS", "100"))
DAY_S = 86_400
T0 = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
MAX_INTERVAL_S = 60.0
FLAT = (3 * 3600, 4 * 3600)  # a flat hour: only the max-interval rule stores anything
COMM_FAIL = (40_000, 40_600)  # PLC silent for 10 min ...
STALE = (40_600, 40_700)  # ... then answering, but not for this point
OUT_OF_RANGE = (60_000, 60_300)  # every 5th point reads outside its range for 5 min

FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------------------- helpers
def add_points(db: Database, keys: list[str], deadbands: list[float] | None = None) -> None:
    """Site rows the samples hang off (what ``app.site.sync`` would have written)."""

    def run(session: Session) -> None:
        plc = Plc(key="fire-panel-a", protocol="modbus-tcp", host="127.0.0.1", port=5020)
        session.add(plc)
        session.flush()
        for index, key in enumerate(keys):
            band = deadbands[index] if deadbands else 0.0
            session.add(
                Point(
                    key=key,
                    plc_id=plc.id,
                    address=f"hr:{index}",
                    type="float32",
                    kind="pressure",
                    value_deadband=band,
                )
            )

    db.write(run)


def open_db(folder: Path) -> Database:
    db = Database(sqlite_url(folder))
    db.upgrade()
    return db


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Database]:
    with open_db(tmp_path) as database:
        yield database


def stored_rows(db: Database, key: str) -> list[tuple[float, float | None, str]]:
    with db.session() as session:
        rows = session.execute(
            select(PointSample.ts, PointSample.value, PointSample.quality)
            .join(Point, Point.id == PointSample.point_id)
            .where(Point.key == key)
            .order_by(PointSample.ts, PointSample.id)
        ).all()
    return [(ts.timestamp(), value, quality) for ts, value, quality in rows]


def sample_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(PointSample)) or 0)


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@dataclass
class DaySignal:
    """One point's 24 h of 1 Hz readings (index = seconds since T0)."""

    key: str
    deadband: float
    values: FloatArray
    qualities: list[str]
    spike_high: int
    spike_low: int


def day_signal(index: int, rng: np.random.Generator) -> DaySignal:
    walk = 5.0 + np.cumsum(rng.normal(0.0, 0.02, DAY_S))
    walk[FLAT[0] : FLAT[1]] = walk[FLAT[0]]
    high, low = (int(x) for x in rng.choice(np.r_[20_000:39_000, 41_000:59_000], 2, replace=False))
    walk[high] = walk.max() + 10.0
    walk[low] = walk.min() - 10.0
    qualities = ["good"] * DAY_S
    qualities[COMM_FAIL[0] : COMM_FAIL[1]] = ["comm-fail"] * (COMM_FAIL[1] - COMM_FAIL[0])
    qualities[STALE[0] : STALE[1]] = ["stale"] * (STALE[1] - STALE[0])
    if index % 5 == 0:
        qualities[OUT_OF_RANGE[0] : OUT_OF_RANGE[1]] = ["out-of-range"] * (OUT_OF_RANGE[1] - OUT_OF_RANGE[0])
    # During the outage a PointReading still carries the last good value: the historian must not.
    walk[COMM_FAIL[0] : STALE[1]] = walk[COMM_FAIL[0] - 1]
    return DaySignal(f"b{index // 10}.p{index}", 0.05 * (1 + index % 4), walk, qualities, high, low)


def replay(historian: Historian, signal: DaySignal) -> int:
    kept = 0
    record = historian.record
    values = signal.values.tolist()
    for second in range(DAY_S):
        kept += record(signal.key, T0 + second, values[second], signal.qualities[second])
        if second % 3600 == 3599:
            historian.flush()  # as the background thread would, every so often
    return kept


# ------------------------------------------------------------------------------- rule checks
def check_rules(signal: DaySignal, rows: list[tuple[float, float | None, str]]) -> None:
    """Both directions: every stored row had a reason, every reading with a reason was stored."""
    valued = {"good", "out-of-range"}
    index = np.array([round(ts - T0) for ts, _, _ in rows], dtype=np.int64)
    assert np.all(np.diff(index) > 0), "one row per reading at most, in time order"
    stored = np.zeros(DAY_S, dtype=bool)
    stored[index] = True
    for (_ts, value, quality), i in zip(rows, index, strict=True):
        assert quality == signal.qualities[i]
        if quality in valued:
            assert value == signal.values[i], f"stored value differs from the reading at {i}"
        else:
            assert value is None, f"a {quality} row must not carry a value (at {i})"
    # Consecutive stored rows: a reason for each.
    for (t1, v1, q1), (t2, v2, q2) in itertools.pairwise(rows):
        if q1 != q2:
            continue
        assert v1 is not None and v2 is not None, f"two {q1} rows in a row at {t2 - T0:.0f}"
        assert crosses(v1, v2, signal.deadband, False) or t2 - t1 >= MAX_INTERVAL_S, (
            f"stored {v2} at {t2 - T0:.0f} s within the deadband of {v1} and within the max interval"
        )
    # Readings not stored: no reason to store them.
    last = np.maximum.accumulate(np.where(stored, np.arange(DAY_S), -1))
    assert stored[0]
    qualities = np.array(signal.qualities)
    skipped = np.flatnonzero(~stored)
    before = last[skipped]
    assert np.all(qualities[skipped] == qualities[before]), "a quality change was not stored"
    good_skips = np.isin(qualities[skipped], list(valued))
    s, b = skipped[good_skips], before[good_skips]
    assert np.all(np.abs(signal.values[s] - signal.values[b]) < signal.deadband), (
        "a deadband crossing was lost"
    )
    assert np.all(s - b < MAX_INTERVAL_S), "a max-interval sample was lost"
    # The spikes and the outage are where they must be.
    assert stored[signal.spike_high] and stored[signal.spike_low]
    assert stored[COMM_FAIL[0]] and stored[STALE[0]] and stored[STALE[1]]
    assert not stored[COMM_FAIL[0] + 1 : STALE[0]].any() and not stored[STALE[0] + 1 : STALE[1]].any()
    flat = index[(index >= FLAT[0]) & (index < FLAT[1])]
    assert np.all(np.diff(flat) == MAX_INTERVAL_S), "a flat line is stored once per max interval"


def check_trend(series: TrendSeries, rows: list[tuple[float, float | None, str]], max_points: int) -> bool:
    """At most ``max_points`` rows; min/max equal the stored extremes; every value inside its bucket
    (a raw row is its own bucket). Returns whether the series was bucketed."""
    assert 0 < len(series) <= max_points
    assert series.bucketed == (len(rows) > max_points)
    values = np.array([v for _, v, _ in rows if v is not None])
    times = np.array([t for t, v, _ in rows if v is not None])
    assert np.nanmax(series.max) == values.max()
    assert np.nanmin(series.min) == values.min()
    real = ~np.isnan(series.max)
    assert int(series.count[real].sum()) == len(values)
    starts, lows, highs = series.ts[real], series.min[real], series.max[real]
    bucket = np.searchsorted(starts, times, side="right") - 1
    assert np.all(bucket >= 0)
    assert np.all(lows[bucket] <= values) and np.all(values <= highs[bucket])
    assert np.all(np.diff(series.ts) >= 0)
    # The outage shows as a gap: a NaN point between its start and the restore.
    gap_start = next(t for t, v, _ in rows if v is None)
    nan_ts = series.ts[np.isnan(series.max)]
    assert np.any((nan_ts >= gap_start - series.bucket_s) & (nan_ts <= gap_start + series.bucket_s))
    return series.bucketed


# ------------------------------------------------------------------------------------- tests
def test_a_day_of_1hz_samples_is_stored_queried_and_purged(db: Database) -> None:
    rng = np.random.default_rng(20260301)
    signals = [day_signal(i, rng) for i in range(DAY_POINTS)]
    add_points(db, [s.key for s in signals], [s.deadband for s in signals])
    historian = Historian(db, max_interval_s=MAX_INTERVAL_S, retention_days=90, clock=lambda: T0)
    historian.load_points()

    kept = sum(replay(historian, signal) for signal in signals)
    historian.flush()
    assert historian.pending == 0
    total = sample_count(db)
    assert total == kept
    assert total < DAY_POINTS * DAY_S / 3, "the deadband should keep a fraction of the readings"

    start, end = datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + DAY_S, UTC)
    bucketed = 0
    for signal in signals:
        rows = stored_rows(db, signal.key)
        check_rules(signal, rows)
        bucketed += check_trend(historian.query(signal.key, start, end, max_points=2000), rows, 2000)
    assert bucketed >= DAY_POINTS // 4, "the smallest deadbands keep more than 2,000 rows a day"

    # Raw rows when the window holds few enough: the flat hour is one row a minute.
    flat = historian.query(
        signals[0].key, start + timedelta(seconds=FLAT[0]), start + timedelta(seconds=FLAT[1])
    )
    assert not flat.bucketed and len(flat) == 60
    assert np.all(flat.min == flat.max) and np.all(flat.max == signals[0].values[FLAT[0]])

    # Purge at "now" = noon + 90 days: exactly the samples before noon go.
    noon = datetime.fromtimestamp(T0 + DAY_S / 2, UTC)
    with db.session() as session:
        older = session.scalar(select(func.count()).where(PointSample.ts < noon))
    assert older and 0 < older < total
    removed = historian.purge(now=noon + timedelta(days=90))
    assert removed == older
    assert sample_count(db) == total - older
    with db.session() as session:
        oldest = session.scalar(select(func.min(PointSample.ts)))
    assert oldest is not None and oldest >= noon
    assert historian.purge(now=noon + timedelta(days=90)) == 0


def test_purge_keeps_the_sample_exactly_at_the_cutoff(db: Database) -> None:
    add_points(db, ["a", "b"])
    now = T0 + 200 * 86_400
    historian = Historian(db, retention_days=90, clock=lambda: now, batch_rows=7)
    cutoff = historian.cutoff()
    assert cutoff == datetime.fromtimestamp(now, UTC) - timedelta(days=90)
    c = cutoff.timestamp()
    # 30 rows a point around the cutoff, far apart in value so each is kept.
    offsets = [-1e-6, 0.0, 1e-6, *range(-20, 0), *range(1, 8)]
    for key in ("a", "b"):
        for n, offset in enumerate(sorted(offsets)):
            assert historian.record(key, c + offset, float(n), "good")
    historian.flush()
    assert sample_count(db) == 2 * len(offsets)
    removed = historian.purge()  # batches of 7 rows: several transactions per point
    assert removed == 2 * sum(1 for o in offsets if o < 0)
    remaining = stored_rows(db, "a")
    assert remaining[0][0] == pytest.approx(c, abs=1e-7)  # the boundary row stayed
    assert all(t >= c for t, _, _ in remaining)
    assert len(remaining) == sum(1 for o in offsets if o >= 0)


def test_deadband_comes_from_the_point_and_booleans_store_every_change(db: Database) -> None:
    add_points(db, ["level", "smoke"], [0.5, 0.0])
    historian = Historian(db, max_interval_s=60)
    readings: list[tuple[str, float, float | bool]] = [
        ("level", 0, 1.0),
        ("level", 1, 1.3),
        ("level", 2, 1.5),
        ("level", 3, 1.9),
        ("level", 4, 2.0),
        ("smoke", 0, False),
        ("smoke", 1, False),
        ("smoke", 2, True),
        ("smoke", 3, False),
    ]
    kept = [historian.record(key, T0 + t, value, "good") for key, t, value in readings]
    assert kept == [True, False, True, False, True, True, False, True, True]
    historian.flush()
    assert [v for _, v, _ in stored_rows(db, "level")] == [1.0, 1.5, 2.0]  # a change of exactly 0.5 counts
    assert [v for _, v, _ in stored_rows(db, "smoke")] == [0.0, 1.0, 0.0]
    # An explicit deadband overrides the point's.
    assert historian.record("level", T0 + 5, 2.2, "good", deadband=0.1)


def test_heartbeat_repeats_a_steady_point_once_per_max_interval(db: Database) -> None:
    add_points(db, ["p"], [1.0])
    now = [T0]
    historian = Historian(db, max_interval_s=60, clock=lambda: now[0])
    assert historian.on_reading(PointReading("p", 3.0, 3, "good", now[0]))
    now[0] = T0 + 30
    assert not historian.on_reading(PointReading("p", 3.2, 3, "good", now[0]))
    assert historian.heartbeat() == 0
    now[0] = T0 + 60
    assert historian.heartbeat() == 1  # the newest reading, stamped now
    assert historian.heartbeat() == 0
    now[0] = T0 + 70
    assert historian.on_reading(PointReading("p", None, None, "comm-fail", T0 + 30))
    now[0] = T0 + 500
    assert historian.heartbeat() == 0  # no value to repeat during an outage
    historian.flush()
    assert stored_rows(db, "p") == [(T0, 3.0, "good"), (T0 + 60, 3.2, "good"), (T0 + 70, None, "comm-fail")]


def test_subscribed_to_the_bus_it_records_value_and_quality_events(db: Database) -> None:
    add_points(db, ["p"], [0.1])
    historian = Historian(db)
    historian.load_points()
    bus = EventBus()
    unsubscribe = historian.subscribe(bus)
    at = datetime.fromtimestamp(T0, UTC)
    good = PointReading("p", 0.42, 420, "good", T0)
    bus.publish(PointValueChanged(plc_id="fire-panel-a", reading=good, at=at))
    failed = PointReading("p", 0.42, 420, "comm-fail", T0, "PLC fire-panel-a did not answer")
    bus.publish(
        PointQualityChanged(
            plc_id="fire-panel-a", reading=failed, previous="good", at=at + timedelta(seconds=5)
        )
    )
    unsubscribe()
    bus.publish(PointValueChanged(plc_id="fire-panel-a", reading=good, at=at + timedelta(seconds=9)))
    historian.flush()
    assert stored_rows(db, "p") == [(T0, 0.42, "good"), (T0 + 5, None, "comm-fail")]


def test_unknown_points_and_never_read_are_skipped(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    add_points(db, ["p"])
    historian = Historian(db)
    with caplog.at_level(logging.WARNING, logger="wardroom.historian"):
        assert not historian.record("ghost", T0, 1.0, "good")
        assert not historian.record("ghost", T0 + 1, 2.0, "good")
    assert sum("ghost" in r.getMessage() for r in caplog.records) == 1  # warned once, not per reading
    assert not historian.record("p", T0, None, "never-read")
    assert historian.record("p", T0, float("nan"), "out-of-range")  # kept as a transition, value NULL
    with pytest.raises(KeyError, match="ghost"):
        historian.query("ghost", datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + 1, UTC))
    with pytest.raises(ValueError, match="naive"):
        historian.record("p", datetime(2026, 1, 1), 1.0, "good")
    historian.flush()
    assert stored_rows(db, "p") == [(T0, None, "out-of-range")]


def test_rows_wait_in_a_bounded_buffer_when_the_database_is_gone(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    add_points(db, ["p"])
    historian = Historian(db, max_buffer_rows=5)
    for n in range(8):
        historian.record("p", T0 + n, float(n), "good")
    assert historian.pending == 5  # the three oldest were dropped
    db.close()
    with pytest.raises(Exception, match="closed"):
        historian.flush()
    assert historian.pending == 5  # kept for the next try
    historian.stop()  # logs the failure, does not raise


def test_stop_keeps_to_its_budget_when_the_database_is_busy(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The station stops within 5 s: a final flush stuck behind a busy writer must not stretch that."""
    add_points(db, ["p"])
    historian = Historian(db, flush_interval_s=60.0)
    historian.start()
    historian.record("p", T0, 1.0, "good")
    inside, release = threading.Event(), threading.Event()

    def hold(session: Session) -> None:  # another writer (alarms, audit) holding the single writer
        inside.set()
        release.wait(30)

    holder = threading.Thread(target=db.write, args=(hold,), kwargs={"timeout_s": 40}, name="busy-writer")
    holder.start()
    try:
        assert inside.wait(10)
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="wardroom.historian"):
            historian.stop(timeout_s=1.0)
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)
    assert took < 3.0, f"stop(timeout_s=1) took {took:.1f} s"
    assert "final flush failed; 1 samples not written" in caplog.text
    assert not any(t.name == "wardroom-historian" for t in threading.enumerate())


def test_background_thread_flushes_heartbeats_and_purges(db: Database) -> None:
    add_points(db, ["old", "new"], [0.0, 0.0])
    now = T0 + 200 * 86_400
    current = {"new": PointReading("new", 2.0, 2, "good", now)}  # the pollers no longer read "old"
    historian = Historian(
        db, retention_days=90, clock=lambda: now, flush_interval_s=0.05, purge_every_s=0.2, latest=current.get
    )
    historian.record("old", now - 100 * 86_400, 1.0, "good")
    historian.record("new", now - 61, 2.0, "good")  # steady for more than the max interval
    historian.start()
    try:
        assert wait_for(lambda: stored_rows(db, "old") == [] and len(stored_rows(db, "new")) == 2)
    finally:
        historian.stop()
    assert not any(t.name == "wardroom-historian" for t in threading.enumerate())
    assert stored_rows(db, "new") == [(now - 61, 2.0, "good"), (now, 2.0, "good")]  # the heartbeat
    assert stored_rows(db, "old") == []  # purged, and not repeated: its poller has no reading


def test_heartbeat_with_latest_stores_an_unseen_quality_change(db: Database) -> None:
    add_points(db, ["p"], [1.0])
    current: dict[str, PointReading] = {}
    historian = Historian(db, max_interval_s=60, latest=current.get)
    historian.record("p", T0, 3.0, "good")
    current["p"] = PointReading("p", 3.0, 3, "stale", T0, "no good read for 3 poll periods")
    assert historian.heartbeat(T0 + 59) == 0
    assert historian.heartbeat(T0 + 60) == 1
    assert historian.heartbeat(T0 + 600) == 0  # an outage is one row, not a heartbeat a minute
    historian.flush()
    assert stored_rows(db, "p") == [(T0, 3.0, "good"), (T0 + 60, None, "stale")]


def test_a_flapping_point_still_fits_max_points_and_keeps_its_extremes(db: Database) -> None:
    """Every bucket holding both values and an outage start needs a NaN after it: the query halves
    the bucket count rather than return more than ``max_points`` rows."""
    add_points(db, ["flap"], [0.0])
    historian = Historian(db)
    for second in range(3600):
        good = second % 2 == 0
        historian.record(
            "flap", T0 + second, float(second) if good else None, "good" if good else "comm-fail"
        )
    historian.flush()
    start = datetime.fromtimestamp(T0, UTC)
    series = historian.query("flap", start, start + timedelta(hours=1), max_points=10)
    assert series.bucketed and len(series) == 10
    assert np.nanmin(series.min) == 0.0 and np.nanmax(series.max) == 3598.0
    assert int(np.isnan(series.max).sum()) == 5  # one gap marker after each of the 5 buckets


def test_query_of_an_empty_or_inverted_window(db: Database) -> None:
    add_points(db, ["p"])
    historian = Historian(db)
    start = datetime.fromtimestamp(T0, UTC)
    assert len(historian.query("p", start, start + timedelta(hours=1))) == 0
    assert len(historian.query("p", start, start - timedelta(hours=1))) == 0
    with pytest.raises(ValueError, match="max_points"):
        historian.query("p", start, start + timedelta(hours=1), max_points=1)


def test_point_track_rules() -> None:
    track = PointTrack(point_id=1, deadband=0.5)
    assert track.decide(0, 1.0, "good", 60, 0.5)
    track.stored(0, 1.0, "good")
    assert not track.decide(10, 1.49, "good", 60, 0.5)
    assert track.decide(11, 1.5, "good", 60, 0.5)  # exactly the deadband
    assert track.decide(60, 1.2, "good", 60, 0.5)  # max interval elapsed
    assert track.decide(61, 1.0, "out-of-range", 60, 0.5)  # quality changed
    track.stored(61, None, "comm-fail")
    assert not track.decide(200, None, "comm-fail", 60, 0.5)  # the outage continues: nothing new
    assert track.decide(201, None, "stale", 60, 0.5)
    assert crosses(0.0, 1.0, 5.0, True) and not crosses(1.0, 1.0, 0.0, False)


# --------------------------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_trend_query_and_purge_on_postgresql() -> None:
    """The same bucketing (epoch arithmetic differs) and purge rules on PostgreSQL, 2 points x 24 h."""
    rng = np.random.default_rng(7)
    signals = [day_signal(i, rng) for i in range(2)]
    with fresh_pg_database() as url, Database(url) as db:
        db.upgrade()
        add_points(db, [s.key for s in signals], [s.deadband for s in signals])
        historian = Historian(db, max_interval_s=MAX_INTERVAL_S, clock=lambda: T0)
        for signal in signals:
            replay(historian, signal)
        historian.flush()
        start, end = datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + DAY_S, UTC)
        for signal in signals:
            rows = stored_rows(db, signal.key)
            check_rules(signal, rows)
            check_trend(historian.query(signal.key, start, end, max_points=2000), rows, 2000)
        total = sample_count(db)
        noon = datetime.fromtimestamp(T0 + DAY_S / 2, UTC)
        with db.session() as session:
            older = session.scalar(select(func.count()).where(PointSample.ts < noon))
        assert historian.purge(now=noon + timedelta(days=90)) == older
        assert sample_count(db) == total - older

"""Historian benchmark: 24 h of 1 Hz readings for 100 points (simulated clock) into a real SQLite file.

Run: ``.venv/bin/python -m bench.bench_historian [--points 100] [--url postgresql://...]``

Prints a table: readings/s through ``record`` (the deadband decision, on the caller's thread), rows
kept, rows/s written by ``flush`` (batched transactions through the single writer), database size,
24 h trend query time per point (bucketed, <= 2,000 rows) and 1 h raw query time, and the purge of
half the day. Not a test: numbers depend on the machine (printed at the top). The same data set is
checked for correctness by ``tests/app/test_historian.py`` with ``WARDROOM_HISTORIAN_POINTS=100``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from app.historian import Historian
from app.storage.database import Database
from models.site import Plc, Point

DAY_S = 86_400
T0 = datetime(2026, 3, 1, tzinfo=UTC).timestamp()


def _add_points(db: Database, keys: list[str], deadbands: list[float]) -> None:
    def run(session: Session) -> None:
        plc = Plc(key="bench-plc", protocol="modbus-tcp", host="127.0.0.1", port=5020)
        session.add(plc)
        session.flush()
        for index, (key, band) in enumerate(zip(keys, deadbands, strict=True)):
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


def _signals(points: int) -> np.ndarray:
    """Random walks (sigma 0.02 a second) with one spike each: a pressure sensor's ordinary day."""
    rng = np.random.default_rng(1)
    walks = 5.0 + np.cumsum(rng.normal(0.0, 0.02, (points, DAY_S)), axis=1)
    spikes = rng.integers(0, DAY_S, points)
    walks[np.arange(points), spikes] += 10.0
    return walks


def run(points: int, url: str | None) -> list[tuple[str, str]]:
    results: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        db = Database(url or f"sqlite:///{db_path}")
        try:
            db.upgrade()
            keys = [f"p{i}" for i in range(points)]
            deadbands = [0.05 * (1 + i % 4) for i in range(points)]
            _add_points(db, keys, deadbands)
            walks = _signals(points)
            historian = Historian(db, max_interval_s=60, clock=lambda: T0)
            historian.load_points()

            record_s = flush_s = 0.0
            kept = written = 0
            for index, key in enumerate(keys):
                values = walks[index].tolist()
                record = historian.record
                started = time.perf_counter()
                for second in range(DAY_S):
                    kept += record(key, T0 + second, values[second], "good")
                record_s += time.perf_counter() - started
                if index % 10 == 9 or index == points - 1:
                    started = time.perf_counter()
                    written += historian.flush()
                    flush_s += time.perf_counter() - started
            readings = points * DAY_S
            results.append(("readings recorded", f"{readings:,}"))
            results.append(("record(): readings/s", f"{readings / record_s:,.0f}"))
            results.append(("rows kept (deadband + 60 s max interval)", f"{kept:,} ({kept / readings:.1%})"))
            results.append(("flush(): rows/s written (5,000 a transaction)", f"{written / flush_s:,.0f}"))
            if url is None:
                size = sum(p.stat().st_size for p in Path(tmp).glob("bench.sqlite3*"))
                results.append(
                    ("SQLite file size", f"{size / 1e6:,.0f} MB ({size / max(1, kept):.0f} B/row)")
                )

            start, end = datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + DAY_S, UTC)
            day_ms: list[float] = []
            rows: list[int] = []
            for key in keys:
                started = time.perf_counter()
                series = historian.query(key, start, end, max_points=2000)
                day_ms.append((time.perf_counter() - started) * 1000)
                rows.append(len(series))
            hour_ms: list[float] = []
            for key in keys:
                started = time.perf_counter()
                historian.query(key, start + timedelta(hours=12), start + timedelta(hours=13))
                hour_ms.append((time.perf_counter() - started) * 1000)
            results.append(
                (
                    "24 h query (<= 2,000 rows): p50 / max ms",
                    f"{statistics.median(day_ms):.1f} / {max(day_ms):.1f}",
                )
            )
            results.append(("24 h query rows: min / max", f"{min(rows)} / {max(rows)}"))
            results.append(
                (
                    "1 h query (raw rows): p50 / max ms",
                    f"{statistics.median(hour_ms):.1f} / {max(hour_ms):.1f}",
                )
            )

            started = time.perf_counter()
            removed = historian.purge(now=start + timedelta(hours=12, days=90))
            purge_s = time.perf_counter() - started
            results.append(
                (
                    "purge of half the day",
                    f"{removed:,} rows in {purge_s:.2f} s ({removed / purge_s:,.0f} rows/s)",
                )
            )
        finally:
            db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {args.url or 'SQLite (WAL, synchronous=FULL)'}"
    )
    results = run(args.points, args.url)
    width = max(len(name) for name, _ in results)
    for name, value in results:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()

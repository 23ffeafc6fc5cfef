"""Reports benchmark: an incident report with 10 pictures and 2 trends to PDF, and the alarm journal
of 10,000 and 20,000 rows (time and peak memory), each beside a baseline measured in the same run.

Run: ``.venv/bin/python -m bench.bench_reports [--repeat 5] [--journal-repeat 3]``

- Incident: a real SQLite file of a small site; 10 snapshots attached, camera pictures at 1280×720
  (ultralytics' ``zidane.jpg``, ``bus.jpg``'s street cut to 16:9, the demo gate with a car and its
  plate), 2 alarms whose points have an hour of 1 Hz samples. Time to PDF = build (queries, reading
  and masking the pictures: faces and plates) + paint (layout, charts, ``QPdfWriter``), in this
  process; the detectors are loaded before the first run (a station or GUI has them loaded).
  Baseline: the same incident with no pictures and no trends.
  Target: ≤ 2 s.
- Journal: each run in a child interpreter (``tests/app/reports/measure_journal.py``) so its peak
  resident memory is its own; growth is measured from a baseline taken once Qt and the database are
  up. Baseline: 10,000 rows; the 20,000-row ratio shows whether memory stays flat.

Not a test: numbers depend on the machine (printed at the top); timings on a shared 2-core machine
are noisy, hence the repetitions and the spread ("median [min-max]").
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.alarms import journal
from app.alarms.journal import NewAlarm
from app.auth.users import UserInfo, UserService
from app.incidents.service import IncidentService
from app.reports.common import Request
from app.reports.incident import build_incident_report
from app.reports.masking import DEFAULT_MASK
from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import Database
from app.video import snapshots
from app.video.frames import Frame
from bench.report import cell, cpu_model, table
from models.history import PointSample
from models.site import Point
from tests.app.alarm_support import SITE
from tests.app.reports.journal_fixture import fill_journal
from ui.reports.pdf import render_pdf

REPO = Path(__file__).resolve().parent.parent
PICTURES = 10
TREND_S = 3600


def _assets() -> list[np.ndarray]:
    """Camera pictures, 16:9 like every camera on a site: zidane.jpg (1280x720, two faces), bus.jpg's
    street cut to 16:9 and scaled to 1280x720 (a bus, four pedestrians), and the demo gate camera's
    scene (a car with a plate)."""
    from app.sim.scenes import open_scene

    spec = importlib.util.find_spec("ultralytics")
    if spec is None or spec.origin is None:
        raise SystemExit("ultralytics is not installed: its sample pictures are this benchmark's snapshots")
    folder = Path(spec.origin).parent / "assets"
    zidane, bus = (cv2.imread(str(folder / name)) for name in ("zidane.jpg", "bus.jpg"))
    if zidane is None or bus is None:
        raise SystemExit(f"ultralytics' sample pictures are missing from {folder}")
    street = cv2.resize(bus[330 : 330 + 456], (1280, 720), interpolation=cv2.INTER_CUBIC)
    gate = open_scene("gate", "gate", (1280, 720)).frame(1_000_012.0)
    return [zidane, street, gate]


def _incident(folder: Path, with_media: bool) -> tuple[Database, int, UserInfo, Path]:
    """A site, two alarms (with an hour of samples on their points when ``with_media``), an incident."""
    site_file = folder / "site.toml"
    site_file.write_text(SITE, encoding="utf-8")
    db = Database(f"sqlite:///{folder / 'bench.sqlite3'}")
    db.upgrade()
    sync_site(db, load_site(site_file))
    from argon2 import PasswordHasher

    user = UserService(db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add(
        "bench", "duty-officer", "long-enough-pw"
    )
    now = datetime.now(UTC)
    ids = []
    for key, category, priority in (
        ("b3.pressure/low", "supervisory", "high"),
        ("b3.temp/high", "fault", "medium"),
    ):
        new = NewAlarm(
            key=key,
            source=f"point:{key.split('/')[0]}",
            category=category,
            priority=priority,
            message=key,
            state="unacknowledged",
            building="B3",
            definition_key=key,
            value=1.0,
        )

        def raise_one(session: Session, alarm: NewAlarm = new) -> object:
            return journal.raise_alarm(session, alarm, now - timedelta(minutes=5))[0]

        view = db.write(raise_one)
        assert isinstance(view, journal.AlarmView)
        ids.append(view.id or 0)
    service = IncidentService(db)
    incident = service.create(user, "bench incident", alarm_ids=ids if with_media else []).id
    root = folder / "snapshots"
    if with_media:

        def samples(session: Session) -> None:
            for key in ("b3.pressure", "b3.temp"):
                pid = session.scalar(select(Point.id).where(Point.key == key))
                start = now - timedelta(seconds=TREND_S)
                session.execute(
                    insert(PointSample),
                    [
                        {
                            "point_id": pid,
                            "ts": start + timedelta(seconds=i),
                            "value": 0.3 + 0.1 * np.sin(i / 60),
                            "quality": "good",
                        }
                        for i in range(TREND_S)
                    ],
                )

        db.write(samples)
        assets = _assets()
        for n in range(PICTURES):
            frame = Frame(image=assets[n % len(assets)], at=time.time(), seq=n)
            snap = snapshots.take(db, frame, "b3-lobby", user, root=root)
            service.attach_snapshot(user, incident, snap.id)
    return db, incident, user, root


def _time_incident(with_media: bool, repeat: int) -> tuple[list[float], list[float], list[int], list[float]]:
    builds: list[float] = []
    paints: list[float] = []
    pages: list[int] = []
    masking: list[float] = []  # per run: finding and blurring faces and plates in every picture
    with tempfile.TemporaryDirectory(prefix="wardroom-bench-") as tmp:
        folder = Path(tmp)
        db, incident, user, root = _incident(folder, with_media)
        if with_media:
            DEFAULT_MASK(_assets()[-1])  # loads the face and plate detectors, as a running app has them
        try:
            for n in range(repeat):
                spent: list[float] = []

                def timed(image: np.ndarray, spent: list[float] = spent) -> np.ndarray:
                    t0 = time.perf_counter()
                    out = DEFAULT_MASK(image)
                    spent.append(time.perf_counter() - t0)
                    return out

                began = time.perf_counter()
                request = Request(user.name, "zh_CN", datetime.now(UTC), mask_image=timed)
                with db.session() as session:
                    report = build_incident_report(session, incident, request, root)
                built = time.perf_counter()
                painted = render_pdf(report, folder / f"incident-{n}.pdf")
                done = time.perf_counter()
                builds.append(built - began)
                paints.append(done - built)
                pages.append(painted.pages)
                masking.append(sum(spent))
        finally:
            db.close()
    return builds, paints, pages, masking


def _journal(rows: int, repeat: int) -> list[dict[str, float]]:
    out = []
    with tempfile.TemporaryDirectory(prefix="wardroom-bench-") as tmp:
        folder = Path(tmp)
        site_file = folder / "site.toml"
        site_file.write_text(SITE, encoding="utf-8")
        db = Database(f"sqlite:///{folder / 'journal.sqlite3'}")
        db.upgrade()
        sync_site(db, load_site(site_file))
        start, end = fill_journal(db, rows)
        db.close()
        for n in range(repeat):
            child = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.app.reports.measure_journal",
                    db.url,
                    start.isoformat(),
                    end.isoformat(),
                    str(folder / f"journal-{n}.pdf"),
                ],
                capture_output=True,
                text=True,
                timeout=900,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            if child.returncode != 0:
                raise SystemExit(child.stderr)
            out.append(json.loads(child.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--journal-repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.reports.pdf import ensure_app

    ensure_app()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    print(f"Incident report to PDF ({args.repeat} runs; seconds, median [min-max])")
    base = _time_incident(False, args.repeat)
    full = _time_incident(True, args.repeat)
    rows = []
    for name, (builds, paints, pages, masking) in (
        ("text only (baseline)", base),
        (f"{PICTURES} pictures + 2 trends", full),
    ):
        totals = [b + p for b, p in zip(builds, paints, strict=True)]
        rows.append(
            [
                name,
                str(pages[0]),
                cell(builds, ".3f"),
                cell(masking, ".3f"),
                cell(paints, ".3f"),
                cell(totals, ".3f"),
            ]
        )
    ratio = statistics.median([b + p for b, p in zip(*full[:2], strict=True)]) / statistics.median(
        [b + p for b, p in zip(*base[:2], strict=True)]
    )
    table(["report", "pages", "build s", "masking s (summed)", "paint s", "to PDF s"], rows)
    total = statistics.median([b + p for b, p in zip(*full[:2], strict=True)])
    verdict = "met" if total <= 2.0 else "NOT met"
    print(f"ratio to baseline: {ratio:.1f}x; target <= 2 s: {verdict} ({total:.2f} s)")
    print()
    print(f"Alarm journal to PDF ({args.journal_repeat} runs each, child interpreters)")
    results = {rows_n: _journal(rows_n, args.journal_repeat) for rows_n in (10_000, 20_000)}
    lines = []
    for rows_n, runs in results.items():
        lines.append(
            [
                f"{rows_n:,} rows" + (" (baseline)" if rows_n == 10_000 else ""),
                str(int(runs[0]["pages"])),
                cell([r["seconds"] for r in runs], ".2f"),
                cell([r["growth_mb"] for r in runs], ".1f"),
                cell([r["peak_mb"] for r in runs], ".0f"),
            ]
        )
    table(["journal", "pages", "time s", "peak growth MB", "peak RSS MB"], lines)
    t_ratio = statistics.median([r["seconds"] for r in results[20_000]]) / statistics.median(
        [r["seconds"] for r in results[10_000]]
    )
    g10 = statistics.median([r["growth_mb"] for r in results[10_000]])
    g20 = statistics.median([r["growth_mb"] for r in results[20_000]])
    print(
        f"20,000 / 10,000 rows: time {t_ratio:.2f}x; peak growth {g20:.1f} vs {g10:.1f} MB "
        f"(limit 200 MB: {'met' if g20 < 200 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()

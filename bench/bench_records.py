"""Records benchmark: search and totals at scale, XLSX import, demo generation; SQLite and PostgreSQL.

Not a timed test: run it by hand and read the tables (``.venv/bin/python -m bench.bench_records``;
``--quick`` for a tenth of the rows). PostgreSQL runs on the server named by ``--pg-url`` (default
``WARDROOM_TEST_PG_URL``) in a database of its own, dropped afterwards; without one it is skipped and
said so. Each cell is p95 (or one value) with median [min-max] over the repetitions.

1. **Search, first page** among 100,000 residents (bulk-loaded, pinyin keys computed as on import):
   ``ResidentService.page`` (the service the page and ``records list`` use: permission check, rules,
   masking) for pinyin initials ``zw``, a full-pinyin prefix ``zhangw``, a name prefix ``张``, part
   of a name ``伟`` and a name nobody has (a full scan). Baseline, interleaved: the unfiltered first
   page through the same service. Target: p95 <= 50 ms.
2. **Volunteer totals for a year** over 1,000,000 service-hour rows (spread over five years, 90 %
   approved, 2,000 volunteers): ``volunteers.totals`` by volunteer. Baseline: the same aggregate as
   bare SQL on the driver connection. Target: p95 <= 200 ms.
3. **XLSX import of 10,000 residents** (generated with openpyxl): wall time and, in a separate run
   (tracemalloc slows Python down), peak Python memory of ``import_file``; baseline: openpyxl reading
   the same file cell by cell.
4. **Demo data generation** (SQLite, the demo site): ``ensure_demo_records``; baseline: Faker drawing
   the same number of names alone.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from app.records.access import Viewer
from app.records.demo import ensure_demo_records
from app.records.hours_summary import refresh
from app.records.importer import import_file
from app.records.names import name_keys
from app.records.residents import ResidentFilter, ResidentService
from app.records.store import insert_residents
from app.records.volunteers import totals
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import Database
from bench.report import cell, cpu_model, pct, table
from models.people import Household, ServiceHours, Volunteer

CLERK = Viewer("bench", "records-clerk")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲桂芬建国红梅志强晓东海燕"
QUERIES = {
    "initials zw": "zw",
    "pinyin zhangw": "zhangw",
    "name prefix 张": "张",
    "part 伟": "伟",
    "no match 𠀀": "𠀀",
}


def _names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        for _ in range(count)
    ]


def fill(db: Database, residents: int, hours: int) -> None:
    """Bulk-load residents (in 100-person buildings' households) and service hours."""
    sync_site(db, load_site(demo_site_path()))
    names = _names(residents, 1)
    keys: dict[str, tuple[str, str]] = {}
    rng = random.Random(2)

    def households(session: object) -> None:
        s = session  # type: ignore[assignment]
        s.execute(
            insert(Household),
            [
                {
                    "building_id": None,
                    "unit": f"{i}",
                    "number": None,
                    "phone": "",
                    "notes": "",
                    "created_at": _NOW,
                }
                for i in range(residents // 3 + 1)
            ],
        )

    db.write(households, timeout_s=600)
    for start in range(0, residents, 20_000):
        rows = []
        for i in range(start, min(residents, start + 20_000)):
            name = names[i]
            if name not in keys:
                keys[name] = name_keys(name)
            rows.append(
                {
                    "name": name,
                    "name_pinyin": keys[name][0],
                    "name_initials": keys[name][1],
                    "birth_date": date(1930, 1, 1) + timedelta(days=rng.randrange(32_000)),
                    "household_id": 1 + i // 3,
                    "phone": "",
                    "emergency_contact": "",
                    "notes": "",
                    "tags": "",
                    "registration": "registered",
                    "created_at": _NOW,
                }
            )
        db.write(lambda s, rows=rows: insert_residents(s, rows), timeout_s=600)
    volunteers = 2000
    db.write(
        lambda s: s.execute(
            insert(Volunteer),
            [{"name": f"V{i}", "phone": "", "skills": "", "active": True} for i in range(volunteers)],
        ),
        timeout_s=600,
    )
    base = date(2022, 1, 1)
    for start in range(0, hours, 50_000):
        rows = [
            {
                "volunteer_id": 1 + rng.randrange(volunteers),
                "served_on": base + timedelta(days=rng.randrange(1826)),
                "minutes": rng.choice((60, 90, 120, 180)),
                "activity": "",
                "approved": rng.random() < 0.9,
                "recorded_at": _NOW,
            }
            for _ in range(start, min(hours, start + 50_000))
        ]
        db.write(lambda s, rows=rows: s.execute(insert(ServiceHours), rows), timeout_s=600)
    db.write(lambda s: refresh(s, {base + timedelta(days=d) for d in range(1826)}), timeout_s=600)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


from models.base import utcnow  # noqa: E402

_NOW = utcnow()


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def bench_search(db: Database, reps: int, runs: int) -> list[list[str]]:
    service = ResidentService(db, CLERK)
    rows: list[list[str]] = []
    results: dict[str, list[float]] = {label: [] for label in ["baseline (no filter)", *QUERIES]}
    hits: dict[str, int] = {}
    for _ in range(reps):
        for label in results:
            query = QUERIES.get(label, "")
            samples = []
            for _ in range(runs):
                samples.append(
                    timed(
                        lambda q=query, k=label: hits.__setitem__(
                            k, len(service.page(ResidentFilter(search=q)))
                        )
                    )
                )
            results[label].append(pct(samples, 0.95))
    base = statistics.median(results["baseline (no filter)"])
    for label, p95s in results.items():
        rows.append(
            [
                f"search {label}",
                str(hits[label]),
                cell(p95s),
                f"{statistics.median(p95s) / base:.2f}",
                "<= 50 ms",
            ]
        )
    return rows


def bench_totals(db: Database, reps: int, runs: int) -> list[list[str]]:
    start, end = date(2025, 1, 1), date(2026, 1, 1)
    bare = text(
        "SELECT volunteer_id, sum(minutes), count(*) FROM service_hours WHERE approved = :t "
        "AND served_on >= :a AND served_on < :b GROUP BY volunteer_id"
    )
    ours: list[float] = []
    baseline: list[float] = []
    count = 0
    with db.session() as session:
        in_year = session.scalar(
            text("SELECT count(*) FROM service_hours WHERE served_on >= :a AND served_on < :b"),
            {"a": start, "b": end},
        )
    for _ in range(reps):
        with db.session() as session:

            def run() -> None:
                nonlocal count
                count = len(totals(session, start, end))

            ours.append(pct([timed(run) for _ in range(runs)], 0.95))
        with db.engine.connect() as conn:
            baseline.append(
                pct(
                    [
                        timed(lambda: conn.execute(bare, {"t": True, "a": start, "b": end}).all())
                        for _ in range(runs)
                    ],
                    0.95,
                )
            )
    return [
        [
            f"totals, a year ({in_year:,} rows in it)",
            str(count),
            cell(ours),
            f"{statistics.median(ours) / statistics.median(baseline):.2f}",
            "<= 200 ms",
        ],
        ["  baseline: bare SQL", str(count), cell(baseline), "1.00", ""],
    ]


def _xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("residents")
    sheet.append(["姓名", "性别", "出生日期", "楼栋", "房号", "户号", "标签"])
    rng = random.Random(5)
    for i, name in enumerate(_names(count, 9)):
        sheet.append(
            [
                name,
                rng.choice("男女"),
                date(1940, 1, 1) + timedelta(days=i * 3),
                "B1" if i % 2 else "B2",
                f"{1 + i % 4}-{101 + i // 8 % 2400}",
                f"X{i // 2}",
                "",
            ]
        )
    book.save(path)


def bench_import(url_factory: Callable[[], Iterator[str]], folder: Path, reps: int) -> list[list[str]]:
    path = folder / "import.xlsx"
    _xlsx(path, 10_000)
    wall: list[float] = []
    peaks: list[float] = []
    baseline: list[float] = []
    landed = 0
    for _ in range(reps):
        from openpyxl import load_workbook

        def read() -> None:
            book = load_workbook(path, read_only=True, data_only=True)
            for _row in book.worksheets[0].iter_rows(values_only=True):
                pass
            book.close()

        baseline.append(timed(read))
        for traced in (False, True):  # tracemalloc slows Python down: time and memory in separate runs
            with url_factory() as url, Database(url) as db:
                db.upgrade()
                sync_site(db, load_site(demo_site_path()))
                if traced:
                    tracemalloc.start()
                t0 = time.perf_counter()
                report = import_file(db, Viewer("bench", "administrator"), "residents", path)
                if traced:
                    peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
                    tracemalloc.stop()
                else:
                    wall.append((time.perf_counter() - t0) * 1000)
                landed = report.landed
    return [
        [
            "XLSX import 10,000 rows (ms)",
            str(landed),
            cell(wall, ".0f"),
            f"{statistics.median(wall) / statistics.median(baseline):.2f}",
            "-",
        ],
        ["  peak Python memory (MiB)", "", cell(peaks), "", ""],
        ["  baseline: openpyxl read alone (ms)", "", cell(baseline, ".0f"), "1.00", ""],
    ]


def bench_demo(folder: Path, reps: int) -> list[list[str]]:
    from faker import Faker

    gen: list[float] = []
    base: list[float] = []
    residents = 0
    for k in range(reps):
        fake = Faker("zh_CN")
        fake.seed_instance(1)
        base.append(timed(lambda f=fake: [f.name() for _ in range(8000)]))
        with Database(f"sqlite:///{folder / f'demo{k}.sqlite3'}") as db:
            db.upgrade()
            sync_site(db, load_site(demo_site_path()))
            t0 = time.perf_counter()
            counts = ensure_demo_records(db)
            gen.append(time.perf_counter() - t0)
            residents = counts.residents if counts else 0
    return [
        [
            "demo generation (s)",
            str(residents),
            cell(gen, ".2f"),
            f"{statistics.median(gen) * 1000 / statistics.median(base):.1f}",
            "seconds",
        ],
        ["  baseline: Faker 8,000 names (ms)", "", cell(base, ".0f"), "1.0", ""],
    ]


@contextmanager
def sqlite_url(folder: Path, name: str) -> Iterator[str]:
    yield f"sqlite:///{folder / name}"


@contextmanager
def pg_url(server: str) -> Iterator[str]:
    from tests.models.support import fresh_pg_database

    base = (
        server.replace("postgresql://", "postgresql+psycopg://", 1)
        if server.startswith("postgresql://")
        else server
    )
    with fresh_pg_database(base, prefix="wardroom_bench_records") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows, fewer repetitions")
    parser.add_argument("--pg-url", default=os.environ.get("WARDROOM_TEST_PG_URL"))
    parser.add_argument(
        "--parts", default="1,2,3,4", help="which parts to run (1 search, 2 totals, 3 import, 4 demo)"
    )
    args = parser.parse_args()
    parts = {int(p) for p in args.parts.split(",")}
    residents, hours = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    reps, runs = (3, 20) if args.quick else (5, 40)
    print(
        f"records benchmark on {cpu_model()}, {os.cpu_count()} cores; "
        f"{residents:,} residents, {hours:,} hours"
    )
    head = ["measure", "rows", "p95 ms median [min-max]", "ratio", "target"]
    with tempfile.TemporaryDirectory(prefix="wardroom-bench-records-") as tmp:
        folder = Path(tmp)
        backends: list[tuple[str, Callable[[], Iterator[str]]]] = [
            ("SQLite", lambda: sqlite_url(folder, f"r{time.monotonic_ns()}.sqlite3"))
        ]
        if args.pg_url:
            backends.append(("PostgreSQL", lambda: pg_url(args.pg_url)))
        else:
            print("PostgreSQL: skipped (no --pg-url and no WARDROOM_TEST_PG_URL)")
        for label, factory in backends:
            rows: list[list[str]] = []
            if parts & {1, 2}:
                with factory() as url, Database(url) as db:
                    db.upgrade()
                    t0 = time.perf_counter()
                    fill(db, residents, hours)
                    print(f"{label}: loaded in {time.perf_counter() - t0:.0f} s")
                    if 1 in parts:
                        rows += bench_search(db, reps, runs)
                    if 2 in parts:
                        rows += bench_totals(db, reps, runs)
            if 3 in parts:
                rows += bench_import(factory, folder, 3 if not args.quick else 1)
            print(f"\n{label}")
            table(head, rows)
            print()
        if 4 in parts:
            print("Demo data (SQLite)")
            table(head, bench_demo(folder, 3 if not args.quick else 1))


if __name__ == "__main__":
    main()

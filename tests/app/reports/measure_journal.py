"""Run in a child interpreter: paint the journal report of a database and print time and memory as JSON.

A child, so the peak resident memory it reports belongs to this report alone: the baseline is taken
after Qt, the fonts and the database are up (what any report costs), the peak is ``VmHWM`` of
``/proc/self/status`` at the end. (Not ``ru_maxrss``: Linux carries the forked copy of the parent's
resident set across ``exec`` into it, so a child of a big parent would report the parent's size.)
``python -m tests.app.reports.measure_journal URL FROM TO OUT.pdf``
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main(url: str, start: str, end: str, out: str) -> None:
    from app.reports.common import Request
    from app.reports.journal import build_journal_report
    from app.storage.database import open_database
    from ui.reports.pdf import ensure_app, render_pdf

    ensure_app()
    db = open_database(url)
    try:
        with db.session() as session:
            session.execute(__import__("sqlalchemy").text("SELECT 1"))
        baseline = rss_mb()
        began = time.perf_counter()
        request = Request(user="bench", lang="zh_CN", now=datetime.now(UTC))
        report = build_journal_report(
            db.session, datetime.fromisoformat(start), datetime.fromisoformat(end), request
        )
        painted = render_pdf(report, Path(out))
        seconds = time.perf_counter() - began
    finally:
        db.close()
    peak = peak_mb()
    print(
        json.dumps(
            {
                "pages": painted.pages,
                "seconds": seconds,
                "baseline_mb": baseline,
                "peak_mb": peak,
                "growth_mb": peak - baseline,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])

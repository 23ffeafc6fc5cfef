"""The alarm journal report of 20,000 rows is streamed page by page: every row printed, memory flat.

Peak memory growth is measured in a child interpreter (so nothing else in the test run counts) from
a baseline taken once Qt, the fonts and the database are up; it must stay under 200 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage.database import Database
from tests.app.alarm_support import open_db, write_site
from tests.app.reports.journal_fixture import fill_journal
from tests.app.reports.support import page_count, pdf_text
from tests.conftest import REPO_ROOT

ROWS = 20_000


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    yield database
    database.close()


def test_a_journal_of_20000_rows_prints_every_row_with_flat_memory(db: Database, tmp_path: Path) -> None:
    start, end = fill_journal(db, ROWS)
    out = tmp_path / "journal.pdf"
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.app.reports.measure_journal",
            db.url,
            start.isoformat(),
            end.isoformat(),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO_ROOT,
    )
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["growth_mb"] < 200, result
    pages = page_count(out)
    assert pages == result["pages"] and pages >= ROWS // 60  # about 45 rows a page
    text = pdf_text(out)
    assert "报警日志" in text and f"共 {ROWS} 条" in text
    # the first and the last row are both printed (drill numbers are in the alarms' messages' order)
    assert "2026-11-01 08:00:00" in text  # the first transition, on the site's clock (Asia/Shanghai)
    last = (start + __import__("datetime").timedelta(seconds=ROWS - 1)).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Shanghai")
    )
    assert last.strftime("%Y-%m-%d %H:%M:%S") in text

"""``wardroom report verify`` and ``wardroom incidents list`` are Qt-free: they run in a child where
importing PySide6, shiboken6 or pyqtgraph raises (and every attempt is reported), and still answer."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from app.audit import chain as audit
from app.reports import verify
from tests.app.alarm_support import open_db, write_site
from tests.test_architecture import ATTEMPT_MARK, REPO_ROOT, _wardroom_without_qt


def test_verify_and_incident_listing_run_without_qt(tmp_path: Path) -> None:
    db = open_db(tmp_path, write_site(tmp_path))
    pdf = tmp_path / "some.pdf"
    pdf.write_bytes(b"%PDF-1.4 a report body\n%%EOF\n")
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    db.write(lambda s: verify.record(s, "li.wei", "WR-INC-TEST-000001", "incident", digest))
    db.write(lambda s: audit.append(s, "someone", "report.other", details={"sha256": "0" * 64}))
    db.close()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _wardroom_without_qt(*args, "--database", db.url), cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip

    ok = run("report", "verify", str(pdf))
    assert ATTEMPT_MARK not in ok.stderr, ok.stderr
    assert ok.returncode == 0 and "WR-INC-TEST-000001" in ok.stdout and "li.wei" in ok.stdout
    pdf.write_bytes(pdf.read_bytes() + b" ")
    changed = run("report", "verify", str(pdf))
    assert ATTEMPT_MARK not in changed.stderr and changed.returncode == 1
    listed = run("incidents", "list", "--json")
    assert ATTEMPT_MARK not in listed.stderr, listed.stderr
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"

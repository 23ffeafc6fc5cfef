"""The ``wardroom`` command line, driven as a user would: the real console script in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo" / "demo.toml"


def wardroom(*args: str, stdin: str = "", env: dict[str, str] | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point (falls back to ``python -m app.cli`` beside the venv's python)."""
    exe = shutil.which("wardroom", path=str(Path(sys.executable).parent))
    cmd = [exe, *args] if exe else [sys.executable, "-m", "app.cli", *args]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=REPO)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def test_site_check_accepts_the_demo_site() -> None:
    result = wardroom("site", "check", str(DEMO))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert result.stderr == ""


def test_site_check_reports_errors_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[site]\nname = "X"\ntimezone = "Asia/Shanghai"\n\n'
        '[[plc]]\nid = "p"\nprotocol = "modbus-tcp"\nhost = "127.0.0.1"\nport = 502\n\n'
        '[[point]]\nid = "a"\nplc = "nope"\naddress = "hr:1"\ntype = "uint16"\nkind = "pressure"\n',
        encoding="utf-8",
    )
    result = wardroom("site", "check", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{bad}:13:"), lines[0]
    assert "nope" in lines[0]


def test_demo_export_writes_a_valid_site(tmp_path: Path) -> None:
    target = tmp_path / "exported"
    result = wardroom("demo", "export", str(target))
    assert result.returncode == 0, result.stderr
    assert (target / "demo.toml").is_file()
    assert any((target / "media").iterdir())
    check = wardroom("site", "check", str(target / "demo.toml"))
    assert check.returncode == 0, check.stderr


def test_db_upgrade_creates_the_schema(tmp_path: Path, db_url: str) -> None:
    result = wardroom("db", "upgrade", "--database", db_url)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli.sqlite3").is_file()
    again = wardroom("db", "upgrade", "--database", db_url)
    assert again.returncode == 0, again.stderr


def test_database_url_from_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    result = wardroom("db", "upgrade", env={"WARDROOM_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.sqlite3").is_file()


def test_users_add_and_list(db_url: str) -> None:
    added = wardroom("users", "add", "li.wei", "--role", "supervisor", "--database", db_url,
                     stdin="correct horse battery\n")
    assert added.returncode == 0, added.stderr
    listed = wardroom("users", "list", "--json", "--database", db_url)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert isinstance(rows, list)
    assert [(r["name"], r["role"]) for r in rows] == [("li.wei", "supervisor")]
    assert "password" not in json.dumps(rows).lower()


def test_users_add_refuses_unknown_role_and_empty_password(db_url: str) -> None:
    bad_role = wardroom("users", "add", "x", "--role", "janitor", "--database", db_url, stdin="pw\n")
    assert bad_role.returncode == 2
    assert "duty-officer" in bad_role.stderr
    no_pw = wardroom("users", "add", "x", "--role", "supervisor", "--database", db_url, stdin="")
    assert no_pw.returncode == 2
    assert "password" in no_pw.stderr


def test_audit_verify_passes_then_names_the_tampered_row(tmp_path: Path, db_url: str) -> None:
    for name in ("a1", "a2", "a3"):
        assert wardroom("users", "add", name, "--role", "duty-officer", "--database", db_url,
                        stdin="pw-long-enough\n").returncode == 0
    ok = wardroom("audit", "verify", "--json", "--database", db_url)
    assert ok.returncode == 0, ok.stderr
    verdict = json.loads(ok.stdout)
    assert verdict[0]["ok"] is True and verdict[0]["rows"] >= 3

    import sqlite3

    con = sqlite3.connect(tmp_path / "cli.sqlite3")
    with con:
        ids = [row[0] for row in con.execute("SELECT id FROM audit_log ORDER BY id")]
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = ?", (ids[1],))
    con.close()
    broken = wardroom("audit", "verify", "--database", db_url)
    assert broken.returncode == 1
    assert f"row {ids[1]}" in broken.stderr


def test_unreadable_database_is_reported_in_words(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    result = wardroom("users", "list", "--database", f"sqlite:///{blocker / 'db.sqlite3'}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("wardroom: ")


def test_gui_refuses_a_broken_site_before_opening_a_window(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[site\nname = 1\n", encoding="utf-8")
    result = wardroom("gui", "--site", str(bad), env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2
    assert result.stderr.startswith(f"{bad}:1:")


def test_version_prints_the_package_version_and_exits_0() -> None:
    from importlib.metadata import version

    result = wardroom("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wardroom {version('wardroom')}\n"
    assert re.fullmatch(r"wardroom \d+\.\d+\.\d+\n", result.stdout), result.stdout
    assert result.stderr == ""


def test_an_unparsable_database_url_is_refused_without_its_password() -> None:
    result = wardroom("db", "upgrade", "--database", "postgresql://ward:s3cret@db.example:notaport/wardroom")
    assert result.returncode != 0
    assert "s3cret" not in result.stdout + result.stderr
    assert "ward:***@db.example:notaport" in result.stderr, result.stderr

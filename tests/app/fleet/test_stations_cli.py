"""``wardroom stations`` end to end: rows written by the lease functions, read by the real console script.

The stations are not run: their rows are written as a station would write them (register, acquire,
beat, stopped), with heartbeats placed in the past, so the report's words for a live, a silent and a
cleanly stopped station are checked without waiting for a lease to expire.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.fleet import leases
from app.fleet.clock import db_now
from app.storage.database import Database, open_database
from models.fleet import StationRow
from tests.app.test_cli import wardroom
from tests.models.support import fresh_pg_database, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same checks on a SQLite file and on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with fresh_pg_database() as url:
        yield url


def add_station(
    db: Database,
    name: str,
    owns: dict[str, list[str]],
    *,
    age_s: float = 0.0,
    standby: bool = False,
    pid: int = 4242,
) -> None:
    """A station row with leases on ``owns`` (connection key -> members), last heartbeat ``age_s`` ago."""

    def write(session: Session) -> None:
        now = db_now(session)
        then = now - timedelta(seconds=age_s)
        leases.register(session, leases.StationIdentity(name, f"host-{name}", pid, standby), then)
        for key, members in owns.items():
            assert leases.acquire(session, key, members, name, then).ok
        session.execute(update(StationRow).where(StationRow.name == name).values(heartbeat_at=then))

    db.write(write)


def stop_station(db: Database, name: str) -> None:
    db.write(lambda s: leases.stopped(s, name, db_now(s)))


def test_stations_lists_live_silent_and_stopped_and_exits_0(db_url: str) -> None:
    with open_database(db_url) as db:
        add_station(
            db, "alpha", {"tcp:127.0.0.1:5020": ["plc:panel", "plc:pumps"], "camera:gate": ["camera:gate"]}
        )
        add_station(db, "bravo", {"serial:/dev/ttyS1": ["plc:fire"]}, age_s=60, standby=True)
        add_station(db, "charlie", {"sim:demo": ["plc:demo"]})
        stop_station(db, "charlie")

    result = wardroom("stations", "--database", db_url, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no password in the URL: no warning
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"alpha", "bravo", "charlie"}
    alpha, bravo, charlie = rows["alpha"], rows["bravo"], rows["charlie"]
    for row in rows.values():
        for field in ("name", "host", "pid", "started_at", "heartbeat_age_ms", "standby", "owns"):
            assert field in row
        assert datetime.fromisoformat(row["started_at"]).utcoffset() == timedelta(0)
    assert alpha["host"] == "host-alpha" and alpha["pid"] == 4242 and alpha["standby"] is False
    assert sorted(alpha["owns"]) == ["camera:gate", "plc:panel", "plc:pumps"]
    assert 0 <= alpha["heartbeat_age_ms"] < 30_000 and alpha["silent"] is False
    assert bravo["standby"] is True and bravo["owns"] == ["plc:fire"]
    assert bravo["silent"] is True and bravo["heartbeat_age_ms"] >= 60_000
    assert charlie["owns"] == [] and charlie["stopped_at"] is not None and charlie["silent"] is False

    text = wardroom("stations", "--database", db_url)
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    heartbeat = datetime.fromisoformat(bravo["heartbeat_at"]).astimezone(UTC)
    assert f"SILENT since {heartbeat.isoformat(timespec='seconds')}" in lines["bravo"]
    assert "plc:fire" in lines["bravo"]
    assert "stopped at" in lines["charlie"]
    assert "running" in lines["alpha"] and "plc:panel" in lines["alpha"]


def test_stations_names_the_site_devices_no_live_station_owns(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[site]\nname = "W"\ntimezone = "UTC"\n\n'
        '[[plc]]\nid = "panel"\nprotocol = "modbus-tcp"\nhost = "127.0.0.1"\nport = 5020\n\n'
        '[[plc]]\nid = "fire"\nprotocol = "modbus-tcp"\nhost = "127.0.0.1"\nport = 5021\n',
        encoding="utf-8",
    )
    url = sqlite_url(tmp_path)
    with open_database(url) as db:
        add_station(db, "alpha", {"tcp:127.0.0.1:5020": ["plc:panel"]})
        add_station(db, "bravo", {"tcp:127.0.0.1:5021": ["plc:fire"]}, age_s=60)

    result = wardroom("stations", "--database", url, "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "owned by no live station: plc:fire"


def test_stations_on_an_empty_database_says_so(tmp_path: Path) -> None:
    result = wardroom("stations", "--database", sqlite_url(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    text = wardroom("stations", "--database", sqlite_url(tmp_path))
    assert text.stdout.strip() == "no station has run on this database"


def test_stations_imports_no_qt_opencv_or_pymodbus(tmp_path: Path) -> None:
    """The report stays fast: the lazy imports keep the heavy libraries out."""
    result = wardroom("stations", "--database", sqlite_url(tmp_path), env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    imported = {
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")
    }
    for heavy in ("PySide6", "cv2", "pymodbus", "torch"):
        assert heavy not in imported

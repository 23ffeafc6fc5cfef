"""Stations own connections by lease: one poller per PLC, a standby takes over a dead owner's devices.

Real parts: a pymodbus server on 127.0.0.1 that counts client connections, real stations (pollers,
alarm engine, lease keeper, live writer) in this process, a real SQLite file and a real PostgreSQL
database. A station's death is its lease keeper and pollers stopping without a word (what ``kill -9``
leaves behind: a lease nobody renews); the separate-process ``kill -9`` test is in ``tests/e2e``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.alarms import journal
from app.events import EventBus
from app.fleet import leases
from app.fleet.clock import db_now
from app.fleet.leases import StationIdentity
from app.site.loader import LoadedSite, load_site
from app.station import Station
from app.storage.database import Database
from models.audit import AuditEntry
from models.fleet import LivePoint
from tests.fieldbus.servers import ModbusServer
from tests.models.support import fresh_pg_database

SITE = """
[site]
name = "Lease test site"
timezone = "Asia/Shanghai"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {port}
poll_ms = 200
timeout_ms = 300

[[point]]
id = "b1.pressure"
plc = "panel"
address = "hr:1"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
alarms = [ {{ limit = "low", value = 0.10, priority = "high", category = "supervisory" }} ]
"""


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'site.sqlite3'}"
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def plc() -> Iterator[ModbusServer]:
    server = ModbusServer()
    server.start()
    server.set_registers(1, [500])  # 0.5 MPa: normal
    yield server
    server.stop()


def site_for(tmp_path: Path, server: ModbusServer) -> LoadedSite:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(port=server.port), encoding="utf-8")
    return load_site(path)


@contextmanager
def station(loaded: LoadedSite, url: str, name: str, *, standby: bool = False) -> Iterator[Station]:
    db = Database(url)
    db.upgrade()
    runtime = Station(loaded, db, EventBus(), identity=StationIdentity(name, "testhost", 1000, standby))
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()
        db.close()


def die(runtime: Station) -> None:
    """Stop heartbeating and polling without releasing anything, as a killed process would."""
    running = runtime._running
    assert running.keeper is not None and running.keeper._worker is not None
    running.keeper._worker.stop(2.0)
    running.keeper._worker = None
    assert running.fieldbus is not None
    running.fieldbus.stop(2.0)
    if running.alarms is not None:
        running.alarms.stop(2.0)


def test_two_stations_for_one_plc_only_one_polls(
    tmp_path: Path, plc: ModbusServer, database_url: str
) -> None:
    loaded = site_for(tmp_path, plc)
    with station(loaded, database_url, "alpha") as first, station(loaded, database_url, "beta") as second:
        wait_for(lambda: plc.connections >= 1, 5, "the first station connects")
        time.sleep(2.5)  # a full heartbeat: the second station had its chance to grab it
        assert plc.connections == 1, "exactly one process polls the PLC"
        assert first.owned == ["plc:panel"]
        assert second.owned == []
        assert second.keeper is not None
        assert second.keeper.held_by == {f"tcp:127.0.0.1:{plc.port}": "alpha"}
        assert "held by" in second.link_states()[("plc", "panel")].reason or "alpha" in (
            second.link_states()[("plc", "panel")].reason
        )
        db = first.db
        assert db is not None
        with db.session() as session:
            found = {s.name: s for s in leases.stations(session, db_now(session))}
        assert found["alpha"].owns == ("plc:panel",)
        assert found["beta"].owns == ()
        wait_for(
            lambda: _live_value(db, "b1.pressure") == pytest.approx(0.5), 3, "the live table holds the value"
        )


def _live_value(db: Database, point: str) -> float | None:
    with db.session() as session:
        return session.scalar(select(LivePoint.value).where(LivePoint.point == point))


def test_standby_takes_over_a_dead_station_without_raising_its_alarm_again(
    tmp_path: Path, plc: ModbusServer, database_url: str
) -> None:
    loaded = site_for(tmp_path, plc)
    with ExitStack() as stack:
        primary = stack.enter_context(station(loaded, database_url, "primary"))
        db = primary.db
        assert db is not None
        plc.set_registers(1, [50])  # 0.05 MPa: below the low limit
        wait_for(lambda: _open_keys(db) == {"b1.pressure/low"}, 5, "the primary raises the low alarm")
        standby = stack.enter_context(station(loaded, database_url, "reserve", standby=True))
        time.sleep(2.5)
        assert standby.owned == [], "a standby leaves a live owner alone"
        assert plc.connections == 1
        die(primary)
        died = time.monotonic()
        connections = plc.connections
        wait_for(lambda: plc.connections > connections, 10, "the standby polls the PLC")
        took_s = time.monotonic() - died
        assert took_s <= 10
        assert standby.owned == ["plc:panel"]
        time.sleep(1.0)  # the standby's first readings have been decided
        with db.session() as session:
            occurrences = [v for v in journal.newest(session, 50) if v.key == "b1.pressure/low"]
            taken = session.scalars(select(AuditEntry).where(AuditEntry.action == "lease.taken-over")).all()
        assert len(occurrences) == 1, "the open alarm was neither lost nor raised again"
        assert occurrences[0].state == "unacknowledged"
        assert [t.target for t in taken] == [f"tcp:127.0.0.1:{plc.port}"]
        assert '"from":"primary"' in taken[0].details.replace(" ", "")
        wait_for(lambda: "station:primary" in _open_keys(db), 5, "the silent primary is a fault alarm")
        with db.session() as session:
            fault = journal.find_open(session, "station:primary")
        assert fault is not None and fault.category == "fault" and fault.priority == "urgent"
        assert "silent since" in fault.message


def _open_keys(db: Database) -> set[str]:
    with db.session() as session:
        return {v.key for v in journal.open_alarms(session)}


def test_a_station_refuses_a_name_already_running(tmp_path: Path, plc: ModbusServer) -> None:
    from app.commands.station import running_elsewhere

    loaded = site_for(tmp_path, plc)
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    with station(loaded, url, "alpha") as first:
        assert first.db is not None
        why = running_elsewhere(first.db, StationIdentity("alpha", "otherhost", 2000))
        assert why is not None and "already running" in why
        assert running_elsewhere(first.db, StationIdentity("gamma", "otherhost", 2000)) is None


def test_a_station_with_an_older_site_file_runs_on_the_database_version(
    tmp_path: Path, plc: ModbusServer
) -> None:
    import os

    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    older = tmp_path / "older"
    older.mkdir()
    stale = site_for(older, plc)  # written first: the older copy
    os.utime(stale.path, (time.time() - 3600, time.time() - 3600))
    newer = tmp_path / "newer"
    newer.mkdir()
    text = SITE.format(port=plc.port).replace(
        'name = "Lease test site"', 'name = "Lease test site, 2nd edition"'
    )
    (newer / "site.toml").write_text(text, encoding="utf-8")
    current = load_site(newer / "site.toml")
    with station(current, url, "alpha") as first:
        assert first.loaded.site.site.name == "Lease test site, 2nd edition"
    with station(stale, url, "beta") as second:
        assert second.loaded.site.site.name == "Lease test site, 2nd edition", "the older file yields"
        assert second.loaded.sha256 == current.sha256


def test_a_station_restarted_on_its_host_after_a_crash_may_take_its_name_at_once(
    tmp_path: Path, plc: ModbusServer
) -> None:
    import subprocess
    import sys

    from app.commands.station import running_elsewhere

    loaded = site_for(tmp_path, plc)
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)  # a process of this host that has ended
    with station(loaded, url, "alpha") as first:
        assert first.db is not None
        first.db.write(
            lambda s: s.execute(text("UPDATE stations SET pid = :p, host = 'thishost'"), {"p": dead_pid})
        )
        assert running_elsewhere(first.db, StationIdentity("alpha", "thishost", 99999999)) is None
        assert running_elsewhere(first.db, StationIdentity("alpha", "otherhost", 99999999)) is not None

"""``wardroom points write`` and ``simulate trip`` beside a station: a request the owner executes, or the
command acting itself when no live station holds the connection. Exit codes 0 / 1 / 2 (DESIGN §10).

The CLI runs as a real process (the installed entry point); the station is this test process: a lease
row renewed like a live station's and a real :class:`RequestExecutor` over a poller of a real
pymodbus server, on one SQLite file or one PostgreSQL database that both processes share.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.fleet import leases
from app.fleet.executor import RequestExecutor
from app.storage.database import Database, open_database
from tests.app.fleet.test_requests_support import (
    PASSWORD,
    add_users,
    audit_rows,
    held_lease,
    loaded_site,
    panel_key,
    poller,
    request_rows,
    sim_key,
    write_site,
)
from tests.app.test_cli import wardroom
from tests.fieldbus.servers import ModbusServer
from tests.models.support import fresh_pg_database


@pytest.fixture
def server() -> Iterator[ModbusServer]:
    srv = ModbusServer(size=100)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shared.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def shared(tmp_path: Path, sqlite_url: str) -> Iterator[Database]:
    db = open_database(sqlite_url)
    try:
        add_users(db)
        yield db
    finally:
        db.close()


def write(
    site: Path, url: str, value: str, *extra: str, user: str = "wang"
) -> subprocess.CompletedProcess[str]:
    return wardroom(
        "points", "write", "--site", str(site), "pump.setpoint", value, "--user", user, "--database", url,
        *extra, stdin=PASSWORD + "\n", timeout=30,
    )  # fmt: skip


def actions(db: Database) -> list[tuple[str, str, str]]:
    return [(a, x, t) for a, x, t, _ in audit_rows(db) if x.startswith(("point.", "drill."))]


def test_a_write_goes_to_the_live_station_owning_the_plc(
    tmp_path: Path, any_url: str, server: ModbusServer
) -> None:
    site = write_site(tmp_path, server.port)
    loaded = loaded_site(site)
    key = panel_key(loaded)
    db = open_database(any_url)
    try:
        add_users(db)
        with held_lease(db, key, "st-a", ["plc:panel"]), poller(loaded) as manager:
            executor = RequestExecutor(db, "st-a", lambda: {key}, manager.write, None, loaded).start()
            try:
                result = write(site, any_url, "12.5")
            finally:
                assert executor.stop(3)
        assert result.returncode == 0, result.stderr
        assert "by station st-a" in result.stdout
        assert server.get_registers(20, 1) == [125]
        assert actions(db) == [
            ("wang", "point.write-requested", "pump.setpoint"),
            ("wang", "point.write", "pump.setpoint"),
        ], "the command audits the request, the station the outcome: each once"
        assert [r.status for r in request_rows(db)] == ["done"]
    finally:
        db.close()


def test_a_write_the_station_refuses_exits_2(
    tmp_path: Path, shared: Database, sqlite_url: str, server: ModbusServer
) -> None:
    site = write_site(tmp_path, server.port)
    station_site = loaded_site(write_site(tmp_path, server.port, writable=False, name="station.toml"))
    key = panel_key(station_site)
    with held_lease(shared, key, "st-a", ["plc:panel"]), poller(station_site) as manager:
        executor = RequestExecutor(shared, "st-a", lambda: {key}, manager.write, None, station_site).start()
        try:
            result = write(site, sqlite_url, "3")
        finally:
            assert executor.stop(3)
    assert result.returncode == 2, result.stderr
    assert "refused by station st-a" in result.stderr and "read-only" in result.stderr
    assert server.get_registers(20, 1) == [0]
    assert ("wang", "point.write-refused", "pump.setpoint") in actions(shared)


def test_a_write_to_a_paused_station_expires_exits_1_and_never_reaches_the_plc(
    tmp_path: Path, shared: Database, sqlite_url: str, server: ModbusServer
) -> None:
    site = write_site(tmp_path, server.port)
    loaded = loaded_site(site)
    key = panel_key(loaded)
    with held_lease(shared, key, "st-a", ["plc:panel"]):  # alive by its lease, but executing nothing
        started = time.monotonic()
        result = write(site, sqlite_url, "40", "--timeout", "1")
        took = time.monotonic() - started
        with poller(loaded) as manager:  # the station resumes (SIGCONT) after the command gave up
            assert RequestExecutor(shared, "st-a", lambda: {key}, manager.write, None, loaded).run_once() == 0
    assert result.returncode == 1, result.stderr
    assert "not done" in result.stderr and "nothing was sent" in result.stderr
    assert took < 8
    assert server.writes == [] and server.get_registers(20, 1) == [0]
    assert [r.status for r in request_rows(shared)] == ["expired"]


def test_with_no_station_the_command_takes_the_lease_and_writes_itself(
    tmp_path: Path, shared: Database, sqlite_url: str, server: ModbusServer
) -> None:
    site = write_site(tmp_path, server.port)
    result = write(site, sqlite_url, "7.5")
    assert result.returncode == 0, result.stderr
    assert "by station" not in result.stdout and "as wang" in result.stdout
    assert server.get_registers(20, 1) == [75]
    assert request_rows(shared) == []
    with shared.session() as session:
        assert leases.leases(session) == {}, "the borrowed lease is released"
    assert actions(shared) == [
        ("wang", "point.write-requested", "pump.setpoint"),
        ("wang", "point.write", "pump.setpoint"),
    ]


def test_a_dead_stations_lease_is_taken_over_by_the_command(
    tmp_path: Path, shared: Database, sqlite_url: str, server: ModbusServer
) -> None:
    site = write_site(tmp_path, server.port)
    key = panel_key(loaded_site(site))

    def stale(session: Any) -> None:  # a station killed long ago: its lease was never renewed
        from datetime import timedelta

        from app.fleet.clock import db_now

        then = db_now(session) - timedelta(seconds=60)
        assert leases.acquire(session, key, ["plc:panel"], "st-dead", then).ok

    shared.write(stale)
    result = write(site, sqlite_url, "2")
    assert result.returncode == 0, result.stderr
    assert server.get_registers(20, 1) == [20]


def test_a_lease_held_by_another_command_is_named_and_exits_1(
    tmp_path: Path, shared: Database, sqlite_url: str, server: ModbusServer
) -> None:
    site = write_site(tmp_path, server.port)
    key = panel_key(loaded_site(site))
    with held_lease(shared, key, "cli:otherhost:99", ["plc:panel"]):
        result = write(site, sqlite_url, "5")
    assert result.returncode == 1, result.stderr
    assert "in use by cli:otherhost:99" in result.stderr
    assert server.writes == []
    assert ("wang", "point.write-failed", "pump.setpoint") in actions(shared)


def test_a_drill_goes_to_the_station_running_the_simulator(
    tmp_path: Path, shared: Database, sqlite_url: str
) -> None:
    site = write_site(tmp_path, 1)
    loaded = loaded_site(site)
    key = sim_key(loaded)
    drilled: list[tuple[str, str, bool]] = []

    def drill(operator: Any, point_id: str, on: bool) -> None:
        drilled.append((operator.name, point_id, on))

    with held_lease(shared, key, "st-a", ["plc:simpanel"]):
        executor = RequestExecutor(shared, "st-a", lambda: {key}, lambda *a: None, drill, loaded).start()
        try:
            result = wardroom(
                "simulate", "trip", "b1.smoke", "--site", str(site), "--user", "wang",
                "--database", sqlite_url,
                stdin=PASSWORD + "\n", timeout=30,
            )  # fmt: skip
        finally:
            assert executor.stop(3)
    assert result.returncode == 0, result.stderr
    assert "by station st-a" in result.stdout
    assert drilled == [("wang", "b1.smoke", True)]
    assert actions(shared) == [
        ("wang", "drill.trip-requested", "b1.smoke"),
        ("wang", "drill.trip", "b1.smoke"),
    ]

"""Device requests executed by the owning station: within a poll period, audited with the requesting
user, refused by role, never executed past their deadline, and claimed by exactly one station.

Real parts: a pymodbus server on 127.0.0.1, a station's poller (``FieldbusManager``) whose ``write``
the real :class:`RequestExecutor` calls, and a real SQLite file or a fresh PostgreSQL database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.fleet import requests
from app.fleet.executor import RequestExecutor
from app.storage.database import Database, open_database
from tests.app.fleet.test_requests_support import (
    add_users,
    audit_rows,
    loaded_site,
    panel_key,
    poller,
    request_rows,
    sim_key,
    wait_for,
    write_site,
)
from tests.fieldbus.servers import ModbusServer
from tests.models.support import fresh_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'requests.sqlite3'}")
        try:
            yield database
        finally:
            database.close()
        return
    with fresh_pg_database() as url:
        database = open_database(url)
        try:
            yield database
        finally:
            database.close()


@pytest.fixture
def server() -> Iterator[ModbusServer]:
    srv = ModbusServer(size=100)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def hr_writes(server: ModbusServer, address: int = 20) -> int:
    return sum(1 for area, at in server.writes if area == "hr" and at == address)


def test_a_request_is_executed_within_2_s_and_audited_with_the_requesting_user(
    tmp_path: Path, db: Database, server: ModbusServer
) -> None:
    loaded = loaded_site(write_site(tmp_path, server.port))
    users = add_users(db)
    key = panel_key(loaded)
    with poller(loaded) as manager:
        executor = RequestExecutor(db, "st-a", lambda: {key}, manager.write, None, loaded).start()
        try:
            started = time.monotonic()
            outcome = requests.submit_and_wait(
                db, kind="point.write", target="pump.setpoint", lease=key, value=12.5, user=users["li"],
                origin="console:test", timeout_s=5,
            )  # fmt: skip
            took = time.monotonic() - started
        finally:
            assert executor.stop(3)
    assert (outcome.status, outcome.station, outcome.exit_code) == ("done", "st-a", 0), outcome
    assert took < 2.0
    assert server.get_registers(20, 1) == [125]
    rows = audit_rows(db, "point.write", "point.write-failed", "point.write-refused")
    assert len(rows) == 1
    actor, action, target, details = rows[0]
    assert (actor, action, target) == ("li", "point.write", "pump.setpoint")
    assert details["station"] == "st-a" and details["origin"] == "console:test"
    assert details["value"] == 12.5 and details["plc"] == "panel" and details["address"] == "hr:20"
    assert [r.status for r in request_rows(db)] == ["done"]


def test_a_role_that_may_not_write_is_refused_by_the_station(
    tmp_path: Path, db: Database, server: ModbusServer
) -> None:
    loaded = loaded_site(write_site(tmp_path, server.port))
    users = add_users(db)
    key = panel_key(loaded)
    with poller(loaded) as manager:
        executor = RequestExecutor(db, "st-a", lambda: {key}, manager.write, None, loaded).start()
        try:
            outcome = requests.submit_and_wait(
                db, kind="point.write", target="pump.setpoint", lease=key, value=3.0, user=users["clerk"],
                origin="cli:test", timeout_s=4,
            )  # fmt: skip
        finally:
            assert executor.stop(3)
    assert (outcome.status, outcome.exit_code) == ("refused", 2)
    assert "records-clerk" in outcome.reason
    assert hr_writes(server) == 0 and server.get_registers(20, 1) == [0]
    assert [(a, x, t) for a, x, t, _ in audit_rows(db, "point.write-refused", "point.write")] == [
        ("clerk", "point.write-refused", "pump.setpoint")
    ]


def test_a_disabled_user_and_a_read_only_point_are_refused(
    tmp_path: Path, db: Database, server: ModbusServer
) -> None:
    loaded = loaded_site(write_site(tmp_path, server.port))
    users = add_users(db)
    key = panel_key(loaded)
    from app.auth.users import UserService

    with poller(loaded) as manager:
        executor = RequestExecutor(db, "st-a", lambda: {key}, manager.write, None, loaded)
        ids = [
            requests.submit(
                db, kind="point.write", target="pump.setpoint", lease=key, value=1.0, user=users["li"],
                origin="cli:test", timeout_s=4,
            ),
            requests.submit(
                db, kind="point.write", target="pump.pressure", lease=key, value=1.0, user=users["wang"],
                origin="cli:test", timeout_s=4,
            ),
        ]  # fmt: skip
        UserService(db).set_disabled("li", True, actor="admin")
        assert executor.run_once() == 2
    first, second = (requests.outcome(db, i) for i in ids)
    assert first.status == "refused" and "disabled" in first.reason
    assert second.status == "refused" and "read-only" in second.reason
    assert server.writes == []


def test_a_request_past_its_deadline_is_expired_and_never_reaches_the_plc(
    tmp_path: Path, db: Database, server: ModbusServer
) -> None:
    loaded = loaded_site(write_site(tmp_path, server.port))
    users = add_users(db)
    key = panel_key(loaded)
    server.set_registers(20, [77])
    request_id = requests.submit(
        db, kind="point.write", target="pump.setpoint", lease=key, value=50.0, user=users["wang"],
        origin="cli:test", timeout_s=0.4,
    )  # fmt: skip
    time.sleep(0.5)  # the station was paused (SIGSTOP) past the deadline
    with poller(loaded) as manager:
        executor = RequestExecutor(db, "st-a", lambda: {key}, manager.write, None, loaded)
        assert executor.run_once() == 1
        time.sleep(0.3)  # a late write would have landed by now
    seen = requests.outcome(db, request_id)
    assert seen.status == "expired" and "deadline passed" in seen.reason
    assert hr_writes(server) == 0 and server.get_registers(20, 1) == [77]
    rows = audit_rows(db, "point.write", "point.write-failed")
    assert [(a, x) for a, x, _, _ in rows] == [("wang", "point.write-failed")]
    assert rows[0][3]["outcome"] == "expired"


def test_a_caller_that_gives_up_expires_its_request_so_no_station_runs_it_later(
    tmp_path: Path, db: Database, server: ModbusServer
) -> None:
    loaded = loaded_site(write_site(tmp_path, server.port))
    users = add_users(db)
    key = panel_key(loaded)
    started = time.monotonic()
    outcome = requests.submit_and_wait(
        db, kind="point.write", target="pump.setpoint", lease=key, value=9.0, user=users["wang"],
        origin="cli:test", timeout_s=0.6,
    )  # fmt: skip
    assert time.monotonic() - started < 1.5, "--timeout bounds the whole wait"
    assert (outcome.status, outcome.exit_code) == ("expired", 1)
    assert outcome.reason == requests.NOT_EXECUTED
    with poller(loaded) as manager:
        executor = RequestExecutor(db, "st-a", lambda: {key}, manager.write, None, loaded)
        assert executor.run_once() == 0
    assert server.writes == []
    assert len(audit_rows(db, "point.write-failed")) == 1, "audited once, by the caller that expired it"


def test_a_request_still_running_when_the_wait_ends_is_timed_out_and_audited_once_by_the_station(
    tmp_path: Path, db: Database
) -> None:
    loaded = loaded_site(write_site(tmp_path, 1))
    users = add_users(db)
    key = panel_key(loaded)
    written: list[tuple[str, Any, float]] = []

    def slow_write(point_id: str, value: float | bool, timeout_s: float) -> None:
        written.append((point_id, value, timeout_s))
        time.sleep(1.0)  # a PLC that answers at the very last moment

    executor = RequestExecutor(db, "st-a", lambda: {key}, slow_write, None, loaded).start()
    try:
        outcome = requests.submit_and_wait(
            db, kind="point.write", target="pump.setpoint", lease=key, value=2.0, user=users["wang"],
            origin="cli:test", timeout_s=0.8,
        )  # fmt: skip
        assert outcome.status == "timed-out" and outcome.station == "st-a" and outcome.exit_code == 1
        wait_for(lambda: requests.outcome(db, outcome.id).status == "done", 3, "the station settles it")
    finally:
        assert executor.stop(3)
    assert len(written) == 1 and written[0][2] <= 0.8, "the write's timeout ends by the deadline"
    assert [(a, x) for a, x, _, _ in audit_rows(db, "point.write", "point.write-failed")] == [
        ("wang", "point.write")
    ]


def test_two_stations_believing_they_hold_a_lease_execute_each_request_once(
    tmp_path: Path, db: Database, server: ModbusServer
) -> None:
    loaded = loaded_site(write_site(tmp_path, server.port))
    users = add_users(db)
    key = panel_key(loaded)
    with poller(loaded) as first, poller(loaded) as second:
        executors = [
            RequestExecutor(db, "st-a", lambda: {key}, first.write, None, loaded).start(),
            RequestExecutor(db, "st-b", lambda: {key}, second.write, None, loaded).start(),
        ]
        try:
            ids = [
                requests.submit(
                    db, kind="point.write", target="pump.setpoint", lease=key, value=float(n),
                    user=users["wang"], origin="cli:test", timeout_s=4,
                )
                for n in range(1, 7)
            ]  # fmt: skip
            outcomes = [requests.wait(db, i, 4) for i in ids]
        finally:
            for executor in executors:
                assert executor.stop(3)
    assert [o.status for o in outcomes] == ["done"] * 6
    assert {o.station for o in outcomes} <= {"st-a", "st-b"}
    assert hr_writes(server) == 6
    assert len(audit_rows(db, "point.write")) == 6


def test_drills_go_to_the_simulators_owner_with_the_drill_rules(tmp_path: Path, db: Database) -> None:
    loaded = loaded_site(write_site(tmp_path, 1))
    users = add_users(db)
    key = sim_key(loaded)
    drilled: list[tuple[str, str, bool]] = []

    class Result:
        endpoints = ("127.0.0.1:5020",)

    def drill(operator: Any, point_id: str, on: bool) -> Result:
        drilled.append((operator.name, point_id, on))
        return Result()

    executor = RequestExecutor(db, "st-a", lambda: {key}, lambda *a: None, drill, loaded)
    trip = requests.submit(
        db,
        kind="drill.trip",
        target="b1.smoke",
        lease=key,
        value=None,
        user=users["wang"],
        origin="cli:t",
        timeout_s=4,
    )
    refused = requests.submit(
        db,
        kind="drill.restore",
        target="b1.smoke",
        lease=key,
        value=None,
        user=users["li"],
        origin="cli:t",
        timeout_s=4,
    )
    assert executor.run_once() == 2
    assert requests.outcome(db, trip).status == "done"
    assert requests.outcome(db, refused).status == "refused"
    assert drilled == [("wang", "b1.smoke", True)]
    rows = audit_rows(db, "drill.trip", "drill.restore-refused")
    assert [(a, x) for a, x, _, _ in rows] == [("wang", "drill.trip"), ("li", "drill.restore-refused")]
    assert rows[0][3]["endpoints"] == ["127.0.0.1:5020"] and rows[0][3]["station"] == "st-a"


def test_requests_for_leases_not_held_are_left_alone(tmp_path: Path, db: Database) -> None:
    loaded = loaded_site(write_site(tmp_path, 1))
    users = add_users(db)
    request_id = requests.submit(
        db, kind="point.write", target="pump.setpoint", lease=panel_key(loaded), value=1.0,
        user=users["wang"], origin="cli:t", timeout_s=4,
    )  # fmt: skip
    executor = RequestExecutor(db, "st-a", lambda: {"tcp:elsewhere:502"}, lambda *a: None, None, loaded)
    assert executor.run_once() == 0
    assert requests.outcome(db, request_id).status == "pending"

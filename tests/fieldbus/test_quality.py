"""Quality rules against a real server: comm-fail, stale, bad-config, out-of-range, recovery."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.manager import FieldbusManager
from tests.fieldbus.servers import ModbusServer, Recorder, make_site, point

POLL_MS, TIMEOUT_MS = 200, 400
BOUND_S = (POLL_MS + 2 * TIMEOUT_MS) / 1000


def _plc(port: int, **extra: object) -> dict[str, object]:
    return {
        "id": "p",
        "protocol": "modbus-tcp",
        "host": "127.0.0.1",
        "port": port,
        "poll_ms": POLL_MS,
        "timeout_ms": TIMEOUT_MS,
        **extra,
    }


@pytest.fixture
def managers() -> Iterator[list[FieldbusManager]]:
    started: list[FieldbusManager] = []
    yield started
    for manager in started:
        manager.stop()


def _start(
    site_points: list[dict[str, object]],
    port: int,
    bus: EventBus,
    managers: list[FieldbusManager],
    **plc: object,
) -> FieldbusManager:
    manager = FieldbusManager(make_site([_plc(port, **plc)], site_points), bus)
    managers.append(manager)
    manager.start()
    return manager


def _links(recorder: Recorder) -> list[LinkStateChanged]:
    return [e for e in recorder.snapshot() if isinstance(e, LinkStateChanged)]


def test_plc_down_is_never_good_keeps_age_and_recovers(
    bus: EventBus, recorder: Recorder, managers: list[FieldbusManager]
) -> None:
    server = ModbusServer()
    port = server.start()
    server.set_registers(0, [11, 22])
    manager = _start([point("p.a", "p", "hr:0"), point("p.b", "p", "hr:1")], port, bus, managers)
    recorder.wait_for(lambda: all(r.quality == "good" for r in manager.readings().values()), 5, "good")
    server.stop()
    down_at = time.monotonic()
    took = recorder.wait_for(lambda: any(e.status == "disconnected" for e in _links(recorder)), 5, "fault")
    assert took <= BOUND_S
    readings = manager.readings()
    assert {r.quality for r in readings.values()} == {"comm-fail"}
    assert readings["p.a"].value == 11 and readings["p.b"].value == 22  # last values kept...
    assert "p" in readings["p.a"].error and f"127.0.0.1:{port}" in readings["p.a"].error
    first_age = readings["p.a"].age_ms()
    assert first_age is not None
    recorder.wait_for(lambda: (manager.readings()["p.a"].age_ms() or 0) >= first_age + 1500, 5, "age grows")
    assert manager.readings()["p.a"].quality == "comm-fail"  # ...with their age, never as good

    server = ModbusServer()
    server.start(port)
    try:
        server.set_registers(0, [33, 44])
        back_at = time.monotonic()
        took = recorder.wait_for(
            lambda: manager.readings()["p.a"].value == 33 and manager.readings()["p.a"].quality == "good",
            5,
            "recovery",
        )
        assert took <= 2.0
    finally:
        manager.stop()
        server.stop()
    statuses = [e.status for e in _links(recorder)]
    assert statuses == ["connected", "disconnected", "connected"]  # one fault, one restoration
    for event in recorder.between(down_at, back_at):
        if isinstance(event, PointValueChanged | PointQualityChanged):
            assert event.reading.quality != "good", event


def test_exception_responses_turn_stale_after_three_periods(
    modbus_server: ModbusServer, bus: EventBus, recorder: Recorder, managers: list[FieldbusManager]
) -> None:
    modbus_server.set_registers(0, [5])
    modbus_server.set_registers(100, [6])
    manager = _start(
        [point("ok", "p", "hr:0"), point("bad", "p", "hr:100")], modbus_server.port, bus, managers, max_gap=4
    )
    recorder.wait_for(lambda: all(r.quality == "good" for r in manager.readings().values()), 5, "good")
    modbus_server.refuse[("hr", 100)] = 4  # device failure, every time
    started = time.monotonic()
    took = recorder.wait_for(lambda: manager.readings()["bad"].quality == "stale", 5, "stale")
    assert 3 * POLL_MS / 1000 - 0.05 <= took <= 4 * POLL_MS / 1000 + 0.5
    reading = manager.readings()["bad"]
    assert reading.value == 6 and "exception 4" in reading.error
    assert manager.readings()["ok"].quality == "good"
    assert [e.status for e in _links(recorder)] == ["connected"]  # the PLC itself answers
    del modbus_server.refuse[("hr", 100)]
    recorder.wait_for(lambda: manager.readings()["bad"].quality == "good", 2, "good again")
    assert time.monotonic() - started < 10


def test_illegal_address_is_bad_config_and_gaps_are_split_out(
    modbus_server: ModbusServer, bus: EventBus, recorder: Recorder, managers: list[FieldbusManager]
) -> None:
    modbus_server.set_registers(0, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])
    modbus_server.refuse[("hr", 5)] = 2  # a hole in the PLC's memory map
    modbus_server.refuse[("hr", 40)] = 2
    manager = _start(
        [point("a", "p", "hr:0"), point("b", "p", "hr:10"), point("hole", "p", "hr:40")],
        modbus_server.port,
        bus,
        managers,
    )
    recorder.wait_for(
        lambda: (
            manager.readings()["a"].quality == "good"
            and manager.readings()["b"].quality == "good"
            and manager.readings()["hole"].quality == "bad-config"
        ),
        5,
        "qualities",
    )
    assert manager.readings()["a"].value == 1 and manager.readings()["b"].value == 2
    assert "hr:40" in manager.readings()["hole"].error and "exception 2" in manager.readings()["hole"].error


def test_out_of_range_value(
    modbus_server: ModbusServer, bus: EventBus, recorder: Recorder, managers: list[FieldbusManager]
) -> None:
    modbus_server.set_registers(0, [1800])
    manager = _start(
        [point("pr", "p", "hr:0", scale=0.001, range=[0.0, 1.6], unit="MPa")],
        modbus_server.port,
        bus,
        managers,
    )
    recorder.wait_for(lambda: manager.readings()["pr"].quality == "out-of-range", 5, "out-of-range")
    reading = manager.readings()["pr"]
    assert reading.value == pytest.approx(1.8) and "1.8 MPa" in reading.error and "1.6" in reading.error
    modbus_server.set_registers(0, [500])
    recorder.wait_for(lambda: manager.readings()["pr"].quality == "good", 5, "good")


def test_plc_without_endpoint_is_comm_fail(
    bus: EventBus, recorder: Recorder, managers: list[FieldbusManager]
) -> None:
    manager = _start([point("x", "p", "hr:0")], 0, bus, managers, simulated=True)
    recorder.wait_for(lambda: manager.readings()["x"].quality == "comm-fail", 5, "comm-fail")
    assert "simulator" in manager.readings()["x"].error

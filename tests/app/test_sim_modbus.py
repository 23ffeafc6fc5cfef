"""The simulated PLC is a real Modbus TCP / S7 server: a real client reads the expected raw words."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest
from pymodbus.client import ModbusTcpClient

from app.fieldbus import codec
from app.fieldbus.codec import encode_registers
from app.sim import values
from app.sim.simulator import PlcSimulator
from app.sim.values import initial_value, to_raw
from app.site.schema import Plc, Point


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def make_plc(
    word_order: Literal["big", "little"] = "big", protocol: str = "modbus-tcp", plc_id: str = "panel"
) -> Plc:
    return Plc.model_validate(
        {
            "id": plc_id,
            "protocol": protocol,
            "host": "127.0.0.1",
            "port": 0,
            "word_order": word_order,
            "simulated": True,
        }
    )


def modbus_points(plc_id: str = "panel") -> list[Point]:
    raw: list[dict[str, Any]] = [
        # 0.8 MPa mid-range -> 800 with scale 0.001
        {"id": "pressure", "address": "hr:100", "type": "uint16", "kind": "pressure",
         "scale": 0.001, "range": [0.0, 1.6]},
        # band [-20, 50] (high alarm at 50) -> 15.0 °C -> raw 150 with scale 0.1
        {"id": "temp", "address": "ir:10", "type": "int16", "kind": "temperature", "scale": 0.1,
         "range": [-20.0, 60.0], "alarms": [{"limit": "high", "value": 50.0}]},
        # an "on" alarm: normal is off
        {"id": "smoke", "address": "co:5", "type": "bool", "kind": "smoke",
         "alarms": [{"limit": "on", "priority": "fire", "category": "fire"}]},
        # an "off" alarm (door contact opens): normal is on
        {"id": "door", "address": "di:3", "type": "bool", "kind": "door",
         "alarms": [{"limit": "off"}]},
        {"id": "level", "address": "hr:200", "type": "float32", "kind": "level", "range": [0.0, 25.0]},
        {"id": "count", "address": "hr:210", "type": "int32", "kind": "other", "range": [-100000.0, 0.0]},
        {"id": "bit", "address": "hr:300.2", "type": "bool", "kind": "call-point",
         "alarms": [{"limit": "off"}]},
    ]  # fmt: skip
    return [Point.model_validate({"plc": plc_id, **p}) for p in raw]


@pytest.fixture
def client_factory() -> Iterator[Callable[[int], ModbusTcpClient]]:
    clients: list[ModbusTcpClient] = []

    def make(port: int) -> ModbusTcpClient:
        client = ModbusTcpClient("127.0.0.1", port=port, timeout=1, retries=0)
        assert client.connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_initial_values_are_calm_and_typed() -> None:
    points = {p.id: p for p in modbus_points()}
    assert initial_value(points["pressure"]) == pytest.approx(0.8)
    assert initial_value(points["temp"]) == pytest.approx(15.0)
    assert initial_value(points["smoke"]) == 0.0
    assert initial_value(points["door"]) == 1.0
    assert to_raw(points["pressure"], 0.8) == 800
    assert to_raw(points["temp"], -1.5) == -15
    # clamped to the type, never wrapped
    assert to_raw(points["pressure"], 1000.0) == 65535
    assert to_raw(points["pressure"], -1.0) == 0


@pytest.mark.parametrize("word_order", ["big", "little"])
def test_simulator_encodes_through_the_pollers_codec(word_order: Literal["big", "little"]) -> None:
    """One encoder for simulator and poller; the simulator only adds saturation and word flags."""
    points = {p.id: p for p in modbus_points()}
    for pid, value in (("pressure", 0.8), ("temp", -1.5), ("level", 12.5), ("count", -50000.0)):
        point = points[pid]
        raw = values.to_raw(point, value)
        assert values.registers(point, raw, word_order) == codec.encode_registers(raw, point.type, word_order)
        assert codec.decode_registers(values.registers(point, raw, word_order), point.type, word_order) == raw
    level = points["level"]
    assert values.to_raw(level, 1e40) == codec.FLOAT32_MAX  # saturates where the codec would refuse
    assert values.to_raw(level, -1e40) == -codec.FLOAT32_MAX
    assert len(values.registers(level, values.to_raw(level, 1e40), word_order)) == 2
    flag = Point.model_validate(
        {"id": "flag", "plc": "panel", "address": "hr:7", "type": "bool", "kind": "smoke"}
    )
    assert values.registers(flag, values.to_raw(flag, 1.0), word_order) == [1]
    assert values.s7_bytes(flag, True) == b"\x01"
    assert values.s7_bytes(points["temp"], -15) == codec.encode_bytes(-15, "int16")
    duplicates = {"INT_LIMITS", "encode_registers", "encode_bytes", "_STRUCT"}
    assert duplicates.isdisjoint(vars(values))


@pytest.mark.parametrize("word_order", ["big", "little"])
def test_serves_expected_raw_values(
    word_order: Literal["big", "little"], client_factory: Callable[[int], ModbusTcpClient]
) -> None:
    plc = make_plc(word_order)
    sim = PlcSimulator(plc, modbus_points(), vary=False)
    port = sim.start()
    try:
        assert port > 0 and sim.port == port
        client = client_factory(port)
        hr = client.read_holding_registers(100, count=1, device_id=1)
        assert not hr.isError() and hr.registers == [800]
        ir = client.read_input_registers(10, count=1, device_id=1)
        assert ir.registers == [150]
        co = client.read_coils(5, count=1, device_id=1)
        assert co.bits[0] is False
        di = client.read_discrete_inputs(3, count=1, device_id=1)
        assert di.bits[0] is True
        bits = client.read_holding_registers(300, count=1, device_id=1)
        assert bits.registers == [1 << 2]

        level = client.read_holding_registers(200, count=2, device_id=1)
        expected = encode_registers(12.5, "float32", word_order)
        assert level.registers == expected
        hi_first = level.registers if word_order == "big" else level.registers[::-1]
        assert struct.unpack(">f", struct.pack(">HH", *hi_first))[0] == pytest.approx(12.5)
        decoded = client.convert_from_registers(
            level.registers, client.DATATYPE.FLOAT32, word_order=word_order
        )
        assert decoded == pytest.approx(12.5)

        count = client.read_holding_registers(210, count=2, device_id=1)
        value = client.convert_from_registers(count.registers, client.DATATYPE.INT32, word_order=word_order)
        assert value == -50000

        # set_value from this (foreign) thread changes what a client reads
        sim.set_value("level", 3.25)
        sim.set_value("pressure", 1.234)
        sim.set_value("smoke", 1)
        sim.set_value("bit", 0)
        level = client.read_holding_registers(200, count=2, device_id=1)
        assert client.convert_from_registers(
            level.registers, client.DATATYPE.FLOAT32, word_order=word_order
        ) == pytest.approx(3.25)
        assert client.read_holding_registers(100, count=1, device_id=1).registers == [1234]
        assert client.read_coils(5, count=1, device_id=1).bits[0] is True
        assert client.read_holding_registers(300, count=1, device_id=1).registers == [0]
        # a gap between points reads as zero; an address outside every block is refused
        assert client.read_holding_registers(150, count=1, device_id=1).registers == [0]
        assert client.read_holding_registers(5000, count=1, device_id=1).isError()
    finally:
        started = time.monotonic()
        sim.stop()
        assert time.monotonic() - started < 2.0


def test_values_drift_gently_but_pinned_values_do_not(
    client_factory: Callable[[int], ModbusTcpClient],
) -> None:
    sim = PlcSimulator(make_plc(), modbus_points(), tick_s=0.05, seed=1)
    port = sim.start()
    try:
        client = client_factory(port)
        sim.set_value("pressure", 1.0)

        def level() -> float:
            regs = client.read_holding_registers(200, count=2, device_id=1).registers
            value = client.convert_from_registers(regs, client.DATATYPE.FLOAT32)
            assert isinstance(value, float)
            return value

        assert wait_until(lambda: level() != pytest.approx(12.5, abs=1e-9), 5.0)
        # bounded: within 3 % of the 25-unit band around the centre, so no alarm is ever provoked
        assert abs(level() - 12.5) <= 0.03 * 25 + 1e-6
        assert client.read_holding_registers(100, count=1, device_id=1).registers == [1000]
    finally:
        sim.stop()


def test_unknown_point_and_busy_port_are_reported() -> None:
    first = PlcSimulator(make_plc(), modbus_points(), vary=False)
    port = first.start()
    try:
        with pytest.raises(KeyError, match="nope"):
            first.set_value("nope", 1.0)
        busy = Plc.model_validate({"id": "other", "protocol": "modbus-tcp", "port": port, "simulated": True})
        second = PlcSimulator(busy, [], vary=False)
        with pytest.raises(RuntimeError, match=f"could not listen on 127.0.0.1:{port}"):
            second.start()
        second.stop()
    finally:
        first.stop()


def test_s7_simulator_serves_db_and_flags() -> None:
    import snap7

    plc = make_plc(protocol="s7", plc_id="s7plc")
    raw: list[dict[str, Any]] = [
        {"id": "flow", "address": "db1.dbd4", "type": "float32", "kind": "flow", "range": [0.0, 10.0]},
        {"id": "run", "address": "db1.dbx0.1", "type": "bool", "kind": "other", "alarms": [{"limit": "off"}]},
        {"id": "temp", "address": "mw10", "type": "int16", "kind": "temperature", "scale": 0.1,
         "range": [0.0, 40.0]},
    ]  # fmt: skip
    points = [Point.model_validate({"plc": "s7plc", **p}) for p in raw]
    sim = PlcSimulator(plc, points, vary=False)
    port = sim.start()
    client = snap7.client.Client()
    try:
        assert port > 1024
        client.connect("127.0.0.1", 0, 1, port)
        assert struct.unpack(">f", client.db_read(1, 4, 4))[0] == pytest.approx(5.0)
        assert client.db_read(1, 0, 1)[0] == 0b10
        assert struct.unpack(">h", client.mb_read(10, 2))[0] == 200
        sim.set_value("flow", 7.5)
        assert struct.unpack(">f", client.db_read(1, 4, 4))[0] == pytest.approx(7.5)
    finally:
        client.disconnect()
        started = time.monotonic()
        sim.stop()
        assert time.monotonic() - started < 2.5

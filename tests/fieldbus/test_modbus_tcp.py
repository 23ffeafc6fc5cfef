"""Polling a real pymodbus 3.16.1 TCP server: decoding, coil bit order, writes, poll_once."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Iterator

import pytest
from pymodbus.client import AsyncModbusTcpClient

from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointValueChanged
from app.fieldbus.manager import FieldbusManager, poll_once
from app.fieldbus.owner import WriteError
from tests.fieldbus.servers import ModbusServer, Recorder, make_site, point

PATTERN = [
    True,
    False,
    True,
    True,
    False,
    False,
    False,
    False,
    False,
    True,
    True,
    False,
    False,
    False,
    False,
    True,
]


def _plc(pid: str, port: int, **extra: object) -> dict[str, object]:
    return {
        "id": pid,
        "protocol": "modbus-tcp",
        "host": "127.0.0.1",
        "port": port,
        "unit": 1,
        "poll_ms": 200,
        "timeout_ms": 500,
        **extra,
    }


@pytest.fixture
def manager_factory(bus: EventBus) -> Iterator[list[FieldbusManager]]:
    managers: list[FieldbusManager] = []
    yield managers
    for manager in managers:
        manager.stop()


def _all_good(manager: FieldbusManager, ids: list[str]) -> bool:
    readings = manager.readings()
    return all(readings[i].quality == "good" for i in ids)


def test_coil_bit_order_golden_on_the_wire(modbus_server: ModbusServer) -> None:
    """Pins pymodbus 3.16.1: coil 0 is the least significant bit of the first data byte."""
    modbus_server.set_bits(0, PATTERN, "co")
    frames: list[bytes] = []

    def trace(sending: bool, data: bytes) -> bytes:
        if not sending:
            frames.append(data)
        return data

    async def read() -> list[bool]:
        client = AsyncModbusTcpClient(
            "127.0.0.1", port=modbus_server.port, timeout=1, retries=0, reconnect_delay=0, trace_packet=trace
        )
        await client.connect()
        try:
            response = await client.read_coils(0, count=16, device_id=1)
            return list(response.bits)
        finally:
            client.close()

    bits = asyncio.run(read())
    assert bits == PATTERN
    assert frames[-1][-3:] == bytes([0x02, 0b00001101, 0b10000110])  # byte count, coils 0-7, coils 8-15


def test_every_type_word_order_and_bit_decodes(
    modbus_server: ModbusServer, bus: EventBus, recorder: Recorder, manager_factory: list[FieldbusManager]
) -> None:
    port = modbus_server.port
    s = modbus_server
    s.set_registers(0, [0xFFFF, 0x8000, 0x1234])  # int16 -1, int16 -32768, uint16 0x1234
    s.set_registers(10, [0x0001, 0x0002, 0xFFFF, 0xFFFE, 0x3F80, 0x0000, 0xC2F6, 0xE979])
    s.set_registers(50, [0b1000_0000_0000_0101])
    s.set_registers(5, [0xFFFE, 0x0001, 0x0002], "ir")
    s.set_bits(0, PATTERN, "co")
    s.set_bits(0, list(reversed(PATTERN)), "di")
    s.set_registers(60, [420])
    minus_123 = struct.unpack(">f", bytes.fromhex("c2f6e979"))[0]
    little_float = struct.unpack(">f", bytes.fromhex("e979c2f6"))[0]
    expected: dict[str, object] = {
        "b.i16": -1,
        "b.i16min": -32768,
        "b.u16": 0x1234,
        "b.u32": 0x00010002,
        "b.i32": -2,
        "b.f32": 1.0,
        "b.f32neg": minus_123,
        "l.u32": 0x00020001,
        "l.i32": -65537,
        "l.f32": struct.unpack(">f", bytes.fromhex("00003f80"))[0],
        "l.f32neg": little_float,
        "b.ir.i16": -2,
        "b.ir.u32": 0x00010002,
        "l.ir.u32": 0x00020001,
        "b.scaled": 0.42,
    }
    points = [
        point("b.i16", "big", "hr:0", "int16"),
        point("b.i16min", "big", "hr:1", "int16"),
        point("b.u16", "big", "hr:2", "uint16"),
        point("b.u32", "big", "hr:10", "uint32"),
        point("b.i32", "big", "hr:12", "int32"),
        point("b.f32", "big", "hr:14", "float32"),
        point("b.f32neg", "big", "hr:16", "float32"),
        point("l.u32", "little", "hr:10", "uint32"),
        point("l.i32", "little", "hr:12", "int32"),
        point("l.f32", "little", "hr:14", "float32"),
        point("l.f32neg", "little", "hr:16", "float32"),
        point("b.ir.i16", "big", "ir:5", "int16"),
        point("b.ir.u32", "big", "ir:6", "uint32"),
        point("l.ir.u32", "little", "ir:6", "uint32"),
        point("b.scaled", "big", "hr:60", "uint16", scale=0.001, unit="MPa"),
    ]
    for bit in range(16):
        points.append(point(f"b.bit{bit}", "big", f"hr:50.{bit}", "bool"))
        expected[f"b.bit{bit}"] = bit in (0, 2, 15)
        points.append(point(f"b.co{bit}", "big", f"co:{bit}", "bool"))
        expected[f"b.co{bit}"] = PATTERN[bit]
        points.append(point(f"b.di{bit}", "big", f"di:{bit}", "bool"))
        expected[f"b.di{bit}"] = PATTERN[15 - bit]
    site = make_site([_plc("big", port), _plc("little", port, word_order="little")], points)
    manager = FieldbusManager(site, bus)
    manager_factory.append(manager)
    manager.start()
    ids = list(expected)
    recorder.wait_for(lambda: _all_good(manager, ids), 10, "every point good")
    readings = manager.readings()
    for pid, value in expected.items():
        got = readings[pid].value
        if isinstance(value, bool):
            assert got is value, pid
        elif isinstance(value, float):
            assert got == pytest.approx(value, rel=1e-6), pid
        else:
            assert got == value, pid
    assert readings["b.scaled"].raw == 420
    links = [e for e in recorder.snapshot() if isinstance(e, LinkStateChanged)]
    assert {(e.id, e.status) for e in links} == {("big", "connected"), ("little", "connected")}


def test_deadband_limits_published_values(
    modbus_server: ModbusServer, bus: EventBus, recorder: Recorder, manager_factory: list[FieldbusManager]
) -> None:
    modbus_server.set_registers(0, [1000])
    site = make_site(
        [_plc("p", modbus_server.port)],
        [point("p.a", "p", "hr:0", "uint16", scale=0.001, value_deadband=0.01)],
    )
    manager = FieldbusManager(site, bus)
    manager_factory.append(manager)
    manager.start()

    def published() -> list[float | bool | None]:
        return [e.reading.value for e in recorder.snapshot() if isinstance(e, PointValueChanged)]

    recorder.wait_for(lambda: published() == [1.0], 5, "first value")
    scans = manager.stats()["p"].scans
    modbus_server.set_registers(0, [1005])  # 0.005 < deadband: read, not published
    recorder.wait_for(lambda: manager.stats()["p"].scans >= scans + 3, 5, "three scans")
    assert published() == [1.0]
    assert manager.readings()["p.a"].value == 1.0
    modbus_server.set_registers(0, [1010])  # exactly the deadband: published
    recorder.wait_for(lambda: len(published()) == 2, 5, "second value")
    assert published()[1] == pytest.approx(1.010)


def test_writes_reach_the_server_and_read_only_is_refused(
    modbus_server: ModbusServer, bus: EventBus, manager_factory: list[FieldbusManager]
) -> None:
    site = make_site(
        [_plc("p", modbus_server.port)],
        [
            point("w.u16", "p", "hr:0", "uint16", writable=True, scale=0.1),
            point("w.f32", "p", "hr:2", "float32", writable=True),
            point("w.bit", "p", "hr:4.3", "bool", writable=True),
            point("w.coil", "p", "co:7", "bool", writable=True),
            point("ro.hr", "p", "hr:6", "uint16"),
            point("ro.ir", "p", "ir:0", "uint16", writable=True),
        ],
    )
    modbus_server.set_registers(4, [0b1_0000_0001])
    manager = FieldbusManager(site, bus)
    manager_factory.append(manager)
    manager.start()
    manager.write("w.u16", 12.3, timeout_s=5)
    manager.write("w.f32", -2.5, timeout_s=5)
    manager.write("w.bit", True, timeout_s=5)
    manager.write("w.coil", True, timeout_s=5)
    assert modbus_server.get_registers(0, 1) == [123]
    assert modbus_server.get_registers(2, 2) == [0xC020, 0x0000]
    assert modbus_server.get_registers(4, 1) == [0b1_0000_1001]  # other bits untouched
    assert modbus_server.get_bits(7, 1) == [True]
    manager.write("w.bit", False, timeout_s=5)
    assert modbus_server.get_registers(4, 1) == [0b1_0000_0001]
    with pytest.raises(WriteError, match="not writable"):
        manager.write("ro.hr", 1, timeout_s=5)
    with pytest.raises(WriteError, match="read-only"):
        manager.write("ro.ir", 1, timeout_s=5)
    with pytest.raises(WriteError, match="no point"):
        manager.write("nope", 1, timeout_s=5)
    with pytest.raises(WriteError, match="70000"):
        manager.write("w.u16", 7000.0, timeout_s=5)
    assert modbus_server.get_registers(6, 1) == [0]


def test_poll_once_reads_every_plc_and_reports_the_down_one(modbus_server: ModbusServer) -> None:
    modbus_server.set_registers(3, [77])
    site = make_site(
        [_plc("up", modbus_server.port), _plc("down", 1, timeout_ms=400)],
        [point("up.a", "up", "hr:3"), point("down.a", "down", "hr:3")],
    )
    readings = poll_once(site, timeout_s=5)
    assert readings["up.a"].quality == "good" and readings["up.a"].value == 77
    assert readings["up.a"].age_ms() is not None
    down = readings["down.a"]
    assert down.quality == "comm-fail" and down.value is None and down.age_ms() is None
    assert "down" in down.error and "127.0.0.1:1" in down.error


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A loopback port whose accept queue is full: a connection attempt gets no answer at all."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_a_connect_timeout_names_the_files_timeout(unanswered_port: int) -> None:
    """The message names ``timeout_ms`` as the file says it (the whole budget), not half of it."""
    site = make_site([_plc("mb", unanswered_port, timeout_ms=600)], [point("a", "mb", "hr:0")])
    reading = poll_once(site, timeout_s=5)["a"]
    assert reading.quality == "comm-fail"
    assert reading.error == f"PLC mb at 127.0.0.1:{unanswered_port} did not accept a connection within 600 ms"

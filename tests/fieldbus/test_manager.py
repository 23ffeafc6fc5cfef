"""Manager lifecycle: start fails loudly, stop is bounded even with requests hanging, stats are safe."""

from __future__ import annotations

import logging
import struct
import sys
import threading
import time

import pytest

from app.events import EventBus
from app.fieldbus import manager as manager_module
from app.fieldbus.manager import FieldbusManager, FieldbusStartError
from tests.faultproxy import FaultProxy
from tests.fieldbus.servers import ModbusServer, Recorder, make_site, point
from tests.fieldbus.test_s7 import S7Server


def test_stop_within_2_s_while_requests_hang(
    modbus_server: ModbusServer, bus: EventBus, recorder: Recorder
) -> None:
    s7 = S7Server()
    s7_port = s7.start()
    s7.db5[0:2] = struct.pack(">H", 1)
    modbus_proxy, s7_proxy = FaultProxy(modbus_server.port), FaultProxy(s7_port)
    plcs = [
        {
            "id": "mb",
            "protocol": "modbus-tcp",
            "host": "127.0.0.1",
            "port": modbus_proxy.start(),
            "poll_ms": 100,
            "timeout_ms": 3000,
        },
        {
            "id": "s7",
            "protocol": "s7",
            "host": "127.0.0.1",
            "port": s7_proxy.start(),
            "poll_ms": 100,
            "timeout_ms": 3000,
        },
    ]
    manager = FieldbusManager(make_site(plcs, [point("a", "mb", "hr:0"), point("b", "s7", "db5.dbw0")]), bus)
    manager.start()
    try:
        recorder.wait_for(lambda: all(r.quality == "good" for r in manager.readings().values()), 5, "good")
        modbus_proxy.set_mode("blackhole")
        s7_proxy.set_mode("blackhole")
        scans = {k: v.scans for k, v in manager.stats().items()}
        recorder.wait_for(
            lambda: all(v.scans > scans[k] + 1 for k, v in manager.stats().items()),
            5,
            "requests in flight to silent PLCs",
        )
        started = time.monotonic()
        manager.stop(timeout_s=2.0)
        assert time.monotonic() - started <= 2.0
        assert not manager.running
    finally:
        manager.stop()
        modbus_proxy.stop()
        s7_proxy.stop()
        s7.stop()


def test_start_raises_when_the_poller_cannot_be_built(
    monkeypatch: pytest.MonkeyPatch, bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    """A poller that failed to start must say so, not leave the station claiming "pollers running"."""

    def broken_build(*_args: object, **_kwargs: object) -> None:
        raise ValueError("plan for PLC mb cannot be made")

    monkeypatch.setattr(manager_module, "build", broken_build)
    site = make_site([{"id": "mb", "protocol": "modbus-tcp", "host": "127.0.0.1", "port": 1502}], [])
    manager = FieldbusManager(site, bus)
    with (
        caplog.at_level(logging.ERROR, logger="wardroom.fieldbus"),
        pytest.raises(FieldbusStartError, match="could not start: ValueError: plan for PLC mb"),
    ):
        manager.start()
    assert not manager.running
    assert "fieldbus loop failed" in caplog.text
    manager.stop()  # harmless after a failed start


def test_stats_can_be_read_while_polling(
    modbus_server: ModbusServer, bus: EventBus, recorder: Recorder
) -> None:
    """stats() from other threads while the poller records scans (was: deque mutated during iteration)."""
    plcs = [
        {
            "id": f"p{n}",
            "protocol": "modbus-tcp",
            "host": "127.0.0.1",
            "port": modbus_server.port,
            "poll_ms": 1,
        }
        for n in range(3)
    ]
    manager = FieldbusManager(make_site(plcs, [point(f"a{n}", f"p{n}", "hr:0") for n in range(3)]), bus)
    errors: list[BaseException] = []
    done = threading.Event()

    def hammer() -> None:
        deadline = time.monotonic() + 3.0
        for _ in range(100_000):  # bounded in count and time
            if time.monotonic() > deadline or done.is_set():
                return
            try:
                for stats in manager.stats().values():
                    assert len(stats.scan_starts) <= stats.scans
            except BaseException as exc:
                errors.append(exc)
                return

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # many thread switches: a copy races with the poller's appends
    manager.start()
    threads = [threading.Thread(target=hammer, name=f"stats-{n}") for n in range(2)]
    try:
        recorder.wait_for(lambda: all(s.scans > 200 for s in manager.stats().values()), 10, "fast scans")
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        done.set()
        sys.setswitchinterval(switch)
        manager.stop()
    assert errors == []
    copy = manager.stats()  # after stop: still the last counts, as copies
    assert all(s.scans > 200 for s in copy.values())
    copy["p0"].scan_starts.clear()
    assert len(manager.stats()["p0"].scan_starts) > 0


def test_poll_once_reads_points_of_a_block_split_during_the_scan(modbus_server: ModbusServer) -> None:
    """``points list`` is one scan: a block the PLC refuses (a hole in its map) is split and the
    pieces are read in the same call, so no point is left 'never-read'."""
    from app.fieldbus.manager import poll_once

    modbus_server.set_registers(10, [7])
    modbus_server.set_registers(14, [9])
    modbus_server.refuse[("hr", 12)] = 2  # a hole between the two points: the joined read fails
    site = make_site(
        [{"id": "p", "protocol": "modbus-tcp", "host": "127.0.0.1", "port": modbus_server.port,
          "poll_ms": 500, "timeout_ms": 1000}],
        [point("a", "p", "hr:10"), point("b", "p", "hr:14")],
    )
    readings = poll_once(site, timeout_s=5)
    assert (readings["a"].quality, readings["a"].raw) == ("good", 7)
    assert (readings["b"].quality, readings["b"].raw) == ("good", 9)

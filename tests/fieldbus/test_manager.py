"""Manager lifecycle: stop is bounded even with requests hanging on silent PLCs."""

from __future__ import annotations

import struct
import time

from app.events import EventBus
from app.fieldbus.manager import FieldbusManager
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

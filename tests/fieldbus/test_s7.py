"""Siemens S7: python-snap7's own server on 127.0.0.1 with DB, flag, input and output areas."""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator

import pytest
from snap7.server import Server
from snap7.type import SrvArea

from app.events import EventBus, LinkStateChanged
from app.fieldbus.manager import FieldbusManager, poll_once
from app.fieldbus.owner import WriteError
from tests.faultproxy import FaultProxy
from tests.fieldbus.servers import Recorder, make_site, point


class S7Server:
    def __init__(self) -> None:
        self.db5 = bytearray(64)
        self.db7 = bytearray(8)
        self.mk = bytearray(32)
        self.pe = bytearray(16)
        self.pa = bytearray(16)
        self.server = Server(log=False)
        self.server.register_area(SrvArea.DB, 5, self.db5)
        self.server.register_area(SrvArea.DB, 7, self.db7)
        self.server.register_area(SrvArea.MK, 0, self.mk)
        self.server.register_area(SrvArea.PE, 0, self.pe)
        self.server.register_area(SrvArea.PA, 0, self.pa)

    def start(self, port: int = 0) -> int:
        self.server.start_to("127.0.0.1", tcp_port=port)
        assert self.server.server_socket is not None
        return int(self.server.server_socket.getsockname()[1])

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def s7() -> Iterator[tuple[S7Server, int]]:
    server = S7Server()
    port = server.start()
    yield server, port
    server.stop()


def _plc(port: int, **extra: object) -> dict[str, object]:
    return {
        "id": "s7",
        "protocol": "s7",
        "host": "127.0.0.1",
        "port": port,
        "rack": 0,
        "slot": 1,
        "poll_ms": 200,
        "timeout_ms": 500,
        **extra,
    }


def test_every_s7_area_and_type_decodes(s7: tuple[S7Server, int]) -> None:
    server, port = s7
    server.db5[0:2] = struct.pack(">h", -1234)
    server.db5[2:4] = struct.pack(">H", 54321)
    server.db5[4:8] = struct.pack(">i", -70000)
    server.db5[8:12] = struct.pack(">I", 4000000000)
    server.db5[12:16] = struct.pack(">f", 0.42)
    server.db5[16] = 0b1000_0010
    server.db7[0:2] = struct.pack(">H", 7)
    server.mk[4:6] = struct.pack(">h", -5)
    server.mk[10] = 0b0000_1000
    server.mk[20:24] = struct.pack(">f", -1.5)
    server.pe[0:2] = struct.pack(">H", 0xBEEF)
    server.pe[3] = 0b1
    server.pa[2:4] = struct.pack(">H", 99)
    server.pa[5] = 0b1000_0000
    expected: dict[str, object] = {
        "db.int": -1234,
        "db.uint": 54321,
        "db.dint": -70000,
        "db.udint": 4000000000,
        "db.real": pytest.approx(0.42, rel=1e-6),
        "db.x1": True,
        "db.x0": False,
        "db.x7": True,
        "db7.w": 7,
        "m.w": -5,
        "m.x3": True,
        "m.x2": False,
        "m.d": -1.5,
        "i.w": 0xBEEF,
        "i.x0": True,
        "q.w": 99,
        "q.x7": True,
        "db.scaled": pytest.approx(5.4321),
    }
    points = [
        point("db.int", "s7", "db5.dbw0", "int16"),
        point("db.uint", "s7", "db5.dbw2", "uint16"),
        point("db.dint", "s7", "db5.dbd4", "int32"),
        point("db.udint", "s7", "db5.dbd8", "uint32"),
        point("db.real", "s7", "db5.dbd12", "float32"),
        point("db.x1", "s7", "db5.dbx16.1", "bool"),
        point("db.x0", "s7", "db5.dbx16.0", "bool"),
        point("db.x7", "s7", "db5.dbx16.7", "bool"),
        point("db7.w", "s7", "db7.dbw0", "uint16"),
        point("m.w", "s7", "mw4", "int16"),
        point("m.x3", "s7", "m10.3", "bool"),
        point("m.x2", "s7", "m10.2", "bool"),
        point("m.d", "s7", "md20", "float32"),
        point("i.w", "s7", "iw0", "uint16"),
        point("i.x0", "s7", "i3.0", "bool"),
        point("q.w", "s7", "qw2", "uint16"),
        point("q.x7", "s7", "q5.7", "bool"),
        point("db.scaled", "s7", "db5.dbw2", "uint16", scale=0.0001),
    ]
    readings = poll_once(make_site([_plc(port)], points), timeout_s=10)
    assert {pid: r.quality for pid, r in readings.items()} == dict.fromkeys(expected, "good")
    assert {pid: r.value for pid, r in readings.items()} == expected


def test_s7_bad_address_writes_comm_fail_and_recovery(bus: EventBus, recorder: Recorder) -> None:
    server = S7Server()
    port = server.start()
    points = [
        point("w.int", "s7", "db5.dbw0", "int16", writable=True),
        point("w.real", "s7", "db5.dbd4", "float32", writable=True),
        point("w.bit", "s7", "db5.dbx8.3", "bool", writable=True),
        point("in", "s7", "iw0", "uint16", writable=True),
        point("missing", "s7", "db9.dbw0", "uint16"),
        point("past-end", "s7", "db7.dbw30", "uint16"),
    ]
    server.db5[8] = 0b1000_0001
    manager = FieldbusManager(make_site([_plc(port)], points), bus)
    manager.start()
    try:
        recorder.wait_for(
            lambda: (
                manager.readings()["w.int"].quality == "good"
                and manager.readings()["missing"].quality == "bad-config"
                and manager.readings()["past-end"].quality == "bad-config"
            ),
            5,
            "qualities",
        )
        assert "db9.dbw0" in manager.readings()["missing"].error
        manager.write("w.int", -3, timeout_s=5)
        manager.write("w.real", 2.5, timeout_s=5)
        manager.write("w.bit", True, timeout_s=5)
        assert server.db5[0:2] == struct.pack(">h", -3)
        assert server.db5[4:8] == struct.pack(">f", 2.5)
        assert server.db5[8] == 0b1000_1001
        with pytest.raises(WriteError, match="read-only"):
            manager.write("in", 1, timeout_s=5)
        recorder.wait_for(lambda: manager.readings()["w.int"].value == -3, 5, "written value read back")

        server.stop()
        recorder.wait_for(
            lambda: manager.readings()["w.int"].quality == "comm-fail", 0.2 + 2 * 0.5 + 0.2, "comm-fail"
        )
        server = S7Server()
        server.start(port)
        took = recorder.wait_for(lambda: manager.readings()["w.int"].quality == "good", 3, "recovery")
        assert took <= 2.0
        links = [e.status for e in recorder.snapshot() if isinstance(e, LinkStateChanged)]
        assert links == ["connected", "disconnected", "connected"]
    finally:
        manager.stop()
        server.stop()


def test_s7_silent_plc_is_reported_in_bound_and_recovers(
    s7: tuple[S7Server, int], bus: EventBus, recorder: Recorder
) -> None:
    """A black-holed S7 PLC: our own connect/read timeouts, not snap7's fixed 5 s."""
    server, port = s7
    server.db5[0:2] = struct.pack(">H", 321)
    proxy = FaultProxy(port)
    proxy_port = proxy.start()
    manager = FieldbusManager(make_site([_plc(proxy_port)], [point("a", "s7", "db5.dbw0", "uint16")]), bus)
    manager.start()
    try:
        recorder.wait_for(lambda: manager.readings()["a"].quality == "good", 5, "good")
        proxy.set_mode("blackhole")
        took = recorder.wait_for(lambda: manager.readings()["a"].quality == "comm-fail", 3, "comm-fail")
        assert took <= (200 + 2 * 500) / 1000
        recorder.wait_for(lambda: manager.stats()["s7"].failures >= 3, 10, "reconnect attempts in the dark")
        proxy.heal()
        took = recorder.wait_for(lambda: manager.readings()["a"].quality == "good", 3, "recovery")
        assert took <= 2.0
        assert manager.readings()["a"].value == 321
    finally:
        manager.stop()
        proxy.stop()


SNAP7_TEXTS = ("Errno", "Receive", "Send failed", "TPKT", "COTP", "S7ConnectionError", "Connection failed")


def test_s7_splits_survive_reconnects_and_errors_are_plain_words(
    s7: tuple[S7Server, int], bus: EventBus, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    """A range the PLC refused is not asked for again after a reconnect; operators read plain words."""
    server, port = s7
    server.db5[60:62] = struct.pack(">H", 606)
    proxy = FaultProxy(port)
    points = [point("a", "s7", "db5.dbw60", "uint16"), point("gone", "s7", "db5.dbw70", "uint16")]
    manager = FieldbusManager(make_site([_plc(proxy.start())], points), bus)
    caplog.set_level(logging.INFO, logger="wardroom.fieldbus")
    manager.start()
    try:
        recorder.wait_for(
            lambda: (
                manager.readings()["a"].quality == "good"
                and manager.readings()["gone"].quality == "bad-config"
            ),
            5,
            "split",
        )
        gone = manager.readings()["gone"].error
        assert gone == (
            "PLC s7 refused address db5.dbw70: the address is out of range (S7 item code 0x05) "
            "for db5 bytes 70-71"
        )
        proxy.set_mode("reset")
        recorder.wait_for(lambda: manager.readings()["a"].quality == "comm-fail", 3, "comm-fail")
        recorder.wait_for(lambda: manager.stats()["s7"].failures >= 2, 5, "a reconnect attempt refused")
        error = manager.readings()["a"].error
        assert error.startswith(f"PLC s7 at 127.0.0.1:{proxy.port} ")
        assert not any(text in error for text in SNAP7_TEXTS), error
        proxy.heal()
        recorder.wait_for(lambda: manager.readings()["a"].quality == "good", 3, "reconnected")
        scans = manager.stats()["s7"].scans
        recorder.wait_for(lambda: manager.stats()["s7"].scans >= scans + 3, 5, "scans after the reconnect")
        assert manager.readings()["a"].value == 606
        assert manager.readings()["gone"].quality == "bad-config"
    finally:
        manager.stop()
        proxy.stop()
    splits = [r.getMessage() for r in caplog.records if "reading it in" in r.getMessage()]
    assert splits == [
        "PLC s7 refused db5 bytes 60-71 (the address is out of range (S7 item code 0x05) "
        "for db5 bytes 60-71); reading it in 2 parts"
    ]
    raw = [r.getMessage() for r in caplog.records if r.getMessage().startswith("S7 ")]
    assert raw, "snap7's own words are kept in the log"

"""Modbus RTU: a pymodbus server on one end of a socat pty pair, the poller on the other.

Two PLCs (units 1 and 2) share the line, so they share one owner task and one serial client.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from app.events import EventBus, LinkStateChanged
from app.fieldbus.manager import FieldbusManager
from tests.fieldbus.servers import ModbusServer, Recorder, make_site, point

pytestmark = pytest.mark.skipif(
    shutil.which("socat") is None,
    reason="socat is not installed (Debian package 'socat' provides the pty pair)",
)


@pytest.fixture
def pty_pair() -> Iterator[tuple[str, str]]:
    proc = subprocess.Popen(
        ["socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"], stderr=subprocess.PIPE, text=True
    )
    ports: list[str] = []
    deadline = time.monotonic() + 10
    assert proc.stderr is not None
    while len(ports) < 2 and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if match := re.search(r"PTY is (\S+)", line):
            ports.append(match.group(1))
    try:
        assert len(ports) == 2, "socat did not report two ptys"
        yield ports[0], ports[1]
    finally:
        proc.terminate()
        proc.wait(5)
        proc.stderr.close()


def test_rtu_line_with_two_units(pty_pair: tuple[str, str], bus: EventBus, recorder: Recorder) -> None:
    server_end, client_end = pty_pair
    server = ModbusServer(size=100, serial_port=server_end, baudrate=19200, extra_ids=(2,))
    server.start()
    server.set_registers(0, [0x3F80, 0x0000, 0xFFFE, 0b100], unit=1)
    server.set_registers(0, [0x0000, 0x3F80, 7, 0], unit=2)
    server.set_bits(3, [True])
    plcs = [
        {
            "id": f"u{unit}",
            "protocol": "modbus-rtu",
            "serial_port": client_end,
            "baudrate": 19200,
            "unit": unit,
            "poll_ms": 200,
            "timeout_ms": 500,
            "word_order": order,
        }
        for unit, order in ((1, "big"), (2, "little"))
    ]
    points = [
        point("u1.f", "u1", "hr:0", "float32"),
        point("u1.i", "u1", "hr:2", "int16"),
        point("u1.bit2", "u1", "hr:3.2", "bool"),
        point("u1.co3", "u1", "co:3", "bool"),
        point("u2.f", "u2", "hr:0", "float32"),
        point("u2.u", "u2", "hr:2", "uint16", writable=True),
    ]
    manager = FieldbusManager(make_site(plcs, points), bus)
    manager.start()
    try:
        recorder.wait_for(lambda: all(r.quality == "good" for r in manager.readings().values()), 10, "good")
        values = {pid: r.value for pid, r in manager.readings().items()}
        assert values == {"u1.f": 1.0, "u1.i": -2, "u1.bit2": True, "u1.co3": True, "u2.f": 1.0, "u2.u": 7}
        manager.write("u2.u", 9, timeout_s=5)
        assert server.get_registers(2, 1, unit=2) == [9]
        assert server.get_registers(2, 1, unit=1) == [0xFFFE]  # unit 1 untouched
        recorder.wait_for(lambda: manager.readings()["u2.u"].value == 9, 5, "written value read back")
        server.stop()  # the line goes silent: both units fail, each with its own event
        recorder.wait_for(
            lambda: {r.quality for r in manager.readings().values()} == {"comm-fail"}, 5, "comm-fail"
        )
        links = [(e.id, e.status) for e in recorder.snapshot() if isinstance(e, LinkStateChanged)]
        assert ("u1", "disconnected") in links and ("u2", "disconnected") in links
        assert "unit 1" in manager.readings()["u1.f"].error
    finally:
        manager.stop()
        server.stop()

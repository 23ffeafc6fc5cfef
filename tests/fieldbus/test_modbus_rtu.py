"""Modbus RTU: a server on one end of a socat pty pair, the poller on the other.

PLCs (units) share the line, so they share one owner task and one serial client: each request must
still be timed by the PLC it asks, and a late answer must never be credited to another request.

The pty pair needs socat. Without it these tests skip, saying so, except where the environment asks
for every test peer (``WARDROOM_REQUIRE_PEERS=1``, as the installer's test run sets): then they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.manager import FieldbusManager
from tests.fieldbus.servers import ModbusServer, Recorder, RtuSlaves, make_site, point, socat_pty_pair

NO_SOCAT = "socat is not installed (Debian package 'socat' provides the pty pair for the RTU tests)"


def require_socat() -> None:
    """Skip without socat, or fail when every test peer is required (WARDROOM_REQUIRE_PEERS=1)."""
    if shutil.which("socat") is not None:
        return
    if os.environ.get("WARDROOM_REQUIRE_PEERS") == "1":
        pytest.fail(f"{NO_SOCAT}; WARDROOM_REQUIRE_PEERS=1 requires it", pytrace=False)
    pytest.skip(NO_SOCAT)


@pytest.fixture
def pty_pair() -> Iterator[tuple[str, str]]:
    require_socat()
    with socat_pty_pair() as (server_end, client_end, _pid):
        yield server_end, client_end


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


def _rtu(pid: str, port: str, unit: int, timeout_ms: int, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "protocol": "modbus-rtu", "serial_port": port, "baudrate": 19200, "unit": unit,
            "poll_ms": 200, "timeout_ms": timeout_ms, **extra}  # fmt: skip


@pytest.fixture
def slaves() -> Iterator[list[RtuSlaves]]:
    started: list[RtuSlaves] = []
    yield started
    for line in started:
        line.stop()


def test_each_unit_is_timed_by_its_own_timeout(
    pty_pair: tuple[str, str], bus: EventBus, recorder: Recorder, slaves: list[RtuSlaves]
) -> None:
    """A slow unit with a long budget stays good next to fast units; a fast unit's silence is
    reported within its own short budget. The line used to time every request by its first PLC:
    the slow unit then timed out on every request and was "good" only when the next request took
    the previous one's late answer."""
    server_end, client_end = pty_pair
    silent: set[int] = set()

    def delay(unit: int, _start: int, _count: int) -> float | None:
        if unit in silent:
            return None
        return 0.6 if unit == 2 else 0.0

    line = RtuSlaves(server_end, {1: {0: 11}, 2: {0: 22}, 3: {0: 33}}, delay)
    slaves.append(line)
    line.start()
    plcs = [
        _rtu("fast", client_end, 1, 300),  # first on the line: its timing used to be everyone's
        _rtu("slow", client_end, 2, 4000),
        _rtu("fast2", client_end, 3, 300),
    ]
    points = [point("f", "fast", "hr:0"), point("s", "slow", "hr:0"), point("f2", "fast2", "hr:0")]
    manager = FieldbusManager(make_site(plcs, points), bus)
    manager.start()
    try:
        recorder.wait_for(
            lambda: all(r.quality == "good" for r in manager.readings().values()), 10, "all good"
        )
        assert {pid: r.value for pid, r in manager.readings().items()} == {"f": 11, "s": 22, "f2": 33}
        silent.add(3)
        took = recorder.wait_for(lambda: manager.readings()["f2"].quality == "comm-fail", 6, "fast2 silent")
        # poll + its own budget, plus at most one 0.6 s request of the slow unit holding the line
        assert took <= 0.2 + 2 * 0.3 + 0.6 + 0.6
        error = manager.readings()["f2"].error
        assert error == f"PLC fast2 at {client_end} unit 3 did not answer within 300 ms"
        scans = manager.stats()["slow"].scans
        recorder.wait_for(lambda: manager.stats()["slow"].scans >= scans + 2, 5, "slow unit still polled")
        assert manager.readings()["s"].quality == "good" and manager.readings()["f"].quality == "good"
        silent.clear()
        recorder.wait_for(lambda: manager.readings()["f2"].quality == "good", 5, "fast2 back")
    finally:
        manager.stop()
    # the slow unit answered every request within its own budget: it never flapped to comm-fail
    slow = [e.reading.quality for e in recorder.snapshot() if isinstance(e, PointQualityChanged)
            and e.reading.point_id == "s"]  # fmt: skip
    assert slow == ["good"]


def test_a_late_answer_is_never_credited_to_another_request(
    pty_pair: tuple[str, str], bus: EventBus, recorder: Recorder, slaves: list[RtuSlaves]
) -> None:
    """Unit 1 answers its second block late (after its 300 ms budget); RTU frames carry no
    transaction id, and both blocks have the same shape, so only the poller's waiting keeps that
    late answer from being taken for the answer to the next request."""
    server_end, client_end = pty_pair
    flaky = {"on": True}

    def delay(unit: int, start: int, _count: int) -> float | None:
        if unit == 1 and start == 50 and flaky["on"]:
            return 0.45  # late: after the 300 ms budget
        return 0.1 if unit == 1 else 0.0

    truth = {"a0": 101, "a1": 102, "b0": 151, "b1": 152, "c0": 201, "c1": 202}
    line = RtuSlaves(server_end, {1: {0: 101, 1: 102, 50: 151, 51: 152}, 2: {0: 201, 1: 202}}, delay)
    slaves.append(line)
    line.start()
    plcs = [_rtu("u1", client_end, 1, 300, max_gap=4), _rtu("u2", client_end, 2, 300)]
    points = [
        point("a0", "u1", "hr:0"),
        point("a1", "u1", "hr:1"),
        point("b0", "u1", "hr:50"),
        point("b1", "u1", "hr:51"),
        point("c0", "u2", "hr:0"),
        point("c1", "u2", "hr:1"),
    ]
    manager = FieldbusManager(make_site(plcs, points), bus)
    manager.start()
    try:
        recorder.wait_for(lambda: line.late_count() >= 6, 15, "late answers on the line")
        flaky["on"] = False
        recorder.wait_for(lambda: all(r.quality == "good" for r in manager.readings().values()), 5, "healed")
        assert {pid: r.value for pid, r in manager.readings().items()} == truth
    finally:
        manager.stop()
    credited = [e.reading for e in recorder.snapshot() if isinstance(e, PointValueChanged)]
    wrong = [(r.point_id, r.value) for r in credited if r.value != truth[r.point_id]]
    assert wrong == []
    assert {r.point_id for r in credited} == set(truth)


def test_without_socat_the_rtu_tests_skip_or_fail_when_peers_are_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no socat on this PATH
    monkeypatch.delenv("WARDROOM_REQUIRE_PEERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="socat is not installed"):
        require_socat()
    monkeypatch.setenv("WARDROOM_REQUIRE_PEERS", "1")
    with pytest.raises(pytest.fail.Exception, match="WARDROOM_REQUIRE_PEERS=1 requires it"):
        require_socat()

"""Drills on a running simulator: switches on its own server, found through the registry, guarded."""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from app.sim import drill, drillmap, registry
from app.sim.simulator import PlcSimulator
from app.site.loader import LoadedSite, load_site
from app.site.schema import Plc, Point

SITE = """\
[site]
name = "Drill Yard"
timezone = "Asia/Shanghai"

[[building]]
id = "B3"
name = "Building 3"

[[plc]]
id = "panel"
protocol = "{protocol}"
host = "127.0.0.1"
port = {port}
{unit}
simulated = true

[[plc]]
id = "field"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 5020

{extra}
[[point]]
id = "b3.sprinkler.pressure"
plc = "panel"
address = "{pressure}"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
building = "B3"
range = [0.0, 1.6]
alarms = [
  {{ limit = "low", value = 0.10, priority = "high", delay_s = 2, deadband = 0.01 }},
  {{ limit = "low-low", value = 0.05, priority = "urgent", category = "fault" }},
]

[[point]]
id = "b3.smoke"
plc = "panel"
address = "{smoke}"
type = "bool"
kind = "smoke"
building = "B3"
alarms = [{{ limit = "on", priority = "fire", category = "fire" }}]

[[point]]
id = "field.pressure"
plc = "field"
address = "hr:1"
type = "uint16"
kind = "pressure"
"""

MODBUS = {"protocol": "modbus-tcp", "pressure": "hr:100", "smoke": "di:0"}
S7 = {"protocol": "s7", "pressure": "db65000.dbw0", "smoke": "db1.dbx0.0", "unit": ""}


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def write_site(
    tmp_path: Path, *, port: int = 0, unit: int = 1, extra: str = "", kind: dict[str, str] = MODBUS
) -> LoadedSite:
    path = tmp_path / "site.toml"
    fields = {"unit": f"unit = {unit}", **kind}
    path.write_text(SITE.format(port=port, extra=extra, **fields), encoding="utf-8")
    return load_site(path)


def panel_points(loaded: LoadedSite) -> list[Point]:
    return [p for p in loaded.site.point if p.plc == "panel"]


def panel(loaded: LoadedSite) -> Plc:
    return next(p for p in loaded.site.plc if p.id == "panel")


@pytest.fixture
def simulators() -> Iterator[Callable[..., PlcSimulator]]:
    started: list[PlcSimulator] = []

    def start(loaded: LoadedSite, *, register: bool = True, **kwargs: object) -> PlcSimulator:
        plc = next(p for p in loaded.site.plc if p.id == "panel")
        sim = PlcSimulator(
            plc,
            panel_points(loaded),
            tick_s=0.05,
            seed=1,
            site_path=loaded.path if register else None,
            **kwargs,  # type: ignore[arg-type]
        )
        started.append(sim)
        sim.start()
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def client() -> Iterator[Callable[[int], ModbusTcpClient]]:
    clients: list[ModbusTcpClient] = []

    def make(port: int) -> ModbusTcpClient:
        c = ModbusTcpClient("127.0.0.1", port=port, timeout=1, retries=0)
        assert c.connect()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def test_drill_unit_switches_trip_points_on_the_running_server(
    tmp_path: Path,
    simulators: Callable[..., PlcSimulator],
    client: Callable[[int], ModbusTcpClient],
) -> None:
    loaded = write_site(tmp_path)
    flips: list[tuple[str, bool]] = []
    sim = simulators(loaded, on_drill=lambda pid, on: flips.append((pid, on)))
    c = client(sim.port)
    ids = ["b3.sprinkler.pressure", "b3.smoke"]
    info = c.read_input_registers(0, count=5, device_id=drillmap.DRILL_UNIT)
    assert info.registers == drillmap.modbus_info(ids) and info.registers[4] == 2

    def pressure() -> int:
        return int(c.read_holding_registers(100, count=1, device_id=1).registers[0])

    assert pressure() > 100  # calm, clear of the low limit
    assert not c.write_register(1, 1, device_id=drillmap.DRILL_UNIT).isError()  # smoke
    assert wait_until(lambda: c.read_discrete_inputs(0, count=1, device_id=1).bits[0], 2.0)
    assert not c.write_register(0, 1, device_id=drillmap.DRILL_UNIT).isError()  # sprinkler
    assert wait_until(lambda: pressure() < 50, 5.0)
    assert sim.tripped() == frozenset(ids)
    assert c.read_holding_registers(0, count=2, device_id=drillmap.DRILL_UNIT).registers == [1, 1]

    # refused: a value other than 0/1, a switch that does not exist, coils of the drill unit
    bad = c.write_register(0, 2, device_id=drillmap.DRILL_UNIT)
    assert bad.isError() and bad.exception_code == 3
    beyond = c.write_register(2, 1, device_id=drillmap.DRILL_UNIT)
    assert beyond.isError() and beyond.exception_code == 2
    assert c.write_coil(0, True, device_id=drillmap.DRILL_UNIT).isError()
    # the site's map is not on the drill unit, and the drill switches are not on the site's units
    assert c.read_holding_registers(100, count=1, device_id=drillmap.DRILL_UNIT).isError()
    assert c.read_holding_registers(0, count=1, device_id=1).isError()

    sim.restore("b3.smoke")  # in-process drills flip the same switch
    assert wait_until(lambda: not c.read_discrete_inputs(0, count=1, device_id=1).bits[0], 2.0)
    assert c.read_holding_registers(1, count=1, device_id=drillmap.DRILL_UNIT).registers == [0]
    assert wait_until(lambda: ("b3.smoke", False) in flips, 2.0)
    assert flips[:2] == [("b3.smoke", True), ("b3.sprinkler.pressure", True)]


def test_a_plc_on_unit_247_gets_its_drills_on_246(
    tmp_path: Path,
    simulators: Callable[..., PlcSimulator],
    client: Callable[[int], ModbusTcpClient],
) -> None:
    loaded = write_site(tmp_path, unit=247)
    sim = simulators(loaded)
    assert sim.drill_unit == drillmap.DRILL_UNIT_ALTERNATE
    c = client(sim.port)
    assert not c.read_holding_registers(100, count=1, device_id=247).isError()
    assert c.read_input_registers(4, count=1, device_id=246).registers == [2]
    assert drill.trip(loaded, "b3.smoke").endpoints == (f"127.0.0.1:{sim.port}",)
    assert wait_until(lambda: c.read_discrete_inputs(0, count=1, device_id=247).bits[0], 2.0)


def test_drill_api_finds_the_simulator_through_the_registry(
    tmp_path: Path,
    simulators: Callable[..., PlcSimulator],
    client: Callable[[int], ModbusTcpClient],
) -> None:
    loaded = write_site(tmp_path)
    assert [p.id for p in drill.drillable_points(loaded)] == ["b3.sprinkler.pressure", "b3.smoke"]
    sim = simulators(loaded)
    (entry,) = registry.lookup(loaded.path, "panel")
    assert (entry.port, entry.pid, entry.site) == (sim.port, os.getpid(), str(loaded.path.resolve()))

    result = drill.trip(loaded, "b3.sprinkler.pressure")
    assert result.on and result.plc_id == "panel" and result.endpoints == (f"127.0.0.1:{sim.port}",)
    assert drill.is_tripped(loaded, "b3.sprinkler.pressure")
    c = client(sim.port)
    assert wait_until(lambda: c.read_holding_registers(100, count=1, device_id=1).registers[0] < 50, 5.0)
    drill.restore(loaded, "b3.sprinkler.pressure")
    assert not drill.is_tripped(loaded, "b3.sprinkler.pressure")

    with pytest.raises(drill.UnknownPointError, match="no point 'nope'") as unknown:
        drill.trip(loaded, "nope")
    assert unknown.value.exit_code == 2
    with pytest.raises(drill.NotDrillableError, match="PLC field, which is not simulated") as field:
        drill.trip(loaded, "field.pressure")
    assert field.value.exit_code == 2

    sim.stop()
    assert registry.lookup(loaded.path, "panel") == []
    assert json.loads(registry.registry_path().read_text()) == []
    with pytest.raises(drill.NoSimulatorError) as missing:
        drill.trip(loaded, "b3.smoke")
    assert missing.value.exit_code == 1
    assert str(missing.value).startswith(
        f"no running simulator for PLC panel of site {loaded.path}: "
        f"start one with wardroom simulate --site {loaded.path}"
    )


def test_a_site_file_edited_after_start_is_refused(
    tmp_path: Path, simulators: Callable[..., PlcSimulator]
) -> None:
    loaded = write_site(tmp_path)
    sim = simulators(loaded)
    extra = '[[point]]\nid = "b3.first"\nplc = "panel"\naddress = "co:0"\ntype = "bool"\nkind = "door"\n'
    edited = write_site(tmp_path, extra=extra)  # a new point shifts every switch index
    with pytest.raises(drill.NoSimulatorError, match="serves a different point list"):
        drill.trip(edited, "b3.smoke")
    assert sim.tripped() == frozenset()


def test_a_fixed_port_simulator_is_found_without_the_registry(
    tmp_path: Path, simulators: Callable[..., PlcSimulator]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loaded = write_site(tmp_path, port=port)
    sim = simulators(loaded, register=False)  # e.g. started under another WARDROOM_HOME
    assert registry.lookup(loaded.path, "panel") == []
    assert drill.trip(loaded, "b3.smoke").endpoints == (f"127.0.0.1:{port}",)
    assert wait_until(lambda: sim.value("b3.smoke") == 1.0, 2.0)


def test_stale_and_corrupt_registry_entries_are_ignored(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    site = tmp_path / "site.toml"
    stale = {"site": str(site), "plc": "panel", "protocol": "modbus-tcp", "host": "127.0.0.1", "port": 9,
             "pid": dead_pid, "started": 1.0}  # fmt: skip
    registry.registry_path().write_text(json.dumps([stale, {"garbage": True}]), encoding="utf-8")
    assert registry.lookup(site, "panel") == []
    entry = registry.register(site, "panel", "modbus-tcp", "127.0.0.1", 1234)
    assert registry.lookup(site, "panel") == [entry]
    assert [e["pid"] for e in json.loads(registry.registry_path().read_text())] == [os.getpid()]  # pruned
    registry.unregister(entry)
    assert registry.lookup(site, "panel") == []
    registry.registry_path().write_text("{not json", encoding="utf-8")
    assert registry.lookup(site, "panel") == []


def test_s7_simulators_have_a_drill_data_block(
    tmp_path: Path, simulators: Callable[..., PlcSimulator]
) -> None:
    import snap7

    loaded = write_site(tmp_path, kind=S7)
    # the site itself uses DB65000, so the drill block moves to the next free number
    assert drillmap.drill_db(panel(loaded), panel_points(loaded)) == 64999
    sim = simulators(loaded)
    s7 = snap7.client.Client()
    s7.connect("127.0.0.1", 0, 1, sim.port)
    try:
        assert struct.unpack(">H", s7.db_read(65000, 0, 2))[0] > 100
        drill.trip(loaded, "b3.sprinkler.pressure")
        drill.trip(loaded, "b3.smoke")
        assert wait_until(lambda: struct.unpack(">H", s7.db_read(65000, 0, 2))[0] < 50, 5.0)
        assert wait_until(lambda: s7.db_read(1, 0, 1)[0] & 1 == 1, 2.0)
        assert drill.is_tripped(loaded, "b3.smoke")
        drill.restore(loaded, "b3.smoke")
        assert wait_until(lambda: s7.db_read(1, 0, 1)[0] & 1 == 0, 2.0)
    finally:
        s7.disconnect()


def test_drillable_points_leave_out_outputs_and_plain_counters(tmp_path: Path) -> None:
    extra = (
        '[[point]]\nid = "sounder"\nplc = "panel"\naddress = "co:0"\ntype = "bool"\nkind = "other"\n'
        "writable = true\n\n"
        '[[point]]\nid = "hours"\nplc = "panel"\naddress = "hr:300"\ntype = "uint32"\nkind = "other"\n'
    )
    loaded = write_site(tmp_path, extra=extra)
    assert [p.id for p in drill.drillable_points(loaded.site)] == ["b3.sprinkler.pressure", "b3.smoke"]
    # the switch numbering still counts every point of the PLC, in file order
    assert drillmap.locate(loaded.site, "b3.smoke").index == 3


def test_registry_endpoint_prefers_the_running_simulator(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    assert registry.endpoint(site, "panel", "127.0.0.1", 0) is None
    assert registry.endpoint(site, "panel", None, 5020) == ("127.0.0.1", 5020)
    entry = registry.register(site, "panel", "modbus-tcp", "127.0.0.1", 40000)
    try:
        assert registry.endpoint(site, "panel", "127.0.0.1", 0) == ("127.0.0.1", 40000)
    finally:
        registry.unregister(entry)


def test_a_drill_set_before_start_is_served_from_the_start(
    tmp_path: Path, client: Callable[[int], ModbusTcpClient]
) -> None:
    loaded = write_site(tmp_path)
    sim = PlcSimulator(panel(loaded), panel_points(loaded), tick_s=0.05, vary=False)
    sim.trip("b3.smoke")
    port = sim.start()
    try:
        c = client(port)
        assert c.read_holding_registers(1, count=1, device_id=drillmap.DRILL_UNIT).registers == [1]
        assert wait_until(lambda: c.read_discrete_inputs(0, count=1, device_id=1).bits[0], 2.0)
        assert sim.tripped() == frozenset({"b3.smoke"})
    finally:
        sim.stop()


def test_a_held_registry_lock_delays_a_write_by_at_most_its_deadline(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A process stuck holding the lock must not hang a simulator's start: warn and go on."""
    import fcntl

    site = tmp_path / "site.toml"
    done: list[registry.SimulatorEntry] = []
    worker = threading.Thread(
        target=lambda: done.append(registry.register(site, "panel", "modbus-tcp", "127.0.0.1", 1234)),
        name="register",
    )
    with open(registry.registry_path().parent / registry.LOCK_NAME, "a+b") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)  # another holder (flock is per open file)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="wardroom.sim"):
            worker.start()
            worker.join(registry.LOCK_WAIT_S + 8)
        waited = time.monotonic() - started
        assert not worker.is_alive(), "register() still waits for the lock"
    assert waited >= registry.LOCK_WAIT_S
    assert "still held by another process after 2 s; writing without it" in caplog.text
    assert registry.lookup(site, "panel") == done
    registry.unregister(done[0])


def test_an_s7_drill_gives_up_on_a_silent_peer_within_its_timeout(tmp_path: Path) -> None:
    """The drill connects with the pollers' bounded S7 connect, not snap7's fixed 5 s one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever answers
        port = silent.getsockname()[1]
        loaded = write_site(tmp_path, port=port, kind=S7)
        started = time.monotonic()
        with pytest.raises(drill.NoSimulatorError, match="no answer: it did not answer within 500 ms"):
            drill.trip(loaded, "b3.smoke", timeout_s=0.5)
        assert time.monotonic() - started < 3.0

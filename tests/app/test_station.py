"""The station runs a small simulated site end to end: simulators, resolved endpoints, pollers,
historian and link states (PLC links from the pollers, camera links from the capture hub)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from pymodbus.client import ModbusTcpClient

from app.events import EventBus, LinkStateChanged, ServiceStateChanged
from app.fieldbus.events import PointQualityChanged
from app.sim import registry
from app.site.loader import load_site
from app.station import Station

SITE = """\
[site]
name = "Test Yard"
timezone = "Asia/Shanghai"

[[building]]
id = "B1"
name = "Building 1"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {panel_port}
timeout_ms = 500
simulated = true

[[point]]
id = "b1.pressure"
plc = "panel"
address = "hr:100"
type = "uint16"
scale = 0.001
kind = "pressure"
range = [0.0, 1.6]

[[camera]]
id = "gate"
name = "Gate"
url = "http://127.0.0.1:0/gate"
simulated = true
media = "media/gate.jpg"

[[camera]]
id = "yard"
url = "http://127.0.0.1:0/yard/cam"
simulated = true
media = "media/yard.png"
"""

EXTRA_PLC = """
[[plc]]
id = "spare"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {spare_port}
timeout_ms = 500
simulated = true

[[point]]
id = "spare.level"
plc = "spare"
address = "hr:0"
type = "uint16"
kind = "level"
"""


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def write_site(tmp_path: Path, text: str) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    for name, colour in (("gate.jpg", (40, 160, 40)), ("yard.png", (160, 40, 40))):
        image = np.full((720, 1280, 3), colour, np.uint8)
        cv2.putText(image, name, (100, 360), cv2.FONT_HERSHEY_SIMPLEX, 4, (255, 255, 255), 6)
        assert cv2.imwrite(str(media / name), image)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Events:
    def __init__(self, bus: EventBus) -> None:
        self.services: list[ServiceStateChanged] = []
        self.links: list[LinkStateChanged] = []
        bus.subscribe(ServiceStateChanged, self.services.append)
        bus.subscribe(LinkStateChanged, self.links.append)


def test_station_runs_a_simulated_site(tmp_path: Path) -> None:
    loaded = load_site(write_site(tmp_path, SITE.format(panel_port=0)))
    bus = EventBus()
    events = Events(bus)
    station = Station(loaded, None, bus)
    threads_before = set(threading.enumerate())
    station.start()
    try:
        host, port = station.plc_endpoint("panel")
        assert host == "127.0.0.1" and port > 0
        gate, yard = station.camera_url("gate"), station.camera_url("yard")
        assert gate.startswith("http://127.0.0.1:") and gate.endswith("/gate") and ":0/" not in gate
        assert yard.endswith("/yard/cam") and yard.split("/")[2] == gate.split("/")[2]  # one MJPEG server

        def all_connected() -> bool:
            states = station.link_states()
            return len(states) == 3 and all(s.status in ("connected", "live") for s in states.values())

        assert wait_until(all_connected, 15.0), station.link_states()
        assert {(e.kind, e.id) for e in events.links} == {
            ("plc", "panel"),
            ("camera", "gate"),
            ("camera", "yard"),
        }
        running = {e.service for e in events.services if e.status == "running"}
        assert running == {"PLC simulator panel", "camera simulator", "fieldbus pollers", "camera capture"}
        assert station.historian is None  # no database, no history
        fieldbus = station.fieldbus
        assert fieldbus is not None
        # The PLC's link is the pollers' verdict: its point was really read.
        reading = fieldbus.reading("b1.pressure")
        assert reading is not None and reading.quality == "good", reading
        assert station.link_states()[("plc", "panel")].endpoint == f"127.0.0.1:{port}"

        client = ModbusTcpClient(host, port=port, timeout=1, retries=0)
        try:
            assert client.connect()
            raw = client.read_holding_registers(100, count=1, device_id=1).registers[0]
            assert abs(raw - 800) <= 0.03 * 1600 + 1  # mid-range, drifting gently
        finally:
            client.close()
        sim = station.simulator("panel")
        assert sim is not None
        sim.set_value("b1.pressure", 0.05)
        # announced for drills from other processes (wardroom simulate trip)
        assert [(e.plc, e.port) for e in registry.lookup(loaded.path, "panel")] == [("panel", port)]
    finally:
        started = time.monotonic()
        station.stop()
        elapsed = time.monotonic() - started
    assert elapsed < 5.0
    stopped = [e.service for e in events.services if e.status == "stopped"]
    assert stopped == ["camera capture", "fieldbus pollers", "camera simulator", "PLC simulator panel"]
    assert station.link_states() == {}
    assert station.fieldbus is None
    assert registry.lookup(loaded.path, "panel") == []
    lingering = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert all(t.daemon for t in lingering), lingering
    assert wait_until(lambda: not [t for t in lingering if t.is_alive()], 3.0)


def test_a_failing_simulator_is_reported_and_the_rest_runs(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        busy = squatter.getsockname()[1]
        text = SITE.format(panel_port=0) + EXTRA_PLC.format(spare_port=busy)
        text = text.replace('media = "media/yard.png"', 'media = "media/broken.png"')
        path = write_site(tmp_path, text)
        (tmp_path / "media" / "broken.png").write_bytes(b"not a picture")  # exists, but unreadable
        loaded = load_site(path)
        bus = EventBus()
        events = Events(bus)
        station = Station(loaded, None, bus)
        station.start()
        try:
            failed = {e.service: e.detail for e in events.services if e.status == "failed"}
            assert "PLC simulator spare" in failed and f"127.0.0.1:{busy}" in failed["PLC simulator spare"]
            assert "camera simulator yard" in failed and "broken.png" in failed["camera simulator yard"]

            def settled() -> bool:
                s = {k[1]: v.status for k, v in station.link_states().items()}
                return s == {"panel": "connected", "gate": "live", "spare": "disconnected",
                             "yard": "error"}  # fmt: skip

            assert wait_until(settled, 15.0), station.link_states()
            # The pollers still try the file's own address (another process may serve it); here
            # the squatter accepts but never answers, so the link is down, and says where.
            spare = station.link_states()[("plc", "spare")]
            assert spare.endpoint == f"127.0.0.1:{busy}" and spare.reason, spare
            yard = station.link_states()[("camera", "yard")]
            assert "broken.png" in yard.reason and "not a readable image" in yard.reason
        finally:
            station.stop()


def test_a_stopped_plc_turns_comm_fail_within_its_bound(tmp_path: Path) -> None:
    """A PLC that goes away: every point comm-fail and the link down within poll + 2 x timeout."""
    loaded = load_site(write_site(tmp_path, SITE.format(panel_port=0)))
    plc = loaded.site.plc[0]
    bound_s = (plc.poll_ms + 2 * plc.timeout_ms) / 1000 + 1.0  # + slack for two shared cores
    bus = EventBus()
    events = Events(bus)
    failed: list[tuple[float, PointQualityChanged]] = []
    bus.subscribe(PointQualityChanged, lambda e: failed.append((time.monotonic(), e)))
    station = Station(loaded, None, bus)
    station.start()
    try:
        assert wait_until(lambda: station.link_states()[("plc", "panel")].status == "connected", 15.0)
        sim = station.simulator("panel")
        assert sim is not None
        sim.stop()
        stopped_at = time.monotonic()
        assert wait_until(lambda: station.link_states()[("plc", "panel")].status == "disconnected", bound_s)
        went_down = [e for e in events.links if e.kind == "plc" and e.status == "disconnected"]
        assert len(went_down) == 1 and went_down[0].reason, went_down
        comm_fail = [(t, e) for t, e in failed if e.reading.quality == "comm-fail"]
        assert [e.reading.point_id for _, e in comm_fail] == ["b1.pressure"]
        assert comm_fail[0][0] - stopped_at <= bound_s
        fieldbus = station.fieldbus
        assert fieldbus is not None
        reading = fieldbus.reading("b1.pressure")
        assert reading is not None and reading.quality == "comm-fail"
        assert reading.value is not None and reading.age_ms() is not None  # the last value, with its age
    finally:
        started = time.monotonic()
        station.stop()
        assert time.monotonic() - started < 5.0


def test_station_syncs_the_site_into_the_database_first(tmp_path: Path) -> None:
    from app.storage.database import open_database

    text = SITE.format(panel_port=0) + "\n[historian]\nretention_days = 7\n"
    loaded = load_site(write_site(tmp_path, text))
    db = open_database(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    bus = EventBus()
    events = Events(bus)
    station = Station(loaded, db, bus)
    try:
        station.start()
        assert station.historian is not None
        now = datetime.now(UTC)
        assert now - station.historian.cutoff(now) == timedelta(days=7)  # the file's retention
        first = events.services[:2]
        assert [(e.service, e.status) for e in first] == [("site sync", "starting"), ("site sync", "stopped")]
        assert loaded.sha256[:12] in first[1].detail
        # The historian keeps what the pollers read: a trend query finds the samples.
        historian = station.historian
        assert historian is not None

        def has_samples() -> bool:
            now = datetime.now(UTC)
            return len(historian.query("b1.pressure", now - timedelta(minutes=5), now)) > 0

        assert wait_until(has_samples, 15.0, step_s=0.2)
    finally:
        station.stop()
        db.close()
    names = [e.service for e in events.services if e.status in ("running", "stopped")]
    assert names.index("historian") < names.index("fieldbus pollers")  # recording before the first value
    stopped = [e.service for e in events.services if e.status == "stopped"][1:]  # after the sync
    assert stopped.index("fieldbus pollers") < stopped.index("historian")  # the last values are flushed


def test_station_refuses_to_run_on_a_failed_sync(tmp_path: Path) -> None:
    from app.storage.database import Database

    loaded = load_site(write_site(tmp_path, SITE.format(panel_port=0)))
    db = Database(f"sqlite:///{tmp_path / 'never-upgraded.sqlite3'}")  # no tables: the sync must fail
    bus = EventBus()
    events = Events(bus)
    station = Station(loaded, db, bus)
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever the storage layer raises
            station.start()
        assert [(e.service, e.status) for e in events.services] == [
            ("site sync", "starting"),
            ("site sync", "failed"),
        ]
        assert station.link_states() == {}
    finally:
        station.stop()
        db.close()

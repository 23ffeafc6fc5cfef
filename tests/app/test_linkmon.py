"""The link monitor against real simulators: connected, then disconnected with a plain reason."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from app.events import EventBus, LinkStateChanged
from app.linkmon import LinkMonitor, LinkTarget, camera_target, plc_target
from app.sim.mjpeg import MjpegServer
from app.sim.modbus_sim import ModbusSimulator
from app.site.schema import Camera, Plc, Point


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Recorder:
    """Collects LinkStateChanged events from the bus (the monitor publishes on its own thread)."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[LinkStateChanged] = []
        self._lock = threading.Lock()
        bus.subscribe(LinkStateChanged, self._on)

    def _on(self, event: LinkStateChanged) -> None:
        with self._lock:
            self.events.append(event)

    def latest(self, id_: str) -> LinkStateChanged | None:
        with self._lock:
            mine = [e for e in self.events if e.id == id_]
        return mine[-1] if mine else None

    def status(self, id_: str) -> str:
        event = self.latest(id_)
        return event.status if event else "unknown"


def plc(plc_id: str, protocol: str = "modbus-tcp", **extra: object) -> Plc:
    return Plc.model_validate(
        {"id": plc_id, "protocol": protocol, "port": 0, "simulated": True, "timeout_ms": 500, **extra}
    )


def point(plc_id: str, address: str, type_: str = "uint16") -> Point:
    return Point.model_validate({"id": f"{plc_id}.p", "plc": plc_id, "address": address, "type": type_,
                                 "kind": "pressure"})  # fmt: skip


def test_plc_links_connect_then_report_outage() -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    plc_a, plc_b, plc_c = plc("a"), plc("b", word_order="little"), plc("c", protocol="s7")
    points = [point("a", "hr:10", "float32"), point("b", "co:3", "bool"), point("c", "db1.dbw0", "int16")]
    sims = [ModbusSimulator(p, points, vary=False) for p in (plc_a, plc_b, plc_c)]
    ports = [sim.start() for sim in sims]
    dead_port = free_port()
    targets = [
        plc_target(plc_a, points, "127.0.0.1", ports[0]),
        plc_target(plc_b, points, "127.0.0.1", ports[1]),
        plc_target(plc_c, points, "127.0.0.1", ports[2]),
        plc_target(plc("dead"), points, "127.0.0.1", dead_port),
    ]
    interval = 0.5
    monitor = LinkMonitor(targets, bus, interval_s=interval)
    assert all(s.status == "unknown" for s in monitor.states().values())
    monitor.start()
    try:
        assert wait_until(lambda: all(recorder.status(i) == "connected" for i in "abc"), 10.0)
        dead = recorder.latest("dead")
        assert dead is not None and dead.status == "disconnected"
        assert dead.reason == (
            f"PLC dead at 127.0.0.1:{dead_port} refused the connection "
            f"(nothing is listening on port {dead_port})"
        )
        assert monitor.states()[("plc", "a")].endpoint == f"127.0.0.1:{ports[0]}"

        stopped_at = time.monotonic()
        sims[0].stop()
        # reported within one interval plus one check budget (+ slack for a loaded 2-core machine)
        assert wait_until(lambda: recorder.status("a") == "disconnected", interval + 0.5 + 2.0)
        assert time.monotonic() - stopped_at < interval + 0.5 + 2.0
        event = recorder.latest("a")
        assert event is not None and "refused the connection" in event.reason
        assert event.describe().startswith(f"PLC a disconnected (127.0.0.1:{ports[0]}): PLC a at")

        sims[2].stop()
        assert wait_until(lambda: recorder.status("c") == "disconnected", interval + 0.5 + 2.0)
    finally:
        assert monitor.stop(timeout_s=3.0)
        for sim in sims:
            sim.stop()


def test_publishes_only_on_change() -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    answers = iter([None, None, "cable cut", "cable cut", None])
    target = LinkTarget("plc", "x", "somewhere", lambda: next(answers))
    monitor = LinkMonitor([target], bus)
    statuses = [monitor.check_now(target).status for _ in range(5)]
    assert statuses == ["connected", "connected", "disconnected", "disconnected", "connected"]
    assert [(e.status, e.reason) for e in recorder.events] == [
        ("connected", ""),
        ("disconnected", "cable cut"),
        ("connected", ""),
    ]


def test_a_broken_check_is_a_disconnection_not_a_crash() -> None:
    bus = EventBus()

    def broken() -> str | None:
        raise RuntimeError("boom")

    target = LinkTarget("camera", "k", "x", broken)
    event = LinkMonitor([target], bus).check_now(target)
    assert event.status == "disconnected" and "boom" in event.reason


def test_camera_link_and_missing_serial_port(tmp_path: Path) -> None:
    image = tmp_path / "cam.jpg"
    assert cv2.imwrite(str(image), np.full((360, 640, 3), 128, np.uint8))
    server = MjpegServer()
    server.add_stream("cam", image)
    server.start()
    camera = Camera(id="cam", url="http://127.0.0.1:0/cam", simulated=True, media="cam.jpg")
    rtu = Plc.model_validate({"id": "rtu", "protocol": "modbus-rtu", "serial_port": "/dev/ttyWARDROOM-none"})
    bus = EventBus()
    recorder = Recorder(bus)
    monitor = LinkMonitor(
        [camera_target(camera, server.url_for("cam"), 2000), plc_target(rtu, [])], bus, interval_s=0.3
    )
    monitor.start()
    try:
        assert wait_until(lambda: recorder.status("cam") == "connected", 10.0)
        assert wait_until(lambda: recorder.status("rtu") == "disconnected", 5.0)
        event = recorder.latest("rtu")
        assert event is not None
        assert event.reason == "serial port /dev/ttyWARDROOM-none does not exist (PLC rtu)"
        server.stop()
        assert wait_until(lambda: recorder.status("cam") == "disconnected", 0.3 + 4.0 + 2.0)
        event = recorder.latest("cam")
        assert event is not None and event.reason.startswith("camera cam at http://127.0.0.1:")
    finally:
        assert monitor.stop(timeout_s=3.0)
        server.close()


def test_any_modbus_reply_proves_the_link_but_a_gateway_excuse_does_not() -> None:
    from pymodbus.pdu import ExceptionResponse

    from app.linkmon import judge_modbus_reply

    bus = EventBus()
    panel = plc("panel")
    served = [point("panel", "hr:10")]
    sim = ModbusSimulator(panel, served, vary=False)
    port = sim.start()
    try:
        # the target reads an address the PLC refuses (Modbus exception 2): still a live PLC
        target = plc_target(panel, [point("panel", "hr:5000")], "127.0.0.1", port)
        assert LinkMonitor([target], bus).check_now(target).status == "connected"
    finally:
        sim.stop()
    gone = judge_modbus_reply("PLC g at 10.0.0.9:502", ExceptionResponse(3, 11), "hr:0")
    assert gone == (
        "PLC g at 10.0.0.9:502: the device behind the gateway did not respond "
        "(Modbus exception 11 reading hr:0)"
    )
    assert judge_modbus_reply("PLC g", ExceptionResponse(3, 2), "hr:0") is None


def test_a_silent_peer_is_reported_within_the_plc_timeout() -> None:
    """A peer that accepts TCP but never answers (a hung PLC, a dead gateway) is reported in time."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes handshakes; nobody ever reads or answers
        port = silent.getsockname()[1]
        tcp = plc("mb")
        flow = Point.model_validate(
            {"id": "f", "plc": "mb", "address": "ir:7", "type": "float32", "kind": "flow"}
        )
        started = time.monotonic()
        reason = plc_target(tcp, [flow], "127.0.0.1", port).check()
        assert time.monotonic() - started < 0.5 + 1.5
        assert reason == (
            f"PLC mb at 127.0.0.1:{port} accepted the connection but did not answer a read of ir:7 "
            "within 500 ms"
        )
        reason = plc_target(plc("s7", protocol="s7"), [], "127.0.0.1", port).check()
        assert reason == (
            f"PLC s7 at 127.0.0.1:{port} accepted the TCP connection but did not answer the S7 "
            "connection request within 500 ms"
        )

"""The camera link monitor against a real MJPEG server: connected, then disconnected, plain reasons."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from app.events import EventBus, LinkStateChanged
from app.sim.mjpeg import MjpegServer
from app.site.schema import Camera
from app.video.linkmon import LinkMonitor, LinkTarget, camera_target


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


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


def test_publishes_only_on_change() -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    answers = iter([None, None, "cable cut", "cable cut", None])
    target = LinkTarget("camera", "x", "somewhere", lambda: next(answers))
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


def test_camera_link_connects_then_reports_outage(tmp_path: Path) -> None:
    image = tmp_path / "cam.jpg"
    assert cv2.imwrite(str(image), np.full((360, 640, 3), 128, np.uint8))
    server = MjpegServer()
    server.add_stream("cam", image)
    server.start()
    camera = Camera(id="cam", url="http://127.0.0.1:0/cam", simulated=True, media="cam.jpg")
    bus = EventBus()
    recorder = Recorder(bus)
    monitor = LinkMonitor([camera_target(camera, server.url_for("cam"), 2000)], bus, interval_s=0.3)
    monitor.start()
    try:
        assert wait_until(lambda: recorder.status("cam") == "connected", 10.0)
        server.stop()
        assert wait_until(lambda: recorder.status("cam") == "disconnected", 0.3 + 4.0 + 2.0)
        event = recorder.latest("cam")
        assert event is not None and event.reason.startswith("camera cam at http://127.0.0.1:")
    finally:
        assert monitor.stop(timeout_s=3.0)
        server.close()


def test_the_module_is_camera_only() -> None:
    """PLC links are the pollers' job now (app.fieldbus); no PLC check survives here."""
    import app.video.linkmon as linkmon

    leftovers = {"plc_target", "modbus_tcp_check", "modbus_rtu_check", "s7_check", "judge_modbus_reply"}
    assert leftovers.isdisjoint(dir(linkmon))

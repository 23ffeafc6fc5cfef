"""The station's vision service end to end: a simulated camera served over loopback MJPEG, read through
the station's capture hub, detected, tracked and offered to the wall by ``station.vision.latest``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.events import EventBus, ServiceStateChanged
from app.site.loader import load_site
from app.station import Station
from tests.vision.vision_support import SHARED_CACHE  # noqa: F401  (the shared export cache)

SITE = """\
[site]
name = "Vision yard"
timezone = "Asia/Shanghai"

[[camera]]
id = "lobby"
name = "Lobby"
url = "http://127.0.0.1:0/cam/lobby.mjpg"
simulated = true
media = "scene:lobby"
detect = ["person", "motorcycle", "bicycle"]
detect_fps = 4
zones = [
  { name = "hall", polygon = [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]], rule = "no-ebike" },
]

[[camera]]
id = "plain"
url = "http://127.0.0.1:0/cam/plain.mjpg"
simulated = true
media = "scene:corridor"
"""


def wait_until(check: Callable[[], object], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


def test_the_station_detects_on_its_cameras_and_offers_the_newest_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARDROOM_VISION", "on")
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    bus = EventBus()
    services: list[ServiceStateChanged] = []
    bus.subscribe(ServiceStateChanged, services.append)
    station = Station(load_site(path), None, bus)
    station.start()
    try:
        vision = station.vision
        assert vision is not None and vision.camera_ids == ["lobby"]  # "plain" detects nothing

        def receptionist() -> bool:
            latest = vision.latest("lobby")
            return latest is not None and any(f.cls == "person" for f in latest.findings)

        assert wait_until(receptionist, 90.0), (vision.failure, vision.stats("lobby"))
        latest = vision.latest("lobby")
        assert latest is not None and (latest.width, latest.height) == (640, 360)
        assert all(f.track_id is not None for f in latest.findings if f.kind == "object")
        assert vision.latest("plain") is None
        # Newest frames only: what the wall is offered is fresh, however far behind detection is.
        time.sleep(2.0)
        latest = vision.latest("lobby")
        assert latest is not None and time.time() - latest.frame_at < 2.0
        stats = vision.stats("lobby")
        assert stats.frames >= 4
        assert stats.skipped > 0  # the camera sends 10 frames a second; detection takes 4
        running = [s for s in services if s.service == "vision" and s.status == "running"]
        assert running and "yolov8n" in running[0].detail
    finally:
        station.stop()
    assert station.vision is None


def test_vision_off_starts_no_detector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDROOM_VISION", "off")
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    bus = EventBus()
    station = Station(load_site(path), None, bus)
    station.start()
    try:
        assert station.vision is None
    finally:
        station.stop()


def test_detection_reads_the_substream_unless_plates_are_read(tmp_path: Path) -> None:
    from app.vision.service import detection_stream

    demo = load_site(Path(__file__).resolve().parents[2] / "resources" / "demo" / "demo.toml").site
    streams = {c.id: detection_stream(c) for c in demo.camera}
    assert streams == {"gate-north": "main", "b3-lobby": "sub", "b1-street": "sub", "b1-corridor": "sub"}

"""The capture hub against real streams on 127.0.0.1: states within their bounds, sharing, masks,
disabled cameras, light checks, black holes, stuck readers and repeated outages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psutil
import pytest

from app.events import EventBus, LinkStateChanged
from app.site.schema import Camera, CameraSettings
from app.video import grabber as grabber_module
from app.video.hub import CaptureHub
from app.video.probe import ProbeResult
from tests.app.video.servers import CameraServer

FAST = CameraSettings(probe_s=0.5, open_timeout_ms=1500, read_timeout_ms=1500, stall_s=1.0)


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def timed(predicate: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until ``predicate`` held (fails the test past ``timeout_s``)."""
    started = time.monotonic()
    assert wait_until(predicate, timeout_s), f"not within {timeout_s} s"
    return time.monotonic() - started


@pytest.fixture
def server() -> Iterator[CameraServer]:
    srv = CameraServer()
    srv.start()
    yield srv
    srv.stop()


def make_hub(cameras: list[Camera], bus: EventBus | None = None, **kw: Any) -> CaptureHub:
    hub = CaptureHub(cameras, kw.pop("settings", FAST), bus, **kw)
    hub.start()
    return hub


class Links:
    def __init__(self, bus: EventBus) -> None:
        self.events: list[LinkStateChanged] = []
        self._lock = threading.Lock()
        bus.subscribe(LinkStateChanged, self._on)

    def _on(self, event: LinkStateChanged) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, camera_id: str) -> list[str]:
        with self._lock:
            return [e.status for e in self.events if e.id == camera_id]


def test_one_grabber_for_two_consumers_masked_frames_and_release(server: CameraServer) -> None:
    square = ((0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5))
    hub = make_hub([Camera(id="c", url=server.url, privacy_masks=(square,))])
    try:
        a, b = hub.open("c"), hub.open("c", "sub")  # no substream: the main one, shared
        assert b.stream == "main"
        timed(lambda: a.latest() is not None, 3.0)
        frame = a.latest()
        assert frame is not None and b.latest() is frame  # the same frame object, not a copy
        image = frame.image
        assert image.shape == (240, 320, 3) and not image.flags.writeable
        assert image[:118, :158].max() == 0, "the masked quarter must be black"
        assert image[122:, 162:].min() > 150 and image[5, 200].min() > 150 and image[200, 5].min() > 150
        assert a.status().state == "live" and hub.status("c").width == 320
        assert timed(lambda: a.status().fps > 5, 3.0) < 3.0
        assert server.gets == 1 and server.connections() == 1  # (+ one HEAD before the open)
        a.release()
        a.release()  # twice is harmless
        time.sleep(0.3)
        assert server.connections() == 1 and hub.open_count() == 1
        b.release()
        timed(lambda: server.connections() == 0, 3.0)
        assert hub.open_count() == 0
    finally:
        hub.stop()


def test_dead_black_hole_and_404_cameras(server: CameraServer) -> None:
    hole = CameraServer("blackhole")
    hole.start()
    missing = CameraServer("notfound")
    missing.start()
    try:
        dead_port = CameraServer()
        dead_port.start()
        dead_port.stop()  # a port nothing listens on
        cams = [
            Camera(id="dead", url=dead_port.url),
            Camera(id="hole", url=hole.url),
            Camera(id="nf", url=missing.url),
        ]
        hub = make_hub(cams)
        try:
            started = time.monotonic()
            sources = [hub.open(c.id) for c in cams]
            assert time.monotonic() - started < 0.1, "open() never waits for the camera"
            bound = FAST.open_timeout_ms / 1000 + 1.0
            assert timed(lambda: hub.status("dead").state == "lost", bound) < bound
            assert timed(lambda: hub.status("hole").state == "lost", bound) < bound
            assert timed(lambda: hub.status("nf").state == "error", bound) < bound
            assert "nothing accepts connections" in hub.status("dead").reason
            assert "does not answer" in hub.status("hole").reason
            assert "404" in hub.status("nf").reason
            for source in sources:
                source.release()
        finally:
            hub.stop()
    finally:
        hole.stop()
        missing.stop()


def test_stalled_within_stall_s_and_frame_age_shown() -> None:
    stalling = CameraServer("stall", frames=3)
    stalling.start()
    hub = make_hub([Camera(id="s", url=stalling.url)])
    try:
        source = hub.open("s")
        timed(lambda: source.latest() is not None, 3.0)
        timed(lambda: source.status().state == "live", 3.0)
        seq = -1
        while (frame := source.latest()) is not None and frame.seq != seq:  # wait for the last frame
            seq = frame.seq
            time.sleep(0.3)
        last = time.monotonic() - 0.3
        timed(lambda: source.status().state == "stalled", FAST.stall_s + 1.0)
        assert time.monotonic() - last < FAST.stall_s + 1.0
        status = source.status()
        assert status.reason.startswith("no frame for") and status.last_frame_at is not None
        source.release()
    finally:
        hub.stop()
        stalling.stop()


def test_disabled_camera_is_never_opened(server: CameraServer) -> None:
    bus = EventBus()
    links = Links(bus)
    hub = make_hub([Camera(id="off", url=server.url, enabled=False)], bus)
    try:
        hub.watch(["off"])
        source = hub.open("off")
        assert source.status().state == "disabled" and source.latest() is None
        time.sleep(1.5)  # three probe periods
        assert server.accepted == 0 and hub.open_count() == 0
        assert links.of("off") == ["disabled"]
        source.release()
    finally:
        hub.stop()


def test_light_check_of_watched_cameras_nothing_shows(server: CameraServer) -> None:
    dead = CameraServer()
    dead.start()
    dead.stop()
    bus = EventBus()
    links = Links(bus)
    hub = make_hub([Camera(id="up", url=server.url), Camera(id="down", url=dead.url)], bus)
    try:
        hub.watch(["up", "down"])
        timed(lambda: hub.status("down").state == "lost", 3.0)
        timed(lambda: hub.status("up").state == "live", 3.0)
        assert server.heads >= 1 and server.gets == 0, "a light check never asks for video"
        assert hub.open_count() == 0
        assert links.of("down")[-1] == "lost" and links.of("up")[-1] == "live"
        assert hub.link_states()[("camera", "down")].reason
        hub.watch(["up"])
        assert ("camera", "down") not in hub.link_states()
    finally:
        hub.stop()


def test_mjpeg_back_within_5_s_and_events(server: CameraServer) -> None:
    bus = EventBus()
    links = Links(bus)
    hub = make_hub([Camera(id="c", url=server.url)], bus)
    try:
        hub.watch(["c"])
        source = hub.open("c")
        timed(lambda: source.status().state == "live", 3.0)
        server.stop()
        timed(lambda: source.status().state in ("lost", "stalled"), FAST.open_timeout_ms / 1000 + 1)
        time.sleep(1.0)
        server.start()
        back = timed(lambda: source.status().state == "live", 5.0)
        assert back < 5.0
        states = links.of("c")
        assert states[0] == "connecting" and states[-1] == "live" and "lost" in states
        source.release()
    finally:
        hub.stop()


def test_a_black_hole_does_not_slow_seven_others(server: CameraServer) -> None:
    hole = CameraServer("blackhole")
    hole.start()
    cams = [Camera(id=f"c{k}", url=server.url) for k in range(7)] + [Camera(id="hole", url=hole.url)]
    hub = make_hub(cams)
    try:
        started = time.monotonic()
        sources = [hub.open(c.id) for c in cams]
        assert time.monotonic() - started < 0.2
        timed(lambda: all(s.latest() is not None for s in sources[:7]), 3.0)
        first = [s.latest() for s in sources[:7]]
        time.sleep(3.0)
        rates = [(s.latest().seq - f.seq) / 3.0 for s, f in zip(sources[:7], first, strict=True)]  # type: ignore[union-attr]
        assert min(rates) >= 8.5, rates  # the server sends 10 fps to each
        assert sources[7].latest() is None and sources[7].status().state in ("connecting", "lost")
        for source in sources:
            source.release()
    finally:
        hub.stop()
        hole.stop()


def test_file_source_loops(tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 20.0, (160, 120))
    for k in range(4):
        writer.write(np.full((120, 160, 3), 60 * k, np.uint8))
    writer.release()
    hub = make_hub([Camera(id="f", url=f"file://{clip}")])
    try:
        source = hub.open("f")
        timed(lambda: (f := source.latest()) is not None and f.seq > 10, 3.0)  # 4 frames, looped
        assert source.status().state == "live"
        source.release()
    finally:
        hub.stop()


def test_stuck_reader_is_abandoned_and_threads_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that never returns (a library call past its own timeout) is replaced; at most
    MAX_ABANDONED stuck readers live on, and all end once the call returns."""
    release = threading.Event()

    class StuckCapture:
        def isOpened(self) -> bool:
            return True

        def read(self) -> tuple[bool, Any]:
            release.wait(30)
            return False, None

        def get(self, _prop: int) -> float:
            return 0.0

        def release(self) -> None:
            pass

    async def reachable(*_a: Any, **_k: Any) -> ProbeResult:
        return ProbeResult("live")

    monkeypatch.setattr(grabber_module, "probe", reachable)
    monkeypatch.setattr(grabber_module, "open_capture", lambda *a, **k: StuckCapture())
    monkeypatch.setattr(grabber_module, "STUCK_MARGIN_S", 0.1)
    settings = CameraSettings(probe_s=30, open_timeout_ms=200, read_timeout_ms=200, stall_s=0.5)
    hub = make_hub([Camera(id="x", url="http://127.0.0.1:9/x")], settings=settings)
    try:
        source = hub.open("x")
        timed(lambda: source.status().state == "lost", 3.0)
        assert "did not return" in source.status().reason
        time.sleep(2.0)  # many supervision rounds
        names = [t.name for t in threading.enumerate() if t.name.startswith("capture-x")]
        assert len(names) <= 1 + grabber_module.MAX_ABANDONED, names
        release.set()
        source.release()
        assert wait_until(lambda: not [t for t in threading.enumerate() if t.name.startswith("capture-x")], 3)
    finally:
        release.set()
        hub.stop()


@pytest.mark.soak  # 40 s of outages: run beside the other tests (installer/run-tests.sh)
def test_ten_outages_without_growth_in_threads_or_fds(server: CameraServer) -> None:
    """Ten 3 s outages in a row: the camera comes back each time within 5 s, and the process ends
    with as many threads and file descriptors as after the first round."""
    hub = make_hub([Camera(id="c", url=server.url)])
    proc = psutil.Process()
    try:
        source = hub.open("c")
        timed(lambda: source.status().state == "live", 3.0)
        baseline: tuple[int, int] | None = None
        backs: list[float] = []
        for round_ in range(10):
            server.stop()
            time.sleep(3.0)
            assert source.status().state in ("lost", "stalled")
            server.start()
            backs.append(timed(lambda: source.status().state == "live", 5.0))
            if round_ == 0:
                time.sleep(0.3)
                baseline = (threading.active_count(), proc.num_fds())
                rss = proc.memory_info().rss
        assert baseline is not None
        time.sleep(0.3)
        assert threading.active_count() <= baseline[0] + 1, (threading.enumerate(), baseline)
        assert proc.num_fds() <= baseline[1] + 2, (proc.num_fds(), baseline)
        assert max(backs) < 5.0, backs
        assert proc.memory_info().rss - rss < 40 * 2**20, "memory grew over the outages"
        source.release()
    finally:
        hub.stop()

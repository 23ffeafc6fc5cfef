"""FrameGrabber and probe_camera against a real MJPEG server on loopback (and real files)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from app.sim.mjpeg import MjpegServer
from app.video.capture import FrameGrabber, file_path, probe_camera, redact, usb_index


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


def make_image(path: Path) -> Path:
    image = np.zeros((480, 854, 3), np.uint8)
    cv2.circle(image, (400, 240), 120, (0, 200, 255), -1)
    assert cv2.imwrite(str(path), image)
    return path


def seq_of(grabber: FrameGrabber) -> int:
    latest = grabber.latest()
    return latest[2] if latest else 0


def test_grabber_reports_outage_and_reconnects(tmp_path: Path) -> None:
    image = make_image(tmp_path / "yard.jpg")
    server = MjpegServer()
    server.add_stream("yard", image)
    port = server.start()
    changes: list[tuple[str, str]] = []
    grabber = FrameGrabber(
        "yard", server.url_for("yard"), open_timeout_ms=2000, read_timeout_ms=2000,
        on_change=lambda status, reason: changes.append((status, reason)),
    )  # fmt: skip
    grabber.start()
    try:
        assert wait_until(lambda: grabber.status == "connected" and seq_of(grabber) >= 3, 10.0)
        latest = grabber.latest()
        assert latest is not None
        frame, stamp, _seq = latest
        assert frame.shape == (360, 640, 3)
        assert not frame.flags.writeable  # shared with every reader: read-only
        assert stamp <= time.monotonic()

        server.stop()
        # read timeout (2 s) + a margin for a busy 2-core machine
        assert wait_until(lambda: grabber.status == "disconnected", 6.0)
        assert "camera yard at http://127.0.0.1:" in grabber.reason

        before = seq_of(grabber)
        server = MjpegServer(port=port)
        server.add_stream("yard", image)
        assert server.start() == port
        # back-off is capped at 5 s
        assert wait_until(lambda: grabber.status == "connected" and seq_of(grabber) > before, 12.0)
        statuses = [status for status, _ in changes]
        assert statuses[0] == "connected" and "disconnected" in statuses and statuses[-1] == "connected"
    finally:
        assert grabber.stop(timeout_s=3.0)
        server.close()


def test_probe_camera(tmp_path: Path) -> None:
    server = MjpegServer()
    server.add_stream("gate", make_image(tmp_path / "gate.png"))
    server.start()
    try:
        assert probe_camera(server.url_for("gate"), 2000) is None
        reason = probe_camera(server.url_for("missing"), 2000, camera_id="gate-x")
        assert reason is not None and "camera gate-x at" in reason and "could not be opened" in reason
    finally:
        server.close()
    port = free_port()
    reason = probe_camera(f"http://127.0.0.1:{port}/gate", 2000, camera_id="gate-north")
    assert reason == (
        f"camera gate-north at http://127.0.0.1:{port}/gate could not be opened "
        "(connection refused, no such stream, or not a video)"
    )


def test_file_sources_loop_and_missing_files_are_named(tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 25, (160, 120))
    for i in range(5):
        writer.write(np.full((120, 160, 3), i * 40, np.uint8))
    writer.release()
    assert probe_camera(f"file://{clip}", 1000) is None
    grabber = FrameGrabber("clip", str(clip))
    grabber.start()
    try:
        # 5 frames at 25 fps: more than 8 frames means the file was looped, not reopened as "down"
        assert wait_until(lambda: seq_of(grabber) > 8, 10.0)
        assert grabber.status == "connected"
    finally:
        assert grabber.stop()
    missing = tmp_path / "nope.mp4"
    expected = f"camera c at file://{missing}: file {missing} does not exist"
    assert probe_camera(f"file://{missing}", 500, camera_id="c") == expected


def test_url_helpers() -> None:
    assert redact("rtsp://admin:secret@10.0.0.5:554/live") == "rtsp://admin:***@10.0.0.5:554/live"
    assert redact("http://127.0.0.1:80/x") == "http://127.0.0.1:80/x"
    assert usb_index("usb:0") == 0 and usb_index("usb:x") is None and usb_index("http://a") is None
    assert file_path("file:///tmp/a.mp4") == Path("/tmp/a.mp4")
    assert file_path("/tmp/a.mp4") == Path("/tmp/a.mp4")
    assert file_path("rtsp://h/x") is None


def test_missing_usb_camera_is_reported() -> None:
    reason = probe_camera("usb:97", 500, camera_id="desk")
    assert reason == "camera desk at usb:97 could not be opened (no such device, or it is in use)"

"""The simulated camera server serves real MJPEG that OpenCV's FFmpeg backend decodes."""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.sim.mjpeg import MjpegServer


def make_image(path: Path, seed: int = 0) -> Path:
    """A textured 1280x720 test card (so panning visibly changes the picture)."""
    rng = np.random.default_rng(seed)
    image = np.zeros((720, 1280, 3), np.uint8)
    image[:] = (90, 110, 130)
    for _ in range(40):
        x, y = int(rng.integers(0, 1200)), int(rng.integers(0, 650))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(image, (x, y), (x + 80, y + 60), colour, -1)
    assert cv2.imwrite(str(path), image)
    return path


def make_video(path: Path, frames: int = 12) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (320, 240))
    for i in range(frames):
        frame = np.full((240, 320, 3), i * 20, np.uint8)
        writer.write(frame)
    writer.release()
    assert path.stat().st_size > 0
    return path


def read_part(response: http.client.HTTPResponse) -> bytes:
    """One JPEG from a multipart/x-mixed-replace body."""
    assert response.fp is not None
    length = None
    for _ in range(10):
        line = response.fp.readline().strip()
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
        if not line and length is not None:
            break
    assert length is not None
    data = response.fp.read(length)
    assert data[:2] == b"\xff\xd8"  # JPEG start-of-image
    return data


def open_stream(url: str) -> cv2.VideoCapture:
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 3000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 3000]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


def test_streams_decode_with_opencv(tmp_path: Path) -> None:
    threads_before = set(threading.enumerate())
    server = MjpegServer(fps=10)
    server.add_stream("gate", make_image(tmp_path / "gate.jpg"), name="North gate")
    server.add_stream("/clip", make_video(tmp_path / "clip.avi"))
    port = server.start()
    try:
        assert port > 0
        assert server.url_for("gate") == f"http://127.0.0.1:{port}/gate"
        for path in ("gate", "clip"):
            cap = open_stream(server.url_for(path))
            try:
                assert cap.isOpened(), path
                frames = []
                for _ in range(3):
                    ok, frame = cap.read()
                    assert ok, path
                    frames.append(frame)
                assert frames[0].shape == (360, 640, 3)
            finally:
                cap.release()
        # Two viewers get byte-identical frames: each frame is encoded once and shared.
        viewers = [http.client.HTTPConnection("127.0.0.1", port, timeout=3) for _ in range(2)]
        try:
            responses = []
            for viewer in viewers:
                viewer.request("GET", "/gate")
                responses.append(viewer.getresponse())
            seen: list[set[bytes]] = [set(), set()]
            for _ in range(4):
                for i, response in enumerate(responses):
                    seen[i].add(read_part(response))
            assert seen[0] & seen[1]
        finally:
            for viewer in viewers:
                viewer.close()
    finally:
        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 2.0
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert not leftover, leftover


def test_unknown_path_is_404(tmp_path: Path) -> None:
    server = MjpegServer()
    server.add_stream("gate", make_image(tmp_path / "gate.png"))
    port = server.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", "/nope")
        response = conn.getresponse()
        assert response.status == 404
        response.read()
    finally:
        conn.close()
        server.close()


def test_stop_ends_open_client_streams(tmp_path: Path) -> None:
    """A client still attached at stop does not keep its handler thread (or the port) alive."""
    server = MjpegServer()
    server.add_stream("gate", make_image(tmp_path / "gate.jpg"))
    port = server.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", "/gate")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "multipart/x-mixed-replace; boundary=frame"
        assert response.fp is not None
        assert response.fp.readline().startswith(b"--frame")
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2.0
        # the same port can be served again at once (a camera that comes back)
        assert server.start() == port
        server.stop()
    finally:
        conn.close()
        server.close()


def test_unreadable_media_is_refused_in_plain_words(tmp_path: Path) -> None:
    server = MjpegServer()
    with pytest.raises(ValueError, match="does not exist"):
        server.add_stream("x", tmp_path / "missing.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="not a readable image"):
        server.add_stream("x", bad)

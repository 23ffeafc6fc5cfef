"""The RTSP test peer serves H.264 that OpenCV's FFmpeg backend reads over TCP, stamps intact."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from app.sim.stamp import read_stamp
from tests.video.rtsp_server import RtspServer, rtsp_unavailable

pytestmark = pytest.mark.skipif(rtsp_unavailable() is not None, reason=rtsp_unavailable() or "")


def open_rtsp(url: str) -> cv2.VideoCapture:
    """TCP interleaved (the caller sets OPENCV_FFMPEG_CAPTURE_OPTIONS), the capture layer's default."""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 8000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 5000]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


def read_frames(url: str, count: int) -> list[np.ndarray]:
    cap = open_rtsp(url)
    try:
        assert cap.isOpened(), f"OpenCV could not open {url}"
        frames = []
        for _ in range(count):
            ok, frame = cap.read()
            assert ok and frame is not None
            frames.append(frame)
        return frames
    finally:
        cap.release()


def test_scene_frames_arrive_with_their_capture_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    with RtspServer("scene:corridor", size=(640, 360), fps=10) as server:
        frames = read_frames(server.url, 15)
        received = time.time()
    assert frames[-1].shape == (360, 640, 3)
    stamps = [read_stamp(frame) for frame in frames]
    assert all(s is not None for s in stamps), "the stamp must survive H.264 encoding"
    ages = [received - s for s in stamps if s is not None]
    assert min(ages) >= 0.0 and max(ages) < 5.0
    known = [s for s in stamps if s is not None]
    assert known == sorted(known)  # frames come in capture order


def test_testsrc_stops_and_comes_back_on_the_same_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    server = RtspServer("testsrc", size=(320, 180), fps=10)
    with server:
        port = server.port
        assert read_frames(server.url, 3)[0].shape == (180, 320, 3)
        server.stop()
        assert not server.running
        cap = open_rtsp(server.url)  # an outage: nothing listens
        assert not cap.isOpened()
        cap.release()
        server.start()
        assert server.port == port and server.running
        assert len(read_frames(server.url, 3)) == 3
    assert not server.running

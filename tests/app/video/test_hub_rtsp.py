"""The capture hub against a real RTSP/H.264 camera (gst-rtsp-server on 127.0.0.1): TCP and UDP
transports chosen per camera, and video back within 8 s of the camera's return."""

from __future__ import annotations

import time

import psutil
import pytest

from app.site.schema import Camera, CameraSettings
from app.video.hub import CaptureHub
from tests.app.video.test_hub import timed
from tests.video.rtsp_server import RtspServer, rtsp_unavailable

pytestmark = pytest.mark.skipif(rtsp_unavailable() is not None, reason=str(rtsp_unavailable()))

SETTINGS = CameraSettings(probe_s=1, open_timeout_ms=3000, read_timeout_ms=3000, stall_s=2)


def udp_sockets() -> int:
    return len(psutil.Process().net_connections(kind="udp"))


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_rtsp_frames_over_the_camera_s_transport(transport: str) -> None:
    with RtspServer("testsrc", size=(320, 180), fps=10) as server:
        camera = Camera(id="r", url=server.url, rtsp_transport=transport)  # type: ignore[arg-type]
        hub = CaptureHub([camera], SETTINGS)
        hub.start()
        try:
            before = udp_sockets()
            source = hub.open("r")
            timed(lambda: (f := source.latest()) is not None and f.seq >= 5, 8.0)
            frame = source.latest()
            assert frame is not None and frame.image.shape == (180, 320, 3)
            assert frame.at <= time.time() and time.time() - frame.at < 2.0
            if transport == "udp":
                assert udp_sockets() > before, "UDP transport must receive over UDP sockets"
            else:
                assert udp_sockets() == before, "TCP transport must not open UDP sockets"
            source.release()
        finally:
            hub.stop()


def test_rtsp_back_within_8_s_after_an_outage() -> None:
    with RtspServer("testsrc", size=(320, 180), fps=10) as server:
        hub = CaptureHub([Camera(id="r", url=server.url)], SETTINGS)
        hub.start()
        try:
            source = hub.open("r")
            timed(lambda: source.status().state == "live", 8.0)
            server.stop()
            timed(lambda: source.status().state in ("lost", "stalled"), 5.0)
            time.sleep(1.0)
            server.start()
            assert timed(lambda: source.status().state == "live", 8.0) < 8.0
            source.release()
        finally:
            hub.stop()

"""A real RTSP camera for the tests: Debian's gst-rtsp-server, H.264, on 127.0.0.1.

Most IP cameras speak RTSP/H.264, and reconnection after an outage is the behaviour the capture layer
must get right, so the tests need a real RTSP server that can be stopped and started. ffmpeg cannot
serve RTSP and no pip package ships a server, so this runs Debian's gst-rtsp-server through the
*system* Python (``/usr/bin/python3`` with ``python3-gi``; the venv has no GObject bindings). The test
set-up installs it (installer/setup.sh: gstreamer1.0-rtsp, gir1.2-gst-rtsp-server-1.0, python3-gi,
plugins good/ugly/bad/libav). Tests that need it call :func:`rtsp_unavailable` and skip with its reason.

Two sources:
* ``"testsrc"``: GStreamer's ``videotestsrc`` (a moving ball), cheapest;
* ``"scene:<name>"`` (or any media :func:`app.sim.media.open_source` takes): frames rendered *here* by
  the simulator, stamped with their capture time (app/sim/stamp.py), piped raw into the server's
  ``appsrc`` and encoded to H.264, so a reader can measure a frame's age end to end.

``stop()`` kills the server (clients see the connection drop), ``start()`` brings it back on the same
port: that is how the tests make outages. Use it as a context manager.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import threading
import time
from functools import cache
from pathlib import Path
from types import TracebackType

SYSTEM_PYTHON = "/usr/bin/python3"
HOST = "127.0.0.1"

# Runs in the system Python. argv: port, path, width, height, fps, source ("testsrc" | "pipe").
_CHILD = r"""
import sys, threading
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib

port, path, source = sys.argv[1], sys.argv[2], sys.argv[6]
w, h, fps = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
Gst.init(None)
enc = "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1500 key-int-max=%d ! " % fps
if Gst.ElementFactory.find("x264enc") is None:
    enc = "openh264enc bitrate=1500000 gop-size=%d ! " % fps
if source == "testsrc":
    launch = ("( videotestsrc is-live=true pattern=ball ! video/x-raw,width=%d,height=%d,framerate=%d/1 ! "
              "videoconvert ! %s rtph264pay name=pay0 pt=96 config-interval=1 )") % (w, h, fps, enc)
else:
    launch = ("( appsrc name=src is-live=true do-timestamp=true format=time "
              "caps=video/x-raw,format=BGR,width=%d,height=%d,framerate=%d/1 ! "
              "queue max-size-buffers=2 leaky=downstream ! videoconvert ! video/x-raw,format=I420 ! "
              "%s rtph264pay name=pay0 pt=96 config-interval=1 )") % (w, h, fps, enc)

latest = [None]
lock = threading.Lock()

def reader():
    size = w * h * 3
    stdin = sys.stdin.buffer
    while True:
        data = stdin.read(size)
        if not data or len(data) < size:
            GLib.idle_add(loop.quit)
            return
        with lock:
            latest[0] = data

srcs = []

def push():
    with lock:
        data = latest[0]
    if data is not None:
        for src in list(srcs):
            if src.emit("push-buffer", Gst.Buffer.new_wrapped(data)) != Gst.FlowReturn.OK:
                srcs.remove(src)
    return True

def configure(factory, media):
    src = media.get_element().get_by_name("src")
    if src is not None:
        srcs.append(src)

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(launch)
factory.set_shared(True)
factory.connect("media-configure", configure)
server.get_mount_points().add_factory(path, factory)
loop = GLib.MainLoop()
if server.attach(None) == 0:
    print("FAILED to listen", flush=True)
    sys.exit(3)
if source != "testsrc":
    threading.Thread(target=reader, daemon=True).start()
    GLib.timeout_add(max(1, int(1000 / fps)), push)
print("READY", flush=True)
loop.run()
"""


@cache
def rtsp_unavailable() -> str | None:
    """Why an RTSP server cannot run here (a reason for ``pytest.skip``), or None when it can."""
    if not Path(SYSTEM_PYTHON).is_file():
        return f"{SYSTEM_PYTHON} is missing (Debian's python3 runs gst-rtsp-server)"
    probe = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
        "import sys; find = Gst.ElementFactory.find;"
        "sys.exit(0 if (find('x264enc') or find('openh264enc')) and find('rtph264pay') else 4)"
    )
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {SYSTEM_PYTHON}: {exc}"
    if done.returncode == 4:
        return "no H.264 encoder (x264enc/openh264enc) or rtph264pay: install gstreamer1.0-plugins-ugly/-good"
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        where = f"{SYSTEM_PYTHON} (installer/setup.sh --test-deps)"
        return f"gst-rtsp-server is not installed for {where}: {tail[0]}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class RtspServer:
    """An H.264 RTSP stream at ``rtsp://127.0.0.1:<port>/<path>``; restartable on the same port."""

    def __init__(
        self,
        source: str = "testsrc",
        size: tuple[int, int] = (640, 360),
        fps: int = 10,
        path: str = "/cam",
        port: int = 0,
        name: str = "RTSP",
    ) -> None:
        self.source = source
        self.size = size
        self.fps = fps
        self.path = "/" + path.lstrip("/")
        self.port = port or free_port()
        self.name = name
        self._proc: subprocess.Popen[bytes] | None = None
        self._feeder: threading.Thread | None = None
        self._stop_feed = threading.Event()
        self.frames_fed = 0

    @property
    def url(self) -> str:
        return f"rtsp://{HOST}:{self.port}{self.path}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout_s: float = 15.0) -> RtspServer:
        """Start the server (again, on the same port) and return once it listens."""
        if self.running:
            return self
        reason = rtsp_unavailable()
        if reason:
            raise RuntimeError(reason)
        piped = self.source != "testsrc"
        w, h = self.size
        args = [SYSTEM_PYTHON, "-c", _CHILD, str(self.port), self.path, str(w), str(h), str(self.fps)]
        args.append("pipe" if piped else "testsrc")
        env = dict(os.environ, GST_DEBUG="0")
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if piped else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._proc = proc
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        line = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                line = proc.stdout.readline()
                break
            if proc.poll() is not None:
                break
        if line.strip() != b"READY":
            self.stop()
            raise RuntimeError(f"RTSP server did not start on port {self.port}: {line!r}")
        if piped:
            self._stop_feed.clear()
            self._feeder = threading.Thread(target=self._feed, args=(proc,), name="rtsp-feed", daemon=True)
            self._feeder.start()
        return self

    def _feed(self, proc: subprocess.Popen[bytes]) -> None:
        """Render the scene at the stream's fps and pipe raw BGR frames to the server."""
        from app.sim.media import open_source

        source = open_source(self.source, self.name, self.size)
        stdin = proc.stdin
        assert stdin is not None
        period = 1.0 / self.fps
        next_at = time.monotonic()
        try:
            while not self._stop_feed.is_set():
                frame = source.frame(time.time())
                try:
                    stdin.write(frame.tobytes())
                    stdin.flush()
                except (BrokenPipeError, ValueError, OSError):
                    return
                self.frames_fed += 1
                next_at += period
                self._stop_feed.wait(max(0.0, next_at - time.monotonic()))
        finally:
            source.close()

    def stop(self) -> None:
        """Kill the server now (an outage, as a camera losing power)."""
        self._stop_feed.set()
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait(5)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        if self._feeder is not None:
            self._feeder.join(5)
            self._feeder = None

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

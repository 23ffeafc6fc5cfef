"""Camera capture: one thread per camera that keeps only the newest frame, and a one-shot probe.

OpenCV network reads block and buffer, so a consumer that reads at its own pace falls ever further
behind live; a dedicated reader that overwrites a single slot keeps what the wall shows current.
Network streams are opened through FFmpeg with *named* open and read timeouts, passed when the capture
is constructed (the only point where OpenCV honours them), so a dead camera is reported in seconds
instead of hanging a thread. RTSP runs over TCP unless a camera asks for UDP (UDP loses packets on busy
networks). OpenCV takes the transport only from ``OPENCV_FFMPEG_CAPTURE_OPTIONS``, one environment
variable for the whole process (FFmpeg's ``?udp`` URL suffix is not honoured by OpenCV's build: it was
tried and still used TCP), so each RTSP open sets it to that camera's transport under a lock and
restores the operator's value after; OpenCV serialises its opens anyway, so this costs nothing.

The supervised, shared grabbers are in :mod:`app.video.grabber` and :mod:`app.video.hub`;
:class:`FrameGrabber` here is the older unsupervised reader, kept until the wall moves to the hub.

OpenCV is imported lazily: it is heavy, and the modules that merely describe a station stay cheap.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

import numpy as np

from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.video")

CaptureStatus = Literal["connected", "disconnected"]
RtspTransport = Literal["tcp", "udp"]
BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 5.0
FILE_FPS_DEFAULT = 10.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _cv2() -> Any:
    import cv2

    cv2.setNumThreads(1)  # MODELS.md: OpenCV's thread pool costs more than it saves per frame
    return cv2


def redact(url: str) -> str:
    """The URL without its password, for messages and logs (RTSP URLs often carry credentials)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def file_path(url: str) -> Path | None:
    """The local path for a ``file:`` URL or a bare path; None for network and USB sources."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.netloc + parts.path))
    if not parts.scheme or (len(parts.scheme) == 1 and url[1:3] in (":\\", ":/")):  # C:\ on Windows
        return Path(url)
    return None


def usb_index(url: str) -> int | None:
    """The device index of a ``usb:N`` URL, else None."""
    if url.startswith("usb:"):
        tail = url[4:].lstrip("/")
        if tail.isdigit():
            return int(tail)
    return None


def _bypass_proxy_for_loopback() -> None:
    """FFmpeg sends http:// through ``http_proxy`` unless ``no_proxy`` names the host: a desktop with a
    proxy set would route the simulated cameras on 127.0.0.1 to the proxy and show them all as down."""
    if not (os.environ.get("http_proxy") or os.environ.get("HTTP_PROXY")):
        return
    current = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    names = [n.strip() for n in current.split(",") if n.strip()]
    missing = [h for h in ("127.0.0.1", "localhost") if h not in names]
    if missing:
        os.environ["no_proxy"] = ",".join(names + missing)


FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
# OpenCV's FFmpeg backend already opens one stream at a time (a lock of its own around the open), so
# holding ours across the open costs no parallelism; it keeps the environment variable set for this
# open until OpenCV has read it.
_OPEN_LOCK = threading.Lock()


RTSP_DEFAULTS: tuple[tuple[str, str], ...] = (
    # FFmpeg probes a new stream for 5 s by default; OpenCV opens one stream at a time, so sixteen
    # cameras took 46 s to appear. A camera's stream is one known video: one second of probing is
    # plenty, and opens take ~0.7 s here instead of ~3 s.
    ("analyzeduration", "1000000"),
    # Live view: hand each frame over as soon as it is decoded rather than buffering ahead.
    ("fflags", "nobuffer"),
    ("flags", "low_delay"),
)


def rtsp_options(operator: str | None, transport: RtspTransport) -> str:
    """FFmpeg capture options for one RTSP open: the operator's own (they win), our live-view
    defaults for what the operator left unset, and the camera's transport."""
    kept = [o for o in (operator or "").split("|") if o and not o.startswith("rtsp_transport;")]
    named = {o.split(";", 1)[0] for o in kept}
    defaults = [f"{key};{value}" for key, value in RTSP_DEFAULTS if key not in named]
    return "|".join([*kept, *defaults, f"rtsp_transport;{transport}"])


def open_capture(
    url: str,
    open_timeout_ms: int,
    read_timeout_ms: int,
    transport: RtspTransport = "tcp",
    *,
    on_turn: Callable[[], None] | None = None,
) -> Any:
    """A ``cv2.VideoCapture`` for any camera URL of the site file (may be unopened: check isOpened).

    Network opens take turns (OpenCV opens one at a time anyway); ``on_turn`` is called when this
    one's turn comes, so a supervisor times the open itself, not the wait for the cameras ahead.
    """
    cv2 = _cv2()
    index = usb_index(url)
    if index is not None:
        return cv2.VideoCapture(index)
    path = file_path(url)
    if path is not None:
        return cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    parts = urlsplit(url)
    if parts.hostname in LOOPBACK_HOSTS:
        _bypass_proxy_for_loopback()
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(open_timeout_ms),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(read_timeout_ms),
    ]
    with _OPEN_LOCK:  # our turn; for RTSP the options are this camera's for exactly this open
        if on_turn is not None:
            on_turn()
        if parts.scheme not in ("rtsp", "rtsps"):
            return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        operator = os.environ.get(FFMPEG_OPTIONS_ENV)
        os.environ[FFMPEG_OPTIONS_ENV] = rtsp_options(operator, transport)
        try:
            return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        finally:
            if operator is None:
                os.environ.pop(FFMPEG_OPTIONS_ENV, None)
            else:
                os.environ[FFMPEG_OPTIONS_ENV] = operator


def _open_failure(label: str, url: str, timeout_ms: int, elapsed_s: float) -> str:
    path = file_path(url)
    if path is not None and not path.exists():
        return f"{label}: file {path} does not exist"
    if usb_index(url) is not None:
        return f"{label} could not be opened (no such device, or it is in use)"
    if elapsed_s * 1000 >= 0.8 * timeout_ms:
        return f"{label} could not be opened within {timeout_ms} ms"
    return f"{label} could not be opened (connection refused, no such stream, or not a video)"


def _label(camera_id: str | None, url: str) -> str:
    return f"camera {camera_id} at {redact(url)}" if camera_id else f"camera at {redact(url)}"


def probe_camera(url: str, timeout_ms: int, camera_id: str | None = None) -> str | None:
    """Open the camera and read one frame: None if that works, else the reason in plain words.

    Takes at most about ``2 × timeout_ms`` (open, then read).
    """
    label = _label(camera_id, url)
    started = time.monotonic()
    cap = open_capture(url, timeout_ms, timeout_ms)
    try:
        if not cap.isOpened():
            return _open_failure(label, url, timeout_ms, time.monotonic() - started)
        ok, frame = cap.read()
        if not ok or frame is None:
            return f"{label} opened but sent no frame within {timeout_ms} ms"
        return None
    finally:
        cap.release()


class FrameGrabber:
    """Reads one camera on its own thread, keeps the newest frame, reconnects with bounded back-off.

    ``latest()`` returns a read-only array shared with other readers (never copied per reader).
    ``on_change(status, reason)`` is called on the grabber thread when the status changes.
    """

    def __init__(
        self,
        camera_id: str,
        url: str,
        open_timeout_ms: int = 5000,
        read_timeout_ms: int = 5000,
        *,
        on_change: Callable[[CaptureStatus, str], None] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.url = url
        self.open_timeout_ms = open_timeout_ms
        self.read_timeout_ms = read_timeout_ms
        self.status: CaptureStatus = "disconnected"
        self.reason = "not started"
        self._on_change = on_change
        self._lock = threading.Lock()
        self._latest: tuple[np.ndarray, float, int] | None = None
        self._seq = 0
        self._worker: Worker | None = None

    def start(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        self.reason = "connecting"
        self._worker = Worker(f"capture-{self.camera_id}", self._run, stuck_level=logging.INFO).start()

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Ask the thread to end; True if it ended within ``timeout_s``.

        A thread blocked inside FFmpeg (a camera that stopped answering) ends by itself when that call
        times out; it is a daemon and releases its capture on the way out.
        """
        worker = self._worker
        if worker is None:
            return True
        return worker.stop(timeout_s)

    def latest(self) -> tuple[np.ndarray, float, int] | None:
        """(BGR frame, monotonic timestamp, sequence number) of the newest frame, or None yet."""
        with self._lock:
            return self._latest

    def _set(self, status: CaptureStatus, reason: str) -> None:
        changed = status != self.status or reason != self.reason
        self.status, self.reason = status, reason
        if changed:
            if status == "connected":
                log.info("camera %s connected (%s)", self.camera_id, redact(self.url))
            else:
                log.warning("%s", reason)
            if self._on_change is not None:
                try:
                    self._on_change(status, reason)
                except Exception:
                    log.exception("camera %s: status callback failed", self.camera_id)

    def _run(self, token: CancelToken) -> None:
        _cv2()
        backoff = BACKOFF_START_S
        label = _label(self.camera_id, self.url)
        while not token.cancelled:
            started = time.monotonic()
            cap = open_capture(self.url, self.open_timeout_ms, self.read_timeout_ms)
            try:
                if not cap.isOpened():
                    self._set(
                        "disconnected",
                        _open_failure(label, self.url, self.open_timeout_ms, time.monotonic() - started),
                    )
                elif self._read_loop(cap, label, token):
                    backoff = BACKOFF_START_S  # it delivered frames: the next outage starts afresh
            finally:
                cap.release()
            if token.wait(backoff):
                break
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    def _read_loop(self, cap: Any, label: str, token: CancelToken) -> bool:
        """Read until the stream fails or we are stopped; True if at least one frame arrived."""
        cv2 = _cv2()
        pace = 0.0
        if file_path(self.url) is not None:  # a file would otherwise be read as fast as it decodes
            fps = cap.get(cv2.CAP_PROP_FPS) or FILE_FPS_DEFAULT
            pace = 1.0 / fps if 0 < fps < 1000 else 1.0 / FILE_FPS_DEFAULT
        got_any = False
        while not token.cancelled:
            ok, frame = cap.read()
            if (not ok or frame is None) and pace and got_any:  # end of a file: loop it
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = cap.read()
            if not ok or frame is None:
                if got_any:
                    self._set("disconnected", f"{label} stopped sending frames")
                else:
                    self._set(
                        "disconnected", f"{label} opened but sent no frame within {self.read_timeout_ms} ms"
                    )
                return got_any
            frame.flags.writeable = False
            with self._lock:
                self._seq += 1
                self._latest = (frame, time.monotonic(), self._seq)
            got_any = True
            if self.status != "connected":
                self._set("connected", "")
            if pace and token.wait(pace):
                break
        return got_any


def readers_still_running() -> bool:
    """Whether a camera reader thread is still alive (maybe blocked inside FFmpeg on a frozen stream)."""
    import threading

    return any(t.is_alive() and t.name.startswith("capture-") for t in threading.enumerate())


def exit_past_blocked_readers(code: int) -> None:
    """End the process now with ``code`` if a camera reader is still blocked inside FFmpeg.

    A reader waiting on a frozen stream returns only when its read timeout runs out; if Python's
    shutdown finds that daemon thread coming back into the interpreter it ends the thread by force,
    and the unwinding through OpenCV's C++ frames aborts the whole process ("exception not
    rethrown", exit -6) after the command's work was done. By the time this is called nothing is left
    to do (services stopped, output and logs flushed here), so ``os._exit`` skips that shutdown.
    """
    import contextlib
    import logging
    import sys

    if not readers_still_running():
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    logging.shutdown()
    os._exit(code)

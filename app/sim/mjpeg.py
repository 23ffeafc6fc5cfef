"""A simulated IP camera server: HTTP MJPEG streams on loopback (stdlib ThreadingHTTPServer).

MJPEG over HTTP is what many real cameras and encoders serve, OpenCV's FFmpeg backend opens it in a few
milliseconds, and it needs nothing outside the standard library (MODELS.md). One producer thread
renders and JPEG-encodes each watched stream once per tick and every client of that stream is sent
the same bytes, so ten viewers of one camera cost one encode, not ten.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from app.sim.media import FrameSource, open_source
from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.sim")

BOUNDARY = "frame"
JPEG_QUALITY = 80
CLIENT_WAIT_S = 0.25  # how often a client loop re-checks for shutdown


@dataclass
class _Stream:
    path: str
    source: FrameSource
    jpeg: bytes = b""
    seq: int = 0
    clients: int = 0
    # Woken when this stream has a new frame; shares the server's lock so stop() can wake everyone.
    fresh: threading.Condition = field(default_factory=threading.Condition)


@dataclass
class _Shared:
    """State the HTTP handler threads read; guarded by ``cond``."""

    streams: dict[str, _Stream] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cond: threading.Condition = field(init=False)
    stopping: bool = False
    sockets: set[socket.socket] = field(default_factory=set)
    threads: set[threading.Thread] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.cond = threading.Condition(self.lock)


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.0"
    timeout = 2.0  # a stalled client cannot block its thread for longer than this on a write

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("mjpeg %s: " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        shared = self.server.shared
        path = self.path.split("?", 1)[0]
        with shared.cond:
            stream = shared.streams.get(path)
            if stream is None or shared.stopping:
                stream = None
            else:
                stream.clients += 1
                shared.sockets.add(self.connection)
                shared.threads.add(threading.current_thread())
        if stream is None:
            self.send_error(HTTPStatus.NOT_FOUND, f"no camera stream at {path}")
            return
        try:
            self._serve(shared, stream)
        except OSError:  # client went away, or we shut its socket down on stop
            pass
        finally:
            with shared.cond:
                stream.clients -= 1
                shared.sockets.discard(self.connection)
                shared.threads.discard(threading.current_thread())

    def _serve(self, shared: _Shared, stream: _Stream) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache, no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        last = -1

        def fresh() -> bool:
            return shared.stopping or stream.seq != last

        while True:
            with shared.cond:
                stream.fresh.wait_for(fresh, timeout=CLIENT_WAIT_S)
                if shared.stopping:
                    return
                data, seq = stream.jpeg, stream.seq
            if seq == last or not data:
                continue
            last = seq
            head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
            self.wfile.write(head.encode("ascii") + data + b"\r\n")
            self.wfile.flush()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], shared: _Shared) -> None:
        self.shared = shared
        super().__init__(address, _Handler)


class MjpegServer:
    """Serves registered media as MJPEG streams at ``http://host:port/<path>``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, fps: float = 10) -> None:
        self.host = host
        self.port = port
        self.fps = fps
        self._shared = _Shared()
        self._httpd: _HttpServer | None = None
        self._serve_worker: Worker | None = None
        self._producer: Worker | None = None

    @staticmethod
    def _norm(path: str) -> str:
        return "/" + path.split("?", 1)[0].lstrip("/")

    def add_stream(self, path: str, media: Path | str, name: str | None = None) -> None:
        """Serve ``media`` (a file or ``scene:<name>``) at ``path`` with ``name`` burned in.

        ValueError (plain words) if the media cannot be read or the scene does not exist.
        """
        key = self._norm(path)
        source = open_source(media, name or key.strip("/"))
        with self._shared.cond:
            old = self._shared.streams.get(key)
            self._shared.streams[key] = _Stream(key, source, fresh=threading.Condition(self._shared.lock))
        if old is not None:
            old.source.close()

    def url_for(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{self._norm(path)}"

    def start(self) -> int:
        """Listen and start producing; returns the actual port."""
        if self._httpd is not None:
            return self.port
        self._shared.stopping = False
        self._httpd = _HttpServer((self.host, self.port), self._shared)
        self.port = int(self._httpd.server_address[1])
        httpd = self._httpd
        self._producer = Worker("mjpeg-producer", self._produce).start()
        # serve_forever polls its own shutdown flag: stop() ends it with httpd.shutdown().
        self._serve_worker = Worker(
            "mjpeg-http", lambda _token: httpd.serve_forever(poll_interval=0.1)
        ).start()
        log.info("MJPEG server on %s:%d with %d stream(s)", self.host, self.port, len(self._shared.streams))
        return self.port

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop serving; client threads are woken and their sockets shut, so this returns promptly."""
        deadline = time.monotonic() + timeout_s
        httpd = self._httpd
        if httpd is None:
            return
        workers = [w for w in (self._serve_worker, self._producer) if w is not None]
        for worker in workers:
            worker.cancel()
        with self._shared.cond:
            self._shared.stopping = True
            self._shared.cond.notify_all()
            for stream in self._shared.streams.values():
                stream.fresh.notify_all()
            sockets = list(self._shared.sockets)
            threads = list(self._shared.threads)
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        httpd.shutdown()
        httpd.server_close()
        for worker in workers:
            worker.stop(deadline - time.monotonic())
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        self._serve_worker = self._producer = None
        self._httpd = None
        log.info("MJPEG server on %s:%d stopped", self.host, self.port)

    def close(self) -> None:
        """Stop and release media (video files); the server cannot be restarted afterwards."""
        self.stop()
        with self._shared.cond:
            streams = list(self._shared.streams.values())
            self._shared.streams.clear()
        for stream in streams:
            stream.source.close()

    def _produce(self, token: CancelToken) -> None:
        import cv2

        cv2.setNumThreads(1)
        period = 1.0 / self.fps
        next_at = time.monotonic()
        params = [int(cv2.IMWRITE_JPEG_QUALITY), JPEG_QUALITY]
        while not token.cancelled:
            with self._shared.cond:
                # Streams nobody watches are not encoded, except once so a new client starts at once.
                todo = [s for s in self._shared.streams.values() if s.clients > 0 or not s.jpeg]
            for stream in todo:
                # Each frame is stamped just before it is rendered and published as soon as it is
                # encoded, as a real camera sends what it captured: the last of many streams does
                # not carry the encoding time of all the others in its age.
                try:
                    ok, buf = cv2.imencode(".jpg", stream.source.frame(time.time()), params)
                except Exception:
                    log.exception("MJPEG stream %s: could not render a frame", stream.path)
                    continue
                if ok:
                    data = buf.tobytes()
                    with self._shared.cond:
                        stream.jpeg = data
                        stream.seq += 1
                        stream.fresh.notify_all()
            next_at += period
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (slow machine): don't try to catch up with a burst
                next_at = time.monotonic()
                delay = 0
            token.wait(delay)

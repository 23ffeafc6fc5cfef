"""Camera-like servers for the capture tests: an MJPEG server that counts connections and can stall or
black-hole, and stop and come back on the same port (a camera that reboots)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import cv2
import numpy as np


def jpeg(width: int = 320, height: int = 240, value: int = 200) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((height, width, 3), value, np.uint8))
    assert ok
    return data.tobytes()


class CameraServer:
    """``mode``: "mjpeg" (frames at ``fps``), "stall" (``frames`` frames, then silence, connection
    kept open), "blackhole" (accepts, never sends), "notfound" (HTTP 404).

    ``gets`` / ``heads`` / ``accepted`` count requests and connections since start.
    """

    def __init__(self, mode: str = "mjpeg", *, fps: float = 10.0, frames: int = 5) -> None:
        self.mode = mode
        self.fps = fps
        self.frames = frames
        self.port = 0
        self.accepted = 0
        self.gets = 0
        self.heads = 0
        self._jpeg = jpeg()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cam"

    def start(self) -> int:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(16)
        sock.settimeout(0.1)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._stop = threading.Event()
        thread = threading.Thread(target=self._accept, args=(sock, self._stop), daemon=True)
        thread.start()
        self._threads = [thread]
        return self.port

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for thread in self._threads:
            thread.join(2.0)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def connections(self) -> int:
        with self._lock:
            return len(self._conns)

    def _accept(self, sock: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self._conns.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn, stop), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, stop: threading.Event) -> None:
        try:
            if self.mode == "blackhole":
                stop.wait()
                return
            conn.settimeout(2.0)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            method = request.split(b" ", 1)[0]
            with self._lock:
                if method == b"HEAD":
                    self.heads += 1
                else:
                    self.gets += 1
            if self.mode == "notfound" or method != b"GET":
                status = b"404 Not Found" if self.mode == "notfound" else b"200 OK"
                conn.sendall(b"HTTP/1.0 " + status + b"\r\nContent-Length: 0\r\n\r\n")
                return
            conn.sendall(
                b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n"
            )
            sent = 0
            while not stop.is_set():
                if self.mode == "stall" and sent >= self.frames:
                    stop.wait()
                    return
                data = self._jpeg
                head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
                conn.sendall(head.encode() + data + b"\r\n")
                sent += 1
                time.sleep(1.0 / self.fps)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

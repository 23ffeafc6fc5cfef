"""Real MJPEG cameras on 127.0.0.1 for the wall tests, and a capture hub over them.

``Streams(n)`` serves ``n`` streams (``/c0`` ... plus ``/c0-sub`` ... when asked) from one generated
picture through :class:`app.sim.mjpeg.MjpegServer`; ``clients(path)`` is how many connections the
server is streaming that path to now, which is what "only shown cameras are opened" is counted by.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from app.sim.mjpeg import MjpegServer
from app.site.schema import Camera, CameraSettings
from app.video.hub import CaptureHub
from ui.pages.camera_wall import WallCamera


def write_picture(path: Path, width: int = 320, height: int = 180) -> Path:
    ys, xs = np.mgrid[0:height, 0:width]
    image = np.dstack([(xs * 255 // width), (ys * 255 // height), np.full_like(xs, 160)]).astype(np.uint8)
    cv2.rectangle(image, (width // 4, height // 4), (width // 2, height // 2), (40, 200, 40), -1)
    assert cv2.imwrite(str(path), image)
    return path


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Streams:
    def __init__(
        self, folder: Path, count: int, *, subs: bool = False, size: tuple[int, int] = (320, 180)
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        picture = write_picture(folder / "picture.png", *size)
        self.server = MjpegServer(fps=10)
        self.paths = [f"/c{i}" for i in range(count)]
        for path in self.paths:
            self.server.add_stream(path, picture, path.strip("/"))
            if subs:
                self.server.add_stream(path + "-sub", picture, path.strip("/") + " sub")
        self.server.start()

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def clients(self, path: str) -> int:
        shared = self.server._shared
        with shared.cond:
            stream = shared.streams.get(path)
            return stream.clients if stream is not None else 0

    def close(self) -> None:
        self.server.close()


class StreamUrls(Protocol):
    def url(self, path: str) -> str: ...


def _serve_in_child(folder: Path, count: int, size: tuple[int, int], pipe: Connection) -> None:
    """Child process body: serve the streams, send the port, serve until the parent says stop."""
    served = Streams(folder, count, size=size)
    pipe.send(served.server.port)
    try:
        pipe.recv()  # "stop", or EOFError when the parent is gone
    except EOFError:
        pass
    finally:
        served.close()


class ChildStreams:
    """The same streams served from a child process, as real cameras are: for load tests, where the
    cameras' own rendering and encoding must not share the measured process's interpreter lock."""

    def __init__(self, folder: Path, count: int, *, size: tuple[int, int] = (320, 180)) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._proc = context.Process(
            target=_serve_in_child, args=(folder, count, size, child_end), name="wall-streams", daemon=True
        )
        self._proc.start()
        child_end.close()
        if not self._pipe.poll(60):
            self.close()
            raise RuntimeError("the camera streams' child process did not start within 60 s")
        self.port = int(self._pipe.recv())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._pipe.send("stop")
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        self._pipe.close()


def site_cameras(
    streams: StreamUrls | None,
    count: int,
    *,
    dead_from: int | None = None,
    subs: bool = False,
    masks: dict[int, tuple[tuple[tuple[float, float], ...], ...]] | None = None,
) -> list[Camera]:
    """``count`` cameras ``c0`` ...; from ``dead_from`` on at a closed port (dead addresses)."""
    dead = f"http://127.0.0.1:{closed_port()}/dead"
    cameras = []
    for i in range(count):
        live = streams is not None and (dead_from is None or i < dead_from)
        url = streams.url(f"/c{i}") if live and streams is not None else dead
        cameras.append(
            Camera(
                id=f"c{i}",
                url=url,
                name=f"Camera {i:04d}",
                building=f"b{i % 3}",
                substream_url=(streams.url(f"/c{i}-sub") if subs and live and streams is not None else None),
                privacy_masks=(masks or {}).get(i, ()),
            )
        )
    return cameras


def wall_cameras(cameras: list[Camera]) -> list[WallCamera]:
    names = {"b0": "North block", "b1": "South block", "b2": "Gatehouse"}
    return [
        WallCamera(c.id, c.display_name, names.get(c.building or "", ""), bool(c.substream_url), c.enabled)
        for c in cameras
    ]


def hub_for(cameras: list[Camera], **settings: float) -> CaptureHub:
    return CaptureHub(cameras, CameraSettings(**settings), probe=False)  # type: ignore[arg-type]

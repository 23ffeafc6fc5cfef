"""``wardroom cameras status`` end to end: the real console script against real streams on loopback.

One live camera (the MJPEG simulator), one stalled (a server that sends the MJPEG header and one
picture, then keeps the connection open and silent), one dead (a closed port) and one disabled (its
address is a server that counts connections: it must see none). Cameras a live station owns are read
from the station's ``live_links`` rows, proved by their server never seeing the command connect.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy.orm import Session

from app.fleet.clock import db_now
from app.fleet.live import take_seqs
from app.sim.mjpeg import MjpegServer
from app.storage.database import open_database
from models.fleet import LiveLink
from tests.app.fleet.test_stations_cli import add_station
from tests.app.test_cli import wardroom
from tests.models.support import sqlite_url

SETTINGS = """\
[site]
name = "Camera Ward"
timezone = "UTC"

[cameras]
stall_s = 1
open_timeout_ms = 2000
read_timeout_ms = 10000
"""

CAMERA = """
[[camera]]
id = "{id}"
name = "{name}"
url = "{url}"
enabled = {enabled}
"""


class StallServer:
    """Answers every connection with an MJPEG header and a few JPEGs at once, then silence (the
    connection kept open): a camera whose picture froze. (FFmpeg needs a few pictures to open the
    stream at all; with one it is still probing when the open timeout ends.)

    Counts connections, so it also serves as "the address of a camera that must never be opened".
    """

    def __init__(self, frames: int = 5) -> None:
        self.frames = frames
        ok, jpeg = cv2.imencode(".jpg", np.full((120, 160, 3), 180, np.uint8))
        assert ok
        self.jpeg = jpeg.tobytes()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._clients: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stall-server", daemon=True)
        self._thread.start()

    def url(self, path: str = "/cam.mjpg") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._clients.append(client)
            try:
                client.settimeout(2.0)
                client.recv(4096)  # the request
                part = (
                    b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + str(len(self.jpeg)).encode()
                    + b"\r\n\r\n"
                    + self.jpeg
                    + b"\r\n"
                )
                head = b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n"
                client.sendall(head + part * self.frames)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(2.0)
        for client in self._clients:
            client.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


@pytest.fixture
def live(tmp_path: Path) -> Iterator[MjpegServer]:
    image = tmp_path / "card.png"
    assert cv2.imwrite(str(image), np.full((360, 640, 3), 200, np.uint8))
    server = MjpegServer(fps=10)
    server.add_stream("/live.mjpg", image, name="Live")
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def stall() -> Iterator[StallServer]:
    server = StallServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def never() -> Iterator[StallServer]:
    server = StallServer()
    try:
        yield server
    finally:
        server.stop()


def write_site(tmp_path: Path, cameras: list[tuple[str, str, bool]], extra: str = "") -> Path:
    text = SETTINGS + "".join(
        CAMERA.format(id=cid, name=cid.title(), url=url, enabled=str(enabled).lower())
        for cid, url, enabled in cameras
    )
    path = tmp_path / "site.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def status(*args: str) -> tuple[dict[str, dict[str, Any]], str]:
    result = wardroom("cameras", "status", "--json", *args, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return {row["id"]: row for row in rows}, result.stderr


def test_live_stalled_dead_and_disabled_cameras(
    tmp_path: Path, live: MjpegServer, stall: StallServer, never: StallServer
) -> None:
    site = write_site(
        tmp_path,
        [
            ("live", live.url_for("/live.mjpg"), True),
            ("stalled", stall.url(), True),
            ("dead", f"http://127.0.0.1:{closed_port()}/cam.mjpg", True),
            ("off", never.url(), False),
        ],
    )
    rows, stderr = status("--site", str(site), "--seconds", "2")

    assert list(rows) == ["live", "stalled", "dead", "off"]  # the site file's order
    assert stderr == ""
    ok = rows["live"]
    assert ok["state"] == "live" and ok["error"] is None and ok["from"] == "direct"
    assert (ok["width"], ok["height"]) == (640, 360)
    assert 7.0 <= ok["fps"] <= 13.0
    assert 0 <= ok["age_ms"] < 1000

    stuck = rows["stalled"]
    assert stuck["state"] == "stalled" and stuck["error"]
    assert (stuck["width"], stuck["height"]) == (160, 120)
    assert stuck["age_ms"] >= 1000 and stuck["fps"] < 1.0

    dead = rows["dead"]
    assert dead["state"] == "lost"
    assert isinstance(dead["error"], str) and len(dead["error"]) > 5
    assert dead["width"] is None and dead["age_ms"] is None

    off = rows["off"]
    assert off["state"] == "disabled" and off["from"] == "direct"
    assert never.connections == 0  # a disabled camera is never opened
    assert stall.connections >= 1
    for row in rows.values():
        assert set(row) == {"id", "name", "state", "width", "height", "fps", "age_ms", "error", "from"}


def test_text_table_and_simulated_cameras_started_for_the_run(tmp_path: Path) -> None:
    media = tmp_path / "lobby.png"
    assert cv2.imwrite(str(media), np.full((240, 320, 3), 90, np.uint8))
    extra = (
        '\n[[camera]]\nid = "sim"\nurl = "http://127.0.0.1:0/cam/sim.mjpg"\n'
        'simulated = true\nmedia = "lobby.png"\n'
    )
    site = write_site(tmp_path, [("gone", f"http://127.0.0.1:{closed_port()}/x.mjpg", True)], extra)
    result = wardroom("cameras", "status", "--site", str(site), "--seconds", "1", timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CAMERA", "STATE", "SIZE", "FPS", "AGE", "FROM", "PROBLEM"]
    by_id = {line.split()[0]: line for line in lines[1:]}
    assert by_id["sim"].split()[1] == "live" and "direct" in by_id["sim"]
    assert by_id["gone"].split()[1] == "lost"
    assert lines[1].index("direct") == lines[2].index("direct")  # aligned columns


def test_a_bad_site_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SETTINGS + '\n[[camera]]\nid = "x"\nurl = "http://127.0.0.1:1/x"\nenabled = "maybe"\n')
    result = wardroom("cameras", "status", "--site", str(bad), "--json")
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr and result.stdout == ""


def station_owns(url: str, camera_id: str, state: str, reason: str, seen_ago_s: float) -> None:
    """Station ``alpha`` holds ``camera:<id>`` and wrote its link state, as a running station does."""
    import time

    with open_database(url) as db:
        add_station(db, "alpha", {f"camera:{camera_id}": [f"camera:{camera_id}"]})

        def link(session: Session) -> None:
            (seq,) = take_seqs(session, 1)
            session.add(
                LiveLink(
                    key=f"camera:{camera_id}",
                    kind="camera",
                    device=camera_id,
                    status=state,
                    reason=reason,
                    station="alpha",
                    endpoint="",
                    changed_at=db_now(session),
                    seen_at=time.time() - seen_ago_s,
                    seq=seq,
                )
            )

        db.write(link)


def test_cameras_a_live_station_owns_are_read_from_its_live_table(
    tmp_path: Path, live: MjpegServer, never: StallServer
) -> None:
    url = sqlite_url(tmp_path)
    station_owns(url, "owned", "stalled", "no frame for 5 s", seen_ago_s=7.0)
    site = write_site(tmp_path, [("owned", never.url(), True), ("free", live.url_for("/live.mjpg"), True)])

    rows, stderr = status("--site", str(site), "--database", url, "--seconds", "1")
    assert "reading camera owned from station alpha's live table" in stderr
    owned, free = rows["owned"], rows["free"]
    assert owned["from"] == "station:alpha" and owned["state"] == "stalled"
    assert owned["error"] == "no frame for 5 s" and 6000 <= owned["age_ms"] < 30_000
    assert owned["width"] is None and owned["fps"] is None
    assert free["from"] == "direct" and free["state"] == "live"
    assert never.connections == 0  # no second stream beside the station's

    rows, stderr = status("--site", str(site), "--database", url, "--seconds", "1", "--direct")
    assert stderr == "" and {r["from"] for r in rows.values()} == {"direct"}
    assert rows["owned"]["state"] == "stalled" and never.connections >= 1

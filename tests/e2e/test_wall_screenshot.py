"""Acceptance (issue #9): a screenshot under Xvfb of the real GUI showing a 3x3 camera wall on the demo
with one tile stalled, saved as an artifact (``artifacts/e2e/wall_3x3_stalled.png``) and, with
``WARDROOM_UPDATE_DOCS=1``, copied to ``docs/wall.png`` (the README's image; not on every run, so a
test run does not leave the working tree changed).

The site is a copy of the demo site with five more cameras, nine in all, so the window opens its wall
on the 3x3 grid (the smallest grid that shows every camera): three more simulated cameras (the demo's
still images and a second corridor) and one *real* camera, "South gate", served by this test: an
MJPEG server that sends a few frames of a picture on each connection and then goes silent with the
connection kept open (a stalled encoder). ``[cameras] stall_s = 3`` and a 60 s read timeout keep that
camera ``stalled`` (and not reconnecting) long enough to be photographed.

The GUI is the real entry point (``app.cli:main``, ``--demo``: demo sign-in and database) with one
thing swapped in its own interpreter: the demo site file it opens (``ui.main.demo_site_path``), since
a non-demo site asks for a sign-in in a dialog.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from app.sim.media import open_source
from app.sim.scenes import GateScene
from app.site.demo import export_demo
from app.site.loader import load_site
from tests.app.video.servers import CameraServer
from tests.e2e.gui_harness import REPO, announce, grab_screen, running_demo, xvfb_display

READY_TIMEOUT_S = 90.0
STALL_ID = "south-gate"
SHOT = REPO / "artifacts" / "e2e" / "wall_3x3_stalled.png"
DOCS_SHOT = REPO / "docs" / "wall.png"
DEMO_MEDIA = REPO / "resources" / "demo" / "media"
GATE_AT_BARRIER_S = 6.0  # into the gate scene's cycle (GateScene.stopped_at_barrier)

EXTRA_CAMERAS = """
[[camera]]
id = "b2-bus-stop"
name = "Building 2 bus stop"
url = "http://127.0.0.1:0/cam/b2-bus-stop.mjpg"
building = "B1"
simulated = true
media = "media/bus.jpg"

[[camera]]
id = "canteen"
name = "Canteen"
url = "http://127.0.0.1:0/cam/canteen.mjpg"
building = "B3"
simulated = true
media = "media/zidane.jpg"

[[camera]]
id = "b1-corridor-3"
name = "Building 1 corridor, floor 3"
url = "http://127.0.0.1:0/cam/b1-corridor-3.mjpg"
building = "B1"
simulated = true
media = "scene:corridor"

[[camera]]
id = "reception"
name = "Reception"
url = "http://127.0.0.1:0/cam/reception.mjpg"
building = "B3"
simulated = true
media = "media/astronaut.png"

[[camera]]
id = "{stall_id}"
name = "South gate"
url = "{stall_url}"
building = "YARD"

[cameras]
stall_s = 3
read_timeout_ms = 60000
"""

# The demo site file named by the GUI in its own interpreter (see the module docstring).
GUI_CODE = (
    "import os, sys\n"
    "from pathlib import Path\n"
    "import ui.main\n"
    "ui.main.demo_site_path = lambda: Path(os.environ['WALL_SHOT_SITE'])\n"
    "from app.cli import main\n"
    "sys.argv = ['wardroom', '--demo']\n"
    "main()\n"
)


def site_with_nine_cameras(folder: Path, stall_url: str) -> Path:
    site = export_demo(folder)
    media = folder / "media"
    media.mkdir(exist_ok=True)
    for name in ("bus.jpg", "zidane.jpg", "astronaut.png"):
        shutil.copyfile(DEMO_MEDIA / name, media / name)
    text = site.read_text(encoding="utf-8")
    assert not re.search(r"^\[cameras\]", text, re.M), "the demo has a [cameras] table now: merge into it"
    site.write_text(text + EXTRA_CAMERAS.format(stall_id=STALL_ID, stall_url=stall_url), encoding="utf-8")
    cameras = load_site(site).site.camera
    assert len(cameras) == 9, [c.id for c in cameras]
    return site


def stalled_picture() -> bytes:
    """What the stalled camera last sent: a frame of the gate scene (a car at the barrier) with its
    name, clock and stamp, taken a minute ago."""
    source = open_source("scene:gate", "South gate")
    try:
        at = time.time() - 60
        at += GATE_AT_BARRIER_S - at % GateScene.CYCLE_S  # the car stands at the barrier
        ok, data = cv2.imencode(".jpg", source.frame(at), [int(cv2.IMWRITE_JPEG_QUALITY), 85])
    finally:
        source.close()
    assert ok
    return data.tobytes()


def wall_ready(report: dict[str, Any]) -> bool:
    """Nine tiles with frames; the test's camera stalled, every other one live."""
    tiles = report.get("tiles") or []
    if len(tiles) != 9 or not all(tile["frames_shown"] > 0 for tile in tiles):
        return False
    return all(tile["state"] == ("stalled" if tile["camera_id"] == STALL_ID else "live") for tile in tiles)


def window_rect(display: str, title: str) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the top-level window called ``title``, from ``xwininfo``."""
    xwininfo = shutil.which("xwininfo")
    if xwininfo is None:
        pytest.fail("xwininfo is not installed (Debian package x11-utils)")
    done = subprocess.run(
        [xwininfo, "-display", display, "-name", title], capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stderr
    values = {
        key: int(re.search(rf"{key}:\s*(-?\d+)", done.stdout).group(1))  # type: ignore[union-attr]
        for key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")
    }
    return (
        values["Absolute upper-left X"],
        values["Absolute upper-left Y"],
        values["Width"],
        values["Height"],
    )


@pytest.mark.xvfb
@pytest.mark.timeout(240)
def test_wall_3x3_with_one_stalled_tile_screenshot(
    tmp_path: Path, _wardroom_home: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = CameraServer("stall", fps=10, frames=8)
    server._jpeg = stalled_picture()  # the picture it sends before it goes silent
    server.start()
    try:
        site = site_with_nine_cameras(tmp_path / "site", server.url)
        monkeypatch.setenv("WALL_SHOT_SITE", str(site))  # the GUI child inherits it
        command = [sys.executable, "-c", GUI_CODE]
        with (
            xvfb_display(tmp_path / "xvfb.log") as display,
            running_demo(display, _wardroom_home, tmp_path, command) as gui,
        ):
            report = gui.wait_for(
                "nine tiles with frames, the south gate stalled", wall_ready, READY_TIMEOUT_S
            )
            assert report["demo"] is True
            x, y, width, height = window_rect(display, report["window_title"])
            screen = grab_screen(display, tmp_path / "screen.png")
            after = gui.read_report() or report
            assert wall_ready(after), f"the wall changed while it was photographed: {after['tiles']}"
            window = screen[y : y + height, x : x + width]
            assert window.shape[0] > 400 and window.shape[1] > 600, (x, y, width, height)
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            assert cv2.imwrite(str(SHOT), np.ascontiguousarray(window[:, :, ::-1]))
            announce(request.config, f"artifact saved: {SHOT}")

            # The pixels: every tile shows a picture; the stalled one its last one under its strip
            # (the window reports no picture rectangle for it, so the whole tile is looked at).
            for tile in after["tiles"]:
                stalled = tile["camera_id"] == STALL_ID
                px, py, pw, ph = tile["rect"] if stalled else tile["picture"]
                assert pw > 0 and ph > 0, tile
                picture = screen[py : py + ph, px : px + pw]
                colours = len(np.unique(picture.reshape(-1, 3), axis=0))
                assert colours > 500, f"tile {tile['camera_id']}: {colours} colours, not a camera picture"
            assert gui.terminate(within_s=5.0) == 0, gui.tail()
        if os.environ.get("WARDROOM_UPDATE_DOCS") == "1":
            shutil.copyfile(SHOT, DOCS_SHOT)
            announce(request.config, f"README image updated: {DOCS_SHOT}")
    finally:
        server.stop()

"""Running the real ``wardroom`` entry point under a real X server (Xvfb), and reading what it shows.

The application is started exactly as a user starts it: the README's run command
(``bash installer/run-demo.sh``) or the installed entry point (``.venv/bin/wardroom --demo``), with
``QT_QPA_PLATFORM=xcb`` on a private Xvfb display. ``WARDROOM_GUI_REPORT`` makes its main window write,
once a second, what its widgets show (lamp states, frames painted per tile, on-screen rectangles); a
separate process grabs the X screen as a PNG. Every wait here is bounded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUN_DEMO = REPO / "installer" / "run-demo.sh"
SETUP = REPO / "installer" / "setup.sh"
SCREEN = "1600x1000x24"
XVFB_START_S = 15.0


@contextmanager
def xvfb_display(log_path: Path) -> Iterator[str]:
    """A private Xvfb display (``:N``, number chosen by Xvfb itself); stopped afterwards."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed: the test command (installer/run-tests.sh) installs package xvfb")
    read_fd, write_fd = os.pipe()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [xvfb, "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    os.close(write_fd)
    try:
        number = b""
        deadline = time.monotonic() + XVFB_START_S
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], 0.2)
            if ready:
                chunk = os.read(read_fd, 16)
                if not chunk:
                    break
                number += chunk
        if not number.strip().isdigit():
            pytest.fail(f"Xvfb did not start within {XVFB_START_S:.0f} s; see {log_path}")
        yield f":{number.strip().decode()}"
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class RunningGui:
    proc: subprocess.Popen[bytes]
    report: Path
    log: Path
    display: str

    def read_report(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def wait_for(self, what: str, ok: Callable[[dict[str, Any]], bool], timeout_s: float) -> dict[str, Any]:
        """Poll the report until ``ok`` holds; fail with the last report if it never does."""
        deadline = time.monotonic() + timeout_s
        last: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"wardroom exited with {self.proc.returncode} while waiting for {what}:\n{self.tail()}"
                )
            report = self.read_report()
            if report is not None:
                last = report
                if ok(report):
                    return report
            time.sleep(0.25)
        pytest.fail(
            f"timed out after {timeout_s:.0f} s waiting for {what}; last report: {last}\n{self.tail()}"
        )

    def terminate(self, within_s: float = 5.0) -> int:
        """SIGTERM and the exit code; fails if it takes longer than ``within_s``."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(within_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            pytest.fail(f"wardroom did not exit within {within_s:.0f} s of SIGTERM:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])


def gui_environment(display: str, home: Path, report: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        WARDROOM_HOME=str(home),
        WARDROOM_GUI_REPORT=str(report),
        PYTHONFAULTHANDLER="1",
    )
    env.pop("WARDROOM_DATABASE_URL", None)
    return env


def entry_point_command() -> list[str]:
    """The installed entry point, as ``installer/run-demo.sh`` ends by running it."""
    return [str(BIN / "wardroom"), "--demo"]


def run_demo_command() -> list[str]:
    """The README's run command. It runs ``installer/setup.sh`` first, which is a quick check when the
    install is current and a reinstall into the shared .venv when it is not: a test must not do the
    latter behind the developer's back, so a stale install fails here, saying what to run."""
    stamp = Path(sys.executable).parent.parent / ".wardroom-setup.stamp"
    wanted = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + SETUP.read_bytes()).hexdigest()
    try:
        current = stamp.read_text(encoding="utf-8").strip() == wanted
    except OSError:
        current = False
    if not current:
        pytest.fail(
            "the install predates pyproject.toml or installer/setup.sh, so installer/run-demo.sh would "
            "reinstall it: run `bash installer/setup.sh` (installer/run-tests.sh does) and test again"
        )
    return ["bash", str(RUN_DEMO)]


@contextmanager
def running_demo(
    display: str, home: Path, workdir: Path, command: list[str] | None = None
) -> Iterator[RunningGui]:
    """``command`` (default: the entry point with ``--demo``) on ``display``; killed afterwards if the
    test did not stop it. ``installer/run-demo.sh`` ends in ``exec``, so the process signalled is the
    application either way."""
    report = workdir / "report.json"
    log_path = workdir / "wardroom.out"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command or entry_point_command(),
            cwd=workdir,
            env=gui_environment(display, home, report),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    gui = RunningGui(proc, report, log_path, display)
    try:
        yield gui
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def demo_ready(expected_links: set[tuple[str, str]]) -> Callable[[dict[str, Any]], bool]:
    """The demo PLC connected, every camera live, and every tile has painted frames."""

    def ok(report: dict[str, Any]) -> bool:
        links = {(link["kind"], link["id"]): link["state"] for link in report["links"]}
        return (
            set(links) == expected_links
            and all(state == ("connected" if kind == "plc" else "live") for (kind, _), state in links.items())
            and bool(report["tiles"])
            and all(tile["frames_shown"] > 0 for tile in report["tiles"])
        )

    return ok


def grab_screen(display: str, target: Path) -> np.ndarray:
    """Screenshot the whole X screen from a separate process; returns it as an RGB array."""
    target.parent.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys\n"
        "from PySide6.QtGui import QGuiApplication\n"
        "app = QGuiApplication([sys.argv[0]])\n"
        "shot = app.primaryScreen().grabWindow(0)\n"
        "sys.exit(0 if shot.save(sys.argv[1]) else 3)\n"
    )
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)], env=env, timeout=60, capture_output=True, text=True
    )
    assert done.returncode == 0, f"screenshot failed: {done.stdout}{done.stderr}"
    import cv2

    image = cv2.imread(str(target), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read the screenshot {target}"
    return np.ascontiguousarray(image[:, :, ::-1])


def crop(image: np.ndarray, rect: list[int]) -> np.ndarray:
    x, y, width, height = rect
    return image[max(y, 0) : y + height, max(x, 0) : x + width]


def announce(config: pytest.Config, line: str) -> None:
    """Print a line on the terminal even while pytest captures output (artifact paths, soak table)."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(line)


# ---------------------------------------------------------------------- what the pixels must show
THEME = REPO / "resources" / "themes" / "isa101.qss"
MIN_PICTURE_COLOURS = 500  # a camera picture; a notice on the tile's plain background has < 100
MIN_CHANGED_PIXELS = 50  # the burned-in clock alone changes more than this in a second
COLOUR_TOLERANCE = 12  # per channel, for the lamp (antialiasing, 24-bit X screen)


def connected_lamp_colour() -> tuple[int, int, int]:
    """The connected lamp's fill, read from the one palette (so the test follows the theme)."""
    text = THEME.read_text(encoding="utf-8")
    rule = r'QLabel#lampDot\[linkState="connected"\][^{]*\{[^}]*?background-color:\s*#([0-9a-fA-F]{6})'
    found = re.search(rule, text)
    assert found, f"no connected lamp colour in {THEME}"
    value = found.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def screen_problems(report: dict[str, Any], first: np.ndarray, second: np.ndarray) -> list[str]:
    """What is wrong with two screenshots (taken at least a second apart) of the demo window.

    - every tile paints a picture: the fitted frame rectangle it reports is not empty, holds more
      than ``MIN_PICTURE_COLOURS`` distinct colours, and changes between the two grabs (the demo
      streams burn in a running clock and pan), so neither a "Waiting for video…" notice nor a frozen
      frame passes;
    - every lamp shows the connected style at its centre, and that differs from the bar around it.
    """
    problems: list[str] = []
    for tile in report["tiles"]:
        name = tile["camera_id"]
        rect = tile.get("picture") or [0, 0, 0, 0]
        if rect[2] <= 0 or rect[3] <= 0:
            problems.append(f"tile {name} reports no picture (rect {rect})")
            continue
        before, after = crop(first, rect), crop(second, rect)
        colours = len(np.unique(before.reshape(-1, 3), axis=0))
        if colours <= MIN_PICTURE_COLOURS:
            problems.append(f"tile {name}: {colours} colours in its picture, not a camera image")
        changed = int(np.count_nonzero(np.any(before != after, axis=2))) if before.shape == after.shape else 0
        if changed < MIN_CHANGED_PIXELS:
            problems.append(f"tile {name}: the picture did not move in a second ({changed} pixels changed)")
    want = np.array(connected_lamp_colour())
    for link in report["links"]:
        x, y, width, height = link["dot"]
        centre = first[y + height // 2, x + width // 2].astype(int)
        beside = first[y + height // 2, max(x - 4, 0)].astype(int)  # the bar, just left of the dot
        name = f"{link['kind']} {link['id']} lamp centre {centre.tolist()}"
        if np.abs(centre - want).max() > COLOUR_TOLERANCE:
            problems.append(f"{name} is not the connected colour {want.tolist()}")
        if np.abs(centre - beside).max() <= COLOUR_TOLERANCE:
            problems.append(f"{name} looks like the bar beside it {beside.tolist()}")
    return problems

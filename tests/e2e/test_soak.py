"""Soak: the demo GUI runs (link monitor and plain wall live) for 3 minutes under Xvfb without a crash
and without its resident memory growing by 50 MB or more after the first minute.

``WARDROOM_SOAK_S`` shortens the run for a local try (the first third then counts as warm-up).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from app.site.demo import demo_site_path
from app.site.loader import load_site
from tests.e2e.gui_harness import announce, demo_ready, running_demo, xvfb_display

SOAK_S = float(os.environ.get("WARDROOM_SOAK_S", "180"))
WARM_UP_S = min(60.0, SOAK_S / 3)
SAMPLE_EVERY_S = 5.0
MAX_GROWTH_MB = 50.0


@pytest.mark.xvfb
@pytest.mark.soak
@pytest.mark.timeout(SOAK_S + 240)
def test_demo_gui_soak(tmp_path: Path, _wardroom_home: Path, request: pytest.FixtureRequest) -> None:
    site = load_site(demo_site_path()).site
    expected = {("plc", plc.id) for plc in site.plc} | {("camera", camera.id) for camera in site.camera}
    with (
        xvfb_display(tmp_path / "xvfb.log") as display,
        running_demo(display, _wardroom_home, tmp_path) as gui,
    ):
        gui.wait_for("the demo running", demo_ready(expected), 60.0)
        process = psutil.Process(gui.proc.pid)
        started = time.monotonic()
        samples: list[tuple[float, float, int]] = []  # (seconds, RSS MB, frames shown on all tiles)
        while True:
            elapsed = time.monotonic() - started
            assert gui.proc.poll() is None, f"wardroom died after {elapsed:.0f} s:\n{gui.tail()}"
            report = gui.read_report() or {"tiles": []}
            frames = sum(tile["frames_shown"] for tile in report["tiles"])
            samples.append((elapsed, process.memory_info().rss / 2**20, frames))
            if elapsed >= SOAK_S:
                break
            time.sleep(min(SAMPLE_EVERY_S, max(SOAK_S - elapsed, 0.1)))

        table = "\n".join(f"  {t:6.0f} s  {rss:7.1f} MB  {frames:7d} frames" for t, rss, frames in samples)
        announce(request.config, f"soak samples ({SOAK_S:.0f} s):\n{table}")
        baseline = next(rss for t, rss, _ in samples if t >= WARM_UP_S)
        peak_after = max(rss for t, rss, _ in samples if t >= WARM_UP_S)
        assert peak_after - baseline < MAX_GROWTH_MB, f"RSS grew {peak_after - baseline:.1f} MB after warm-up"
        assert samples[-1][2] > samples[0][2], "the wall stopped painting frames during the soak"
        assert gui.terminate(within_s=5.0) == 0, gui.tail()

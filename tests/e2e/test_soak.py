"""Soak: the demo GUI runs (link monitor and plain wall live) for 3 minutes under Xvfb without a crash
and without its resident memory growing by 50 MB or more after the first minute.

Growth is read from the floor of the RSS, not from single samples: frames in flight make the RSS
saw-tooth by some tens of MB (allocated, painted, freed, the allocator keeping the pages a while), and
a sample taken on a tooth is not a leak. A leak is memory that never comes back, so it lifts the
lowest value: the floor of the last third of the run is compared with the floor of the first minute
after warm-up. A tooth may not exceed ``MAX_TOOTH_MB`` above that first floor either.

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
MAX_TOOTH_MB = 150.0


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
        after = [(t, rss) for t, rss, _ in samples if t >= WARM_UP_S]
        first_floor = min(rss for t, rss in after if t < WARM_UP_S + (SOAK_S - WARM_UP_S) / 3)
        last_floor = min(rss for t, rss in after if t >= SOAK_S - (SOAK_S - WARM_UP_S) / 3)
        growth = last_floor - first_floor
        assert growth < MAX_GROWTH_MB, (
            f"the RSS floor rose {growth:.1f} MB after warm-up ({first_floor:.0f} -> {last_floor:.0f} MB)"
        )
        tooth = max(rss for _, rss in after) - first_floor
        assert tooth < MAX_TOOTH_MB, f"the RSS peaked {tooth:.1f} MB above its floor after warm-up"
        assert samples[-1][2] > samples[0][2], "the wall stopped painting frames during the soak"
        assert gui.terminate(within_s=5.0) == 0, gui.tail()

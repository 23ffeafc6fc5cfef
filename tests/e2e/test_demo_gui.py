"""Acceptance: the README's run command (``bash installer/run-demo.sh``) and the installed
``wardroom --demo``, each under Xvfb, show the demo PLC and cameras connected and
the wall shows frames; the screenshot is saved (path printed); SIGTERM ends it cleanly within 5 s.

The pixels are checked where they can fail: inside each tile's *picture* (the fitted frame rectangle
the window reports), which must hold a real image and move between two grabs a second apart, and at
each lamp's centre, which must have the connected style's colour and differ from the bar around it
(``gui_harness.screen_problems``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from app.audit.chain import verify
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.storage.database import open_database
from app.storage.engine import demo_database_url
from models.audit import AuditEntry
from tests.e2e.gui_harness import (
    REPO,
    announce,
    demo_ready,
    entry_point_command,
    grab_screen,
    run_demo_command,
    running_demo,
    screen_problems,
    xvfb_display,
)

READY_TIMEOUT_S = 60.0
GRAB_GAP_S = 1.0  # between the two screenshots: the streams' burned-in clock moves


LAUNCHERS = {"run-demo.sh": run_demo_command, "wardroom --demo": entry_point_command}


@pytest.mark.xvfb
@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_demo_gui_shows_connected_links_and_frames(
    tmp_path: Path, _wardroom_home: Path, request: pytest.FixtureRequest, launcher: str
) -> None:
    site = load_site(demo_site_path()).site
    expected = {("plc", plc.id) for plc in site.plc} | {("camera", camera.id) for camera in site.camera}
    assert len([k for k in expected if k[0] == "camera"]) >= 2 and any(k[0] == "plc" for k in expected)

    with (
        xvfb_display(tmp_path / "xvfb.log") as display,
        running_demo(display, _wardroom_home, tmp_path, LAUNCHERS[launcher]()) as gui,
    ):
        report = gui.wait_for(
            "the demo links connected and frames on every tile", demo_ready(expected), READY_TIMEOUT_S
        )
        assert report["demo"] is True
        assert "DEMO" in report["window_title"] and site.site.name in report["window_title"]
        # The pollers run too: every demo point reaches the Sensors page's gauges as a good value.
        points = len(site.point)
        report = gui.wait_for(
            "every demo gauge showing a good value",
            lambda r: r.get("sensors", {}).get("qualities") == {"good": points},
            READY_TIMEOUT_S,
        )
        assert report["sensors"]["points"] == points and report["sensors"]["in_alarm"] == []

        # What the screen shows, pixel by pixel: connected lamps, moving pictures in the tiles.
        report = gui.read_report() or report
        shot_dir = REPO / "artifacts" / "e2e" / ("run-demo" if launcher == "run-demo.sh" else "")
        shot_path = shot_dir / "demo.png"
        taken = time.monotonic()
        image = grab_screen(display, shot_path)
        announce(request.config, f"artifact saved: {shot_path}")
        assert image.std() > 20 and len(np.unique(image.reshape(-1, 3), axis=0)) > 1000, "the screen is blank"
        time.sleep(max(0.0, taken + GRAB_GAP_S - time.monotonic()))  # spacing the grabs, not a wait
        later = grab_screen(display, shot_path.with_name("demo_later.png"))
        assert report["tiles"] and report["links"]
        problems = screen_problems(report, image, later)
        assert problems == [], "\n".join(problems)

        assert gui.terminate(within_s=5.0) == 0, gui.tail()

    # The automatic demo sign-in is audited in the demo's own database, and the chain verifies.
    db = open_database(demo_database_url())
    try:
        with db.session() as session:
            logins = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "user.login", AuditEntry.actor == "demo")
            ).all()
            assert logins and "demo auto-login" in logins[-1].details
            assert verify(session).ok
    finally:
        db.close()

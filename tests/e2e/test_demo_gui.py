"""Acceptance: the real ``wardroom --demo`` under Xvfb shows the demo PLC and cameras connected and
the wall shows frames; the screenshot is saved (path printed); SIGTERM ends it cleanly within 5 s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from app.audit import verify
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.storage.database import open_database
from app.storage.engine import demo_database_url
from models.audit import AuditEntry
from tests.e2e.gui_harness import REPO, announce, crop, demo_ready, grab_screen, running_demo, xvfb_display

READY_TIMEOUT_S = 60.0


@pytest.mark.xvfb
def test_demo_gui_shows_connected_links_and_frames(
    tmp_path: Path, _wardroom_home: Path, request: pytest.FixtureRequest
) -> None:
    site = load_site(demo_site_path()).site
    expected = {("plc", plc.id) for plc in site.plc} | {("camera", camera.id) for camera in site.camera}
    assert len([k for k in expected if k[0] == "camera"]) >= 2 and any(k[0] == "plc" for k in expected)

    with (
        xvfb_display(tmp_path / "xvfb.log") as display,
        running_demo(display, _wardroom_home, tmp_path) as gui,
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
        assert report["sensors"]["gauges"] == points and report["sensors"]["in_alarm"] == []

        shot_path = REPO / "artifacts" / "e2e" / "demo.png"
        image = grab_screen(display, shot_path)
        announce(request.config, f"artifact saved: {shot_path}")
        assert image.std() > 20 and len(np.unique(image.reshape(-1, 3), axis=0)) > 1000, "the screen is blank"

        # What the screen shows, pixel by pixel: grey (connected) lamps, moving pictures in the tiles.
        report = gui.read_report() or report
        for link in report["links"]:
            dot = crop(image, link["dot"]).reshape(-1, 3).astype(int)
            centre = dot[len(dot) // 2]
            assert max(centre) - min(centre) < 24, f"{link['kind']} {link['id']} lamp is not grey: {centre}"
        for tile in report["tiles"]:
            pixels = crop(image, tile["rect"])
            assert pixels.size and pixels.std() > 20, f"tile {tile['camera_id']} shows no picture"

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

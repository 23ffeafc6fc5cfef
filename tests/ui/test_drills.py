"""The Drill panel: who may drill, and a real drill from Settings seen on the Sensors page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.site.demo import demo_site_path
from app.site.loader import load_site
from tests.conftest import REPO_ROOT
from tests.e2e.gui_harness import announce
from tests.ui.sites import write_tiny_site
from ui.i18n import Translations
from ui.pages.drills import DrillPanel, may_drill
from ui.pages.settings import StationFacts
from ui.session import GuiSession

START_TIMEOUT_MS = 30_000
POINT = "b3.sprinkler.pressure"


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def test_who_may_drill() -> None:
    assert may_drill("supervisor", demo=False) and may_drill("administrator", demo=False)
    assert not may_drill("duty-officer", demo=False) and not may_drill("records-clerk", demo=False)
    assert may_drill("duty-officer", demo=True)  # the demo signs in a duty officer and is for trying


def test_a_duty_officer_sees_the_panel_disabled_with_the_reason(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    site = load_site(demo_site_path())
    panel = DrillPanel(site.site, user="olga", role="duty-officer", demo=False)
    qtbot.addWidget(panel)
    panel.attach(site)  # even with the simulators up
    assert not panel.allowed
    assert panel.title() == "Drills"
    assert "supervisor" in panel.note_text and "duty officer" in panel.note_text  # the role in words
    assert not panel.trip_button.isEnabled() and not panel.restore_button.isEnabled()
    assert POINT in panel.point_ids() and "b3.sounder" not in panel.point_ids()  # outputs are not drills


def test_demo_drills_are_open_to_the_demo_user(qtbot: QtBot, themed_app: QApplication) -> None:
    site = load_site(demo_site_path()).site
    panel = DrillPanel(site, user="demo", role="duty-officer", demo=True)
    qtbot.addWidget(panel)
    assert panel.allowed and panel.title() == "Demo drills" and "demo" in panel.note_text
    assert not panel.trip_button.isEnabled(), "nothing to drill until the simulators run"


def test_a_site_without_simulated_plcs_has_nothing_to_drill(
    qtbot: QtBot, tmp_path: Path, themed_app: QApplication
) -> None:
    path = write_tiny_site(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("port = 0\npoll_ms", "port = 5020\npoll_ms").replace(
        "simulated = true\n\n[[point]]", "[[point]]"
    )
    path.write_text(text, encoding="utf-8")
    site = load_site(path).site
    assert not site.plc[0].simulated
    panel = DrillPanel(site, user="sam", role="supervisor", demo=False)
    qtbot.addWidget(panel)
    assert panel.point_ids() == [] and "nothing to drill" in panel.note_text


def test_a_supervisor_trips_and_restores_a_sprinkler_from_settings(
    qtbot: QtBot, translations: Translations, request: pytest.FixtureRequest
) -> None:
    site = demo_site_path()
    facts = StationFacts(site_file=str(site), database="(none)", user="sam", role="supervisor")
    gui = GuiSession(load_site(site), None, translations, facts, demo=False)
    qtbot.addWidget(gui.window)
    gui.start()
    try:
        window = gui.window
        window.show_page("settings")
        panel = window.settings_page.drills
        assert panel is not None and panel.allowed and panel.title() == "Drills"
        # Once the station is up the panel reads each switch from the running simulator.
        qtbot.waitUntil(lambda: panel.drill_state(POINT) is False, timeout=START_TIMEOUT_MS)
        gauge = window.sensors_page.gauge(POINT)
        qtbot.waitUntil(lambda: gauge.state.quality == "good", timeout=START_TIMEOUT_MS)
        assert not gauge.state.alarm_active

        panel.select(POINT)
        assert panel.trip_button.isEnabled() and not panel.restore_button.isEnabled()
        qtbot.mouseClick(panel.trip_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.result_text.startswith("Tripped"), timeout=10_000)
        assert POINT in panel.result_text and panel.drill_state(POINT) is True
        # The simulated pressure falls past its low limit (3 s on the simulator), seen on the gauge.
        qtbot.waitUntil(lambda: gauge.state.alarm_active, timeout=15_000)
        assert gauge.state.value is not None and float(gauge.state.value) <= 0.10
        window.show_page("sensors")
        window.sensors_page.show_building("B3")
        qtbot.waitUntil(lambda: gauge.property("alarm") == "urgent", timeout=5000)  # low-low: urgent
        grid = window.sensors_page.grid("B3")
        viewport = grid.parentWidget()
        assert viewport is not None
        qtbot.waitUntil(lambda: grid.width() <= viewport.width(), timeout=5000)  # laid out for this page
        shot = REPO_ROOT / "artifacts" / "ui" / "sensors_drill.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(shot))
        announce(request.config, f"screenshot saved: {shot}")

        window.show_page("settings")
        panel.select(POINT)
        assert panel.restore_button.isEnabled() and not panel.trip_button.isEnabled()
        qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.result_text.startswith("Restored"), timeout=10_000)
        # Pressure comes back once the pump has started (about 10 s on the simulator).
        qtbot.waitUntil(lambda: not gauge.state.alarm_active, timeout=30_000)
        assert panel.drill_state(POINT) is False
    finally:
        gui.window.close()
        gui.shutdown()

"""The alarm banner never claims calm while a gauge shows a point beyond its limits.

A real station on the demo site (simulated PLCs), a real drill from the Settings page: the banner
counts the points beyond a limit with the rule the gauges use (app/alarms/limits.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.site.demo import demo_site_path
from app.site.loader import load_site
from ui.i18n import Translations
from ui.pages.settings import StationFacts
from ui.session import GuiSession

START_TIMEOUT_MS = 30_000
POINT = "b3.sprinkler.pressure"


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def test_the_banner_counts_points_beyond_their_limits_after_a_drill(
    qtbot: QtBot, translations: Translations
) -> None:
    site = demo_site_path()
    facts = StationFacts(site_file=str(site), database="(none)", user="sam", role="supervisor")
    loaded = load_site(site)
    gui = GuiSession(loaded, None, translations, facts, demo=False)
    qtbot.addWidget(gui.window)
    gui.start()
    try:
        window = gui.window
        banner = window.banner
        sensors = window.sensors_page
        window.show_page("settings")
        panel = window.settings_page.drills
        assert panel is not None and panel.allowed
        qtbot.waitUntil(lambda: panel.drill_state(POINT) is False, timeout=START_TIMEOUT_MS)
        qtbot.waitUntil(lambda: sensors.state(POINT).quality == "good", timeout=START_TIMEOUT_MS)
        assert sensors.beyond_limit_count() == 0
        assert banner.message == "No active alarms", "the calm demo is calm"

        panel.select(POINT)
        qtbot.mouseClick(panel.trip_button, Qt.MouseButton.LeftButton)
        # The pressure falls through its low and low-low limits; the Settings page stays in front,
        # so the banner follows the points' events, not a look at the Sensors page.
        qtbot.waitUntil(lambda: sensors.state(POINT).alarm_limit == "low-low", timeout=20_000)
        count = sensors.beyond_limit_count()
        assert count >= 1
        beyond = [p.id for p in loaded.site.point if sensors.state(p.id).alarm_limit is not None]
        assert POINT in beyond and len(beyond) == count, "the banner counts what the gauges mark"
        qtbot.waitUntil(lambda: banner.beyond_count == count, timeout=5000)
        assert banner.property("alarmState") == "beyond"
        noun = "point beyond its limits" if count == 1 else "points beyond their limits"
        assert banner.message == f"{count} {noun} — alarm handling not yet active"
        assert "No active alarms" not in banner.message
        assert window.snapshot()["banner"]["state"] == "beyond"

        translations.install("zh_CN")
        qtbot.waitUntil(lambda: "报警处理尚未启用" in banner.message, timeout=5000)
        assert str(count) in banner.message
        translations.install("en")
    finally:
        gui.window.close()
        gui.shutdown()

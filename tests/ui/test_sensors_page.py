"""The Sensors page on real stations: the demo site's gauges come alive, a PLC that goes away is drawn
as failed (pixels and state, screenshot saved), a click opens the trend and a window change queries
the historian, all through the real pollers, bridge and historian (SQLite in tmp_path).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.storage.database import Database, open_database
from tests.conftest import REPO_ROOT
from tests.e2e.gui_harness import announce
from tests.ui.sites import FAILING_PLC, FAILING_POINTS, LIVE_PLC, LIVE_POINTS, write_sensor_site
from ui.i18n import Translations
from ui.pages.settings import StationFacts
from ui.session import GuiSession
from widgets.gauge_base import GaugeBase
from widgets.gauges import BinaryLamp, DialGauge, TankGauge, ThermometerGauge

START_TIMEOUT_MS = 30_000  # two shared cores: simulators, first polls, camera streams


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def start_session(
    qtbot: QtBot, site: Path, translations: Translations, db: Database | None, *, role: str = "duty-officer"
) -> GuiSession:
    facts = StationFacts(site_file=str(site), database="test", user="tester", role=role)
    gui = GuiSession(load_site(site), db, translations, facts, demo=False)
    qtbot.addWidget(gui.window)
    gui.start()
    return gui


def _rgb(image: QImage, x: float, y: float) -> tuple[int, int, int]:
    colour = image.pixelColor(round(x), round(y))
    return colour.red(), colour.green(), colour.blue()


def test_demo_gauges_come_alive_and_the_trend_queries_history(
    qtbot: QtBot, tmp_path: Path, translations: Translations, request: pytest.FixtureRequest
) -> None:
    site = load_site(demo_site_path()).site
    db = open_database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    gui = start_session(qtbot, demo_site_path(), translations, db)
    try:
        window = gui.window
        page = window.sensors_page
        assert page.built_buildings() == []  # nothing is built until the page is shown
        window.show_page("sensors")
        assert page.buildings() == [b.id for b in site.building]  # every demo point has a building
        assert page.built_buildings() == [site.building[0].id]  # only the building on screen
        shapes = {"pressure": DialGauge, "level": TankGauge, "temperature": ThermometerGauge}
        for point in site.point:
            expected = BinaryLamp if point.type == "bool" else shapes.get(point.kind, DialGauge)
            assert type(page.gauge(point.id)) is expected, point.id

        assert {g.point_id for g in page.gauges()} == {p.id for p in site.point}  # gauge() built them
        qtbot.waitUntil(
            lambda: all(g.state.quality == "good" for g in page.gauges()), timeout=START_TIMEOUT_MS
        )
        assert page.plc_label("demo-fire-panel").state == "connected"
        assert not any(g.state.alarm_active for g in page.gauges()), "the calm demo is not in alarm"
        pressure = page.gauge("b3.sprinkler.pressure")
        assert pressure.state.unit == "MPa" and pressure.state.range == (0.0, 1.6)
        assert ("low", 0.1) in pressure.state.limits

        # A click opens the trend with the point's limits and scale, and loads its history.
        page.show_building("B3")
        qtbot.waitExposed(pressure)
        qtbot.mouseClick(pressure, Qt.MouseButton.LeftButton)
        trend = page.trend_panel
        qtbot.waitUntil(lambda: trend.isVisible() and trend.point_id == "b3.sprinkler.pressure", timeout=5000)
        assert sorted(trend.plot.limit_lines()) == [("low", 0.1), ("low-low", 0.05)]
        qtbot.waitUntil(lambda: trend.history_loads >= 1, timeout=10_000)
        assert trend.series is not None and trend.series.point_key == "b3.sprinkler.pressure"

        historian = gui.station.historian
        assert historian is not None

        def stored() -> int:
            now = datetime.now(UTC)
            return len(historian.query("b3.sprinkler.pressure", now - timedelta(hours=1), now))

        qtbot.waitUntil(lambda: stored() > 0, timeout=15_000)
        loads = trend.history_loads
        button = trend.plot.findChild(QPushButton, "trendWindow3600")
        assert button is not None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: trend.history_loads > loads, timeout=10_000)
        series = trend.series
        assert series is not None and series.point_key == "b3.sprinkler.pressure"
        assert (series.end - series.start) == timedelta(hours=1)
        assert len(series) > 0 and trend.plot.window_s == 3600
        qtbot.waitUntil(lambda: trend.plot.live_count > 0, timeout=5000)  # the 1 Hz refresh feeds it

        shot = REPO_ROOT / "artifacts" / "ui" / "sensors_demo.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(shot))
        announce(request.config, f"screenshot saved: {shot}")
        report = window.snapshot()["sensors"]
        assert report["points"] == len(site.point) and report["qualities"] == {"good": len(site.point)}
    finally:
        gui.window.close()
        gui.shutdown()
        db.close()


def test_a_comm_fail_plc_is_drawn_as_failed(
    qtbot: QtBot, tmp_path: Path, translations: Translations, request: pytest.FixtureRequest
) -> None:
    """Screenshot test: one PLC stops answering; its gauges are greyed, hatched and framed (dashed, dark:
    bad quality is not an alarm colour) as failed."""
    gui = start_session(qtbot, write_sensor_site(tmp_path / "site"), translations, None)
    try:
        window = gui.window
        window.resize(1280, 860)  # a control-room screen: all six gauges in view for the screenshot
        page = window.sensors_page
        window.show_page("sensors")
        qtbot.waitExposed(page)
        everything = (*FAILING_POINTS, *LIVE_POINTS)
        qtbot.waitUntil(
            lambda: all(page.gauge(p).state.quality == "good" for p in everything), timeout=START_TIMEOUT_MS
        )
        simulator = gui.station.simulator(FAILING_PLC)
        assert simulator is not None
        simulator.stop()  # the PLC goes away: connection refused from now on

        def failed() -> bool:
            return all(page.gauge(p).state.quality == "comm-fail" for p in FAILING_POINTS)

        qtbot.waitUntil(failed, timeout=5000)  # poll 300 ms + 2 x 500 ms timeout, plus slack
        label = page.plc_label(FAILING_PLC)
        qtbot.waitUntil(lambda: label.state == "disconnected", timeout=5000)
        assert label.reason and "comm-fail" in label.text() and label.property("linkState") == "disconnected"
        assert page.plc_label(LIVE_PLC).state == "connected"
        assert all(page.gauge(p).state.quality == "good" for p in LIVE_POINTS)
        grid = page.grid("B1")
        qtbot.waitUntil(
            lambda: page.gauge(FAILING_POINTS[0]).property("quality") == "comm-fail", timeout=3000
        )
        grid.tick()  # paint the newest states now rather than at the next timer tick
        for point_id in FAILING_POINTS:
            gauge = page.gauge(point_id)
            assert gauge.property("quality") == "comm-fail", point_id
            assert gauge.state.value is not None, "the last value is kept, with its age"
            assert "comm-fail" in gauge.status_text() and "ago" in gauge.status_text()
        qtbot.waitUntil(lambda: page.building_text("B1") == "Pump house\n4 abnormal", timeout=3000)
        assert page.building_list.is_highlighted("B1")

        image = page.grab().toImage()
        shot = REPO_ROOT / "artifacts" / "ui" / "sensors_comm_fail.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        assert image.save(str(shot))
        announce(request.config, f"artifact saved: {shot}")

        ratio = image.width() / page.width()

        def look(gauge: GaugeBase) -> tuple[bool, int]:
            """(hatch pixels in the body's empty corner, bad-quality pixels along the card's left edge)."""
            body = gauge.body_rect()
            origin = gauge.mapTo(page, body.topLeft().toPoint())
            hatch = gauge.colour("hatchColor")
            want = (hatch.red(), hatch.green(), hatch.blue())
            hatched = any(
                _rgb(image, (origin.x() + 1 + dx) * ratio, (origin.y() + 1 + dy) * ratio) == want
                for dx in range(12)
                for dy in range(12)
            )
            bad = gauge.colour("badQualityColor")
            frame = (bad.red(), bad.green(), bad.blue())
            left = gauge.mapTo(page, gauge.rect().topLeft())
            x = (left.x() + 1) * ratio  # the 2 px frame covers x 0..2
            edge = [_rgb(image, x, (left.y() + y) * ratio) for y in range(4, gauge.height() - 4)]
            dark = sum(1 for pixel in edge if max(abs(a - b) for a, b in zip(pixel, frame, strict=True)) < 40)
            return hatched, dark

        bad = page.gauge(FAILING_POINTS[0]).colour("badQualityColor")
        assert max(bad.red(), bad.green(), bad.blue()) - min(bad.red(), bad.green(), bad.blue()) < 16, (
            "bad quality is drawn in a dark neutral, never in an alarm colour"
        )
        for point_id in FAILING_POINTS:
            hatched, dark = look(page.gauge(point_id))
            assert hatched, f"{point_id}: a failed value is hatched"
            assert dark > 20, f"{point_id}: the card is framed (dashed) in the bad-quality colour"
        for point_id in LIVE_POINTS:
            hatched, dark = look(page.gauge(point_id))
            assert not hatched, f"{point_id}: a live value is not hatched"
            assert dark == 0, f"{point_id}: a live gauge keeps its plain frame"
    finally:
        gui.window.close()
        gui.shutdown()


def test_trend_without_a_database_shows_live_values_only(
    qtbot: QtBot, tmp_path: Path, translations: Translations
) -> None:
    gui = start_session(qtbot, write_sensor_site(tmp_path / "site"), translations, None)
    try:
        page = gui.window.sensors_page
        gui.window.show_page("sensors")
        gauge = page.gauge("a.smoke")
        qtbot.waitUntil(lambda: gauge.state.quality == "good", timeout=START_TIMEOUT_MS)
        qtbot.waitExposed(gauge)
        gauge.setFocus()
        qtbot.keyClick(gauge, Qt.Key.Key_Return)  # the keyboard opens it too
        trend = page.trend_panel
        qtbot.waitUntil(lambda: trend.point_id == "a.smoke", timeout=5000)
        assert trend.plot.limit_lines() == []  # an on/off alarm has no line on a scale
        qtbot.waitUntil(lambda: trend.plot.live_count > 0, timeout=5000)
        assert trend.history_loads == 0 and trend.series is None
        close = trend.findChild(QPushButton, "trendClose")
        assert close is not None
        qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
        assert not trend.isVisible()
    finally:
        gui.window.close()
        gui.shutdown()

"""The main window on a real tiny site: lamps, wall, language, report, screenshots, clean shutdown.

A real ``Station`` (no database) runs the site's simulated PLC and camera on loopback, the real link
monitor checks them, and the window shows what the bridge delivers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.events import LinkStateChanged, ServiceStateChanged
from app.site.loader import load_site
from tests.e2e.gui_harness import announce
from tests.ui.sites import CAMERA_ID, CAMERA_NAME, PLC_ID, SITE_NAME, write_tiny_site
from ui.i18n import Translations
from ui.pages.settings import StationFacts
from ui.session import GuiSession
from ui.settings_store import load_settings
from widgets.placeholder_page import PlaceholderPage

START_TIMEOUT_MS = 30_000  # two shared cores: the simulators and first checks may take a while


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def _make_session(site: Path, translations: Translations, report: Path | None = None) -> GuiSession:
    facts = StationFacts(site_file=str(site), database="(none)", user="tester", role="duty-officer")
    return GuiSession(load_site(site), None, translations, facts, demo=True, report_path=report)


@pytest.fixture
def session(qtbot: QtBot, tmp_path: Path, translations: Translations) -> Iterator[GuiSession]:
    """A started session on the tiny site (window shown, station starting in the background)."""
    gui = _make_session(write_tiny_site(tmp_path / "site"), translations, tmp_path / "report.json")
    qtbot.addWidget(gui.window)
    gui.start()
    yield gui
    gui.shutdown()


def test_window_title_nav_and_demo_mark(session: GuiSession) -> None:
    window = session.window
    assert SITE_NAME in window.windowTitle() and "DEMO" in window.windowTitle()
    assert window.demo_mark.isVisible()
    assert window.nav_texts() == [
        "Camera wall",
        "Sensors",
        "Alarms",
        "Map",
        "Records",
        "Incidents & reports",
        "Settings",
    ]
    assert window.banner.message == "No active alarms"
    # One lamp per PLC; one for all the cameras (a ward has hundreds).
    assert {(lamp.kind, lamp.link_id) for lamp in window.lamps()} == {("plc", PLC_ID), ("camera", "*")}


def test_unbuilt_pages_say_what_they_will_hold(session: GuiSession) -> None:
    for key in ("alarms", "map", "records", "incidents"):
        session.window.show_page(key)
        page = session.window.findChild(PlaceholderPage, "placeholderPage")
        assert page is not None
        bodies = [p.body for p in session.window.findChildren(PlaceholderPage)]
        assert all(body.startswith("This page will") for body in bodies), bodies
    assert session.window.current_page() == "incidents"


def test_lamps_and_wall_come_alive_on_the_real_station(qtbot: QtBot, session: GuiSession) -> None:
    window = session.window
    qtbot.waitUntil(lambda: window.lamp("plc", PLC_ID).state == "connected", timeout=START_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.lamp("camera", CAMERA_ID).state == "live", timeout=START_TIMEOUT_MS)
    tile = window.camera_wall.grid.tile(CAMERA_ID)
    assert tile.name == CAMERA_NAME
    qtbot.waitUntil(lambda: tile.frames_shown >= 3, timeout=START_TIMEOUT_MS)
    assert tile.has_signal


def test_lamps_follow_events_published_from_another_thread(
    qtbot: QtBot, tmp_path: Path, translations: Translations
) -> None:
    """Events cross into the GUI thread through the bridge's queued signals."""
    gui = _make_session(write_tiny_site(tmp_path / "site"), translations)
    qtbot.addWidget(gui.window)
    gui.window.show()  # the station is not started: only the events below reach the lamps
    try:
        event = LinkStateChanged(kind="plc", id=PLC_ID, status="disconnected", reason="connection refused")
        publisher = threading.Thread(target=gui.bus.publish, args=(event,), name="test-publisher")
        publisher.start()
        publisher.join(5)
        lamp = gui.window.lamp("plc", PLC_ID)
        qtbot.waitUntil(lambda: lamp.state == "disconnected", timeout=5000)
        assert lamp.reason == "connection refused"
        assert lamp.property("linkState") == "disconnected"
        assert "connection refused" in lamp.toolTip()
        back = LinkStateChanged(kind="plc", id=PLC_ID, status="connected")
        publisher = threading.Thread(target=gui.bus.publish, args=(back,), name="test-publisher")
        publisher.start()
        publisher.join(5)
        qtbot.waitUntil(lambda: lamp.state == "connected", timeout=5000)
        assert lamp.reason == ""
    finally:
        gui.window.close()
        gui.shutdown()


def test_language_switch_rewords_the_window_live(qtbot: QtBot, session: GuiSession) -> None:
    window = session.window
    window.show_page("settings")
    window.settings_page.choose_language("zh_CN")  # Qt posts LanguageChange: wait for it
    qtbot.waitUntil(lambda: window.nav_texts()[0] == "视频墙", timeout=5000)
    assert window.nav_texts() == ["视频墙", "传感器", "报警", "地图", "档案", "事件与报告", "设置"]
    assert window.banner.message == "无活动报警"
    assert "演示" in window.windowTitle()
    assert load_settings().language == "zh_CN"
    window.settings_page.choose_language("en")
    qtbot.waitUntil(lambda: window.nav_texts()[0] == "Camera wall", timeout=5000)
    assert load_settings().language == "en"


def test_report_and_screenshots(
    qtbot: QtBot, session: GuiSession, tmp_path: Path, artifacts_dir: Path, request: pytest.FixtureRequest
) -> None:
    """The hidden GUI report shows what the widgets show; screenshots in English and Chinese."""
    window = session.window
    tile = window.camera_wall.grid.tile(CAMERA_ID)
    qtbot.waitUntil(lambda: tile.frames_shown > 0, timeout=START_TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: all(lamp.state in ("connected", "live") for lamp in window.lamps()), timeout=START_TIMEOUT_MS
    )
    report_path = tmp_path / "report.json"

    def report_shows_frames() -> bool:
        if not report_path.exists():
            return False
        data = json.loads(report_path.read_text(encoding="utf-8"))
        return bool(data["tiles"]) and data["tiles"][0]["frames_shown"] > 0

    qtbot.waitUntil(report_shows_frames, timeout=5000)
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["demo"] is True
    assert SITE_NAME in report["window_title"]
    assert {(link["kind"], link["id"], link["state"]) for link in report["links"]} == {
        ("plc", PLC_ID, "connected"),
        ("camera", CAMERA_ID, "live"),
    }
    english = artifacts_dir / "main_window_en.png"
    assert window.grab().save(str(english))
    window.settings_page.choose_language("zh_CN")
    qtbot.waitUntil(lambda: window.nav_texts()[0] == "视频墙", timeout=5000)
    window.show_page("wall")
    chinese = artifacts_dir / "main_window_zh_CN.png"
    assert window.grab().save(str(chinese))
    window.show_page("sensors")
    assert window.grab().save(str(artifacts_dir / "sensors_zh_CN.png"))
    window.show_page("settings")
    assert window.grab().save(str(artifacts_dir / "settings_zh_CN.png"))
    for shot in sorted(artifacts_dir.glob("*.png")):
        announce(request.config, f"screenshot saved: {shot}")


def test_shutdown_stops_every_thread(qtbot: QtBot, tmp_path: Path, translations: Translations) -> None:
    before = set(threading.enumerate())
    gui = _make_session(write_tiny_site(tmp_path / "site"), translations)
    qtbot.addWidget(gui.window)
    gui.start()
    tile = gui.window.camera_wall.grid.tile(CAMERA_ID)
    qtbot.waitUntil(lambda: tile.frames_shown > 0, timeout=START_TIMEOUT_MS)
    gui.window.close()
    gui.shutdown()
    assert not gui.window.camera_wall.running
    leftover = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == [], leftover


def test_abnormal_states_take_colour(
    qtbot: QtBot,
    tmp_path: Path,
    translations: Translations,
    artifacts_dir: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A lost link, a lost picture and an alarm are the only coloured things on the screen."""
    gui = _make_session(write_tiny_site(tmp_path / "site"), translations)
    qtbot.addWidget(gui.window)
    gui.window.show()
    qtbot.waitExposed(gui.window)
    try:
        reason = "camera gate at http://127.0.0.1:8554/gate could not be opened (connection refused)"
        gui.bus.publish(LinkStateChanged(kind="camera", id=CAMERA_ID, status="disconnected", reason=reason))
        gui.bus.publish(LinkStateChanged(kind="plc", id=PLC_ID, status="connected"))
        gui.window.camera_wall.grid.tile(CAMERA_ID).set_no_signal(reason)
        gui.window.banner.show_alarm("B3 sprinkler pressure low: 0.08 MPa", "urgent", 2)
        lamp = gui.window.lamp("camera", CAMERA_ID)
        qtbot.waitUntil(lambda: lamp.state == "disconnected", timeout=5000)
        image = gui.window.grab().toImage()
        path = artifacts_dir / "abnormal_states.png"
        assert image.save(str(path))
        announce(request.config, f"screenshot saved: {path}")
        ratio = image.width() / gui.window.width()

        def colour_at(widget: QWidget) -> tuple[int, int, int]:
            centre = widget.mapTo(gui.window, widget.rect().center())
            colour = image.pixelColor(int(centre.x() * ratio), int(centre.y() * ratio))
            return colour.red(), colour.green(), colour.blue()

        red, green, blue = colour_at(lamp.dot)
        assert red > 150 and green < 80 and blue < 80, "a lost link is red"
        red, green, blue = colour_at(gui.window.lamp("plc", PLC_ID).dot)
        assert max(red, green, blue) - min(red, green, blue) < 16, "a healthy link stays grey"
        assert gui.window.banner.property("alarmState") == "urgent"
    finally:
        gui.window.close()
        gui.shutdown()


def test_a_failed_service_is_named_until_it_runs_again(
    qtbot: QtBot, tmp_path: Path, translations: Translations
) -> None:
    gui = _make_session(write_tiny_site(tmp_path / "site"), translations)
    qtbot.addWidget(gui.window)
    note = gui.window.findChild(QLabel, "serviceNote")
    assert note is not None and note.text() == ""
    try:
        failed = ServiceStateChanged(service="camera simulator", status="failed", detail="port 8554 in use")
        worker = threading.Thread(target=gui.bus.publish, args=(failed,), name="test-publisher")
        worker.start()
        worker.join(5)
        qtbot.waitUntil(lambda: "port 8554 in use" in note.text(), timeout=5000)
        gui.bus.publish(ServiceStateChanged(service="camera simulator", status="running"))
        qtbot.waitUntil(lambda: note.text() == "", timeout=5000)
    finally:
        gui.window.close()
        gui.shutdown()

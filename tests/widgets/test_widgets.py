"""The plain-data widgets: lamp states, tile painting and no-signal, grid layout, banner, placeholder."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from widgets.alarm_banner import AlarmBanner
from widgets.camera_grid import CameraGrid, grid_shape
from widgets.placeholder_page import PlaceholderPage
from widgets.status_lamp import StatusLamp
from widgets.video_tile import VideoTile, fit_rect


def test_lamp_state_is_a_property_with_reason_in_tooltip(qtbot: QtBot, themed_app: QApplication) -> None:
    lamp = StatusLamp("plc", "fire-panel-a", "fire-panel-a")
    qtbot.addWidget(lamp)
    assert lamp.property("linkState") == "unknown"
    lamp.set_state("disconnected", "connection refused", "127.0.0.1:5020")
    assert lamp.property("linkState") == "disconnected"
    assert lamp.reason == "connection refused"
    assert "connection refused" in lamp.toolTip()
    assert "127.0.0.1:5020" in lamp.toolTip()
    lamp.set_state("connected")
    assert (lamp.state, lamp.reason, lamp.property("linkState")) == ("connected", "", "connected")
    lamp.set_state("bogus")
    assert lamp.state == "unknown"


def test_lamp_colour_comes_only_from_the_palette(qtbot: QtBot, themed_app: QApplication) -> None:
    """Normal is grey; a lost link is coloured (the stylesheet's property selectors, not code)."""
    lamp = StatusLamp("camera", "gate", "Gate")
    qtbot.addWidget(lamp)
    lamp.resize(120, 24)
    lamp.show()
    qtbot.waitExposed(lamp)

    def dot_colour() -> tuple[int, int, int]:
        image = lamp.grab().toImage()
        dot = lamp.findChild(QLabel, "lampDot")
        assert dot is not None
        centre = dot.geometry().center()
        colour = image.pixelColor(
            centre.x() * image.width() // lamp.width(), centre.y() * image.height() // lamp.height()
        )
        return colour.red(), colour.green(), colour.blue()

    lamp.set_state("connected")
    r, g, b = dot_colour()
    assert max(r, g, b) - min(r, g, b) < 16, "a connected link must be drawn in grey"
    lamp.set_state("disconnected", "timed out")
    r, g, b = dot_colour()
    assert r > 150 and g < 80 and b < 80, "a lost link must be drawn in red"


def _frame(width: int = 64, height: int = 36, bgr: tuple[int, int, int] = (0, 0, 255)) -> np.ndarray:
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:, :] = bgr
    return frame


def test_tile_paints_only_on_refresh_and_counts_frames(qtbot: QtBot, themed_app: QApplication) -> None:
    tile = VideoTile("cam1", "North gate")
    qtbot.addWidget(tile)
    tile.resize(320, 200)
    tile.show()
    qtbot.waitExposed(tile)
    frame = _frame()
    frame.flags.writeable = False  # capture threads hand over read-only arrays
    tile.set_frame(frame)
    assert tile.frames_received == 1
    tile.refresh()
    qtbot.waitUntil(lambda: tile.frames_shown == 1, timeout=2000)
    tile.refresh()  # no new frame: nothing more is counted
    image = tile.grab().toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 2 + 8)
    assert (centre.red(), centre.green(), centre.blue()) == (255, 0, 0), "BGR frames are shown in true colour"
    tile.set_frame(_frame(bgr=(255, 0, 0)))
    tile.refresh()
    qtbot.waitUntil(lambda: tile.frames_shown == 2, timeout=2000)
    assert tile.has_signal


def test_tile_no_signal_shows_reason_and_drops_the_picture(qtbot: QtBot, themed_app: QApplication) -> None:
    tile = VideoTile("cam1", "North gate")
    qtbot.addWidget(tile)
    tile.set_frame(_frame())
    tile.set_no_signal("camera cam1 stopped sending frames")
    assert not tile.has_signal
    assert tile.property("signal") == "lost"
    notice = tile.findChild(QLabel, "tileNotice")
    assert notice is not None and "stopped sending frames" in notice.text()
    tile.set_frame(_frame())
    assert tile.has_signal and tile.property("signal") == "ok"


def test_tile_refuses_what_is_not_a_picture(qtbot: QtBot) -> None:
    tile = VideoTile("cam1", "North gate")
    qtbot.addWidget(tile)
    with pytest.raises(ValueError, match="uint8"):
        tile.set_frame(np.zeros((10, 10, 3), np.float32))


def test_fit_rect_keeps_aspect_and_centres() -> None:
    assert fit_rect(QSize(640, 360), QRect(0, 0, 320, 320)) == QRect(0, 70, 320, 180)
    assert fit_rect(QSize(100, 100), QRect(10, 0, 300, 100)) == QRect(110, 0, 100, 100)


@pytest.mark.parametrize(
    ("count", "shape"),
    [(0, (0, 0)), (1, (1, 1)), (2, (1, 2)), (3, (2, 2)), (5, (2, 3)), (9, (3, 3)), (10, (3, 4))],
)
def test_grid_shape(count: int, shape: tuple[int, int]) -> None:
    assert grid_shape(count) == shape


def test_grid_lays_out_every_wall_layout_and_reuses_its_tiles(qtbot: QtBot, themed_app: QApplication) -> None:
    grid = CameraGrid(kind="2x2")
    qtbot.addWidget(grid)
    assert len(grid.tiles()) == 4 and grid.shape() == (2, 2)
    first = grid.tile_at(0)
    first.assign("a", "A")
    assert grid.tile("a") is first
    for kind, count, shape in (("1", 1, (1, 1)), ("3x3", 9, (3, 3)), ("4x4", 16, (4, 4))):
        grid.set_grid(kind)
        assert (len(grid.tiles()), grid.shape()) == (count, shape)
    assert grid.tile_at(0) is first, "tiles are slots: reused, not rebuilt"
    with pytest.raises(KeyError):
        grid.tile("nobody")


def test_banner_is_quiet_until_an_alarm(qtbot: QtBot, themed_app: QApplication) -> None:
    banner = AlarmBanner()
    qtbot.addWidget(banner)
    assert banner.alarm_state == "none"
    assert banner.message == "No active alarms"
    banner.show_alarm("B3 sprinkler pressure low", "urgent", 3)
    assert banner.property("alarmState") == "urgent"
    assert banner.message == "B3 sprinkler pressure low"
    with pytest.raises(ValueError, match="priority"):
        banner.show_alarm("x", "loud", 1)
    banner.clear()
    assert (banner.alarm_state, banner.message) == ("none", "No active alarms")


def test_banner_does_not_claim_calm_while_points_are_beyond_their_limits(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    banner = AlarmBanner()
    qtbot.addWidget(banner)
    banner.show_beyond_limits(2)
    assert banner.property("alarmState") == "beyond"
    assert banner.message == "2 points beyond their limits — alarm handling not yet active"
    banner.show_beyond_limits(1)
    assert banner.message == "1 point beyond its limits — alarm handling not yet active"
    banner.show_alarm("B3 sprinkler pressure low", "urgent", 1)
    assert banner.message == "B3 sprinkler pressure low", "an alarm from the engine comes first"
    banner.clear()
    assert banner.property("alarmState") == "beyond" and banner.beyond_count == 1
    banner.show_beyond_limits(0)
    assert (banner.property("alarmState"), banner.message) == ("none", "No active alarms")


def test_placeholder_page_shows_its_texts(qtbot: QtBot) -> None:
    page = PlaceholderPage()
    qtbot.addWidget(page)
    page.set_texts("Map", "Floor plans come later.")
    assert (page.title, page.body) == ("Map", "Floor plans come later.")


def test_banner_does_not_call_acknowledged_alarms_calm(qtbot: QtBot) -> None:
    from widgets.alarm_banner import AlarmBanner

    banner = AlarmBanner()
    qtbot.addWidget(banner)
    banner.show_calm(2)
    assert banner.message == "All active alarms are acknowledged"
    banner.show_calm()
    assert banner.message == "No active alarms"

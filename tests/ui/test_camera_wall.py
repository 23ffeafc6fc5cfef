"""The plain wall on its own: a camera that cannot be reached shows "no signal" with the reason; the
wall pulls frames only while shown; tiles take the pictures' aspect ratio."""

from __future__ import annotations

import socket

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from ui.pages.camera_wall import MAX_REFRESH_HZ, CameraWallPage, fitted_grid_size


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_camera_shows_no_signal_with_reason(qtbot: QtBot, themed_app: QApplication) -> None:
    page = CameraWallPage([("dead", "Pump room"), ("nowhere", "Shed")], refresh_hz=50)
    qtbot.addWidget(page)
    page.show()
    page.start({"dead": f"http://127.0.0.1:{_closed_port()}/stream"})
    try:
        dead = page.grid.tile("dead")
        qtbot.waitUntil(lambda: dead.property("signal") == "lost", timeout=15_000)
        assert "could not be opened" in dead.reason
        nowhere = page.grid.tile("nowhere")
        assert nowhere.property("signal") == "lost" and nowhere.reason == "No stream address for this camera."
    finally:
        page.stop()
    assert not page.running


def test_refresh_rate_is_capped(qtbot: QtBot) -> None:
    """Widgets redraw at a bounded rate whatever the caller asks for."""
    page = CameraWallPage([], refresh_hz=1000)
    qtbot.addWidget(page)
    assert page.refresh_interval_ms >= 1000 / MAX_REFRESH_HZ


def test_a_hidden_wall_pulls_no_frames_but_keeps_its_streams(qtbot: QtBot, themed_app: QApplication) -> None:
    page = CameraWallPage([("dead", "Pump room")])
    qtbot.addWidget(page)
    page.start({"dead": f"http://127.0.0.1:{_closed_port()}/stream"})
    try:
        assert page.running and not page.timer_active, "not shown yet: nothing to pull frames for"
        page.show()
        qtbot.waitExposed(page)
        assert page.timer_active
        page.hide()
        assert not page.timer_active and page.running  # the grabber keeps its stream
        page.show()
        assert page.timer_active
    finally:
        page.stop()
    assert not page.running and not page.timer_active


def test_two_cameras_sit_side_by_side_at_the_pictures_aspect(qtbot: QtBot, themed_app: QApplication) -> None:
    """No tall letterboxed tiles: each tile's picture area has the frames' 16:9 shape."""
    page = CameraWallPage([("gate", "North gate"), ("lobby", "Lobby")])
    qtbot.addWidget(page)
    page.resize(1230, 800)
    page.show()
    qtbot.waitExposed(page)
    views = [tile.findChild(QWidget, "tileView") for tile in page.grid.tiles()]
    assert all(view is not None for view in views)

    def laid_out() -> bool:
        return all(v is not None and v.width() > 200 for v in views)

    qtbot.waitUntil(laid_out, timeout=5000)
    first, second = (view.mapTo(page, view.rect().topLeft()) for view in views if view is not None)
    assert first.y() == second.y() and first.x() < second.x(), "side by side"
    for view in views:
        assert view is not None
        aspect = view.width() / view.height()
        assert abs(aspect - 16 / 9) < 0.03, f"picture area {view.width()}x{view.height()}"
    assert page.aspect == 16 / 9


def test_fitted_grid_size_keeps_the_aspect() -> None:
    size = fitted_grid_size(QSize(1230, 800), 1, 2, 16 / 9, QSize(2, 20), spacing=6, margin=6)
    picture_w = (size.width() - 2 * 6 - 6) / 2 - 2
    picture_h = size.height() - 2 * 6 - 20
    assert size.width() == 1230 and abs(picture_w / picture_h - 16 / 9) < 0.01
    tall = fitted_grid_size(QSize(400, 1000), 1, 1, 16 / 9, QSize(0, 0), spacing=0, margin=0)
    assert tall == QSize(400, 225)

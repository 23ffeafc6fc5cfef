"""The plain wall on its own: a camera that cannot be reached shows "no signal" with the reason."""

from __future__ import annotations

import socket

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ui.pages.camera_wall import MAX_REFRESH_HZ, CameraWallPage


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

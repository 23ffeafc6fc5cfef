"""The wall draws what the station's vision service finds, end to end.

A station runs the demo lobby scene as a simulated camera (served over loopback MJPEG), its capture
hub and its vision service (the shipped COCO model, motion gate, tracker). The wall page opens the
camera through the station's hub, as the main window does, and reads ``station.vision.latest`` on
its paint timer. Once the service's newest findings belong with the frame on the tile, the boxes are
on the tile's pixels where the findings put them, with their track ids; the zones from the site file
are outlined.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.events import EventBus
from app.site.loader import load_site
from app.station import Station
from tests.vision.vision_support import SHARED_CACHE  # noqa: F401  (the shared 16:9 export cache)
from ui.pages.camera_wall import CameraWallPage, WallCamera
from ui.pages.wall_overlays import zone_shapes
from widgets.video_overlay import is_current, map_box

SITE = """\
[site]
name = "Overlay yard"
timezone = "Asia/Shanghai"

[[camera]]
id = "lobby"
name = "Lobby"
url = "http://127.0.0.1:0/cam/lobby.mjpg"
simulated = true
media = "scene:lobby"
detect = ["person", "motorcycle", "bicycle"]
detect_fps = 4
zones = [
  { name = "hall", polygon = [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]], rule = "no-ebike" },
  { name = "door", line = [[0.2, 0.45], [0.8, 0.45]], rule = "line-crossing", direction = "in" },
]
"""
WAIT_MS = 120_000


def _pixels(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(rgb.constBits(), np.uint8, rgb.bytesPerLine() * rgb.height())
    return (
        data.reshape(rgb.height(), rgb.bytesPerLine())[:, : rgb.width() * 3]
        .reshape(rgb.height(), rgb.width(), 3)
        .copy()
    )


def test_the_wall_draws_the_station_vision_services_findings(
    qtbot: QtBot,
    tmp_path: Path,
    themed_app: QApplication,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    monkeypatch.setenv("WARDROOM_VISION", "on")
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    loaded = load_site(path)
    station = Station(loaded, None, EventBus())
    station.start()
    page: CameraWallPage | None = None
    try:
        vision = station.vision
        capture = station.capture
        assert vision is not None and capture is not None
        camera = loaded.site.camera[0]
        shapes = zone_shapes(camera.zones)
        assert [s.closed for s in shapes] == [True, False] and shapes[1].direction == "in"
        page = CameraWallPage(
            [WallCamera(camera.id, camera.display_name, zones=shapes)],
            grid="1",
            findings=vision.latest,
            face_display=loaded.site.vision.face_display,
        )
        qtbot.addWidget(page)
        page.resize(1000, 640)
        page.show()
        qtbot.waitExposed(page)
        page.start(capture)
        tile = page.grid.tile("lobby")

        def people_drawn() -> bool:
            overlay = tile.overlay
            return (
                overlay is not None
                and is_current(overlay, tile.frame_at)
                and any(b.group == "person" and "#" in b.label for b in overlay.boxes)
            )

        qtbot.waitUntil(people_drawn, timeout=WAIT_MS)
        # Checked at once, with no event in between: the overlay on the tile now is the one drawn.
        tile.view.repaint()
        image = tile.view.grab().toImage()
        overlay = tile.overlay
        assert overlay is not None and (overlay.width, overlay.height) == (640, 360)
        assert image.save(str(artifacts_dir / "lobby_overlay.png"))
        pixels = _pixels(image).astype(np.int32)
        picture = QRectF(tile.picture_rect())
        person = tile.view.colour("personColor")  # type: ignore[attr-defined]
        colour = np.array([person.red(), person.green(), person.blue()], np.int32)
        for box in (b for b in overlay.boxes if b.group == "person"):
            rect = map_box(box.box, overlay.width, overlay.height, picture)
            edges = [(rect.left(), rect.center().y()), (rect.right(), rect.center().y())]
            edges += [(rect.center().x(), rect.bottom())]
            drawn = 0
            for x, y in ((round(x), round(y)) for x, y in edges):
                patch = pixels[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3]
                drawn += bool((np.abs(patch - colour).max(axis=2) <= 40).any())
            assert drawn >= 2, f"no box drawn for {box} at {rect}"
        zone = tile.view.colour("zoneColor")  # type: ignore[attr-defined]
        zone_rgb = np.array([zone.red(), zone.green(), zone.blue()], np.int32)
        x = round(picture.left() + 0.9 * picture.width())
        y = round(picture.top() + 0.75 * picture.height())
        assert (np.abs(pixels[y - 6 : y + 7, x - 2 : x + 3] - zone_rgb).max(axis=2) <= 40).any()
    finally:
        if page is not None:
            page.stop()
        station.stop()

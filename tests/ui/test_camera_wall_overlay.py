"""Detection overlays on the wall, on real MJPEG streams through a real capture hub.

The wall asks a findings source (the station's ``vision.latest``) for each shown camera's newest
findings on its paint timer and the tiles draw them over the picture: the box lands on the right tile
at the right place (findings in the main stream's pixels, the tile showing a smaller stream), the bar's
overlay menu hides and shows groups, stale findings are not drawn, the frames themselves stay
untouched, and a failing source costs the wall nothing but the overlays.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.site.schema import Zone
from app.video.hub import CaptureHub
from app.vision.findings import Finding, FrameFindings
from tests.ui.wall_streams import Streams, hub_for, site_cameras, wall_cameras
from ui.pages.camera_wall import CameraWallPage
from ui.pages.wall_overlays import overlay_for, zone_shapes
from widgets.video_overlay import GROUPS, OverlayShape
from widgets.video_tile import VideoTile

WAIT_MS = 15_000
MAIN = (1280, 720)  # the findings' frame: the camera's main stream, twice the 640x360 the tiles show


class Board:
    """The newest findings per camera, as the vision service keeps them (thread-safe, no I/O)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[str, tuple[Finding, ...]] = {}
        self.age_s = 0.0
        self.calls = 0

    def put(self, camera_id: str, *findings: Finding) -> None:
        with self._lock:
            self._found[camera_id] = findings

    def latest(self, camera_id: str) -> FrameFindings | None:
        with self._lock:
            self.calls += 1
            found = self._found.get(camera_id)
        if found is None:
            return None
        return FrameFindings(camera_id, time.time() - self.age_s, MAIN[0], MAIN[1], found)


@dataclass
class Wall:
    page: CameraWallPage
    hub: CaptureHub
    streams: Streams
    board: Board


@pytest.fixture
def wall(qtbot: QtBot, tmp_path: Path, themed_app: QApplication) -> Iterator[Wall]:
    streams = Streams(tmp_path / "media", 4)
    cameras = site_cameras(streams, 4)
    hub = hub_for(cameras, stall_s=1)
    board = Board()
    page = CameraWallPage(wall_cameras(cameras), grid="2x2", findings=board.latest)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    qtbot.waitExposed(page)
    page.start(hub)
    made = Wall(page, hub, streams, board)
    qtbot.waitUntil(lambda: all(t.frames_shown > 1 for t in page.grid.tiles()), timeout=WAIT_MS)
    yield made
    page.stop()
    hub.stop()
    streams.close()


def _pixels(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(rgb.constBits(), np.uint8, rgb.bytesPerLine() * rgb.height())
    return (
        data.reshape(rgb.height(), rgb.bytesPerLine())[:, : rgb.width() * 3]
        .reshape(rgb.height(), rgb.width(), 3)
        .copy()
    )


def _rgb(colour: QColor) -> np.ndarray:
    return np.array([colour.red(), colour.green(), colour.blue()], np.int32)


def _colour_at(tile: VideoTile, colour_name: str, points: list[tuple[float, float]]) -> list[bool]:
    """For each point (fractions of the picture), whether the colour is within 2 px of it."""
    tile.view.repaint()
    pixels = _pixels(tile.view.grab().toImage()).astype(np.int32)
    colour = _rgb(tile.view.colour(colour_name))  # type: ignore[attr-defined]
    picture = tile.picture_rect()
    seen = []
    for fx, fy in points:
        x = round(picture.left() + fx * picture.width())
        y = round(picture.top() + fy * picture.height())
        patch = pixels[y - 2 : y + 3, x - 2 : x + 3]
        seen.append(bool((np.abs(patch - colour).max(axis=2) <= 40).any()))
    return seen


def _anywhere(tile: VideoTile, colour_name: str) -> int:
    tile.view.repaint()
    pixels = _pixels(tile.view.grab(tile.picture_rect()).toImage()).astype(np.int32)
    colour = _rgb(tile.view.colour(colour_name))  # type: ignore[attr-defined]
    return int((np.abs(pixels - colour).max(axis=2) <= 30).sum())


PERSON = Finding("object", "person", 0.9, (320.0, 180.0, 640.0, 540.0), track_id=4)  # x 1/4..1/2, y 1/4..3/4
BIKE = Finding("object", "motorcycle", 0.8, (800.0, 300.0, 1100.0, 600.0), track_id=9)
PLATE = Finding("plate", "plate", 0.9, (100.0, 600.0, 260.0, 650.0), text="粤B12345")
# Where PERSON's left and right edges and its middle are, in fractions of the picture.
PERSON_EDGES = [(0.25, 0.5), (0.5, 0.5)]
PERSON_MIDDLE = [(0.375, 0.5)]


def test_findings_are_drawn_on_their_tile_where_found_and_never_into_the_frame(
    qtbot: QtBot, wall: Wall
) -> None:
    page, board = wall.page, wall.board
    board.put("c1", PERSON, BIKE, PLATE)
    tile = page.grid.tile("c1")
    other = page.grid.tile("c0")
    qtbot.waitUntil(lambda: tile.overlay is not None, timeout=WAIT_MS)
    assert tile.overlay is not None and len(tile.overlay.boxes) == 3
    assert (tile.overlay.width, tile.overlay.height) == MAIN
    assert tile.frame_size.width() == MAIN[0] // 2, "the tile shows a smaller frame than the findings'"
    assert _colour_at(tile, "personColor", PERSON_EDGES) == [True, True]
    assert _colour_at(tile, "personColor", PERSON_MIDDLE) == [False]
    assert _colour_at(tile, "twoWheelerColor", [(800 / 1280, 450 / 720)]) == [True]
    assert other.overlay is None and _anywhere(other, "personColor") == 0
    # Maximised (a bigger picture, on the main stream) the box still sits on the same part of it.
    small = tile.picture_rect()
    page.maximise(tile.slot)
    qtbot.waitUntil(lambda: tile.picture_rect().width() > 1.5 * small.width(), timeout=WAIT_MS)
    assert _colour_at(tile, "personColor", PERSON_EDGES + PERSON_MIDDLE) == [True, True, False]
    page.maximise(None)
    # The frames the hub hands out are as captured: the overlay lives only in the tile's painting.
    frame = wall.hub.open("c1", "main")
    try:
        qtbot.waitUntil(lambda: frame.latest() is not None, timeout=WAIT_MS)
        latest = frame.latest()
        assert latest is not None
        person = _rgb(tile.view.colour("personColor"))  # type: ignore[attr-defined]
        image = latest.image[:, :, ::-1].astype(np.int32)
        assert int((np.abs(image - person).max(axis=2) <= 30).sum()) == 0
    finally:
        frame.release()


def test_the_overlay_menu_hides_and_shows_groups_on_every_tile(qtbot: QtBot, wall: Wall) -> None:
    page, board = wall.page, wall.board
    for camera_id in ("c0", "c3"):
        board.put(camera_id, PERSON, BIKE)
    tiles = [page.grid.tile("c0"), page.grid.tile("c3")]
    qtbot.waitUntil(lambda: all(t.overlay is not None for t in tiles), timeout=WAIT_MS)
    button = page.findChild(QToolButton, "wallOverlays")
    assert button is not None and button.isVisible() and button.text() == "Overlays"
    assert [page.overlay_action(g).text() for g in GROUPS] == [
        "People", "Vehicles", "Two-wheelers", "Plates", "Face outlines", "Zones and lines"
    ]  # fmt: skip
    page.overlay_action("person").trigger()  # what a click on the menu's check does
    assert page.hidden_overlay_groups == frozenset({"person"}) and button.text() == "Overlays 5/6"
    for tile in tiles:
        assert _colour_at(tile, "personColor", PERSON_EDGES) == [False, False]
        assert _colour_at(tile, "twoWheelerColor", [(800 / 1280, 450 / 720)]) == [True]
    page.show_overlay_group("two-wheeler", False)
    assert not page.overlay_action("two-wheeler").isChecked()
    assert _colour_at(tiles[1], "twoWheelerColor", [(800 / 1280, 450 / 720)]) == [False]
    page.overlay_action("person").trigger()
    page.overlay_action("two-wheeler").trigger()
    assert page.hidden_overlay_groups == frozenset() and button.text() == "Overlays"
    for tile in tiles:
        assert _colour_at(tile, "personColor", PERSON_EDGES) == [True, True]
    # A new page of tiles (another grid) keeps the choice.
    page.show_overlay_group("person", False)
    page.set_grid("3x3")
    assert all(t.hidden_groups == frozenset({"person"}) for t in page.grid.tiles())


def test_stale_findings_are_not_drawn_on_the_wall(qtbot: QtBot, wall: Wall) -> None:
    page, board = wall.page, wall.board
    board.age_s = 3.0  # detection fell 3 s behind the pictures
    board.put("c2", PERSON)
    tile = page.grid.tile("c2")
    qtbot.waitUntil(lambda: tile.overlay is not None, timeout=WAIT_MS)
    qtbot.wait(200)
    assert _colour_at(tile, "personColor", PERSON_EDGES) == [False, False]
    board.age_s = 0.0
    qtbot.waitUntil(lambda: _colour_at(tile, "personColor", PERSON_EDGES) == [True, True], timeout=WAIT_MS)


def test_zones_show_on_their_camera_and_a_failing_source_only_loses_the_overlays(
    qtbot: QtBot, tmp_path: Path, themed_app: QApplication, caplog: pytest.LogCaptureFixture
) -> None:
    streams = Streams(tmp_path / "media", 2)
    cameras = site_cameras(streams, 2)
    lobby = OverlayShape("lobby", ((0.1, 0.5), (0.9, 0.5), (0.9, 0.95), (0.1, 0.95)))
    walls = wall_cameras(cameras)
    walls[1] = type(walls[1])(walls[1].id, walls[1].name, walls[1].building, zones=(lobby,))
    calls: list[str] = []

    def broken(camera_id: str) -> FrameFindings | None:
        calls.append(camera_id)
        raise RuntimeError("vision service gone")

    hub = hub_for(cameras, stall_s=1)
    page = CameraWallPage(walls, grid="2x2", findings=broken)
    qtbot.addWidget(page)
    page.resize(1000, 640)
    page.show()
    qtbot.waitExposed(page)
    try:
        with caplog.at_level(logging.ERROR, logger="wardroom.ui"):
            page.start(hub)
            tiles = [page.grid.tile("c0"), page.grid.tile("c1")]
            qtbot.waitUntil(lambda: all(t.frames_shown > 5 for t in tiles), timeout=WAIT_MS)
        assert len(calls) > 5, "the source is asked on every tick"
        failures = [r for r in caplog.records if "findings" in r.getMessage()]
        assert len(failures) == 1, "a failing source is logged once, not once per tick"
        assert tiles[1].zones == (lobby,) and tiles[0].zones == ()
        assert _colour_at(tiles[1], "zoneColor", [(0.1, 0.7), (0.9, 0.7), (0.5, 0.5)]) == [True] * 3
        assert _anywhere(tiles[0], "zoneColor") == 0
        page.show_overlay_group("zone", False)
        assert _colour_at(tiles[1], "zoneColor", [(0.1, 0.7), (0.9, 0.7)]) == [False, False]
        with pytest.raises(ValueError, match="face_display"):
            page.set_findings_source(broken, "pixelate")  # type: ignore[arg-type]
    finally:
        page.stop()
        hub.stop()
        streams.close()


def test_findings_become_words_groups_and_face_blur() -> None:
    found = FrameFindings(
        "lobby",
        100.0,
        1920,
        1080,
        (
            Finding("object", "person", 0.9, (1, 2, 3, 4), track_id=12),
            Finding("object", "bicycle", 0.7, (1, 2, 3, 4)),
            Finding("object", "bus", 0.8, (1, 2, 3, 4), track_id=3),
            Finding("object", "dog", 0.6, (1, 2, 3, 4)),
            Finding("plate", "plate", 0.9, (5, 6, 7, 8), text="粤B12345"),
            Finding("plate", "plate", 0.5, (5, 6, 7, 8)),
            Finding("face", "face", 0.9, (9, 9, 20, 20)),
        ),
    )
    blur = overlay_for(found)
    assert (blur.at, blur.width, blur.height) == (100.0, 1920, 1080)
    assert [(b.group, b.label, b.blur) for b in blur.boxes] == [
        ("person", "person #12", False),
        ("two-wheeler", "bicycle", False),
        ("vehicle", "bus #3", False),
        ("other", "dog", False),
        ("plate", "粤B12345", False),
        ("plate", "plate", False),
        ("face", "", True),  # a face is never labelled
    ]
    assert blur.boxes[0].box == (1, 2, 3, 4)
    boxed = overlay_for(found, "box")
    assert boxed.boxes[-1].blur is False and boxed.boxes[-1].group == "face"


def test_site_zones_become_outlines_and_lines() -> None:
    site = load_site(demo_site_path())
    lobby = next(c for c in site.site.camera if c.id == "b3-lobby")
    shapes = zone_shapes(lobby.zones)
    assert shapes == (OverlayShape("lobby", ((0.1, 0.5), (0.9, 0.5), (0.9, 1.0), (0.1, 1.0)), closed=True),)

    line = Zone(name="gate line", rule="line-crossing", line=((0.2, 0.6), (0.8, 0.6)), direction="in")
    assert zone_shapes([line]) == (
        OverlayShape("gate line", ((0.2, 0.6), (0.8, 0.6)), closed=False, direction="in"),
    )

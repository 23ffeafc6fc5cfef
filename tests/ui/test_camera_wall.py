"""The camera wall on real MJPEG streams through a real capture hub: only shown cameras are opened,
paging and the tour release what leaves the page, a drop puts a camera on a tile, a double-click
maximises onto the main stream and back, a privacy mask is black in the displayed pixels, named
layouts come back, snapshots are taken off the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.video.frames import Frame
from app.video.hub import CaptureHub
from app.video.layouts import Layout
from tests.ui.wall_streams import Streams, hub_for, site_cameras, wall_cameras
from ui.pages.camera_wall import CameraWallPage, fitted_grid_size

WAIT_MS = 15_000


@dataclass
class Wall:
    page: CameraWallPage
    hub: CaptureHub
    streams: Streams


@pytest.fixture
def make_wall(qtbot: QtBot, tmp_path: Path, themed_app: QApplication) -> Iterator[object]:
    made: list[Wall] = []

    def make(
        count: int, grid: str = "2x2", *, subs: bool = False, dead_from: int | None = None, **kw: object
    ) -> Wall:
        streams = Streams(tmp_path / f"media{len(made)}", min(count, dead_from or count), subs=subs)
        cameras = site_cameras(streams, count, dead_from=dead_from, subs=subs, masks=kw.pop("masks", None))  # type: ignore[arg-type]
        hub = hub_for(cameras, stall_s=1)
        page = CameraWallPage(wall_cameras(cameras), grid=grid, **kw)  # type: ignore[arg-type]
        qtbot.addWidget(page)
        page.resize(1200, 760)
        page.show()
        qtbot.waitExposed(page)
        wall = Wall(page, hub, streams)
        made.append(wall)
        return wall

    yield make
    for wall in made:
        wall.page.stop()
        wall.hub.stop()
        wall.streams.close()


def test_800_cameras_tree_finds_by_part_of_name_and_only_shown_ones_are_opened(
    qtbot: QtBot, make_wall: object
) -> None:
    wall = make_wall(800, "2x2", dead_from=6)  # type: ignore[operator]
    page, streams = wall.page, wall.streams
    page.tree.set_search("0642")
    assert page.tree.shown_camera_ids() == ["c642"]
    page.tree.set_search("camera 000")
    assert sorted(page.tree.shown_camera_ids(), key=lambda c: int(c[1:])) == [f"c{i}" for i in range(10)]
    page.tree.set_search("")
    assert len(page.tree.shown_camera_ids()) == 800
    page.start(wall.hub)
    assert page.opened() == {f"c{i}": "main" for i in range(4)}
    qtbot.waitUntil(lambda: all(streams.clients(f"/c{i}") == 1 for i in range(4)), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(t.frames_shown > 0 for t in page.grid.tiles()), timeout=WAIT_MS)
    assert [streams.clients(f"/c{i}") for i in (4, 5)] == [0, 0], "cameras not shown are not opened"
    assert wall.hub.open_count() == 4
    assert page.page_count == 200
    page.next_page()  # c4..c7: two live, two dead addresses
    assert page.opened() == {f"c{i}": "main" for i in range(4, 8)}
    qtbot.waitUntil(lambda: all(streams.clients(f"/c{i}") == 0 for i in range(4)), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: streams.clients("/c4") == 1 and streams.clients("/c5") == 1, timeout=WAIT_MS)
    dead = page.grid.tile("c6")
    qtbot.waitUntil(lambda: dead.state == "lost", timeout=WAIT_MS)
    assert dead.reason and "lost" in dead.caption_text
    assert wall.hub.open_count() == 4


def test_a_camera_dropped_on_a_tile_is_shown_there(qtbot: QtBot, make_wall: object) -> None:
    wall = make_wall(6, "2x2")  # type: ignore[operator]
    page = wall.page
    page.start(wall.hub)
    tile = page.grid.tile_at(1)
    mime = page.tree.mime_for("c5")
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(
        QPoint(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    tile.dragEnterEvent(enter)  # what a drag over the tile asks (no drag loop offscreen)
    assert enter.isAccepted()
    tile.dropEvent(drop)
    assert drop.isAccepted()
    assert tile.camera_id == "c5" and page.shown_cameras() == ["c0", "c5", "c2", "c3"]
    qtbot.waitUntil(lambda: tile.frames_shown > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: wall.streams.clients("/c1") == 0, timeout=WAIT_MS)
    assert wall.streams.clients("/c5") == 1
    assert page.selected == 1


def test_double_click_maximises_onto_the_main_stream_and_back(qtbot: QtBot, make_wall: object) -> None:
    wall = make_wall(4, "2x2", subs=True)  # type: ignore[operator]
    page, streams = wall.page, wall.streams
    page.start(wall.hub)
    assert page.opened()["c2"] == "sub", "small tiles use the substream"
    qtbot.waitUntil(lambda: streams.clients("/c2-sub") == 1, timeout=WAIT_MS)
    tile = page.grid.tile("c2")
    qtbot.waitUntil(lambda: tile.frames_shown > 0, timeout=WAIT_MS)
    qtbot.mouseDClick(tile.view, Qt.MouseButton.LeftButton)
    assert page.grid.maximised == 2 and page.opened()["c2"] == "main"
    assert [t.isVisible() for t in page.grid.tiles()] == [False, False, True, False]
    qtbot.waitUntil(lambda: streams.clients("/c2") == 1 and streams.clients("/c2-sub") == 0, timeout=WAIT_MS)
    shown = tile.frames_shown
    qtbot.waitUntil(lambda: tile.frames_shown > shown + 2, timeout=WAIT_MS)
    assert tile.has_signal
    qtbot.mouseDClick(tile.view, Qt.MouseButton.LeftButton)
    assert page.grid.maximised is None and page.opened()["c2"] == "sub"
    qtbot.waitUntil(lambda: streams.clients("/c2") == 0 and streams.clients("/c2-sub") == 1, timeout=WAIT_MS)
    page.set_grid("1+5")  # the big tile takes the main stream, the small ones the substream
    assert page.opened() == {"c0": "main", "c1": "sub", "c2": "sub", "c3": "sub"}


def test_pages_and_a_tour_cycle_and_release_what_leaves(qtbot: QtBot, make_wall: object) -> None:
    wall = make_wall(6, "2x2")  # type: ignore[operator]
    page, streams = wall.page, wall.streams
    page.start(wall.hub)
    assert page.page_count == 2 and page.shown_cameras() == ["c0", "c1", "c2", "c3"]
    assert not page.tour_active
    page.set_tour_interval_ms(300)
    assert page.tour_active
    qtbot.waitUntil(lambda: page.page == 1, timeout=5000)
    assert page.shown_cameras() == ["c4", "c5", None, None]
    assert set(page.opened()) == {"c4", "c5"}
    qtbot.waitUntil(lambda: page.page == 0, timeout=5000)
    page.set_tour(0)
    assert not page.tour_active
    qtbot.waitUntil(lambda: streams.clients("/c4") == 0 and streams.clients("/c0") == 1, timeout=WAIT_MS)
    page.set_grid("3x3")  # every camera fits: one page, no tour to run
    assert page.page_count == 1 and page.shown_cameras()[:6] == [f"c{i}" for i in range(6)]


def test_the_privacy_mask_is_black_in_the_displayed_pixels(qtbot: QtBot, make_wall: object) -> None:
    left_half = (((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)),)
    wall = make_wall(1, "1", masks={0: left_half})  # type: ignore[operator]
    page = wall.page
    page.start(wall.hub)
    tile = page.grid.tile("c0")
    qtbot.waitUntil(lambda: tile.frames_shown > 2, timeout=WAIT_MS)
    picture = tile.picture_rect()
    image = tile.view.grab().toImage()
    ratio = image.width() / tile.view.width()

    def pixel(fx: float, fy: float) -> tuple[int, int, int]:
        x = picture.left() + fx * picture.width()
        y = picture.top() + fy * picture.height()
        colour = image.pixelColor(int(x * ratio), int(y * ratio))
        return colour.red(), colour.green(), colour.blue()

    for fx, fy in ((0.1, 0.3), (0.3, 0.5), (0.45, 0.8), (0.2, 0.2)):
        assert max(pixel(fx, fy)) < 24, f"masked pixel at {fx},{fy} is {pixel(fx, fy)}"
    assert max(pixel(0.75, 0.3)) > 60, "the unmasked half shows the picture"


class _Layouts:
    """An in-memory LayoutStore that blocks like the database would (called off the GUI thread)."""

    def __init__(self) -> None:
        self.saved: dict[str, Layout] = {}
        self.threads: set[str] = set()

    def list(self) -> list[Layout]:
        self.threads.add(threading.current_thread().name)
        return sorted(self.saved.values(), key=lambda layout: layout.name)

    def save(self, layout: Layout) -> Layout:
        self.threads.add(threading.current_thread().name)
        self.saved[layout.name] = layout
        return layout

    def delete(self, name: str) -> bool:
        self.threads.add(threading.current_thread().name)
        return self.saved.pop(name, None) is not None


def test_named_layouts_are_saved_and_applied_off_the_gui_thread(qtbot: QtBot, make_wall: object) -> None:
    store = _Layouts()
    wall = make_wall(6, "2x2", layouts=store)  # type: ignore[operator]
    page = wall.page
    page.start(wall.hub)
    page.set_grid("1+5")
    page.assign(0, "c4")
    page.set_tour(15)
    with qtbot.waitSignal(page.layoutsChanged, timeout=5000):
        page.save_layout("Night")
    assert store.saved["Night"].grid == "1+5" and store.saved["Night"].tiles[0] == "c4"
    assert store.saved["Night"].tour_s == 15
    assert threading.current_thread().name not in store.threads
    page.set_grid("4x4")
    page.show_all_cameras()
    with qtbot.waitSignal(page.layoutsChanged, timeout=5000):
        page.refresh_layouts()
    assert page.layout_names() == ["Night"]
    page.load_layout("Night")
    assert page.grid.kind == "1+5" and page.shown_cameras()[0] == "c4" and page.layout_name == "Night"
    assert page.opened()["c4"] == "main"
    with qtbot.waitSignal(page.layoutsChanged, timeout=5000):
        page.delete_layout("Night")
    assert store.saved == {} and page.layout_names() == []
    qtbot.waitUntil(lambda: not page.busy(), timeout=5000)


def test_snapshot_key_saves_the_selected_tiles_frame_off_the_gui_thread(
    qtbot: QtBot, make_wall: object
) -> None:
    taken: list[tuple[str, int, str]] = []

    @dataclass
    class Saved:
        path: str

    def take(frame: Frame, camera_id: str) -> Saved:
        taken.append((camera_id, frame.image.shape[1], threading.current_thread().name))
        return Saved(f"/data/snapshots/{camera_id}.jpg")

    wall = make_wall(4, "2x2", snapshot=take)  # type: ignore[operator]
    page = wall.page
    page.start(wall.hub)
    tile = page.grid.tile("c3")
    qtbot.waitUntil(lambda: tile.frames_shown > 0, timeout=WAIT_MS)
    qtbot.mouseClick(tile.view, Qt.MouseButton.LeftButton)
    assert page.selected == 3 and tile.selected
    with qtbot.waitSignal(page.snapshotTaken, timeout=5000):
        qtbot.keyClick(page.grid, Qt.Key.Key_S)
    assert taken[0][0] == "c3" and taken[0][1] > 0 and taken[0][2] != threading.current_thread().name
    assert "Snapshot saved: /data/snapshots/c3.jpg" in page.note

    def refuse(frame: Frame, camera_id: str) -> object:
        raise RuntimeError("the disk is full")

    page._snapshot = refuse
    with qtbot.waitSignal(page.snapshotFailed, timeout=5000):
        tile_button = page.grid.tile_at(0).findChild(object, "tileSnapshot")
        assert tile_button is not None
        tile_button.click()  # type: ignore[attr-defined]
    assert page.selected == 0 and "the disk is full" in page.note
    qtbot.waitUntil(lambda: not page.busy(), timeout=5000)


def test_a_hidden_wall_pulls_no_frames_and_stops_cleanly(qtbot: QtBot, make_wall: object) -> None:
    wall = make_wall(2, "2x2")  # type: ignore[operator]
    page = wall.page
    page.start(wall.hub)
    assert page.timer_active
    page.hide()
    assert not page.timer_active and page.running
    page.show()
    assert page.timer_active
    page.stop()
    assert not page.running and not page.timer_active and page.opened() == {}
    qtbot.waitUntil(lambda: wall.hub.open_count() == 0, timeout=5000)


def test_without_a_source_the_stations_camera_states_are_shown(qtbot: QtBot, make_wall: object) -> None:
    """A console before its own grabber opens: the tile shows what the stations report."""
    wall = make_wall(3, "2x2")  # type: ignore[operator]
    page = wall.page
    page.set_camera_state("c1", "lost", "camera c1 could not be opened (connection refused)")
    page.set_camera_state("c2", "connected")  # an older station's word for a working link
    tile = page.grid.tile("c1")
    qtbot.waitUntil(lambda: tile.state == "lost", timeout=5000)
    assert "connection refused" in tile.notice_text
    assert page.grid.tile("c2").state == "live"
    page.start(wall.hub)  # now the wall's own grabber says how the camera is
    qtbot.waitUntil(lambda: tile.frames_shown > 0 and tile.state == "live", timeout=WAIT_MS)


def test_fitted_grid_size_keeps_the_aspect() -> None:
    size = fitted_grid_size(QSize(1230, 800), 1, 2, 16 / 9, QSize(2, 20), spacing=6, margin=6)
    picture_w = (size.width() - 2 * 6 - 6) / 2 - 2
    picture_h = size.height() - 2 * 6 - 20
    assert size.width() == 1230 and abs(picture_w / picture_h - 16 / 9) < 0.01
    tall = fitted_grid_size(QSize(400, 1000), 1, 1, 16 / 9, QSize(0, 0), spacing=0, margin=0)
    assert tall == QSize(400, 225)

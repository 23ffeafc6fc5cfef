"""The tile's detection overlay, checked on the pixels of a grabbed tile.

Boxes land where the finding is, scaled by the findings' own frame size onto the letterboxed picture;
toggled-off groups vanish; a face blur changes the pixels inside its box and no others; findings
that do not belong with the frame shown (older or newer than a second) are not drawn.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QRect, QRectF, QSize
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from widgets.video_overlay import (
    OverlayBox,
    OverlayShape,
    TileOverlay,
    blurred,
    image_rect,
    is_current,
    map_box,
)
from widgets.video_tile import VideoTile

MEDIA = Path(__file__).resolve().parents[2] / "resources" / "demo" / "media"
GREY = 90
AT = 1_700_000_000.0


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


def _near(pixels: np.ndarray, x: float, y: float, colour: np.ndarray, radius: int = 2, tol: int = 40) -> bool:
    """Whether a pixel within ``radius`` of (x, y) has ``colour`` (antialiased edges blend)."""
    x0, y0 = round(x), round(y)
    patch = pixels[max(0, y0 - radius) : y0 + radius + 1, max(0, x0 - radius) : x0 + radius + 1].astype(
        np.int32
    )
    return bool((np.abs(patch - colour).max(axis=2) <= tol).any())


class _PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _shown_tile(qtbot: QtBot, frame: np.ndarray, size: QSize) -> VideoTile:
    tile = VideoTile("lobby", "Lobby")
    qtbot.addWidget(tile)
    tile.resize(size)
    tile.show()
    qtbot.waitExposed(tile)
    tile.set_frame(frame, at=AT)
    tile.set_state("live", fps=10)
    tile.refresh()
    qtbot.waitUntil(lambda: tile.frames_shown == 1)
    return tile


def _grab(qtbot: QtBot, tile: VideoTile) -> np.ndarray:
    tile.refresh()
    tile.view.repaint()
    image = tile.view.grab().toImage()
    assert image.width() == tile.view.width(), "the grab must be 1:1 with the view's coordinates"
    return _pixels(image)


def test_map_box_scales_by_the_findings_frame_onto_the_picture() -> None:
    picture = QRectF(10, 50, 320, 180)  # a letterboxed 16:9 picture in a taller view
    mapped = map_box((480, 270, 960, 540), 1920, 1080, picture)  # found on the 1080p main stream
    assert (mapped.left(), mapped.top(), mapped.width(), mapped.height()) == (90, 95, 80, 45)
    # Corners given the other way round still make the same box.
    assert map_box((960, 540, 480, 270), 1920, 1080, picture) == mapped
    assert map_box((0, 0, 10, 10), 0, 0, picture).isEmpty()
    overlay = TileOverlay(AT, 1920, 1080, ())
    assert is_current(overlay, AT + 0.9) and is_current(overlay, AT - 0.9)
    assert not is_current(overlay, AT + 1.5) and not is_current(overlay, None)
    # The image pixels under a box on a picture shown at half size.
    assert image_rect(QRectF(20, 60, 40, 20), picture, QSize(640, 360)) == QRect(20, 20, 80, 40)


def test_a_box_is_drawn_where_the_finding_is_on_a_letterboxed_tile(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    frame = np.full((360, 640, 3), GREY, np.uint8)  # the substream the tile shows
    tile = _shown_tile(qtbot, frame, QSize(420, 420))  # square tile: the picture is letterboxed
    picture = tile.picture_rect()
    assert picture.top() > 20 and picture.width() > 300, picture
    person = OverlayBox((480.0, 270.0, 960.0, 540.0), "person", "person #7")
    car = OverlayBox((1200.0, 600.0, 1800.0, 1000.0), "vehicle", "car #8")
    tile.set_overlay(TileOverlay(AT + 0.2, 1920, 1080, (person, car)))  # found on the main stream
    pixels = _grab(qtbot, tile)
    colour = _rgb(tile.view.colour("personColor"))  # type: ignore[attr-defined]
    vehicle = _rgb(tile.view.colour("vehicleColor"))  # type: ignore[attr-defined]
    assert not np.array_equal(colour, vehicle)
    left = picture.left() + picture.width() * 0.25
    top = picture.top() + picture.height() * 0.25
    right = picture.left() + picture.width() * 0.5
    bottom = picture.top() + picture.height() * 0.5
    middle_y = (top + bottom) / 2
    middle_x = (left + right) / 2
    for x, y in ((left, middle_y), (right, middle_y), (middle_x, bottom)):
        assert _near(pixels, x, y, colour), f"no person box edge at ({x:.0f}, {y:.0f})"
    # Inside and outside the box the picture is untouched.
    for x, y in ((middle_x, middle_y), (left - 8, middle_y), (right + 8, middle_y), (middle_x, bottom + 8)):
        assert np.abs(pixels[round(y), round(x)].astype(int) - GREY).max() <= 2, (x, y)
    # The label sits on a tab of the box's colour just above its top-left corner.
    assert _near(pixels, left + 6, top - 4, colour, radius=1, tol=10)
    car_left = picture.left() + picture.width() * 1200 / 1920
    assert _near(pixels, car_left, picture.top() + picture.height() * 800 / 1080, vehicle)
    # Nothing is drawn in the letterbox bands.
    band = pixels[: picture.top() - 2]
    assert not (np.abs(band.astype(np.int32) - colour).max(axis=2) <= 40).any()


def test_toggled_off_groups_are_not_drawn(qtbot: QtBot, themed_app: QApplication) -> None:
    tile = _shown_tile(qtbot, np.full((360, 640, 3), GREY, np.uint8), QSize(480, 300))
    picture = tile.picture_rect()
    boxes = (
        OverlayBox((100.0, 100.0, 200.0, 300.0), "person", "person #1"),
        OverlayBox((400.0, 150.0, 600.0, 300.0), "two-wheeler", "motorcycle #2"),
    )
    tile.set_overlay(TileOverlay(AT, 640, 360, boxes))
    tile.set_zones((OverlayShape("lobby", ((0.05, 0.05), (0.95, 0.05), (0.95, 0.95), (0.05, 0.95))),))
    person = _rgb(tile.view.colour("personColor"))  # type: ignore[attr-defined]
    bike = _rgb(tile.view.colour("twoWheelerColor"))  # type: ignore[attr-defined]
    zone = _rgb(tile.view.colour("zoneColor"))  # type: ignore[attr-defined]
    sx = picture.width() / 640
    sy = picture.height() / 360

    def at(x: float, y: float) -> tuple[float, float]:
        return picture.left() + x * sx, picture.top() + y * sy

    def seen(pixels: np.ndarray) -> tuple[bool, bool, bool]:
        return (
            _near(pixels, *at(100, 250), person),
            _near(pixels, *at(400, 250), bike),
            _near(pixels, *at(0.05 * 640, 180), zone),
        )

    assert seen(_grab(qtbot, tile)) == (True, True, True)
    tile.set_hidden_groups(frozenset({"person"}))
    assert seen(_grab(qtbot, tile)) == (False, True, True)
    tile.set_hidden_groups(frozenset({"two-wheeler", "zone"}))
    assert seen(_grab(qtbot, tile)) == (True, False, False)
    tile.set_hidden_groups(frozenset())
    assert seen(_grab(qtbot, tile)) == (True, True, True)


def test_stale_findings_are_not_drawn(qtbot: QtBot, themed_app: QApplication) -> None:
    frame = np.full((360, 640, 3), GREY, np.uint8)
    tile = _shown_tile(qtbot, frame, QSize(480, 300))
    picture = tile.picture_rect()
    colour = _rgb(tile.view.colour("personColor"))  # type: ignore[attr-defined]
    edge = (picture.left() + picture.width() * 100 / 640, picture.top() + picture.height() * 0.5)
    box = OverlayBox((100.0, 100.0, 300.0, 260.0), "person", "person #3")
    tile.set_overlay(TileOverlay(AT - 1.6, 640, 360, (box,)))  # found 1.6 s before the frame shown
    assert not _near(_grab(qtbot, tile), *edge, colour)
    tile.set_overlay(TileOverlay(AT - 0.3, 640, 360, (box,)))
    assert _near(_grab(qtbot, tile), *edge, colour)
    # The camera moves on and detection does not: the same overlay goes stale and disappears.
    tile.set_frame(frame.copy(), at=AT + 1.5)
    assert not _near(_grab(qtbot, tile), *edge, colour)


def test_face_blur_changes_the_pixels_inside_the_box_and_no_others(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    frame = cv2.imread(str(MEDIA / "zidane.jpg"))  # 1280x720: two faces
    assert frame is not None
    tile = _shown_tile(qtbot, frame, QSize(660, 400))
    before = _grab(qtbot, tile)
    picture = tile.picture_rect()
    faces = ((360.0, 140.0, 520.0, 330.0), (980.0, 60.0, 1120.0, 260.0))  # where zidane.jpg's faces are
    tile.set_overlay(TileOverlay(AT, 1280, 720, tuple(OverlayBox(b, "face", blur=True) for b in faces)))
    tile.set_hidden_groups(frozenset({"face"}))  # the outline off: the blur stays (privacy)
    after = _grab(qtbot, tile)
    changed = np.abs(after.astype(np.int32) - before.astype(np.int32)).max(axis=2) > 6
    inside = np.zeros(changed.shape, bool)
    for box in faces:
        rect = map_box(box, 1280, 720, QRectF(picture))
        inside[int(rect.top()) - 1 : int(rect.bottom()) + 2, int(rect.left()) - 1 : int(rect.right()) + 2] = (
            True
        )
        core = changed[
            int(rect.top()) + 2 : int(rect.bottom()) - 2, int(rect.left()) + 2 : int(rect.right()) - 2
        ]
        assert core.mean() > 0.5, f"only {core.mean():.0%} of the face box at {box} changed"
    assert not changed[~inside].any(), f"{int(changed[~inside].sum())} pixels outside the face boxes changed"
    # Blurred: inside a face box hardly any detail is left.
    rect = map_box(faces[0], 1280, 720, QRectF(picture))
    face = after[int(rect.top()) + 2 : int(rect.bottom()) - 2, int(rect.left()) + 2 : int(rect.right()) - 2]
    original = before[
        int(rect.top()) + 2 : int(rect.bottom()) - 2, int(rect.left()) + 2 : int(rect.right()) - 2
    ]
    detail = float(np.abs(np.diff(face.astype(np.int32), axis=1)).mean())
    assert detail < 0.4 * float(np.abs(np.diff(original.astype(np.int32), axis=1)).mean())
    # Shown as boxes instead: an outline, the face itself as it was.
    tile.set_hidden_groups(frozenset())
    tile.set_overlay(TileOverlay(AT, 1280, 720, tuple(OverlayBox(b, "face") for b in faces)))
    boxed = _grab(qtbot, tile)
    centre = map_box(faces[0], 1280, 720, QRectF(picture)).center()
    y, x = round(centre.y()), round(centre.x())
    assert np.array_equal(boxed[y - 5 : y + 5, x - 5 : x + 5], before[y - 5 : y + 5, x - 5 : x + 5])
    assert _near(boxed, map_box(faces[0], 1280, 720, QRectF(picture)).left(), centre.y(),
                 _rgb(tile.view.colour("faceColor")))  # type: ignore[attr-defined]  # fmt: skip


def test_a_line_and_a_new_overlay_repaint_once_and_assign_clears_them(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    tile = _shown_tile(qtbot, np.full((360, 640, 3), GREY, np.uint8), QSize(480, 300))
    picture = tile.picture_rect()
    zone = _rgb(tile.view.colour("zoneColor"))  # type: ignore[attr-defined]
    tile.set_zones((OverlayShape("gate line", ((0.1, 0.5), (0.9, 0.5)), closed=False),))
    pixels = _grab(qtbot, tile)
    y = picture.top() + picture.height() * 0.5
    assert _near(pixels, picture.left() + picture.width() * 0.1, y, zone)
    assert _near(pixels, picture.left() + picture.width() * 0.9, y, zone)
    # A new overlay waits for the next frame, which paints both; a camera that sends no frame for
    # a while (a still, a stall) gets the overlay painted by itself, once.
    paints = _PaintCounter()
    tile.view.installEventFilter(paints)
    tile.refresh()
    qtbot.wait(50)
    idle = paints.count
    tile.set_frame(np.full((360, 640, 3), GREY, np.uint8), at=AT + 0.1)
    tile.set_overlay(TileOverlay(AT, 640, 360, (OverlayBox((10.0, 10.0, 50.0, 50.0), "plate", "粤B12345"),)))
    tile.refresh()
    qtbot.waitUntil(lambda: paints.count == idle + 1)
    tile.set_overlay(TileOverlay(AT, 640, 360, (OverlayBox((20.0, 10.0, 60.0, 50.0), "plate", "粤B12345"),)))
    tile.refresh()  # the frame came just now: the overlay waits for the next one
    qtbot.wait(50)
    assert paints.count == idle + 1
    qtbot.wait(120)
    tile.refresh()  # no frame for 0.15 s: the overlay is painted on the picture there is
    qtbot.waitUntil(lambda: paints.count == idle + 2)
    tile.refresh()
    qtbot.wait(50)
    assert paints.count == idle + 2
    tile.view.removeEventFilter(paints)
    tile.assign("gate", "Gate")
    assert tile.overlay is None and tile.zones == ()


@pytest.mark.parametrize(("width", "height"), [(40, 50), (300, 200), (3, 2)])
def test_blurred_keeps_a_few_cells_whatever_the_size(width: int, height: int) -> None:
    array = np.random.default_rng(1).integers(0, 255, (height, width, 3), np.uint8)
    image = QImage(array.data, width, height, width * 3, QImage.Format.Format_RGB888)
    small = blurred(image, QRect(0, 0, width, height))
    assert 1 <= max(small.width(), small.height()) <= 6


@pytest.mark.parametrize(
    ("direction", "below", "above"),
    [("in", True, False), ("out", False, True), ("both", True, True), ("", False, False)],
)
def test_a_crossing_line_points_the_way_it_counts(
    qtbot: QtBot, themed_app: QApplication, direction: str, below: bool, above: bool
) -> None:
    tile = _shown_tile(qtbot, np.full((360, 640, 3), GREY, np.uint8), QSize(480, 300))
    picture = tile.picture_rect()
    zone = _rgb(tile.view.colour("zoneColor"))  # type: ignore[attr-defined]
    # Drawn left to right: "in" crosses from above the line to below it.
    tile.set_zones((OverlayShape("", ((0.1, 0.5), (0.9, 0.5)), closed=False, direction=direction),))
    pixels = _grab(qtbot, tile)
    x = picture.left() + picture.width() * 0.5
    y = picture.top() + picture.height() * 0.5
    assert _near(pixels, x, y, zone)
    assert _near(pixels, x, y + 10, zone, radius=1) == below
    assert _near(pixels, x, y - 10, zone, radius=1) == above

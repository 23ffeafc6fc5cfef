"""What a camera tile draws over its picture: boxes, labels, zone outlines and lines; face blur.

The overlay is drawn at paint time over the frame the tile shows; it is never burned into the
frame's pixels (snapshots, recordings and other viewers of the same frame see the frame as captured).
Widgets know nothing of detectors: the owner hands plain data in.

- Boxes are in the pixels of the frame they were found in (``TileOverlay.width`` × ``height``),
  which need not be the frame shown (a detector on the main stream, a tile on the substream): they
  are scaled by the overlay's own size onto the tile's picture rectangle, wherever letterboxing put it.
- Zones and lines are in the unit square of the picture, as the site file writes them.
- A box marked ``blur`` is blurred on the tile's *scaled* picture, inside the box only: the box's
  region of the shown image is shrunk to a few cells and drawn back smoothly. A whole-frame blur of
  16 tiles would not fit a 2-core workstation; this costs a few small image copies.
- Overlays older (or newer) than ``MAX_AGE_S`` against the frame shown are not drawn: a box must not
  point at where someone stood a while ago. Blur is privacy, so it follows the same newest boxes.

Groups (``person``, ``vehicle``, ``two-wheeler``, ``plate``, ``face``, ``zone``) are what the wall's
toggles hide and show; a hidden group's boxes are not drawn, but a blur stays (hiding the face
outlines must not show the faces).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPalette, QPen, QPolygonF

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels of the overlay's frame
UnitPoint = tuple[float, float]  # x, y in the unit square of the picture

GROUPS: Final[tuple[str, ...]] = ("person", "vehicle", "two-wheeler", "plate", "face", "zone")
MAX_AGE_S: Final = 1.0
BLUR_CELLS: Final = 6  # the most cells a blurred box keeps across its longer side
LINE_WIDTH: Final = 2.0

Role = QPalette.ColorRole
# The colour role of each group (``personColor`` ...), set by the theme (qproperty-…); the palette
# role each falls back on when no stylesheet sets it.
COLOUR_DEFAULTS: Final[Mapping[str, QPalette.ColorRole]] = {
    "personColor": Role.Highlight,
    "vehicleColor": Role.Highlight,
    "twoWheelerColor": Role.Highlight,
    "plateColor": Role.Highlight,
    "faceColor": Role.Highlight,
    "zoneColor": Role.Light,
    "otherColor": Role.Light,
    "labelTextColor": Role.HighlightedText,
}
_GROUP_COLOUR: Final[Mapping[str, str]] = {
    "person": "personColor",
    "vehicle": "vehicleColor",
    "two-wheeler": "twoWheelerColor",
    "plate": "plateColor",
    "face": "faceColor",
    "zone": "zoneColor",
}


@dataclass(frozen=True, slots=True)
class OverlayBox:
    """One box to draw: where (frame pixels), which group (toggles, colour), what it says."""

    box: Box
    group: str  # one of GROUPS, or anything else (drawn in the "other" colour, never hidden)
    label: str = ""  # "person #12", a plate's text; "" draws no label
    blur: bool = False  # blur the picture inside the box (faces shown as "blur")


@dataclass(frozen=True, slots=True)
class OverlayShape:
    """A zone outline (``closed``) or a line, in the picture's unit square, with its name.

    A line may show which way a crossing counts: ``direction`` ``"in"`` points an arrow to the
    right-hand side seen from its first point towards its second (a line drawn left to right: from
    above it to below it, in picture coordinates), ``"out"`` the other way, ``"both"`` both ways.
    """

    name: str
    points: tuple[UnitPoint, ...]
    closed: bool = True
    direction: str = ""  # "", "in", "out" or "both" (lines only)


@dataclass(frozen=True, slots=True)
class TileOverlay:
    """The boxes found in one frame: that frame's time (epoch s) and size, which scale the boxes."""

    at: float
    width: int
    height: int
    boxes: tuple[OverlayBox, ...]


def is_current(overlay: TileOverlay, frame_at: float | None, max_age_s: float = MAX_AGE_S) -> bool:
    """Whether an overlay belongs with the frame shown (found within ``max_age_s`` of it)."""
    return frame_at is not None and abs(frame_at - overlay.at) <= max_age_s


def map_box(box: Box, width: int, height: int, picture: QRectF) -> QRectF:
    """A box in pixels of a ``width`` × ``height`` frame, on the picture rectangle (widget coords)."""
    if width <= 0 or height <= 0:
        return QRectF()
    sx = picture.width() / width
    sy = picture.height() / height
    x1, y1, x2, y2 = box
    left, right = sorted((x1, x2))
    top, bottom = sorted((y1, y2))
    return QRectF(
        picture.left() + left * sx, picture.top() + top * sy, (right - left) * sx, (bottom - top) * sy
    )


def map_unit(point: UnitPoint, picture: QRectF) -> QPointF:
    """A point of the unit square on the picture rectangle."""
    return QPointF(picture.left() + point[0] * picture.width(), picture.top() + point[1] * picture.height())


def image_rect(target: QRectF, picture: QRectF, image_size: QSize) -> QRect:
    """The pixels of the shown image under ``target`` (widget coords), clipped to the image."""
    if picture.isEmpty() or image_size.isEmpty():
        return QRect()
    sx = image_size.width() / picture.width()
    sy = image_size.height() / picture.height()
    # Outwards to whole pixels: the blur covers the box's first and last pixel too.
    left = math.floor((target.left() - picture.left()) * sx)
    top = math.floor((target.top() - picture.top()) * sy)
    right = math.ceil((target.right() - picture.left()) * sx)
    bottom = math.ceil((target.bottom() - picture.top()) * sy)
    return QRect(left, top, max(0, right - left), max(0, bottom - top)).intersected(
        QRect(0, 0, image_size.width(), image_size.height())
    )


def blurred(image: QImage, region: QRect) -> QImage:
    """``region`` of ``image`` averaged down to at most ``BLUR_CELLS`` cells across (a copy).

    Drawn back over the region with smooth scaling this reads as a strong blur whatever the tile's
    size: a face keeps no more than a few averaged cells, so nothing of it can be recognised.
    """
    part = image.copy(region)
    longer = max(region.width(), region.height())
    cells = max(1, min(BLUR_CELLS, longer // 4))
    scale = cells / longer if longer else 1.0
    return part.scaled(
        max(1, round(region.width() * scale)),
        max(1, round(region.height() * scale)),
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


class ZoneLayer:
    """A tile's zones drawn once into a transparent image the picture's size, and blitted per paint.

    Dashed, antialiased outlines with labels and arrows cost several times a blit of the finished
    layer, and zones change only with the picture's size, the site file or the theme.
    """

    def __init__(self) -> None:
        self._key: tuple[object, ...] = ()
        self._image = QImage()

    def image(
        self, size: QSize, shapes: tuple[OverlayShape, ...], colours: Mapping[str, QColor], font: QFont
    ) -> QImage:
        key = (
            size.width(),
            size.height(),
            shapes,
            colours["zoneColor"].rgba(),
            colours["labelTextColor"].rgba(),
            font.key(),
        )
        if key != self._key:
            self._key = key
            layer = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
            layer.fill(Qt.GlobalColor.transparent)
            painter = QPainter(layer)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setFont(font)
            _paint_shapes(
                painter, QRectF(0, 0, size.width(), size.height()), shapes, colours, QFontMetricsF(font)
            )
            painter.end()
            self._image = layer
        return self._image


def label_font(base: QFont, picture_height: int) -> QFont:
    """The labels' font: small on a 4x4 wall, larger on a maximised tile (7 to 10 pt)."""
    font = QFont(base)
    font.setPointSizeF(round(max(7.0, min(10.0, picture_height / 30)) * 2) / 2)
    return font


def paint_overlay(
    painter: QPainter,
    picture: QRect,
    image: QImage,
    *,
    overlay: TileOverlay | None,
    shapes: tuple[OverlayShape, ...],
    hidden: frozenset[str],
    colours: Mapping[str, QColor],
    frame_at: float | None,
    zone_layer: ZoneLayer | None = None,
) -> None:
    """Draw blur, zones, then boxes and labels over the picture painted at ``picture``.

    ``image`` is what the tile painted there (blur reads it); ``frame_at`` its time (stale overlays
    are skipped); ``hidden`` the groups the operator switched off; ``zone_layer`` keeps the zones
    drawn between paints (without one they are drawn afresh).
    """
    if picture.isEmpty():
        return
    area = QRectF(picture)
    painter.save()
    painter.setClipRect(picture)
    current = overlay is not None and is_current(overlay, frame_at)
    boxes: list[tuple[QRectF, OverlayBox]] = []
    if overlay is not None and current:
        boxes = [(map_box(item.box, overlay.width, overlay.height, area), item) for item in overlay.boxes]
        _paint_blur(painter, area, image, [rect for rect, item in boxes if item.blur])
    font = label_font(painter.font(), picture.height())
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    if shapes and "zone" not in hidden:
        if zone_layer is not None:
            painter.drawImage(picture.topLeft(), zone_layer.image(picture.size(), shapes, colours, font))
        else:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            _paint_shapes(painter, area, shapes, colours, metrics)
    # Boxes are upright rectangles: crisp without antialiasing, at half its cost.
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    ink = colours["labelTextColor"]
    for rect, item in boxes:
        if item.group in hidden:
            continue
        colour = colours[_GROUP_COLOUR.get(item.group, "otherColor")]
        painter.setPen(QPen(colour, LINE_WIDTH))
        painter.drawRect(rect)
        if item.label:
            _paint_label(painter, rect, item.label, colour, ink, area)
    painter.restore()


def _paint_blur(painter: QPainter, area: QRectF, image: QImage, rects: list[QRectF]) -> None:
    if not rects:
        return
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    for rect in rects:
        target = rect.intersected(area)
        region = image_rect(target, area, image.size())
        if region.isEmpty():
            continue
        # Draw exactly over the image pixels taken, so the blur covers the whole box and no more.
        sx = area.width() / image.width()
        sy = area.height() / image.height()
        where = QRectF(
            area.left() + region.left() * sx,
            area.top() + region.top() * sy,
            region.width() * sx,
            region.height() * sy,
        ).intersected(target.adjusted(-1, -1, 1, 1))
        painter.drawImage(where, blurred(image, region))


def _paint_shapes(
    painter: QPainter,
    area: QRectF,
    shapes: Iterable[OverlayShape],
    colours: Mapping[str, QColor],
    metrics: QFontMetricsF,
) -> None:
    colour = colours["zoneColor"]
    pen = QPen(colour, LINE_WIDTH, Qt.PenStyle.DashLine)
    for shape in shapes:
        points = [map_unit(point, area) for point in shape.points]
        if len(points) < 2:
            continue
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if shape.closed:
            painter.drawPolygon(QPolygonF(points))
        else:
            painter.drawPolyline(QPolygonF(points))
            painter.setPen(QPen(colour, LINE_WIDTH * 2))
            for end in (points[0], points[-1]):
                painter.drawEllipse(end, LINE_WIDTH * 1.5, LINE_WIDTH * 1.5)
            _paint_direction(painter, points[0], points[-1], shape.direction, colour, metrics.height())
        if shape.name:
            # On a tab of the zone's colour inside its top-left corner: plain yellow text is lost on
            # light floors and walls.
            corner = min(points, key=lambda p: (p.y(), p.x()))
            width = metrics.horizontalAdvance(shape.name) + 6
            height = metrics.height() + 2
            left = min(max(area.left(), corner.x()), area.right() - width)
            top = min(max(area.top(), corner.y()), area.bottom() - height)
            painter.fillRect(QRectF(left, top, width, height), colour)
            painter.setPen(colours["labelTextColor"])
            painter.drawText(QPointF(left + 3, top + 1 + metrics.ascent()), shape.name)


def crossing_normal(start: QPointF, end: QPointF) -> QPointF:
    """The unit vector from a line's middle towards the side an ``"in"`` crossing enters (its
    right-hand side, seen from ``start`` towards ``end``, with y growing downwards)."""
    dx, dy = end.x() - start.x(), end.y() - start.y()
    length = (dx * dx + dy * dy) ** 0.5
    if length == 0:
        return QPointF(0, 0)
    return QPointF(-dy / length, dx / length)


def _paint_direction(
    painter: QPainter, start: QPointF, end: QPointF, direction: str, colour: QColor, size: float
) -> None:
    """Arrows across the line's middle pointing the way crossings count."""
    normal = crossing_normal(start, end)
    if direction not in ("in", "out", "both") or normal.isNull():
        return
    middle = (start + end) / 2
    length = max(10.0, size * 1.4)
    head = length * 0.4
    signs = {"in": (1,), "out": (-1,), "both": (1, -1)}[direction]
    painter.setPen(QPen(colour, LINE_WIDTH))
    painter.setBrush(colour)
    for sign in signs:
        tip = middle + normal * (sign * length)
        back = normal * (-sign * head)
        side = QPointF(-normal.y(), normal.x()) * (head * 0.6)
        painter.drawLine(middle, tip)
        painter.drawPolygon(QPolygonF([tip, tip + back + side, tip + back - side]))
    painter.setBrush(Qt.BrushStyle.NoBrush)


_TABS: dict[tuple[str, int, int, str], QImage] = {}
MAX_TABS = 512  # distinct labels kept drawn (class and track id, plate text): a few hundred KB


def label_tab(text: str, fill: QColor, ink: QColor, font: QFont) -> QImage:
    """A label drawn once on its filled tab, then blitted wherever it shows (GUI thread only).

    Text is the costliest thing an overlay paints; labels repeat from frame to frame (a track keeps
    its id, a plate its text), so each distinct one is laid out and rendered once.
    """
    key = (text, fill.rgba(), ink.rgba(), font.key())
    tab = _TABS.get(key)
    if tab is None:
        metrics = QFontMetricsF(font)
        width = math.ceil(metrics.horizontalAdvance(text)) + 6
        height = math.ceil(metrics.height()) + 2
        tab = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        tab.fill(fill)
        painter = QPainter(tab)
        painter.setFont(font)
        painter.setPen(ink)
        painter.drawText(QPointF(3, 1 + metrics.ascent()), text)
        painter.end()
        if len(_TABS) >= MAX_TABS:
            _TABS.clear()
        _TABS[key] = tab
    return tab


def _paint_label(painter: QPainter, rect: QRectF, text: str, fill: QColor, ink: QColor, area: QRectF) -> None:
    """The label on a filled tab above the box's top-left corner (inside the box at the top edge)."""
    tab = label_tab(text, fill, ink, painter.font())
    width, height = tab.width(), tab.height()
    top = rect.top() - height if rect.top() - height >= area.top() else rect.top()
    left = max(area.left(), min(rect.left(), area.right() - width)) - LINE_WIDTH / 2
    painter.drawImage(round(left), round(top), tab)

"""The sensor gauges: a dial for pressure, a tank for level, a thermometer, a lamp for binary inputs.

Each one draws only its body; the card, the words, the quality look and the bounded repaint are in
:class:`~widgets.gauge_base.GaugeBase`. The scale is the point's ``range``; alarm limits are drawn *on*
the scale (marks plus a darker band beyond them), so an operator sees how close a reading is to its
limit without reading numbers. Everything is grey while normal (ISA-101): colour appears only for an
alarm, a failed value or a value beyond its scale. :func:`make_gauge` picks the gauge for a point kind.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from widgets.gauge_base import BodyView, GaugeBase
from widgets.gauge_state import (
    DIAL_BAND_R,
    DIAL_MARK_INNER_R,
    DIAL_MARK_OUTER_R,
    DIAL_NEEDLE_R,
    DIAL_SCALE_R,
    DIAL_SPAN_DEG,
    DIAL_START_DEG,
    DIAL_TICK_R,
    HATCHED,
    GaugeState,
    decimals_for,
    dial_angle,
    dial_frame,
    dial_label_boxes,
    dial_label_margin,
    format_number,
    fraction,
    nice_step,
    nice_ticks,
    numeric,
    polar,
    spread_boxes,
)

__all__ = [
    "BinaryLamp",
    "DialGauge",
    "GaugeBase",
    "GaugeState",
    "TankGauge",
    "ThermometerGauge",
    "gauge_class_for",
    "make_gauge",
]


# The smallest text a scale gets (points): below this, greyed words on a failed gauge are unreadable.
MIN_SCALE_POINTS = 8.5


def _small_font(widget: QWidget, factor: float = 0.85) -> QFont:
    font = QFont(widget.font())
    size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
    font.setPointSizeF(max(MIN_SCALE_POINTS, size * factor))
    return font


def _zones(view: BodyView) -> list[tuple[float, float, bool]]:
    """Alarm zones on the scale as (from, to, severe): beyond a high/low limit, darker beyond HH/LL."""
    zones: list[tuple[float, float, bool]] = []
    for kind, limit in view.limits:
        if kind.startswith("high"):
            zones.append((limit, view.hi, kind == "high-high"))
        else:
            zones.append((view.lo, limit, kind == "low-low"))
    zones.sort(key=lambda z: z[2])  # severe zones last, drawn on top
    return zones


# ---------------------------------------------------------------------------------------------- dial
class DialGauge(GaugeBase):
    """A 270° dial: pressure (and flow, current, anything without a better shape)."""

    def dial_frame(self) -> tuple[float, float, float]:
        """Centre x, centre y and radius of the dial in widget coordinates (tests use it)."""
        body = self.body_rect()
        return dial_frame(body.left(), body.top(), body.width(), body.height(), self.label_margin())

    def label_margin(self) -> float:
        """The ring outside the scale kept for the limit labels (≥ 1.5 text heights)."""
        metrics = QFontMetricsF(_small_font(self))
        widest = max(metrics.horizontalAdvance(mark) for mark in self.limit_marks().values())
        return dial_label_margin(metrics.height(), widest)

    def limit_label_boxes(self) -> list[tuple[str, QRectF]]:
        """(limit kind, box) of each limit label as painted, in widget coordinates (tests use it)."""
        view = self.body_view()
        cx, cy, r = self.dial_frame()
        return self._label_boxes(view, cx, cy, r)

    def _label_boxes(self, view: BodyView, cx: float, cy: float, r: float) -> list[tuple[str, QRectF]]:
        metrics = QFontMetricsF(_small_font(self))
        marks = self.limit_marks()
        labels = [
            (limit, metrics.horizontalAdvance(marks[kind]) + 2, metrics.height())
            for kind, limit in view.limits
        ]
        boxes = dial_label_boxes(cx, cy, r, self.label_margin(), labels, view.lo, view.hi)
        return [(kind, QRectF(*box)) for (kind, _), box in zip(view.limits, boxes, strict=True)]

    def paint_body(self, painter: QPainter, rect: QRectF, view: BodyView) -> None:
        cx, cy, r = dial_frame(rect.left(), rect.top(), rect.width(), rect.height(), self.label_margin())
        centre = QPointF(cx, cy)

        def at(radius: float, angle: float) -> QPointF:
            x, y = polar(cx, cy, radius, angle)
            return QPointF(x, y)

        def arc_rect(radius: float) -> QRectF:
            return QRectF(cx - radius, cy - radius, 2 * radius, 2 * radius)

        # alarm zones: a band just inside the scale line
        band_w = max(3.0, r * 0.09)
        for start, end, severe in _zones(view):
            a0 = dial_angle(start, view.lo, view.hi)
            a1 = dial_angle(end, view.lo, view.hi)
            colour = self.colour("scaleColor" if severe else "bandColor")
            painter.setPen(QPen(colour, band_w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawArc(arc_rect(r * DIAL_BAND_R), int(a0 * 16), int((a1 - a0) * 16))

        # the scale line and its ticks
        scale_pen = QPen(self.colour("scaleColor"), 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
        painter.setPen(scale_pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(arc_rect(r * DIAL_SCALE_R), int(DIAL_START_DEG * 16), int(-DIAL_SPAN_DEG * 16))
        ticks = nice_ticks(view.lo, view.hi, 5 if r > 55 else 2)
        font = _small_font(self)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        decimals = max(0, decimals_for(view.lo, view.hi) - 1)
        for tick in ticks:
            angle = dial_angle(tick, view.lo, view.hi)
            painter.setPen(scale_pen)
            painter.drawLine(at(r * DIAL_SCALE_R, angle), at(r * DIAL_TICK_R, angle))
            label = format_number(tick, decimals)
            pos = at(r * DIAL_TICK_R - metrics.height() * 0.9, angle)
            box = QRectF(pos.x() - 30, pos.y() - metrics.height() / 2, 60, metrics.height())
            painter.setPen(self.colour("mutedColor"))
            self.paint_label(painter, box, label, Qt.AlignmentFlag.AlignCenter, view)

        # limit marks across the scale, with their short names outside it, pushed apart when close
        marks = self.limit_marks()
        for _, limit in view.limits:
            angle = dial_angle(limit, view.lo, view.hi)
            painter.setPen(self.limit_pen())
            painter.drawLine(at(r * DIAL_MARK_INNER_R, angle), at(r * DIAL_MARK_OUTER_R, angle))
        painter.setPen(self.colour("limitColor"))
        for kind, box in self._label_boxes(view, cx, cy, r):
            self.paint_label(painter, box, marks[kind], Qt.AlignmentFlag.AlignCenter, view)

        # needle, hub and the out-of-scale marker
        if view.value is not None:
            angle = dial_angle(view.value, view.lo, view.hi)
            colour = self.value_pen_colour(view)
            painter.setPen(QPen(colour, max(2.0, r * 0.045), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawLine(centre, at(r * DIAL_NEEDLE_R, angle))
            if view.clamped is not None:
                tip = at(r * DIAL_MARK_OUTER_R + 4, angle)
                base = at(r * DIAL_SCALE_R, angle)
                self.paint_clamp_marker(painter, tip, tip - base)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour("scaleColor" if view.value is None else "inkColor"))
        hub = max(3.0, r * 0.07)
        painter.drawEllipse(centre, hub, hub)


# ------------------------------------------------------------------------------ vertical scales
class _VerticalScaleGauge(GaugeBase):
    """Shared by the tank and the thermometer: a vertical scale on the left, limits on the right."""

    def column_rect(self, body: QRectF) -> QRectF:
        """The vessel's rectangle (the part that fills) inside the body."""
        raise NotImplementedError

    def level_y(self, column: QRectF, value: float, lo: float, hi: float) -> float:
        """The y coordinate of ``value`` on the vessel (bottom = lo, top = hi, clamped)."""
        return column.bottom() - fraction(value, lo, hi) * column.height()

    def limit_label_boxes(self) -> list[tuple[str, QRectF]]:
        """(limit kind, box) of each limit label as painted, in widget coordinates (tests use it)."""
        body = self.body_rect()
        return self._label_boxes(self.column_rect(body), body, self.body_view())

    def _label_boxes(self, column: QRectF, body: QRectF, view: BodyView) -> list[tuple[str, QRectF]]:
        """Limit labels right of the vessel at their limits' heights, pushed apart (HH above H)."""
        metrics = QFontMetricsF(_small_font(self))
        marks = self.limit_marks()
        height = metrics.height()
        wanted = [self.level_y(column, limit, view.lo, view.hi) for _, limit in view.limits]
        centres = spread_boxes(wanted, [height] * len(wanted), body.top(), body.bottom())
        left = column.right() + 14
        return [
            (kind, QRectF(left, y - height / 2, metrics.horizontalAdvance(marks[kind]) + 2, height))
            for (kind, _), y in zip(view.limits, centres, strict=True)
        ]

    def paint_scale(self, painter: QPainter, column: QRectF, view: BodyView) -> None:
        font = _small_font(self)
        metrics = QFontMetricsF(font)
        painter.setFont(font)
        decimals = max(0, decimals_for(view.lo, view.hi) - 1)
        divisions = max(2, min(5, int(column.height() // (metrics.height() * 1.6))))
        step_px = column.height() * nice_step(view.hi - view.lo, divisions) / (view.hi - view.lo)
        ticks = nice_ticks(view.lo, view.hi, divisions, min_gap=metrics.height() * 1.1 / max(1.0, step_px))
        scale_pen = QPen(self.colour("scaleColor"), 1.5)
        # alarm zones: a band along the right edge of the vessel, where the limit marks are
        for start, end, severe in _zones(view):
            y0 = self.level_y(column, start, view.lo, view.hi)
            y1 = self.level_y(column, end, view.lo, view.hi)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour("scaleColor" if severe else "bandColor"))
            painter.drawRect(QRectF(column.right() + 2, min(y0, y1), 6, abs(y1 - y0)))
        for tick in ticks:
            y = self.level_y(column, tick, view.lo, view.hi)
            painter.setPen(scale_pen)
            painter.drawLine(QPointF(column.left() - 12, y), QPointF(column.left() - 3, y))
            box = QRectF(column.left() - 70, y - metrics.height() / 2, 55, metrics.height())
            painter.setPen(self.colour("mutedColor"))
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            self.paint_label(painter, box, format_number(tick, decimals), align, view)
        for _, limit in view.limits:
            y = self.level_y(column, limit, view.lo, view.hi)
            painter.setPen(self.limit_pen())
            painter.drawLine(QPointF(column.right() - 4, y), QPointF(column.right() + 12, y))
        marks = self.limit_marks()
        body = self.body_rect()
        boxes = self._label_boxes(column, body, view)
        for (_, limit), (kind, box) in zip(view.limits, boxes, strict=True):
            y = self.level_y(column, limit, view.lo, view.hi)
            if abs(box.center().y() - y) > 1.0:  # pushed aside: a thin leader back to its mark
                painter.setPen(QPen(self.colour("limitColor"), 1.0))
                painter.drawLine(QPointF(column.right() + 12, y), QPointF(box.left() - 1, box.center().y()))
            painter.setPen(self.colour("limitColor"))
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            self.paint_label(painter, box, marks[kind], align, view)

    def paint_clamp(self, painter: QPainter, column: QRectF, view: BodyView) -> None:
        if view.clamped == "high":
            tip = QPointF(column.center().x(), column.top() - 10)
            self.paint_clamp_marker(painter, tip, QPointF(0, -1))
        elif view.clamped == "low":
            tip = QPointF(column.right() + 16, column.bottom())
            self.paint_clamp_marker(painter, tip, QPointF(0, 1))


class TankGauge(_VerticalScaleGauge):
    """A vertical tank: water-tank and fire-pool level."""

    def column_rect(self, body: QRectF) -> QRectF:
        width = max(24.0, min(body.width() * 0.36, body.height() * 0.7))
        height = body.height() - 16
        left = body.center().x() - width / 2 + 6
        return QRectF(left, body.top() + 10, width, height)

    def paint_body(self, painter: QPainter, rect: QRectF, view: BodyView) -> None:
        tank = self.column_rect(rect)
        if view.value is not None:
            y = self.level_y(tank, view.value, view.lo, view.hi)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour("bandColor" if view.greyed else "fillColor"))
            painter.drawRect(QRectF(tank.left(), y, tank.width(), tank.bottom() - y))
            painter.setPen(QPen(self.value_pen_colour(view), 2.0))
            painter.drawLine(QPointF(tank.left(), y), QPointF(tank.right(), y))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(self.colour("scaleColor"), 2.0))
        painter.drawRoundedRect(tank, 3, 3)
        self.paint_scale(painter, tank, view)
        self.paint_clamp(painter, tank, view)


class ThermometerGauge(_VerticalScaleGauge):
    """A thermometer: pump rooms, charging sheds, cable shafts, heat detectors with a reading."""

    def _tube_width(self, body: QRectF) -> float:
        return max(10.0, min(22.0, body.width() * 0.11))

    def column_rect(self, body: QRectF) -> QRectF:
        tube = self._tube_width(body)
        bulb_space = tube * 1.6  # the bulb below the scale's zero
        left = body.center().x() - tube / 2 + 6
        return QRectF(left, body.top() + 12, tube, body.height() - 12 - bulb_space)

    def paint_body(self, painter: QPainter, rect: QRectF, view: BodyView) -> None:
        tube = self.column_rect(rect)
        radius = tube.width() * 0.8
        bulb_centre = QPointF(tube.center().x(), tube.bottom() + radius * 0.75)
        outline = QPainterPath()
        outline.addRoundedRect(
            tube.adjusted(0, -tube.width() / 2, 0, radius * 0.4), tube.width() / 2, tube.width() / 2
        )
        outline.addEllipse(bulb_centre, radius, radius)
        outline = outline.simplified()
        if view.value is not None:
            fill_colour = self.colour("bandColor" if view.greyed else "fillColor")
            y = self.level_y(tube, view.value, view.lo, view.hi)
            liquid = QPainterPath()
            inset = tube.width() * 0.22
            liquid.addRect(QRectF(tube.left() + inset, y, tube.width() - 2 * inset, bulb_centre.y() - y))
            liquid.addEllipse(bulb_centre, radius - inset, radius - inset)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill_colour)
            painter.drawPath(liquid.simplified())
            painter.setPen(QPen(self.value_pen_colour(view), 2.0))
            painter.drawLine(QPointF(tube.left() + inset, y), QPointF(tube.right() - inset, y))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(self.colour("scaleColor"), 2.0))
        painter.drawPath(outline)
        self.paint_scale(painter, tube, view)
        self.paint_clamp(painter, tube, view)


# ---------------------------------------------------------------------------------------------- lamp
class BinaryLamp(GaugeBase):
    """A lamp for a binary input (smoke, call point, door) with the state in words.

    Off is a hollow ring, on a filled grey disc, in alarm the alarm colour: the state never rests
    on colour alone (ISA-101: shape and words carry it too).
    """

    def __init__(
        self,
        point_id: str,
        kind: str = "other",
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(point_id, parent, clock=clock)
        self._kind = kind

    @property
    def kind(self) -> str:
        return self._kind

    def _words(self) -> tuple[str, str]:
        """(off, on) words for this kind of input."""
        if self._kind == "smoke":
            return self.tr("clear"), self.tr("smoke")
        if self._kind == "call-point":
            return self.tr("normal"), self.tr("operated")
        if self._kind == "door":
            return self.tr("closed"), self.tr("open")
        if self._kind == "heat":
            return self.tr("normal"), self.tr("heat")
        return self.tr("off"), self.tr("on")

    def is_on(self) -> bool | None:
        """The input's last known state, or None when there is none (never read, bad address)."""
        if self.state.quality in ("never-read", "bad-config"):
            return None
        number = numeric(self.state.value)
        return None if number is None else number != 0

    def _state_word(self) -> str | None:
        on = self.is_on()
        if on is None:
            return None
        off_word, on_word = self._words()
        return on_word if on else off_word

    def value_text(self) -> str:
        """The state in words; "—" when it is not live (the word would read as a current verdict)."""
        if self.state.quality in HATCHED:
            return "—"
        word = self._state_word()
        return "—" if word is None else word

    def last_value_words(self) -> str | None:
        """A failed lamp's last word goes to the status line ("comm-fail · was clear, 7 s ago")."""
        return self._state_word() if self.state.quality in HATCHED else None

    def paint_body(self, painter: QPainter, rect: QRectF, view: BodyView) -> None:
        diameter = max(16.0, min(rect.width(), rect.height()) * 0.62)
        centre = rect.center()
        lamp = QRectF(centre.x() - diameter / 2, centre.y() - diameter / 2, diameter, diameter)
        on = self.is_on()
        if self.state.alarm_active and on is not None and not view.greyed:
            brush = self.colour("alarmColor")
        elif on:
            brush = self.colour("bandColor" if view.greyed else "fillColor")
        else:
            brush = self.colour("faceColor")
        painter.setBrush(brush)
        pen = QPen(self.colour("scaleColor"), 3.0)
        if on is None:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawEllipse(lamp)


# ------------------------------------------------------------------------------------------- factory
_KIND_CLASSES: dict[str, type[GaugeBase]] = {
    "pressure": DialGauge,
    "level": TankGauge,
    "temperature": ThermometerGauge,
    "heat": ThermometerGauge,
    "smoke": BinaryLamp,
    "call-point": BinaryLamp,
    "door": BinaryLamp,
}


def gauge_class_for(kind: str) -> type[GaugeBase]:
    """The gauge that suits a point kind; flow, current and anything else get a dial."""
    return _KIND_CLASSES.get(kind, DialGauge)


def make_gauge(
    kind: str, point_id: str = "", parent: QWidget | None = None, *, binary: bool = False
) -> GaugeBase:
    """A new gauge for a point of ``kind`` (site-file point kinds).

    ``binary`` (the point's type is ``bool``) forces a lamp: a heat *detector* is a contact, not a
    temperature, and a dial for a 0/1 value would only mislead.
    """
    cls = BinaryLamp if binary else gauge_class_for(kind)
    if cls is BinaryLamp:
        return BinaryLamp(point_id, kind, parent)
    return cls(point_id, parent)

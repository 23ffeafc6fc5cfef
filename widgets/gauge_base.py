"""What every sensor gauge shares: state handling, bounded repaint, quality words, colours, clicks.

Why it looks and behaves this way:

- **Repaint on a timer, never per sample** (DESIGN §3, §8.4). ``set_state`` only stores the snapshot and
  marks the gauge dirty; the :class:`~widgets.gauge_grid.GaugeGrid` that holds the gauges calls
  :meth:`GaugeBase.refresh` from one bounded-rate ``QTimer``, and only then is a repaint requested.
- **Never show a dead value as live.** comm-fail, stale and bad-config are greyed and hatched, framed
  in the fault colour, with the words and the value's age ("comm-fail · last 00:42 ago"); the age keeps
  counting between snapshots. never-read and bad-config show "—"; out-of-range pins the needle to the
  end of the scale with a marker and says so.
- **One palette** (DESIGN §8.5). The gauge draws with colour *roles* exposed as Qt properties
  (``faceColor``, ``inkColor`` …). Each defaults to a role of the widget's palette (so the application
  stylesheet's ``color``/``background-color`` already apply) and the QSS may set any of them with
  ``qproperty-faceColor: #e2e2e2;``. The abnormal colours (fault, notice, alarm) default to the ISA-101
  palette's values documented in ``resources/themes/isa101.qss`` and are overridable the same way.
  The state is also published as the dynamic properties ``quality`` and ``alarm`` for QSS selectors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Property, QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from widgets.gauge_state import (
    HATCHED,
    GaugeState,
    clamp_side,
    decimals_for,
    format_age,
    format_number,
    numeric,
    numeric_limits,
    scale_of,
)
from widgets.style import set_style_property

Role = QPalette.ColorRole
# Defaults for the abnormal colours: the ISA-101 palette's values (isa101.qss header); the QSS may
# override them through the properties below. Normal colours come from the widget's palette.
DEFAULT_FAULT = "#c8102e"  # link down / comm-fail frame
DEFAULT_NOTICE = "#f7dca0"  # pale amber behind the words of a failed value
DEFAULT_ALARM = "#c8102e"  # the value box of a point in alarm

# property name -> palette role or fixed default
_COLOUR_DEFAULTS: dict[str, Role | str] = {
    "faceColor": Role.Window,
    "inkColor": Role.WindowText,
    "mutedColor": Role.Shadow,
    "scaleColor": Role.Dark,
    "bandColor": Role.Mid,
    "fillColor": Role.Dark,
    "limitColor": Role.WindowText,
    "hatchColor": Role.Shadow,
    "alarmTextColor": Role.BrightText,
    "faultColor": DEFAULT_FAULT,
    "noticeColor": DEFAULT_NOTICE,
    "alarmColor": DEFAULT_ALARM,
}

# Severity order when naming the limit a value is beyond.
_LIMIT_ORDER: tuple[str, ...] = ("high-high", "low-low", "high", "low")


def _colour_property(name: str) -> Property:
    """A ``QColor`` Qt property that QSS can set (``qproperty-<name>``), defaulting to the palette."""

    def getter(self: GaugeBase) -> QColor:
        return self.colour(name)

    def setter(self: GaugeBase, colour: QColor | str) -> None:
        self._colours[name] = QColor(colour)
        self.update()

    return Property(QColor, getter, setter)


@dataclass(frozen=True)
class BodyView:
    """What a gauge's body needs to draw, worked out once per paint from the state."""

    value: float | None  # the number to place on the scale (None: no needle/fill)
    lo: float
    hi: float
    clamped: str | None  # "low"/"high" when the value lies beyond the scale
    greyed: bool  # the value is not live: draw it muted
    limits: list[tuple[str, float]]
    alarm: bool


class GaugeBase(QWidget):
    """A gauge card: title, a body drawn by the subclass, the value and the quality words.

    Plain data in (:class:`GaugeState`), ``clicked(point_id)`` out.
    """

    clicked = Signal(str)

    faceColor = _colour_property("faceColor")
    inkColor = _colour_property("inkColor")
    mutedColor = _colour_property("mutedColor")
    scaleColor = _colour_property("scaleColor")
    bandColor = _colour_property("bandColor")
    fillColor = _colour_property("fillColor")
    limitColor = _colour_property("limitColor")
    hatchColor = _colour_property("hatchColor")
    alarmTextColor = _colour_property("alarmTextColor")
    faultColor = _colour_property("faultColor")
    noticeColor = _colour_property("noticeColor")
    alarmColor = _colour_property("alarmColor")

    MARGIN = 6.0

    def __init__(
        self, point_id: str, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.setObjectName("gauge")
        self._point_id = point_id
        self._colours: dict[str, QColor] = {}
        self._state = GaugeState()
        self._received = clock()
        self._dirty = True
        self._shown_age: int | None = None
        self._clock = clock  # monotonic seconds; the shown age keeps counting with it
        self._keyboard_focus = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(150, 180)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setProperty("quality", "")
        self.setProperty("alarm", "")
        set_style_property(self, "quality", "never-read")
        set_style_property(self, "alarm", "none")

    # ------------------------------------------------------------------ data in
    @property
    def point_id(self) -> str:
        return self._point_id

    @property
    def state(self) -> GaugeState:
        return self._state

    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_state(self, state: GaugeState) -> None:
        """Store the newest snapshot. Does not repaint: the grid's timer calls :meth:`refresh`."""
        self._state = state
        self._received = self._clock()
        self._dirty = True

    def refresh(self) -> bool:
        """Ask for one repaint if the state (or the shown age) changed; returns whether it did.

        Called from the owner's bounded-rate timer. The dynamic properties are updated here too, so
        the re-polish they cost is paid at most once per tick, and only when they change.
        """
        age = self._age_whole_seconds()
        if age != self._shown_age:
            self._dirty = True
        if not self._dirty:
            return False
        self._dirty = False
        self._shown_age = age
        state = self._state
        set_style_property(self, "quality", state.quality)
        set_style_property(self, "alarm", "active" if state.alarm_active else "none")
        self.setToolTip("\n".join(t for t in (state.label, self.value_text(), self.status_text()) if t))
        self.setAccessibleName(state.label or self._point_id)
        self.update()
        return True

    # ------------------------------------------------------------------ words
    def value_text(self) -> str:
        """The reading as painted: number and unit, or "—" when there is no value to show."""
        state = self._state
        number = numeric(state.value)
        if state.quality in ("never-read", "bad-config") or number is None:
            return "—"
        lo, hi = scale_of(state)
        text = format_number(number, decimals_for(lo, hi))
        return f"{text} {state.unit}".strip()

    def status_text(self) -> str:
        """The quality in words (with the value's age when it is not live), or the alarm in words."""
        state = self._state
        quality = state.quality
        if quality in ("comm-fail", "stale"):
            age = self._live_age()
            if age is None:
                return self.tr("{quality} · never read").format(quality=quality)
            return self.tr("{quality} · last {age} ago").format(quality=quality, age=format_age(age))
        if quality == "bad-config":
            return self.tr("bad address")
        if quality == "out-of-range":
            return self.tr("out of range")
        if quality == "never-read":
            return self.tr("never read")
        if state.alarm_active:
            beyond = self.limit_exceeded()
            if beyond is None:
                return self.tr("in alarm")
            return self.tr("{limit} alarm").format(limit=beyond)
        return ""

    def limit_exceeded(self) -> str | None:
        """The most severe limit the current value is beyond (high-high before high), if any."""
        number = numeric(self._state.value)
        if number is None:
            return None
        limits = numeric_limits(self._state)
        for kind in _LIMIT_ORDER:
            for limit_kind, limit in limits:
                if limit_kind != kind:
                    continue
                high, low = kind.startswith("high"), kind.startswith("low")
                if (high and number >= limit) or (low and number <= limit):
                    return kind
        return None

    def _live_age(self) -> float | None:
        """The value's age now: its age when it arrived plus the time since (it keeps counting)."""
        if self._state.age_s is None:
            return None
        return max(0.0, self._state.age_s + (self._clock() - self._received))

    def _age_whole_seconds(self) -> int | None:
        if self._state.quality not in ("comm-fail", "stale"):
            return None
        age = self._live_age()
        return None if age is None else int(age)

    # ------------------------------------------------------------------ colours
    def colour(self, name: str) -> QColor:
        """The colour of a role: set by QSS/``setProperty``, else its palette or palette default."""
        colour = self._colours.get(name)
        if colour is not None and colour.isValid():
            return QColor(colour)
        default = _COLOUR_DEFAULTS[name]
        if isinstance(default, str):
            return QColor(default)
        return self.palette().color(default)

    # ------------------------------------------------------------------ layout
    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        base = QFont(self.font())
        title = QFont(base)
        title.setBold(True)
        value = QFont(base)
        value.setBold(True)
        size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
        value.setPointSizeF(size * 1.45)
        small = QFont(base)
        small.setPointSizeF(size * 0.9)
        return title, value, small

    def regions(self) -> tuple[QRectF, QRectF, QRectF, QRectF]:
        """(title, body, value, status) rectangles in widget coordinates."""
        title_font, value_font, small_font = self._fonts()
        m = self.MARGIN
        inner = QRectF(self.rect()).adjusted(m, m, -m, -m)
        title_h = QFontMetricsF(title_font).height() + 4
        value_h = QFontMetricsF(value_font).height() + 4
        status_h = QFontMetricsF(small_font).height() + 6
        title = QRectF(inner.left(), inner.top(), inner.width(), title_h)
        status = QRectF(inner.left(), inner.bottom() - status_h, inner.width(), status_h)
        value = QRectF(inner.left(), status.top() - value_h - 2, inner.width(), value_h)
        body = QRectF(inner.left(), title.bottom() + 2, inner.width(), value.top() - title.bottom() - 6)
        return title, body, value, status

    def body_rect(self) -> QRectF:
        """Where the subclass draws its dial, tank, thermometer or lamp."""
        return self.regions()[1]

    # ------------------------------------------------------------------ painting
    def body_view(self) -> BodyView:
        state = self._state
        lo, hi = scale_of(state)
        number = numeric(state.value)
        if state.quality in ("never-read", "bad-config"):
            number = None
        return BodyView(
            value=number,
            lo=lo,
            hi=hi,
            clamped=None if number is None else clamp_side(number, lo, hi),
            greyed=state.quality in HATCHED,
            limits=numeric_limits(state),
            alarm=state.alarm_active,
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            self._paint_card(painter)
        finally:
            painter.end()

    def _paint_card(self, painter: QPainter) -> None:
        state = self._state
        title_rect, body, value_rect, status_rect = self.regions()
        title_font, value_font, small_font = self._fonts()
        abnormal = state.quality != "good"
        outline = QRectF(self.rect()).adjusted(1, 1, -1, -1)

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour("faceColor"))
        painter.drawRect(outline)

        self.paint_body(painter, body, self.body_view())
        if state.quality in HATCHED:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(self.colour("hatchColor"), Qt.BrushStyle.BDiagPattern))
            painter.drawRect(body)

        painter.setFont(title_font)
        painter.setPen(self.colour("inkColor"))
        title = QFontMetricsF(title_font).elidedText(
            state.label or self._point_id, Qt.TextElideMode.ElideRight, title_rect.width()
        )
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)

        value_text = self.value_text()
        painter.setFont(value_font)
        if state.alarm_active:
            width = QFontMetricsF(value_font).horizontalAdvance(value_text) + 16
            box = QRectF(value_rect.center().x() - width / 2, value_rect.top(), width, value_rect.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour("alarmColor"))
            painter.drawRect(box)
            painter.setPen(self.colour("alarmTextColor"))
        else:
            painter.setPen(self.colour("mutedColor" if state.quality in HATCHED else "inkColor"))
        painter.drawText(value_rect, Qt.AlignmentFlag.AlignCenter, value_text)

        status = self.status_text()
        if status:
            painter.setFont(small_font)
            if abnormal:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self.colour("noticeColor"))
                painter.drawRect(status_rect)
                bold = QFont(small_font)
                bold.setBold(True)
                painter.setFont(bold)
            painter.setPen(self.colour("inkColor"))
            shown = QFontMetricsF(painter.font()).elidedText(
                status, Qt.TextElideMode.ElideRight, status_rect.width() - 4
            )
            painter.drawText(status_rect, Qt.AlignmentFlag.AlignCenter, shown)

        painter.setBrush(Qt.BrushStyle.NoBrush)
        if abnormal and state.quality != "never-read":
            painter.setPen(QPen(self.colour("faultColor"), 2.0))
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        else:
            painter.setPen(QPen(self.colour("scaleColor"), 1.0))
            painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        if self.hasFocus() and self._keyboard_focus:
            painter.setPen(QPen(self.colour("inkColor"), 1.0, Qt.PenStyle.DotLine))
            painter.drawRect(QRectF(self.rect()).adjusted(3.5, 3.5, -3.5, -3.5))

    def paint_body(self, painter: QPainter, rect: QRectF, view: BodyView) -> None:
        """Draw the dial/tank/thermometer/lamp in ``rect`` (subclasses)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ shared drawing helpers
    def limit_pen(self) -> QPen:
        """The pen of limit marks: thick, square-ended, in the limit colour."""
        return QPen(self.colour("limitColor"), 3.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)

    def value_pen_colour(self, view: BodyView) -> QColor:
        """Needle/fill colour: muted when the value is not live, so it cannot pass for a reading."""
        return self.colour("mutedColor" if view.greyed else "inkColor")

    def paint_clamp_marker(self, painter: QPainter, tip: QPointF, direction: QPointF) -> None:
        """A filled triangle pointing off the end of the scale: the value lies beyond it."""
        length = math.hypot(direction.x(), direction.y()) or 1.0
        ux, uy = direction.x() / length, direction.y() / length
        size = 9.0
        base = QPointF(tip.x() - ux * size, tip.y() - uy * size)
        left = QPointF(base.x() - uy * size * 0.6, base.y() + ux * size * 0.6)
        right = QPointF(base.x() + uy * size * 0.6, base.y() - ux * size * 0.6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour("faultColor"))
        painter.drawPolygon([tip, left, right])

    # ------------------------------------------------------------------ input
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A click opens the point's trend (the page listens to ``clicked``)."""
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            event.accept()
            self.clicked.emit(self._point_id)
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter or Space opens the trend too: the page must work without a mouse."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            event.accept()
            self.clicked.emit(self._point_id)
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Show the focus frame only when focus came from the keyboard (a click needs no frame)."""
        reasons = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason)
        self._keyboard_focus = event.reason() in reasons
        super().focusInEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        """Re-word at the next tick (words are translated at paint time) when the language changes.

        Palette changes need nothing here: Qt repaints the widget itself, and marking it dirty would
        cost a second repaint after every re-polish.
        """
        if event.type() == QEvent.Type.LanguageChange:
            self._dirty = True
        super().changeEvent(event)

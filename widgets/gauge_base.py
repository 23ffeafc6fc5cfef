"""What every sensor gauge shares: state handling, bounded repaint, quality words, colours, clicks.

Why it looks and behaves this way:

- **Repaint on a timer, never per sample** (DESIGN §3, §8.4). ``set_state`` only stores the snapshot and
  marks the gauge dirty (telling its grid, which keeps a set of dirty gauges); the
  :class:`~widgets.gauge_grid.GaugeGrid` that holds the gauges calls :meth:`GaugeBase.refresh` from one
  bounded-rate ``QTimer``, and only then is a repaint requested.
- **Never show a dead value as live.** comm-fail, stale and bad-config are greyed and hatched, framed
  with the bad-quality style (dashed, dark: not an alarm colour), with the words and the value's age
  ("comm-fail · last 42 s ago"); the age keeps counting between snapshots. The rule for the big text
  under the hatch: it never states a *verdict* about a value that is not live. A number stays there
  greyed (with the greyed needle or fill it is a measurement whose age the status line gives, and
  where it sat against its limits still helps), but a lamp's word ("clear", "normal") is a verdict
  an operator takes in at a glance, so a failed lamp shows "—" and its last word moves to the status
  line: "comm-fail · was clear, 7 s ago". never-read and bad-config show "—"; out-of-range pins the
  needle to the end of the scale with a marker and says so.
- **The status line never loses the age.** It is written in compact units ("7 s", "1 h 02 min"); a
  narrow card drops words before the age ("comm-fail 7 s", then the short quality word "comm 7 s"),
  and the card's minimum width is derived from that shortest text.
- **Every word is translated**, including the quality and limit words inside formatted strings, and
  the age units.
- **One palette** (DESIGN §8.5). The gauge draws with colour *roles* exposed as Qt properties
  (``faceColor``, ``inkColor`` …). Each defaults to a role of the widget's palette, so the application
  stylesheet owns every colour (``qproperty-faceColor: …;``) and no hex value lives here. The
  state is published as the dynamic properties ``quality`` and ``alarm`` (``fire``/``urgent``/``high``/
  ``medium``/``low``/``none``) for QSS selectors, so each alarm priority takes its own
  ``alarmColor`` and bad quality (``badQualityColor``) never borrows an alarm colour.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
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
    AGEING,
    HATCHED,
    WIDEST_AGES_S,
    GaugeState,
    alarm_level,
    clamp_side,
    decimals_for,
    format_age,
    format_number,
    numeric,
    numeric_limits,
    scale_of,
)
from widgets.style import ColourRoles, colour_property, set_style_property

Role = QPalette.ColorRole

# property name -> the palette role it defaults to. The stylesheet (resources/themes/isa101.qss) sets
# the real colours, per state through the ``quality``/``alarm`` selectors; without it the gauge still
# draws with distinct roles: bad quality in the text colour (dashed), alarms in the highlight.
_COLOUR_DEFAULTS: dict[str, Role] = {
    "faceColor": Role.Window,
    "inkColor": Role.WindowText,
    "mutedColor": Role.Shadow,
    "scaleColor": Role.Dark,
    "bandColor": Role.Mid,
    "fillColor": Role.Dark,
    "limitColor": Role.WindowText,
    "hatchColor": Role.Mid,
    "alarmTextColor": Role.HighlightedText,
    "badQualityColor": Role.WindowText,
    "noticeColor": Role.ToolTipBase,
    "alarmColor": Role.Highlight,
}

# Pen of the bad-quality frame: dashed, so it differs from an alarm by shape as well as colour.
BAD_QUALITY_DASHES: list[float] = [3.0, 2.0]
CARD_MIN_WIDTH = 150
CARD_MIN_HEIGHT = 180
_MIN_WIDTH_CACHE: dict[tuple[object, ...], int] = {}


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


class GaugeBase(ColourRoles, QWidget):
    """A gauge card: title, a body drawn by the subclass, the value and the quality words.

    Plain data in (:class:`GaugeState`), ``clicked(point_id)`` out.
    """

    clicked = Signal(str)
    COLOUR_DEFAULTS = _COLOUR_DEFAULTS

    faceColor = colour_property("faceColor")
    inkColor = colour_property("inkColor")
    mutedColor = colour_property("mutedColor")
    scaleColor = colour_property("scaleColor")
    bandColor = colour_property("bandColor")
    fillColor = colour_property("fillColor")
    limitColor = colour_property("limitColor")
    hatchColor = colour_property("hatchColor")
    alarmTextColor = colour_property("alarmTextColor")
    badQualityColor = colour_property("badQualityColor")
    noticeColor = colour_property("noticeColor")
    alarmColor = colour_property("alarmColor")

    MARGIN = 6.0

    def __init__(
        self, point_id: str, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.setObjectName("gauge")
        self._point_id = point_id
        self._state = GaugeState()
        self._received = clock()
        self._dirty = True
        self._shown_age: str | None = None
        self._clock = clock  # monotonic seconds; the shown age keeps counting with it
        self._keyboard_focus = False
        self._on_dirty: Callable[[GaugeBase], None] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(CARD_MIN_WIDTH, CARD_MIN_HEIGHT)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        # Plain setProperty: nothing is polished yet (a re-polish per gauge made big grids slow).
        self.setProperty("quality", "never-read")
        self.setProperty("alarm", "none")
        self._update_minimum_width()

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

    @property
    def ageing(self) -> bool:
        """Whether the drawn age text of this gauge changes with time (a comm-fail or stale value)."""
        return self._state.quality in AGEING and self._state.age_s is not None

    def set_dirty_callback(self, callback: Callable[[GaugeBase], None] | None) -> None:
        """Called (with the gauge) when it turns dirty: the grid keeps a set instead of a full walk."""
        self._on_dirty = callback

    def _mark_dirty(self) -> None:
        self._dirty = True
        if self._on_dirty is not None:
            self._on_dirty(self)

    def set_state(self, state: GaugeState) -> None:
        """Store the newest snapshot. Does not repaint: the grid's timer calls :meth:`refresh`."""
        self._state = state
        self._received = self._clock()
        self._mark_dirty()

    def refresh(self, paint: bool = True) -> bool:
        """Bring the card up to date if the state (or the shown age text) changed; returns whether it did.

        Called from the owner's bounded-rate timer. The dynamic properties are updated here too, so
        the re-polish they cost is paid at most once per tick, and only when they change. With
        ``paint=False`` (the card is scrolled out of sight) no repaint is requested: Qt paints the
        current state anyway when the card is exposed again.
        """
        age = self._age_text()
        if age != self._shown_age:
            self._dirty = True
        if not self._dirty:
            return False
        self._dirty = False
        self._shown_age = age
        state = self._state
        set_style_property(self, "quality", state.quality)
        set_style_property(self, "alarm", alarm_level(state))
        # The point id is what an installer greps the site file for: show it when the label differs.
        point_id = self._point_id if self._point_id and self._point_id != state.label else ""
        lines = (state.label, point_id, self.value_text(), self.status_text())
        self.setToolTip("\n".join(t for t in lines if t))
        self.setAccessibleName(state.label or self._point_id)
        if paint:
            self.update()
        return True

    # ------------------------------------------------------------------ words
    def quality_words(self) -> dict[str, str]:
        """Each quality in words, translated (the status line's first word)."""
        return {
            "good": self.tr("good"),
            "comm-fail": self.tr("comm-fail"),
            "stale": self.tr("stale"),
            "bad-config": self.tr("bad address"),
            "out-of-range": self.tr("out of range"),
            "never-read": self.tr("never read"),
        }

    def quality_short_words(self) -> dict[str, str]:
        """The ageing qualities in as few letters as stay clear, for a narrow card's status line."""
        return {"comm-fail": self.tr("comm", "short for comm-fail"), "stale": self.tr("stale")}

    def limit_words(self) -> dict[str, str]:
        """Each limit kind in words, translated ("low-low alarm")."""
        return {
            "high-high": self.tr("high-high"),
            "high": self.tr("high"),
            "low": self.tr("low"),
            "low-low": self.tr("low-low"),
        }

    def limit_marks(self) -> dict[str, str]:
        """Each limit kind's mark on the scale (ISA: HH, H, L, LL), translatable like any text."""
        return {
            "high-high": self.tr("HH", "limit mark: high-high"),
            "high": self.tr("H", "limit mark: high"),
            "low": self.tr("L", "limit mark: low"),
            "low-low": self.tr("LL", "limit mark: low-low"),
        }

    def age_units(self) -> dict[str, str]:
        """The age's unit words, translated (keys as :func:`~widgets.gauge_state.format_age` wants)."""
        return {
            "s": self.tr("s", "age unit: seconds"),
            "min": self.tr("min", "age unit: minutes"),
            "h": self.tr("h", "age unit: hours"),
            "d": self.tr("d", "age unit: days"),
        }

    def format_age(self, age_s: float) -> str:
        """An age in the compact, translated units of the status line ("7 s", "1 h 02 min")."""
        return format_age(age_s, self.age_units())

    def value_text(self) -> str:
        """The reading as painted: number and unit, or "—" when there is no value to show."""
        state = self._state
        number = numeric(state.value)
        if state.quality in ("never-read", "bad-config") or number is None:
            return "—"
        lo, hi = scale_of(state)
        text = format_number(number, decimals_for(lo, hi))
        return f"{text} {state.unit}".strip()

    def last_value_words(self) -> str | None:
        """The last value, in words, when the status line must carry it (lamps: "clear"); else None."""
        return None

    def status_text(self) -> str:
        """The quality in words (with the value's age when it is not live), or the alarm in words."""
        forms = self.status_forms()
        return forms[0] if forms else ""

    def status_forms(self) -> list[str]:
        """The status line from its full wording down to the shortest that still gives the age.

        The painter shows the first that fits the card: words go before the age does.
        """
        state = self._state
        quality = state.quality
        words = self.quality_words()
        if quality in AGEING:
            word = words[quality]
            age = self._live_age()
            if age is None:
                return [self.tr("{quality} · never read").format(quality=word)]
            age_text = self.format_age(age)
            short = self.quality_short_words()[quality]
            forms: list[str] = []
            last = self.last_value_words()
            if last is not None:
                was = self.tr("{quality} · was {value}, {age} ago")
                forms.append(was.format(quality=word, value=last, age=age_text))
            forms.append(self.tr("{quality} · last {age} ago").format(quality=word, age=age_text))
            forms.append(self.tr("{quality} {age}").format(quality=word, age=age_text))
            forms.append(self.tr("{quality} {age}").format(quality=short, age=age_text))
            return forms
        if quality in ("bad-config", "out-of-range", "never-read"):
            return [words[quality]]
        if alarm_level(state) != "none":
            limit_word = self.limit_words().get(state.alarm_limit or "")
            if limit_word is None:
                return [self.tr("in alarm")]
            return [self.tr("{limit} alarm").format(limit=limit_word)]
        return []

    def _live_age(self) -> float | None:
        """The value's age now: its age when it arrived plus the time since (it keeps counting)."""
        if self._state.age_s is None:
            return None
        return max(0.0, self._state.age_s + (self._clock() - self._received))

    def _age_text(self) -> str | None:
        """The age as drawn, for ageing qualities: a repaint is due only when this text changes."""
        if self._state.quality not in AGEING:
            return None
        age = self._live_age()
        return None if age is None else self.format_age(age)

    # ------------------------------------------------------------------ size
    def minimum_card_width(self) -> int:
        """The narrowest card whose status line still shows its shortest form whole.

        Measured on the shortest forms the status line can need (the short quality word with the
        widest age, and the fixed quality words), in the bold status font, plus the margins. Cached
        per font and wording: a grid of thousands of gauges measures it once.
        """
        _, _, small_font = self._fonts()
        bold = QFont(small_font)
        bold.setBold(True)
        template = self.tr("{quality} {age}")
        shorts = tuple(self.quality_short_words().values())
        words = self.quality_words()
        fixed = (words["bad-config"], words["out-of-range"], words["never-read"])
        units = tuple(self.age_units().items())
        key = (bold.toString(), template, shorts, fixed, units)
        cached = _MIN_WIDTH_CACHE.get(key)
        if cached is not None:
            return cached
        metrics = QFontMetricsF(bold)
        texts = [
            template.format(quality=short, age=format_age(age, dict(units)))
            for short in shorts
            for age in WIDEST_AGES_S
        ]
        widest = max(metrics.horizontalAdvance(text) for text in (*texts, *fixed))
        width = max(CARD_MIN_WIDTH, math.ceil(widest + 2 * self.MARGIN + 12))
        if len(_MIN_WIDTH_CACHE) > 64:
            _MIN_WIDTH_CACHE.clear()
        _MIN_WIDTH_CACHE[key] = width
        return width

    def _update_minimum_width(self) -> None:
        self.setMinimumWidth(self.minimum_card_width())

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
        alarm = alarm_level(state) != "none"
        outline = QRectF(self.rect()).adjusted(1, 1, -1, -1)

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour("faceColor"))
        painter.drawRect(outline)

        # The hatch goes under the scale, so the scale's words stay readable on a failed gauge.
        if state.quality in HATCHED:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(self.colour("hatchColor"), Qt.BrushStyle.BDiagPattern))
            painter.drawRect(body)
        painter.save()
        painter.setClipRect(body)  # nothing of the body (a limit label) may reach the title or value
        self.paint_body(painter, body, self.body_view())
        painter.restore()

        painter.setFont(title_font)
        painter.setPen(self.colour("inkColor"))
        title = QFontMetricsF(title_font).elidedText(
            state.label or self._point_id, Qt.TextElideMode.ElideRight, title_rect.width()
        )
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)

        value_text = self.value_text()
        painter.setFont(value_font)
        if alarm:
            width = QFontMetricsF(value_font).horizontalAdvance(value_text) + 16
            box = QRectF(value_rect.center().x() - width / 2, value_rect.top(), width, value_rect.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour("alarmColor"))
            painter.drawRect(box)
            painter.setPen(self.colour("alarmTextColor"))
        else:
            painter.setPen(self.colour("mutedColor" if state.quality in HATCHED else "inkColor"))
        painter.drawText(value_rect, Qt.AlignmentFlag.AlignCenter, value_text)

        forms = self.status_forms()
        if forms:
            painter.setFont(small_font)
            if abnormal:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self.colour("noticeColor"))
                painter.drawRect(status_rect)
                bold = QFont(small_font)
                bold.setBold(True)
                painter.setFont(bold)
            painter.setPen(self.colour("inkColor"))
            shown = fit_text(QFontMetricsF(painter.font()), forms, status_rect.width() - 4)
            painter.drawText(status_rect, Qt.AlignmentFlag.AlignCenter, shown)

        painter.setBrush(Qt.BrushStyle.NoBrush)
        if abnormal and state.quality != "never-read":
            pen = QPen(self.colour("badQualityColor"), 2.0)
            pen.setDashPattern(BAD_QUALITY_DASHES)
            painter.setPen(pen)
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
        painter.setBrush(self.colour("badQualityColor"))
        painter.drawPolygon([tip, left, right])

    def paint_label(
        self, painter: QPainter, box: QRectF, text: str, align: Qt.AlignmentFlag, view: BodyView
    ) -> None:
        """A scale word; on a hatched (failed) body it gets a face-coloured backing so it stays legible."""
        if view.greyed:
            metrics = QFontMetricsF(painter.font())
            width = min(box.width(), metrics.horizontalAdvance(text) + 4)
            if align & Qt.AlignmentFlag.AlignRight:
                left = box.right() - width
            elif align & Qt.AlignmentFlag.AlignLeft:
                left = box.left()
            else:
                left = box.center().x() - width / 2
            pen = painter.pen()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour("faceColor"))
            painter.drawRect(QRectF(left, box.center().y() - metrics.height() / 2, width, metrics.height()))
            painter.setPen(pen)
        painter.drawText(box, align, text)

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

        The minimum width follows the language and the font (it is measured on the status words).
        Palette changes need nothing here: Qt repaints the widget itself, and marking it dirty would
        cost a second repaint after every re-polish.
        """
        if event.type() == QEvent.Type.LanguageChange:
            self._update_minimum_width()
            self._mark_dirty()
        elif event.type() == QEvent.Type.FontChange:
            self._update_minimum_width()
        super().changeEvent(event)


def fit_text(metrics: QFontMetricsF, forms: list[str], width: float) -> str:
    """The first of ``forms`` (longest first) that fits ``width``; else the last, cut at its *start*.

    The status forms end with the age, so even a card narrower than its minimum keeps the age.
    """
    for form in forms:
        if metrics.horizontalAdvance(form) <= width:
            return form
    return metrics.elidedText(forms[-1], Qt.TextElideMode.ElideLeft, width)

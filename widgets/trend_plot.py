"""A point's trend: live samples plus downsampled history, with its alarm limits, on a time axis.

Why it is built this way:

- **Bounded memory.** Live samples go into a fixed-size numpy ring buffer; a trend left open for a week
  holds the same few megabytes as one opened a minute ago. Older data comes from the historian as
  min/max/avg buckets (``set_history``), drawn as a band with the average line, so a spike inside a
  bucket is never averaged away.
- **Bounded redraw** (DESIGN §3, §8.4). ``append`` only writes into the buffer; a ``QTimer`` at ≤ 4 Hz
  hands the data to pyqtgraph and slides the window. The timer runs only while the trend is shown.
- **Gaps are honest.** A sample without a value (comm-fail) is stored as NaN and the line breaks there
  (``connect="finite"``) instead of drawing a straight line across an outage.
- **The page fetches history.** The window buttons (10 min, 1 h, 24 h, 7 d) emit
  ``windowChanged(seconds)``; the page queries the historian and calls ``set_history``. Zooming or
  panning with the mouse stops following the present; pressing a window button resumes it.
- **One palette.** Colours are Qt properties (``lineColor``, ``bandColor``, …) defaulting to palette
  roles, settable from QSS with ``qproperty-lineColor: …``; grey while normal (ISA-101).
- **The site's clock.** Times on the axis are in the site's time zone (``set_timezone``, an IANA name
  such as ``Asia/Shanghai`` or a fixed offset such as ``+08:00``), not the workstation's: a trend
  viewed from a control room in another zone must still match the site's logs.
- **Labels that do not collide.** Each limit line's label ("L 0.5") sits at its own place along the
  line (:func:`stagger_label_positions`), so close limits (L 0.1, LL 0.05) never print on top of
  each other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import QFontMetricsF, QPalette
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from widgets.gauge_state import LIMIT_SHORT
from widgets.ring_buffer import RingBuffer
from widgets.shown_timer import ShownTimer, interval_for
from widgets.style import ColourRoles, colour_property
from widgets.time_axis import parse_timezone, seconds_west_of_utc, tick_text, window_parts

WINDOWS_S: tuple[int, ...] = (600, 3600, 86_400, 604_800)
MAX_RATE_HZ = 4.0
DEFAULT_CAPACITY = 86_400  # one day of 1 Hz samples: about 1.4 MB

Role = QPalette.ColorRole
_COLOUR_DEFAULTS: dict[str, Role] = {
    "backgroundColor": Role.Base,
    "inkColor": Role.WindowText,
    "lineColor": Role.WindowText,
    "bandColor": Role.Midlight,
    "avgColor": Role.Shadow,
    "limitColor": Role.WindowText,
}


class ZonedDateAxis(pg.DateAxisItem):
    """pyqtgraph's date axis in a chosen time zone (its own only knows the workstation's).

    Tick *positions* use the zone's offset at the middle of the visible range (pyqtgraph places
    ticks with one offset); tick *labels* are each formatted in the zone itself, so they stay right
    across a daylight-saving change.
    """

    def __init__(self, orientation: str = "bottom", **kwargs: Any) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self._zone: tzinfo | None = None

    @property
    def zone(self) -> tzinfo | None:
        return self._zone

    def set_zone(self, zone: tzinfo | None) -> None:
        self._zone = zone
        self.utcOffset = None
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        if self._zone is not None:
            west = seconds_west_of_utc((minVal + maxVal) / 2.0, self._zone)
            self.utcOffset = west  # type: ignore[assignment]
        result: list[tuple[float, list[float]]] = super().tickValues(minVal, maxVal, size)
        return result

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self._zone is None:
            strings: list[str] = super().tickStrings(values, scale, spacing)
            return strings
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        if spec is None:
            return ["" for _ in values]
        return [tick_text(value, self._zone, spec.format) for value in values]


def stagger_label_positions(
    widths: Sequence[float], span: float, start: float = 0.02, gap: float = 12.0
) -> list[float]:
    """Where each limit label goes along its line (0..1 of the plot width), left to right.

    Each label starts after the previous one's box plus ``gap`` pixels, so labels never overlap
    whatever the values (close limits such as L 0.1 and LL 0.05 would otherwise share a spot). When
    they do not all fit, the rest start again from the left.
    """
    if span <= 0:
        return [start for _ in widths]
    positions: list[float] = []
    x = start * span
    for width in widths:
        if positions and x + width > span:
            x = start * span
        positions.append(x / span)
        x += width + gap
    return positions


class TrendPlot(ColourRoles, QWidget):
    """Live + history trend of one point. Plain data in; ``windowChanged(seconds)`` out."""

    windowChanged = Signal(int)
    COLOUR_DEFAULTS = _COLOUR_DEFAULTS

    backgroundColor = colour_property("backgroundColor")
    inkColor = colour_property("inkColor")
    lineColor = colour_property("lineColor")
    bandColor = colour_property("bandColor")
    avgColor = colour_property("avgColor")
    limitColor = colour_property("limitColor")

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        capacity: int = DEFAULT_CAPACITY,
        rate_hz: float = MAX_RATE_HZ,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trendPlot")
        self._clock = clock
        self._live = RingBuffer(capacity)
        self._live_dirty = False
        self._history: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._history_dirty = False
        self._window_s = WINDOWS_S[0]
        self._following = True
        self._ticks = 0
        self._redraws = 0
        self._limits: list[tuple[str, float]] = []
        self._limit_lines: list[pg.InfiniteLine] = []

        self._title = QLabel(self)
        self._title.setObjectName("trendTitle")
        self._buttons = QButtonGroup(self)
        self._buttons.setExclusive(True)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self._title, 1)
        self._zone: tzinfo | None = None
        for index, seconds in enumerate(WINDOWS_S):
            button = QPushButton(self.window_words(seconds), self)
            button.setObjectName(f"trendWindow{seconds}")
            button.setCheckable(True)
            button.setChecked(seconds == self._window_s)
            self._buttons.addButton(button, index)
            bar.addWidget(button)
        self._buttons.idClicked.connect(self._on_window_button)

        self._axis = ZonedDateAxis(orientation="bottom")
        self._plot = pg.PlotWidget(self, axisItems={"bottom": self._axis})
        self._plot.setObjectName("trendCanvas")
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._plot.showGrid(x=True, y=True, alpha=0.25)
        view = self._plot.getViewBox()
        view.setMouseEnabled(x=True, y=True)
        view.sigRangeChangedManually.connect(self._on_manual_range)
        view.sigResized.connect(self._place_limit_labels)
        self._min_curve = pg.PlotDataItem(connect="finite")
        self._max_curve = pg.PlotDataItem(connect="finite")
        self._band = pg.FillBetweenItem(self._min_curve, self._max_curve)
        self._avg_curve = pg.PlotDataItem(connect="finite", clipToView=True, autoDownsample=True)
        self._live_curve = pg.PlotDataItem(connect="finite", clipToView=True, autoDownsample=True)
        for item in (self._min_curve, self._max_curve, self._band, self._avg_curve, self._live_curve):
            self._plot.addItem(item)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self._plot, 1)

        self._timer = ShownTimer(self, interval_for(rate_hz, MAX_RATE_HZ), self.tick, name="trendRepaint")
        self._apply_colours()
        self._follow_now()

    # ------------------------------------------------------------------ data in
    def set_title(self, label: str, unit: str = "") -> None:
        """The point's name over the plot and its unit on the value axis."""
        self._title.setText(label)
        self._plot.setLabel("left", units=None, text=unit)

    def set_y_range(self, value_range: tuple[float, float] | None) -> None:
        """Fix the value axis to the point's scale (as on its gauge), or let it follow the data."""
        view = self._plot.getViewBox()
        if value_range is None:
            view.enableAutoRange(axis="y")
            view.setAutoVisible(y=True)
            return
        lo, hi = sorted(value_range)
        view.setYRange(lo, hi, padding=0.05)

    def append(self, ts: float, value: float | None) -> None:
        """Store one live sample (epoch seconds); ``None``/NaN is a gap. Does not redraw."""
        self._live.append(ts, math.nan if value is None else float(value))
        self._live_dirty = True

    def extend(self, ts: np.ndarray, values: np.ndarray) -> None:
        """Store many live samples at once (NaN = gap). Does not redraw."""
        self._live.extend(ts, values)
        self._live_dirty = True

    def clear_live(self) -> None:
        self._live.clear()
        self._live_dirty = True

    def set_history(self, ts: np.ndarray, mins: np.ndarray, maxs: np.ndarray, avgs: np.ndarray) -> None:
        """Downsampled history (one row per bucket): a min–max band and the average line."""
        arrays = [np.asarray(a, dtype=np.float64).ravel() for a in (ts, mins, maxs, avgs)]
        lengths = {a.shape[0] for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"history arrays differ in length: {[a.shape[0] for a in arrays]}")
        self._history = (arrays[0], arrays[1], arrays[2], arrays[3])
        self._history_dirty = True

    def set_limits(self, limits: Sequence[tuple[str, float]]) -> None:
        """Draw the alarm limits as labelled horizontal lines (unknown kinds and NaN are skipped)."""
        for line in self._limit_lines:
            self._plot.removeItem(line)
        self._limit_lines = []
        self._limits = [
            (kind, float(value)) for kind, value in limits if kind in LIMIT_SHORT and math.isfinite(value)
        ]
        for kind, value in self._limits:
            line = pg.InfiniteLine(
                pos=value,
                angle=0,
                movable=False,
                label=self._limit_label(kind, value),
                labelOpts={"position": 0.02, "anchors": [(0, 1), (0, 1)]},
            )
            line.setZValue(-5)
            self._plot.addItem(line)
            self._limit_lines.append(line)
        self._apply_colours()
        self._place_limit_labels()

    def limit_marks(self) -> dict[str, str]:
        """The limit kinds' marks (HH, H, L, LL), translatable."""
        return {
            "high-high": self.tr("HH", "limit mark: high-high"),
            "high": self.tr("H", "limit mark: high"),
            "low": self.tr("L", "limit mark: low"),
            "low-low": self.tr("LL", "limit mark: low-low"),
        }

    def _limit_label(self, kind: str, value: float) -> str:
        return f"{self.limit_marks()[kind]} {value:g}"

    def limit_label_positions(self) -> list[float]:
        """Each limit label's place along its line (0..1), in the order of :meth:`limit_lines`."""
        return [float(line.label.orthoPos) for line in self._limit_lines]

    @Slot()
    def _place_limit_labels(self) -> None:
        """Stagger the labels (lowest limit first) so that none sits on another."""
        if not self._limit_lines:
            return
        metrics = QFontMetricsF(self._limit_lines[0].label.textItem.font())
        order = sorted(range(len(self._limits)), key=lambda i: self._limits[i][1])
        widths = [metrics.horizontalAdvance(self._limit_label(*self._limits[i])) + 6 for i in order]
        span = self._plot.getViewBox().width()
        positions = stagger_label_positions(widths, span if span > 0 else 800.0)
        for i, position in zip(order, positions, strict=True):
            self._limit_lines[i].label.setPosition(position)

    # ------------------------------------------------------------------ time zone
    def set_timezone(self, name: str | None) -> None:
        """Show times in the site's zone: an IANA name ("Asia/Shanghai"), an offset ("+08:00"), or
        None for the workstation's. Raises ``ValueError`` naming a zone it does not know."""
        self._zone = parse_timezone(name)
        self._axis.set_zone(self._zone)

    @property
    def zone(self) -> tzinfo | None:
        """The zone of the time axis (None: the workstation's)."""
        return self._zone

    @property
    def axis(self) -> ZonedDateAxis:
        return self._axis

    # ------------------------------------------------------------------ words
    def window_words(self, seconds: int) -> str:
        """A window button's text ("10 min", "1 h", "24 h", "7 d"), translated."""
        unit, count = window_parts(seconds)
        if unit == "d":
            return self.tr("{count} d", "trend window in days").format(count=count)
        if unit == "h":
            return self.tr("{count} h", "trend window in hours").format(count=count)
        return self.tr("{count} min", "trend window in minutes").format(count=count)

    def _retranslate(self) -> None:
        for index, seconds in enumerate(WINDOWS_S):
            button = self._buttons.button(index)
            if button is not None:
                button.setText(self.window_words(seconds))
        for (kind, value), line in zip(self._limits, self._limit_lines, strict=True):
            line.label.setFormat(self._limit_label(kind, value))
        self._place_limit_labels()

    # ------------------------------------------------------------------ windows
    @property
    def window_s(self) -> int:
        return self._window_s

    @property
    def following(self) -> bool:
        """True while the x axis slides with the present (false after a manual zoom or pan)."""
        return self._following

    def set_window(self, seconds: int) -> None:
        """Show the last ``seconds`` and follow the present; emits ``windowChanged`` if it changed."""
        changed = seconds != self._window_s
        self._window_s = seconds
        self._following = True
        if seconds in WINDOWS_S:
            button = self._buttons.button(WINDOWS_S.index(seconds))
            if button is not None:
                button.setChecked(True)
        self._follow_now()
        if changed:
            self.windowChanged.emit(seconds)

    @Slot(int)
    def _on_window_button(self, index: int) -> None:
        self.set_window(WINDOWS_S[index])

    @Slot()
    def _on_manual_range(self) -> None:
        self._following = False

    def _follow_now(self) -> None:
        end = self._clock()
        self._plot.setXRange(end - self._window_s, end, padding=0)

    # ------------------------------------------------------------------ redraw
    @property
    def ticks(self) -> int:
        return self._ticks

    @property
    def redraws(self) -> int:
        """How many times data was handed to pyqtgraph (at most once per tick)."""
        return self._redraws

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def timer_active(self) -> bool:
        return self._timer.isActive()

    @Slot()
    def tick(self) -> None:
        """One redraw tick: hand new data to the curves, slide the window while following."""
        self._ticks += 1
        if self._live_dirty or self._history_dirty:
            self._redraws += 1
        if self._live_dirty:
            self._live_dirty = False
            ts, values = self._live.arrays()
            self._live_curve.setData(ts, values)
        if self._history_dirty and self._history is not None:
            self._history_dirty = False
            ts, mins, maxs, avgs = self._history
            self._min_curve.setData(ts, mins)
            self._max_curve.setData(ts, maxs)
            self._avg_curve.setData(ts, avgs)
        if self._following:
            self._follow_now()

    # ------------------------------------------------------------------ introspection (tests, page)
    @property
    def capacity(self) -> int:
        return self._live.capacity

    @property
    def live_count(self) -> int:
        return len(self._live)

    @property
    def live_nbytes(self) -> int:
        return self._live.nbytes

    def live_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self._live.arrays()

    def limit_lines(self) -> list[tuple[str, float]]:
        """(kind, value) of each limit line on the plot."""
        return [
            (kind, float(line.value()))
            for (kind, _), line in zip(self._limits, self._limit_lines, strict=True)
        ]

    def x_range(self) -> tuple[float, float]:
        (x0, x1), _ = self._plot.getViewBox().viewRange()
        return float(x0), float(x1)

    @property
    def plot_widget(self) -> pg.PlotWidget:
        return self._plot

    @property
    def live_curve(self) -> pg.PlotDataItem:
        """The live samples' curve (tests check its drawn path breaks at gaps)."""
        return self._live_curve

    # ------------------------------------------------------------------ colours
    def _colours_changed(self) -> None:
        self._apply_colours()

    def _apply_colours(self) -> None:
        ink = self.colour("inkColor")
        self._plot.setBackground(self.colour("backgroundColor"))
        for name in ("left", "bottom"):
            axis = self._plot.getAxis(name)
            axis.setPen(pg.mkPen(ink))
            axis.setTextPen(pg.mkPen(ink))
        self._live_curve.setPen(pg.mkPen(self.colour("lineColor"), width=2))
        band = self.colour("bandColor")
        self._band.setBrush(pg.mkBrush(band))
        self._min_curve.setPen(pg.mkPen(band.darker(115), width=1))
        self._max_curve.setPen(pg.mkPen(band.darker(115), width=1))
        self._avg_curve.setPen(pg.mkPen(self.colour("avgColor"), width=1.5))
        limit = self.colour("limitColor")
        for line in self._limit_lines:
            line.setPen(pg.mkPen(limit, width=2, style=Qt.PenStyle.DashLine))
            line.label.setColor(limit)

    def changeEvent(self, event: QEvent) -> None:
        """Follow palette and stylesheet changes (the QSS may set the colour properties) and the language."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._apply_colours()
        elif event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

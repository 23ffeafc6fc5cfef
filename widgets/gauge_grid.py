"""A grid of sensor gauges with one repaint timer for all of them, sized for thousands of points.

Samples arrive far faster than it is worth painting, and a building may have hundreds of points (a
site file may put thousands under one building). So:

- **One bounded-rate repaint timer** (at most 5 Hz, DESIGN §3 and §8.4); ``set_state`` never paints.
  A tick does not walk every gauge: a gauge tells the grid when it turns dirty (a *dirty set*), and
  the grid keeps an *ageing set* of comm-fail/stale gauges whose drawn age changes with time. Only
  gauges in those sets are refreshed, and only those actually on screen (a non-empty
  ``visibleRegion()``: not scrolled away) are asked to repaint; the others are painted by Qt, with
  their current state, when they are exposed. The timer runs only while the grid is visible.
- **Deferred layout.** Adding gauges only marks the layout dirty and posts one event; the layout is
  then rebuilt once for the whole batch (``add_many``, or many ``add`` calls in a row): a rebuild
  per ``add`` would make 3,000 gauges take minutes.
- **Columns from the width.** Cards are about :data:`CARD_WIDTH` wide (never narrower than a gauge's
  minimum width), so the column count follows the window (or the scroll area's viewport) and is
  worked out again on every resize, instead of ``ceil(sqrt(n))`` columns that made 200 gauges need
  a 2,340 px wide window. The grid reports ``heightForWidth`` so a ``QScrollArea`` scrolls it
  vertically.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from widgets.gauge_base import CARD_MIN_HEIGHT, GaugeBase
from widgets.gauge_state import GaugeState
from widgets.gauges import make_gauge
from widgets.shown_timer import ShownTimer, interval_for

MAX_RATE_HZ = 5.0
CARD_WIDTH = 220  # the width a card aims at; columns = how many of these fit
CARD_HEIGHT = 240  # the height a card gets in a scroll area (a dial at 180 px is too small to read)
MAX_CARD_ASPECT = 1.4  # a card grows taller than wide by at most this much when space is spare
MARGIN = 6
SPACING = 6

# (point id, kind, label) or (point id, kind, label, binary): binary (a ``bool`` point) gets a lamp.
PointSpec = tuple[str, str, str] | tuple[str, str, str, bool]

_RELAYOUT_EVENT = QEvent.Type(QEvent.registerEventType())


def columns_for(width: float, card_width: float, count: int, fixed: int = 0) -> int:
    """How many columns of cards fit ``width`` (inside the margins): at least 1, at most ``count``."""
    if count <= 0:
        return 1
    if fixed > 0:
        return min(fixed, count)
    usable = max(0.0, width - 2 * MARGIN)
    fit = int((usable + SPACING) // (card_width + SPACING))
    return max(1, min(count, fit))


class GaugeGrid(QWidget):
    """Gauges for a list of points, in the order given; ``clicked(point_id)`` when one is clicked."""

    clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None, rate_hz: float = MAX_RATE_HZ, columns: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName("gaugeGrid")
        self._columns = columns
        self._gauges: dict[str, GaugeBase] = {}
        self._new: list[GaugeBase] = []  # added since the last relayout: shown then
        self._dirty: set[GaugeBase] = set()
        self._ageing: set[GaugeBase] = set()
        self._layout_pending = False
        self._relayouts = 0
        self._placements = 0
        self._ticks = 0
        self._refreshed_last_tick = 0
        self._min_card_w = 0  # the widest minimum width of the gauges (their status text needs it)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._empty = QLabel(self)
        self._empty.setObjectName("gridEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._retranslate()
        self._timer = ShownTimer(
            self,
            interval_for(rate_hz, MAX_RATE_HZ),
            self.tick,
            name="gaugeGridRepaint",
            on_show=self._on_show,
        )

    # ------------------------------------------------------------------ contents
    def set_points(self, points: Sequence[PointSpec]) -> None:
        """Replace the gauges with one per (point id, kind, label[, binary]); each starts as never read."""
        self.clear()
        gauges: list[GaugeBase] = []
        for spec in points:
            point_id, kind, label = spec[0], spec[1], spec[2]
            binary = bool(spec[3]) if len(spec) > 3 else False
            gauge = make_gauge(kind, point_id, binary=binary)
            gauge.set_state(GaugeState(label=label))
            gauges.append(gauge)
        self.add_many(gauges)

    def add(self, gauge: GaugeBase) -> None:
        """Add a gauge built elsewhere (a page's own subclass, a test's counting gauge).

        Cheap: the layout is rebuilt once, after the current batch of calls (see :meth:`add_many`).
        """
        self.add_many([gauge])

    def add_many(self, gauges: Iterable[GaugeBase]) -> None:
        """Add many gauges at once; the layout is rebuilt once for all of them, after this call."""
        batch = list(gauges)
        ids = [g.point_id for g in batch]
        seen: set[str] = set()
        for point_id in ids:  # refuse the whole batch before changing anything
            if point_id in self._gauges or point_id in seen:
                raise ValueError(f"point id {point_id!r} appears twice")
            seen.add(point_id)
        for gauge in batch:
            gauge.setParent(self)
            gauge.clicked.connect(self.clicked)
            gauge.set_dirty_callback(self._gauge_dirty)
            self._gauges[gauge.point_id] = gauge
            self._new.append(gauge)
            self._dirty.add(gauge)
        if batch:
            self._request_relayout()

    def clear(self) -> None:
        for gauge in self._gauges.values():
            gauge.set_dirty_callback(None)
            gauge.hide()
            gauge.deleteLater()
        self._gauges.clear()
        self._new.clear()
        self._dirty.clear()
        self._ageing.clear()
        self._request_relayout()

    def gauge(self, point_id: str) -> GaugeBase:
        return self._gauges[point_id]

    def gauges(self) -> list[GaugeBase]:
        return list(self._gauges.values())

    def set_state(self, point_id: str, state: GaugeState) -> None:
        """Store a point's newest snapshot (unknown ids are ignored: the page may lag a reload)."""
        gauge = self._gauges.get(point_id)
        if gauge is not None:
            gauge.set_state(state)

    def _gauge_dirty(self, gauge: GaugeBase) -> None:
        self._dirty.add(gauge)

    # ------------------------------------------------------------------ repaint timer
    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def ticks(self) -> int:
        """How many repaint ticks have run (tests bound paints by it)."""
        return self._ticks

    @property
    def refreshed_last_tick(self) -> int:
        """How many gauges the last tick looked at (the dirty and ageing ones, not all)."""
        return self._refreshed_last_tick

    @property
    def timer_active(self) -> bool:
        return self._timer.isActive()

    @Slot()
    def tick(self) -> None:
        """One repaint tick: each dirty or ageing gauge is brought up to date, at most one repaint each.

        Gauges scrolled out of sight are updated (their properties, for QSS) but not repainted, and an
        ageing gauge out of sight is skipped: its age is drawn afresh when it is exposed.
        """
        self._ticks += 1
        if self._layout_pending:
            self._relayout()
        dirty, self._dirty = self._dirty, set()
        looked = 0
        for gauge in dirty | self._ageing:
            visible = gauge.isVisible() and not gauge.visibleRegion().isEmpty()
            if gauge in dirty:
                gauge.refresh(paint=visible)
            elif visible:
                gauge.refresh()
            else:
                continue
            looked += 1
            if gauge.ageing:
                self._ageing.add(gauge)
            else:
                self._ageing.discard(gauge)
        self._refreshed_last_tick = looked

    def _on_show(self) -> None:
        if self._layout_pending:
            self._relayout()
        self.tick()  # paint the current states at once rather than a tick later

    # ------------------------------------------------------------------ layout
    @property
    def relayouts(self) -> int:
        """How many times the set of gauges was laid out again (once per batch of additions)."""
        return self._relayouts

    @property
    def placements(self) -> int:
        """How many gauge geometries were set in all (tests bound the layout work by it)."""
        return self._placements

    @property
    def layout_pending(self) -> bool:
        return self._layout_pending

    def card_width(self) -> int:
        """The width a column aims at: :data:`CARD_WIDTH`, or the widest gauge's minimum if more."""
        return max(CARD_WIDTH, self._min_card_w)

    def columns(self) -> int:
        """The column count for the current width."""
        return columns_for(self.width(), self.card_width(), len(self._gauges), self._columns)

    def _request_relayout(self) -> None:
        """Mark the layout dirty; one posted event rebuilds it after the current batch."""
        if not self._layout_pending:
            self._layout_pending = True
            QCoreApplication.postEvent(self, QEvent(_RELAYOUT_EVENT))

    def event(self, event: QEvent) -> bool:
        if event.type() == _RELAYOUT_EVENT:
            if self._layout_pending:
                self._relayout()
            return True
        return super().event(event)

    def flush_layout(self) -> None:
        """Lay out now if a relayout is pending (tests, or a caller that needs geometry at once)."""
        if self._layout_pending:
            self._relayout()

    def _relayout(self) -> None:
        """Take in the gauges added since the last time, then place every gauge once."""
        self._layout_pending = False
        self._relayouts += 1
        if self._gauges:
            self._min_card_w = max([self._min_card_w, *(g.minimumWidth() for g in self._new)])
        else:
            self._min_card_w = 0
        new, self._new = self._new, []
        self._empty.setVisible(not self._gauges)
        self._place()
        for gauge in new:
            gauge.setVisible(True)  # children added to a shown parent stay hidden until shown
        self.updateGeometry()

    def _place(self) -> None:
        """Set every gauge's geometry for the current width (O(n): no widget is removed or re-added)."""
        count = len(self._gauges)
        if count == 0:
            self._empty.setGeometry(self.rect())
            return
        columns = self.columns()
        rows = math.ceil(count / columns)
        usable_w = max(0, self.width() - 2 * MARGIN)
        usable_h = max(0, self.height() - 2 * MARGIN)
        cell_w = max(self._min_card_w, (usable_w - SPACING * (columns - 1)) // columns)
        spare_h = (usable_h - SPACING * (rows - 1)) // rows
        cell_h = max(CARD_MIN_HEIGHT, min(spare_h, round(cell_w * MAX_CARD_ASPECT)))
        for index, gauge in enumerate(self._gauges.values()):
            row, column = divmod(index, columns)
            x = MARGIN + column * (cell_w + SPACING)
            y = MARGIN + row * (cell_h + SPACING)
            gauge.setGeometry(QRect(x, y, cell_w, cell_h))
        self._placements += count

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """The height the cards want at ``width``: a scroll area scrolls the rest."""
        count = len(self._gauges)
        if count == 0:
            return 2 * MARGIN + CARD_MIN_HEIGHT
        columns = columns_for(width, self.card_width(), count, self._columns)
        rows = math.ceil(count / columns)
        return 2 * MARGIN + rows * CARD_HEIGHT + (rows - 1) * SPACING

    def minimumSizeHint(self) -> QSize:
        """One card wide (more only with a fixed column count), one card high."""
        columns = max(1, min(self._columns, len(self._gauges))) if self._columns > 0 else 1
        card = max(self._min_card_w, 1)
        width = 2 * MARGIN + columns * card + (columns - 1) * SPACING
        return QSize(width, 2 * MARGIN + CARD_MIN_HEIGHT)

    def sizeHint(self) -> QSize:
        count = max(1, len(self._gauges))
        card = self.card_width()
        columns = columns_for(4 * (card + SPACING) + 2 * MARGIN, card, count, self._columns)
        width = 2 * MARGIN + columns * card + (columns - 1) * SPACING
        return QSize(width, self.heightForWidth(width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Columns follow the width: place the cards again (the set of gauges is unchanged)."""
        super().resizeEvent(event)
        if not self._layout_pending:
            self._place()

    def _retranslate(self) -> None:
        self._empty.setText(self.tr("This building has no sensors."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

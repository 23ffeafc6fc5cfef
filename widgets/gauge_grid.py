"""A grid of sensor gauges with one repaint timer for all of them.

Samples arrive far faster than it is worth painting, and a building may have dozens of points. The
grid owns a single ``QTimer`` (at most 5 Hz, DESIGN §3 and §8.4) that asks each dirty gauge for one
repaint per tick; ``set_state`` never paints. The timer runs only while the grid is visible, so a page
that is not shown costs nothing, and closing the grid leaves no timer behind.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from widgets.gauge_base import GaugeBase
from widgets.gauge_state import GaugeState
from widgets.gauges import make_gauge

MAX_RATE_HZ = 5.0


class GaugeGrid(QWidget):
    """Gauges for a list of points, in the order given; ``clicked(point_id)`` when one is clicked."""

    clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None, rate_hz: float = MAX_RATE_HZ, columns: int = 0) -> None:
        super().__init__(parent)
        self.setObjectName("gaugeGrid")
        self._columns = columns
        self._gauges: dict[str, GaugeBase] = {}
        self._ticks = 0
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._layout.setSpacing(6)
        self._empty = QLabel(self)
        self._empty.setObjectName("gridEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._empty, 0, 0)
        self._retranslate()
        self._timer = QTimer(self)
        self._timer.setObjectName("gaugeGridRepaint")
        rate = min(MAX_RATE_HZ, rate_hz) if rate_hz > 0 else MAX_RATE_HZ
        self._timer.setInterval(max(1, round(1000.0 / rate)))
        self._timer.timeout.connect(self.tick)

    # ------------------------------------------------------------------ contents
    def set_points(self, points: Sequence[tuple[str, str, str]]) -> None:
        """Replace the gauges with one per (point id, kind, label); each starts as never read."""
        self.clear()
        for point_id, kind, label in points:
            gauge = make_gauge(kind, point_id, self)
            gauge.set_state(GaugeState(label=label))
            self.add(gauge)

    def add(self, gauge: GaugeBase) -> None:
        """Add a gauge built elsewhere (a page's own subclass, a test's counting gauge)."""
        if gauge.point_id in self._gauges:
            raise ValueError(f"point id {gauge.point_id!r} appears twice")
        gauge.setParent(self)
        gauge.clicked.connect(self.clicked)
        self._gauges[gauge.point_id] = gauge
        self._relayout()

    def clear(self) -> None:
        for gauge in self._gauges.values():
            self._layout.removeWidget(gauge)
            gauge.deleteLater()
        self._gauges.clear()
        self._relayout()

    def gauge(self, point_id: str) -> GaugeBase:
        return self._gauges[point_id]

    def gauges(self) -> list[GaugeBase]:
        return list(self._gauges.values())

    def set_state(self, point_id: str, state: GaugeState) -> None:
        """Store a point's newest snapshot (unknown ids are ignored: the page may lag a reload)."""
        gauge = self._gauges.get(point_id)
        if gauge is not None:
            gauge.set_state(state)

    # ------------------------------------------------------------------ repaint timer
    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    @property
    def ticks(self) -> int:
        """How many repaint ticks have run (tests bound paints by it)."""
        return self._ticks

    @property
    def timer_active(self) -> bool:
        return self._timer.isActive()

    @Slot()
    def tick(self) -> None:
        """One repaint tick: every gauge whose state changed asks for exactly one repaint."""
        self._ticks += 1
        for gauge in self._gauges.values():
            gauge.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        self.tick()  # paint the current states at once rather than a tick later
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    # ------------------------------------------------------------------ layout
    def _relayout(self) -> None:
        for gauge in self._gauges.values():
            self._layout.removeWidget(gauge)
        for row in range(self._layout.rowCount()):
            self._layout.setRowStretch(row, 0)
        for column in range(self._layout.columnCount()):
            self._layout.setColumnStretch(column, 0)
        count = len(self._gauges)
        self._empty.setVisible(count == 0)
        if count == 0:
            return
        columns = self._columns if self._columns > 0 else math.ceil(math.sqrt(count))
        for index, gauge in enumerate(self._gauges.values()):
            self._layout.addWidget(gauge, index // columns, index % columns)
        for row in range(math.ceil(count / columns)):
            self._layout.setRowStretch(row, 1)
        for column in range(columns):
            self._layout.setColumnStretch(column, 1)

    def _retranslate(self) -> None:
        self._empty.setText(self.tr("This building has no sensors."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

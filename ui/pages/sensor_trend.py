"""The trend under the sensor gauges: one point's live values plus its history from the historian.

Why it works this way:

- **History never blocks the GUI thread.** A historian query reads the database (SQLite on this disk
  or a PostgreSQL server elsewhere), so it runs on one worker (:class:`~ui.tasks.LatestCall`): one
  query at a time, and of the requests made meanwhile only the newest waits, so clicking through the
  windows cannot pile up threads on a slow database. Only the result comes back, as a signal. Every
  query carries a generation number, its answer *and* its failure; one for a point or window the
  operator has already left is dropped instead of drawn (or reported) under the wrong title.
- **Shutdown does not wait for a query**: the one in flight is abandoned (its answer would be
  dropped anyway) and its daemon thread ends on the database's own timeout.
- **Live values keep the line reaching the present.** The pollers publish a value only when it moves
  by its deadband, so the page also hands over the current reading once a second; a sample older
  than the last one drawn is skipped (events are queued, so one may arrive after a newer snapshot).
  A reading that is not live is a gap (NaN), never a line drawn across an outage.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.alarms.limits import is_live
from app.fieldbus.quality import PointReading
from app.historian import TrendSeries
from app.site.schema import Point
from ui.pages.sensor_view import numeric_limits, point_label, value_range
from ui.tasks import LatestCall
from widgets.trend_plot import TrendPlot

log = logging.getLogger("wardroom.ui")

MAX_POINTS = 2000  # rows a history query may return: more than a trend has pixels across


class HistorySource(Protocol):
    """What the panel needs of ``app.historian.Historian``."""

    def query(
        self, point_key: str, start: datetime, end: datetime, max_points: int = 2000
    ) -> TrendSeries: ...


@dataclass(frozen=True)
class _Answer:
    """A query's outcome with what it was asked for (so a late one can be recognised and dropped)."""

    generation: int
    window_s: int
    series: TrendSeries | None
    error: str = ""


class TrendPanel(QWidget):
    """A point's trend with a close button; ``closeRequested`` when the operator closes it."""

    closeRequested = Signal()
    historyLoaded = Signal(str, int)  # point id, window seconds (after ``set_history``)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendPanel")
        self._point: Point | None = None
        self._history: HistorySource | None = None
        self._generation = 0
        self._worker = LatestCall("trend-history", self)
        self._worker.succeeded.connect(self._on_history)
        self._last_ts = -math.inf
        self._series: TrendSeries | None = None
        self._loads = 0
        self._closed = False
        self._attached = False  # whether the station said if there is a historian

        self._plot = TrendPlot(self)
        self._plot.windowChanged.connect(self._on_window_changed)
        self._note = QLabel(self)
        self._note.setObjectName("trendNote")
        self._close = QPushButton(self)
        self._close.setObjectName("trendClose")
        self._close.clicked.connect(self.closeRequested)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 6, 0)
        bar.addWidget(self._note, 1)
        bar.addWidget(self._close, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._plot, 1)
        layout.addLayout(bar)
        self._retranslate()

    # ------------------------------------------------------------------ public
    @property
    def plot(self) -> TrendPlot:
        return self._plot

    @property
    def point_id(self) -> str | None:
        return self._point.id if self._point is not None else None

    @property
    def series(self) -> TrendSeries | None:
        """The history drawn now (None until the first query for this point answers)."""
        return self._series

    @property
    def note_text(self) -> str:
        """The line under the plot (loading, history kind, or why history could not be read)."""
        return self._note.text()

    @property
    def queries_started(self) -> int:
        """How many history queries actually ran (a burst of clicks runs two: the first and the last)."""
        return self._worker.started

    @property
    def history_loads(self) -> int:
        """How many query results were drawn (tests wait on it)."""
        return self._loads

    def set_history_source(self, source: HistorySource | None) -> None:
        """The station's historian (None without a database: live values only)."""
        self._history = source
        self._attached = True
        self._show_note()
        if self._point is not None:
            self._query(self._plot.window_s)

    def show_point(self, point: Point) -> None:
        """Trend ``point`` from now on: title, unit, limits, scale, then its history."""
        self._point = point
        self._series = None
        self._last_ts = -math.inf
        self._plot.clear_live()
        empty = np.empty(0, dtype=np.float64)
        self._plot.set_history(empty, empty, empty, empty)
        self._plot.set_title(point_label(point.id), point.unit)
        title = self._plot.findChild(QLabel, "trendTitle")
        if title is not None:
            title.setToolTip(point.id)  # the id a technician searches for; the title is for reading
        self._plot.set_limits(numeric_limits(point))
        self._plot.set_y_range(value_range(point))
        self._query(self._plot.window_s)

    def add_reading(self, reading: PointReading, at: float) -> None:
        """One live sample of the shown point (``at``: wall time when not live; a gap then)."""
        if self._point is None or reading.point_id != self._point.id:
            return
        live = is_live(reading.quality) and reading.value is not None and reading.last_good_at is not None
        ts = reading.last_good_at if live and reading.last_good_at is not None else at
        if ts <= self._last_ts:
            return
        self._last_ts = ts
        self._plot.append(ts, float(reading.value) if live and reading.value is not None else None)

    def set_timezone(self, name: str) -> None:
        """The site's IANA time zone for the time axis (the station's clock, not this computer's)."""
        try:
            self._plot.set_timezone(name)
        except ValueError as exc:  # a zone this computer's time-zone database lacks: its own clock
            log.warning("trend time axis stays on this computer's time zone: %s", exc)
            self._plot.set_timezone(None)

    def shutdown(self) -> None:
        """Drop the waiting query and any answer still to come; never waits. Safe to call twice."""
        self._closed = True
        self._generation += 1
        self._worker.close()

    # ------------------------------------------------------------------ history
    @Slot(int)
    def _on_window_changed(self, seconds: int) -> None:
        self._query(seconds)

    def _query(self, window_s: int) -> None:
        self._generation += 1
        point, source = self._point, self._history
        if point is None or source is None or self._closed:
            return
        generation, key = self._generation, point.id

        def run() -> _Answer:
            # The window ends when the query runs, not when it was asked for (it may have waited).
            end = datetime.now(UTC)
            start = end - timedelta(seconds=window_s)
            try:
                series = source.query(key, start, end, MAX_POINTS)
            except Exception as exc:  # shown in the note, with the generation it belongs to
                log.warning("history of %s could not be read: %s", key, exc, exc_info=True)
                return _Answer(generation, window_s, None, str(exc) or type(exc).__name__)
            return _Answer(generation, window_s, series)

        self._note.setText(self.tr("Loading history…"))
        self._worker.submit(run)

    @Slot(object)
    def _on_history(self, result: object) -> None:
        assert isinstance(result, _Answer)
        if result.generation != self._generation or self._closed:
            return  # the operator moved on to another point or window: not this answer's news
        series = result.series
        if series is None:
            self._note.setText(self.tr("History could not be read: {error}").format(error=result.error))
            return
        self._series = series
        self._plot.set_history(series.ts, series.min, series.max, series.avg)
        self._loads += 1
        self._show_note()
        self.historyLoaded.emit(series.point_key, result.window_s)

    def _show_note(self) -> None:
        series = self._series
        if not self._attached:
            self._note.setText("")
        elif self._history is None:
            self._note.setText(self.tr("No database: live values only."))
        elif series is None:
            self._note.setText("")
        elif series.bucketed:
            self._note.setText(
                self.tr("History: min–max band and average per {seconds} s.").format(
                    seconds=f"{series.bucket_s:g}"
                )
            )
        else:
            self._note.setText(self.tr("History: stored samples ({count}).").format(count=len(series)))

    # ------------------------------------------------------------------ language
    def _retranslate(self) -> None:
        self._close.setText(self.tr("Close trend"))
        self._show_note()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

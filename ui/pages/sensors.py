"""The Sensors page: every PLC point of the site as a gauge, per building, and a trend on click.

How it stays cheap on a site with thousands of points (DESIGN §1, §3):

- **Buildings on the left, one grid at a time.** A list names every building with its count of
  abnormal points (highlighted, and summed above the list), so a building in trouble is never
  scrolled out of sight the way a tab was. A building's gauge grid is built the first time it is
  shown, not when the window opens: 4,000 points cost nothing until someone looks at them.
- **Batched values.** The pollers publish ``PointValueChanged``/``PointQualityChanged``; the bridge
  hands them over in batches (``pointsChanged``, newest reading per point, a few times a second), so
  a 50-PLC outage is a handful of calls here, not 10,000 signals. A handler stores the snapshot (on
  the gauge when its grid exists; ``set_state`` never paints) and keeps the per-building abnormal
  counts; each ``GaugeGrid`` repaints from its own timer at no more than 5 Hz, only while shown.
- **A 1 Hz look at what is on screen.** While the page is shown it asks the pollers' store for the
  current reading of the shown building's points and of the open trend, one point at a time
  (``reading(id)``: a locked dictionary lookup, no copy of every reading), so the present end of the
  trend line and any change missed while a grid did not exist are never more than a second behind.
- Clicking a gauge opens its trend (:mod:`ui.pages.sensor_trend`); history comes from the historian
  off the GUI thread.

The header shows each PLC's poller state with the reason in plain words when it does not answer. The
alarm marks on the gauges come from the alarm engine (``set_alarm_marks``, fed by the console with
the engine's open limit alarms): a point is in alarm while one of its limit alarms is open and not
shelved, suppressed or out of service. Without the engine (no database) the page falls back to the
plain limit comparison (:mod:`app.alarms.limits`) and publishes how many points are beyond a limit
as ``beyondLimitsChanged(count)``, which the banner then shows; with the engine that count is 0.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.events import LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import PointReading
from app.site.schema import Point, SiteFile
from ui.bridge import CoreBridge, connect_queued
from ui.pages.alarm_rows import changed_marks
from ui.pages.sensor_trend import HistorySource, TrendPanel
from ui.pages.sensor_view import PointMark, gauge_state, is_binary, same_look, with_mark
from widgets.building_list import BuildingList
from widgets.gauge_base import GaugeBase
from widgets.gauge_grid import GaugeGrid
from widgets.gauge_state import GaugeState
from widgets.gauges import make_gauge
from widgets.shown_timer import ShownTimer
from widgets.style import set_style_property

log = logging.getLogger("wardroom.ui")

REFRESH_MS = 1000
NO_BUILDING = ""  # the group of points the site file places in no building


class ReadingSource(Protocol):
    """What the page needs of ``app.fieldbus.manager.FieldbusManager``: one point's current reading."""

    def reading(self, point_id: str) -> PointReading | None: ...


class PlcStateLabel(QLabel):
    """One PLC's poller state in words; ``linkState`` (unknown/connected/disconnected) for the QSS.

    The *reason* a PLC is down ("PLC fire-panel-a at 127.0.0.1:5020 did not answer within 1000 ms")
    comes from the Qt-free core in English, the same text the CLI and the log print, and is shown as
    it is; the words around it are translated.
    """

    def __init__(self, plc_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plcState")
        self.setWordWrap(True)
        self._plc_id = plc_id
        self._event = LinkStateChanged(kind="plc", id=plc_id, status="unknown")
        self.setProperty("linkState", "")
        set_style_property(self, "linkState", "unknown")
        self._retranslate()

    @property
    def plc_id(self) -> str:
        return self._plc_id

    @property
    def state(self) -> str:
        return self._event.status

    @property
    def reason(self) -> str:
        return self._event.reason

    def show_event(self, event: LinkStateChanged) -> None:
        endpoint = event.endpoint or self._event.endpoint
        self._event = LinkStateChanged(
            kind="plc", id=event.id, status=event.status, reason=event.reason, endpoint=endpoint, at=event.at
        )
        set_style_property(self, "linkState", event.status)
        self._retranslate()

    def _retranslate(self) -> None:
        event = self._event
        if event.status == "connected":
            text = self.tr("{plc}: polling, connected").format(plc=self._plc_id)
        elif event.status == "disconnected":
            text = self.tr("{plc}: comm-fail — {reason}").format(plc=self._plc_id, reason=event.reason)
        elif event.reason:  # a console: no live station polls it, and why
            text = self.tr("{plc}: not polled — {reason}").format(plc=self._plc_id, reason=event.reason)
        else:
            text = self.tr("{plc}: not polled yet").format(plc=self._plc_id)
        self.setText(text)
        self.setToolTip(event.endpoint)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


class SensorsPage(QWidget):
    """Gauges per building (a list on the left, plus "No building"), PLC poller states, a trend on click."""

    beyondLimitsChanged = Signal(int)  # how many points are beyond one of their alarm limits now

    def __init__(
        self, site: SiteFile, bridge: CoreBridge | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sensorsPage")
        self._site = site
        self._points: dict[str, Point] = {point.id: point for point in site.point}
        self._source: ReadingSource | None = None
        self._closed = False
        self._counts_dirty = True
        self._building_names: dict[str, str] = {b.id: b.name for b in site.building}
        known = set(self._building_names)
        # Every point's current look, built or not: the counts and the report come from here.
        self._states: dict[str, GaugeState] = {}
        self._building_of: dict[str, str] = {}
        self._members: dict[str, list[Point]] = {group: [] for group in self._groups()}
        self._abnormal: Counter[str] = Counter()
        self._beyond: set[str] = set()  # points whose live value is beyond an alarm limit
        self._beyond_shown = 0
        self._marks: dict[str, PointMark] | None = None  # None: no engine, the plain comparison
        for point in site.point:
            group = point.building if point.building in known else NO_BUILDING
            assert group is not None
            self._building_of[point.id] = group
            self._members[group].append(point)
            self._states[point.id] = gauge_state(point, None)

        self._title = QLabel(self)
        self._title.setObjectName("pageTitle")
        self._note = QLabel(self)
        self._note.setObjectName("pageNote")
        self._note.setWordWrap(True)
        plc_box = QFrame(self)
        plc_box.setObjectName("plcStates")
        plc_layout = QVBoxLayout(plc_box)
        plc_layout.setContentsMargins(8, 4, 8, 4)
        plc_layout.setSpacing(2)
        self._plc_labels: dict[str, PlcStateLabel] = {}
        for plc in site.plc:
            label = PlcStateLabel(plc.id, plc_box)
            self._plc_labels[plc.id] = label
            plc_layout.addWidget(label)
        plc_box.setVisible(bool(site.plc))

        # Buildings on the left; each one's grid is built on its first show (see _ensure_grid).
        self._summary = QLabel(self)
        self._summary.setObjectName("buildingSummary")
        self._summary.setWordWrap(True)
        self._summary.setProperty("abnormal", "")
        self._list = BuildingList(self)
        self._stack = QStackedWidget(self)
        self._stack.setObjectName("buildingPages")
        self._scrolls: dict[str, QScrollArea] = {}
        self._grids: dict[str, GaugeGrid] = {}
        for building_id in self._members:
            self._list.add_building(building_id, self._building_names.get(building_id, ""))
            scroll = QScrollArea(self._stack)
            scroll.setObjectName("gaugeScroll")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            self._scrolls[building_id] = scroll
            self._stack.addWidget(scroll)
        self._list.currentRowChanged.connect(self._on_building_chosen)
        if self._list.count():
            self._list.setCurrentRow(0)
        side = QWidget(self)
        side.setObjectName("buildingSide")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(4)
        side_layout.addWidget(self._summary)
        side_layout.addWidget(self._list, 1)
        self._side = side

        self._trend = TrendPanel(self)
        self._trend.setVisible(False)
        self._trend.set_timezone(site.site.timezone)
        self._trend.closeRequested.connect(self.close_trend)
        self._splitter = QSplitter(Qt.Orientation.Vertical, self)
        self._splitter.setObjectName("sensorSplitter")
        self._splitter.setChildrenCollapsible(False)
        self._splitter.addWidget(self._stack)
        self._splitter.addWidget(self._trend)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(10)
        body.addWidget(side)
        body.addWidget(self._splitter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self._title)
        layout.addWidget(plc_box)
        layout.addWidget(self._note)
        layout.addLayout(body, 1)

        self._timer = ShownTimer(
            self, REFRESH_MS, self.refresh, name="sensorsRefresh", may_run=lambda: not self._closed
        )
        if bridge is not None:
            connect_queued(bridge.pointsChanged, self.on_points)
            connect_queued(bridge.linkStateChanged, self.on_link_state)
        self._retranslate()

    # ------------------------------------------------------------------ building the grids
    def _groups(self) -> list[str]:
        """Building ids in file order, then the "No building" group if any point has none."""
        known = set(self._building_names)
        groups = [b.id for b in self._site.building]
        if any(p.building is None or p.building not in known for p in self._site.point):
            groups.append(NO_BUILDING)
        return groups

    def _ensure_grid(self, building_id: str) -> GaugeGrid:
        """The building's grid, built now if this is its first show (all its gauges in one batch)."""
        grid = self._grids.get(building_id)
        if grid is not None:
            return grid
        started = time.monotonic()
        grid = GaugeGrid()
        gauges: list[GaugeBase] = []
        for point in self._members[building_id]:
            gauge = make_gauge(point.kind, point.id, binary=is_binary(point))
            gauge.set_state(self._states[point.id])
            gauges.append(gauge)
        grid.add_many(gauges)  # one layout pass for the whole building, not one per gauge
        grid.clicked.connect(self.open_trend)
        self._scrolls[building_id].setWidget(grid)
        self._grids[building_id] = grid
        log.debug(
            "sensors: grid of %s built (%d gauges, %.0f ms)",
            building_id or "(no building)",
            len(gauges),
            (time.monotonic() - started) * 1000,
        )
        return grid

    # ------------------------------------------------------------------ public
    @property
    def trend_panel(self) -> TrendPanel:
        return self._trend

    @property
    def building_list(self) -> BuildingList:
        return self._list

    def buildings(self) -> list[str]:
        """Group ids in list order ("" is the "No building" group)."""
        return list(self._members)

    def current_building(self) -> str | None:
        return self._list.current_building()

    def building_text(self, building_id: str) -> str:
        """The building's entry in the list as shown (name, and its abnormal count when any)."""
        return self._list.text_of(building_id)

    def beyond_limit_count(self) -> int:
        """How many points, in every building, have a live value beyond one of their alarm limits."""
        return len(self._beyond)

    def abnormal_count(self, building_id: str) -> int:
        return self._abnormal[building_id]

    def built_buildings(self) -> list[str]:
        """The buildings whose grid exists (shown at least once)."""
        return list(self._grids)

    def grid(self, building_id: str) -> GaugeGrid:
        """The building's grid (built now if it was never shown)."""
        return self._ensure_grid(building_id)

    def gauge(self, point_id: str) -> GaugeBase:
        """The point's gauge (its building's grid is built now if it was never shown)."""
        return self._ensure_grid(self._building_of[point_id]).gauge(point_id)

    def gauges(self) -> list[GaugeBase]:
        """The gauges that exist: those of the buildings shown so far."""
        return [gauge for grid in self._grids.values() for gauge in grid.gauges()]

    def state(self, point_id: str) -> GaugeState:
        """What the point's gauge shows, or would show if its building were open."""
        return self._states[point_id]

    def plc_label(self, plc_id: str) -> PlcStateLabel:
        return self._plc_labels[plc_id]

    def show_building(self, building_id: str) -> None:
        self._list.setCurrentRow(list(self._members).index(building_id))

    def attach(
        self,
        readings: ReadingSource | None,
        history: HistorySource | None,
        links: Iterable[LinkStateChanged] = (),
    ) -> None:
        """The station is up: its pollers' readings, its historian, its current PLC link states."""
        if self._closed:
            return
        self._source = readings
        self._trend.set_history_source(history)
        for event in links:
            self.on_link_state(event)
        if self.isVisible():
            self.refresh()

    @Slot(str)
    def open_trend(self, point_id: str) -> None:
        """Show the point's trend under the gauges (live values and history)."""
        point = self._points.get(point_id)
        if point is None or self._closed:
            return
        if not self._trend.isVisible():
            self._trend.setVisible(True)
            total = max(self._splitter.height(), 400)
            self._splitter.setSizes([total * 55 // 100, total * 45 // 100])
        self._trend.show_point(point)
        if self._source is not None:
            reading = self._source.reading(point_id)
            if reading is not None:
                self._trend.add_reading(reading, time.time())

    @Slot(int)
    def _on_building_chosen(self, row: int) -> None:
        if row < 0:
            return
        self._stack.setCurrentIndex(row)
        if self.isVisible():
            self.refresh()  # builds the grid on its first show, then brings it up to date

    @Slot()
    def close_trend(self) -> None:
        self._trend.setVisible(False)

    def snapshot(self) -> dict[str, Any]:
        """What the page shows (for the GUI report): qualities of every point, in alarm, PLC states."""
        states = self._states
        return {
            "points": len(states),
            "gauges": sum(len(grid.gauges()) for grid in self._grids.values()),
            "qualities": dict(Counter(state.quality for state in states.values())),
            "in_alarm": sorted(point_id for point_id, state in states.items() if state.alarm_active),
            "abnormal": {building: count for building, count in self._abnormal.items() if count},
            "plcs": {plc_id: label.state for plc_id, label in self._plc_labels.items()},
        }

    def shutdown(self) -> None:
        """Stop the refresh and drop history queries (never waits). Safe to call twice."""
        self._closed = True
        self._timer.stop()
        self._source = None
        self._trend.shutdown()

    # ------------------------------------------------------------------ values in
    @Slot(list)
    def on_points(self, events: list[PointValueChanged | PointQualityChanged]) -> None:
        """A batch from the bridge: the newest event of each point that changed."""
        for event in events:
            self._take(event.reading, event.at.timestamp())
        self._publish_beyond()

    @Slot(object)
    def on_link_state(self, event: LinkStateChanged) -> None:
        label = self._plc_labels.get(event.id) if event.kind == "plc" else None
        if label is not None:
            label.show_event(event)

    @Slot()
    def refresh(self) -> None:
        """The shown building's (and the trend's) current readings from the pollers, then the counts.

        One lookup per point on screen: hidden buildings are kept current by the batched events
        alone, so a site with thousands of points costs the GUI thread little.
        """
        if self._closed:
            return
        shown = self._list.current_building() if self.isVisible() else None
        if shown is not None:
            self._ensure_grid(shown)
        source = self._source
        if source is not None:
            now = time.time()
            wanted = [point.id for point in self._members[shown]] if shown is not None else []
            if self._trend.isVisible() and self._trend.point_id is not None:
                wanted.append(self._trend.point_id)
            for point_id in wanted:
                reading = source.reading(point_id)
                if reading is not None:
                    self._take(reading, now)
        if self._counts_dirty:
            self._show_counts()
        self._publish_beyond()

    def _publish_beyond(self) -> None:
        count = len(self._beyond)
        if count != self._beyond_shown and not self._closed:
            self._beyond_shown = count
            self.beyondLimitsChanged.emit(count)

    @Slot(dict)
    def set_alarm_marks(self, marks: dict[str, PointMark]) -> None:
        """The engine's marks, point id -> limit and priority (from now on the only alarm marks)."""
        if self._closed:
            return
        first = self._marks is None
        old = self._marks or {}
        self._marks = dict(marks)
        changed = set(self._points) if first else changed_marks(old, marks)
        for point_id in changed & set(self._points):
            state = with_mark(self._states[point_id], self._marks.get(point_id))
            self._store(self._points[point_id], state)
        self._beyond.clear()
        self._publish_beyond()
        if self._counts_dirty and self.isVisible():
            self._show_counts()

    @property
    def follows_engine(self) -> bool:
        """Whether the alarm marks come from the alarm engine (else the plain comparison)."""
        return self._marks is not None

    def _take(self, reading: PointReading, at: float) -> None:
        point = self._points.get(reading.point_id)
        if point is None or self._closed:
            return
        marks = self._marks
        if marks is None:
            state = gauge_state(point, reading)
        else:
            state = gauge_state(point, reading, engine=True, mark=marks.get(point.id))
        self._store(point, state)
        self._trend.add_reading(reading, at)

    def _store(self, point: Point, state: GaugeState) -> None:
        old = self._states[point.id]
        if not same_look(old, state):
            self._states[point.id] = state
            if state.alarm_limit is None or self._marks is not None:
                self._beyond.discard(point.id)
            else:
                self._beyond.add(point.id)
            building = self._building_of[point.id]
            grid = self._grids.get(building)
            if grid is not None:
                grid.set_state(point.id, state)
            was, now = _abnormal(old), _abnormal(state)
            if was != now:
                self._abnormal[building] += 1 if now else -1
                self._counts_dirty = True  # shown on the next refresh, not once per event

    def _show_counts(self) -> None:
        self._counts_dirty = False
        self._list.set_counts(dict(self._abnormal))
        troubled = sum(1 for count in self._abnormal.values() if count)
        if troubled:
            text = self.tr("Abnormal points in {count} of {total} buildings.").format(
                count=troubled, total=len(self._members)
            )
        else:
            text = self.tr("All {total} buildings normal.").format(total=len(self._members))
        self._summary.setText(text)
        set_style_property(self._summary, "abnormal", "yes" if troubled else "no")

    # ------------------------------------------------------------------ Qt
    def resizeEvent(self, event: QResizeEvent) -> None:
        """The building list takes a fifth of the page, between 160 and 260 px: gauges get the rest."""
        self._side.setFixedWidth(max(160, min(260, event.size().width() // 5)))
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self._title.setText(self.tr("Sensors"))
        self._note.setText(
            self.tr(
                "Click a gauge for its trend. A gauge is marked in alarm while the alarm engine holds one of "
                "its limit alarms open (not shelved or out of service); without the alarm journal it is a "
                "plain comparison with the limits."
            )
        )
        if NO_BUILDING in self._members:
            self._list.set_names({NO_BUILDING: self.tr("No building")})
        self._show_counts()


def _abnormal(state: GaugeState) -> bool:
    """Counted against its building: in alarm, or not a current good value (never read aside)."""
    return state.alarm_active or state.quality not in ("good", "never-read")

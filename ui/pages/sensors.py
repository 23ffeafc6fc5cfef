"""The Sensors page: every PLC point of the site as a gauge, per building, and a trend on click.

How values reach the screen (DESIGN §1, §3):

- The pollers publish ``PointValueChanged``/``PointQualityChanged``; the bridge re-emits them as
  queued signals, so the handlers here run on the GUI thread. A handler only stores the snapshot on
  the gauge (``set_state`` never paints); each building's ``GaugeGrid`` repaints from its own timer at
  no more than 5 Hz, and only while it is shown.
- Once a second, while the page is shown, the page also reads every point's current reading from the
  pollers' store (a locked dictionary copy, no I/O), so quality changes missed while a gauge was
  hidden and the present end of the trend line are never more than a second behind.
- Clicking a gauge opens its trend (:mod:`ui.pages.sensor_trend`); history comes from the historian
  off the GUI thread.

The header shows each PLC's poller state with the reason in plain words when it does not answer; the
alarm marks on the gauges are a plain limit comparison (:mod:`ui.pages.sensor_view`), not the alarm
engine.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.events import LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import PointReading
from app.site.schema import Point, SiteFile
from ui.bridge import CoreBridge, connect_queued
from ui.pages.sensor_trend import HistorySource, TrendPanel
from ui.pages.sensor_view import gauge_state, is_binary, same_look
from widgets.gauge_base import GaugeBase
from widgets.gauge_grid import GaugeGrid
from widgets.gauge_state import GaugeState
from widgets.gauges import make_gauge
from widgets.style import set_style_property

log = logging.getLogger("wardroom.ui")

REFRESH_MS = 1000
NO_BUILDING = ""  # the group of points the site file places in no building


class ReadingSource(Protocol):
    """What the page needs of ``app.fieldbus.manager.FieldbusManager``."""

    def readings(self) -> dict[str, PointReading]: ...


class PlcStateLabel(QLabel):
    """One PLC's poller state in words; ``linkState`` (unknown/connected/disconnected) for the QSS."""

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
        else:
            text = self.tr("{plc}: not polled yet").format(plc=self._plc_id)
        self.setText(text)
        self.setToolTip(event.endpoint)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


class SensorsPage(QWidget):
    """Gauges per building (tabs, plus "No building"), PLC poller states, and a trend on click."""

    def __init__(
        self, site: SiteFile, bridge: CoreBridge | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sensorsPage")
        self._site = site
        self._points: dict[str, Point] = {point.id: point for point in site.point}
        self._states: dict[str, GaugeState] = {}
        self._building_of: dict[str, str] = {}
        self._source: ReadingSource | None = None
        self._closed = False
        self._titles_dirty = True

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

        self._tabs = QTabWidget(self)
        self._tabs.setObjectName("sensorTabs")
        self._tabs.currentChanged.connect(self._on_tab_changed)
        self._tabs.setDocumentMode(True)
        self._grids: dict[str, GaugeGrid] = {}
        self._building_names: dict[str, str] = {b.id: b.name for b in site.building}
        for building_id in self._groups():
            self._add_tab(building_id)

        self._trend = TrendPanel(self)
        self._trend.setVisible(False)
        self._trend.closeRequested.connect(self.close_trend)
        self._splitter = QSplitter(Qt.Orientation.Vertical, self)
        self._splitter.setObjectName("sensorSplitter")
        self._splitter.setChildrenCollapsible(False)
        self._splitter.addWidget(self._tabs)
        self._splitter.addWidget(self._trend)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self._title)
        layout.addWidget(plc_box)
        layout.addWidget(self._note)
        layout.addWidget(self._splitter, 1)

        self._timer = QTimer(self)
        self._timer.setObjectName("sensorsRefresh")
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        if bridge is not None:
            connect_queued(bridge.pointValueChanged, self.on_point_value)
            connect_queued(bridge.pointQualityChanged, self.on_point_quality)
            connect_queued(bridge.linkStateChanged, self.on_link_state)
        self._retranslate()

    # ------------------------------------------------------------------ building the tabs
    def _groups(self) -> list[str]:
        """Building ids in file order, then the "No building" group if any point has none."""
        known = set(self._building_names)
        groups = [b.id for b in self._site.building]
        if any(p.building is None or p.building not in known for p in self._site.point):
            groups.append(NO_BUILDING)
        return groups

    def _add_tab(self, building_id: str) -> None:
        grid = GaugeGrid()
        known = set(self._building_names)
        for point in self._site.point:
            group = point.building if point.building in known else NO_BUILDING
            if group != building_id:
                continue
            gauge = make_gauge(point.kind, point.id, binary=is_binary(point))
            state = gauge_state(point, None)
            gauge.set_state(state)
            grid.add(gauge)
            self._states[point.id] = state
            self._building_of[point.id] = building_id
        grid.clicked.connect(self.open_trend)
        scroll = QScrollArea(self._tabs)
        scroll.setObjectName("gaugeScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(grid)
        self._grids[building_id] = grid
        self._tabs.addTab(scroll, "")

    # ------------------------------------------------------------------ public
    @property
    def trend_panel(self) -> TrendPanel:
        return self._trend

    @property
    def tabs(self) -> QTabWidget:
        return self._tabs

    def buildings(self) -> list[str]:
        """Group ids in tab order ("" is the "No building" group)."""
        return list(self._grids)

    def grid(self, building_id: str) -> GaugeGrid:
        return self._grids[building_id]

    def gauge(self, point_id: str) -> GaugeBase:
        return self._grids[self._building_of[point_id]].gauge(point_id)

    def gauges(self) -> list[GaugeBase]:
        return [gauge for grid in self._grids.values() for gauge in grid.gauges()]

    def plc_label(self, plc_id: str) -> PlcStateLabel:
        return self._plc_labels[plc_id]

    def show_building(self, building_id: str) -> None:
        self._tabs.setCurrentIndex(list(self._grids).index(building_id))

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
            reading = self._source.readings().get(point_id)
            if reading is not None:
                self._trend.add_reading(reading, time.time())

    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        if self.isVisible():
            self.refresh()

    @Slot()
    def close_trend(self) -> None:
        self._trend.setVisible(False)

    def snapshot(self) -> dict[str, Any]:
        """What the gauges show (for the GUI report): counts by quality, in alarm, PLC states."""
        gauges = self.gauges()
        return {
            "gauges": len(gauges),
            "qualities": dict(Counter(gauge.state.quality for gauge in gauges)),
            "in_alarm": sorted(g.point_id for g in gauges if g.state.alarm_active),
            "plcs": {plc_id: label.state for plc_id, label in self._plc_labels.items()},
        }

    def shutdown(self) -> None:
        """Stop the refresh and wait (bounded) for history queries. Safe to call twice."""
        self._closed = True
        self._timer.stop()
        self._source = None
        self._trend.shutdown()

    # ------------------------------------------------------------------ values in
    @Slot(object)
    def on_point_value(self, event: PointValueChanged) -> None:
        self._take(event.reading, event.at.timestamp())

    @Slot(object)
    def on_point_quality(self, event: PointQualityChanged) -> None:
        self._take(event.reading, event.at.timestamp())

    @Slot(object)
    def on_link_state(self, event: LinkStateChanged) -> None:
        label = self._plc_labels.get(event.id) if event.kind == "plc" else None
        if label is not None:
            label.show_event(event)

    @Slot()
    def refresh(self) -> None:
        """The shown building's (and the trend's) current readings from the pollers, then the tab titles.

        Memory only. Points on hidden tabs are kept current by the events alone: the refresh is for
        what is on screen, so a site with thousands of points costs the GUI thread little.
        """
        source = self._source
        if source is not None and not self._closed:
            now = time.time()
            readings = source.readings()
            shown = list(self._grids)[self._tabs.currentIndex()] if self._grids else None
            wanted = {gauge.point_id for gauge in self._grids[shown].gauges()} if shown is not None else set()
            if self._trend.isVisible() and self._trend.point_id is not None:
                wanted.add(self._trend.point_id)
            for point_id in wanted:
                reading = readings.get(point_id)
                if reading is not None:
                    self._take(reading, now)
        if self._titles_dirty:
            self._update_tab_titles()

    def _take(self, reading: PointReading, at: float) -> None:
        point = self._points.get(reading.point_id)
        if point is None or self._closed:
            return
        state = gauge_state(point, reading)
        old = self._states.get(point.id)
        if not same_look(old, state):
            self._states[point.id] = state
            self._grids[self._building_of[point.id]].set_state(point.id, state)
            if old is None or old.quality != state.quality or old.alarm_active != state.alarm_active:
                self._titles_dirty = True  # counted on the next refresh, not once per event
        self._trend.add_reading(reading, at)

    def _update_tab_titles(self) -> None:
        self._titles_dirty = False
        abnormal: Counter[str] = Counter()
        for point_id, state in self._states.items():
            if state.alarm_active or state.quality not in ("good", "never-read"):
                abnormal[self._building_of[point_id]] += 1
        for index, building_id in enumerate(self._grids):
            name = self._building_names.get(building_id) or self.tr("No building")
            count = abnormal[building_id]
            text = self.tr("{name} — {count} abnormal").format(name=name, count=count) if count else name
            if self._tabs.tabText(index) != text:
                self._tabs.setTabText(index, text)

    # ------------------------------------------------------------------ Qt
    def showEvent(self, event: QShowEvent) -> None:
        if not self._closed:
            self.refresh()
            self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self._title.setText(self.tr("Sensors"))
        self._note.setText(
            self.tr(
                "Click a gauge for its trend. A value is marked in alarm when it is at or beyond one of "
                "its alarm limits: a plain comparison for now, without the delays and deadbands of alarm "
                "handling."
            )
        )
        self._update_tab_titles()

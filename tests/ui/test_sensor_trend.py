"""History queries of the trend: one at a time, the newest request wins, late answers and late
failures of a point or window the operator has left are dropped."""

from __future__ import annotations

import threading
from datetime import datetime

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from app.historian import TrendSeries
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.site.schema import AlarmLimit, Point
from ui.pages.sensor_trend import TrendPanel
from ui.pages.sensors import SensorsPage

PRESSURE = Point(
    id="b1.pressure",
    plc="panel",
    address="hr:0",
    type="uint16",
    kind="pressure",
    unit="MPa",
    range=(0.0, 1.6),
    alarms=(AlarmLimit(limit="low", value=0.1),),
)


class SlowHistory:
    """A historian whose first query waits for the test, then fails (a database gone away)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[float] = []  # window lengths asked for, in seconds
        self._lock = threading.Lock()

    def query(self, point_key: str, start: datetime, end: datetime, max_points: int = 2000) -> TrendSeries:
        with self._lock:
            self.calls.append((end - start).total_seconds())
            first = len(self.calls) == 1
        if first:
            self.release.wait(10)
            raise OSError("database is locked")
        ts = np.array([start.timestamp(), end.timestamp() - 1.0])
        values = np.array([0.5, 0.6])
        return TrendSeries(point_key, start, end, 0.0, ts, values, values, values)


def test_clicks_while_a_query_runs_start_one_more_query_for_the_newest_window(
    qtbot: QtBot, themed_app: QApplication
) -> None:
    history = SlowHistory()
    panel = TrendPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_history_source(history)
    panel.show_point(PRESSURE)  # the first query (10 min): blocked
    qtbot.waitUntil(lambda: len(history.calls) == 1, timeout=5000)
    try:
        for seconds in (3600, 86_400, 604_800, 3600):  # the operator clicks through the windows
            button = panel.plot.findChild(QPushButton, f"trendWindow{seconds}")
            assert button is not None
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert panel.queries_started == 1, "no thread per click: the others wait, and only the newest"
    finally:
        history.release.set()
    # The first query's failure belongs to a window the operator left: not shown. The newest runs.
    qtbot.waitUntil(lambda: panel.history_loads == 1, timeout=10_000)
    assert history.calls == [600.0, 3600.0] and panel.queries_started == 2
    series = panel.series
    assert series is not None and (series.end - series.start).total_seconds() == 3600
    note = panel.note_text
    assert "could not be read" not in note, note


def test_a_current_failure_is_shown(qtbot: QtBot, themed_app: QApplication) -> None:
    history = SlowHistory()
    history.release.set()  # the first query fails at once, and it is the current one
    panel = TrendPanel()
    qtbot.addWidget(panel)
    panel.set_history_source(history)
    panel.show_point(PRESSURE)
    qtbot.waitUntil(lambda: "could not be read" in panel.note_text, timeout=10_000)
    assert "database is locked" in panel.note_text


def test_shutdown_does_not_wait_for_a_query(qtbot: QtBot, themed_app: QApplication) -> None:
    history = SlowHistory()
    panel = TrendPanel()
    qtbot.addWidget(panel)
    panel.set_history_source(history)
    panel.show_point(PRESSURE)
    qtbot.waitUntil(lambda: len(history.calls) == 1, timeout=5000)
    note = panel.note_text
    panel.shutdown()  # returns at once although the query still runs
    assert any(t.name == "wardroom-trend-history" for t in threading.enumerate())
    history.release.set()  # the late answer (a failure) is dropped: nobody waits for it any more
    qtbot.waitUntil(
        lambda: not any(t.name == "wardroom-trend-history" for t in threading.enumerate()), timeout=5000
    )
    QApplication.processEvents()  # deliver anything the finished thread might (wrongly) have posted
    assert panel.note_text == note and panel.history_loads == 0


def test_the_time_axis_shows_the_sites_zone(qtbot: QtBot, themed_app: QApplication) -> None:
    """The sensors page hands the site's time zone to its trend (the station's clock, not this one's)."""
    site = load_site(demo_site_path()).site
    page = SensorsPage(site)
    qtbot.addWidget(page)
    zone = page.trend_panel.plot.zone
    assert zone is not None and str(zone) == site.site.timezone == "Asia/Shanghai"

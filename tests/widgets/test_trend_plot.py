"""The trend: bounded live buffer, window buttons, limits on the plot, gaps, bounded redraw."""

from __future__ import annotations

import itertools
import math
import time
from datetime import UTC, datetime

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from tests.conftest import REPO_ROOT
from widgets.trend_plot import MAX_RATE_HZ, WINDOWS_S, TrendPlot


def _shown(qtbot: QtBot, **kw: object) -> TrendPlot:
    trend = TrendPlot(**kw)  # type: ignore[arg-type]
    qtbot.addWidget(trend)
    trend.resize(800, 400)
    trend.show()
    qtbot.waitExposed(trend)
    return trend


def _is_blue(colour: QColor) -> bool:
    return colour.blue() - max(colour.red(), colour.green()) > 100


def test_100k_samples_keep_the_buffer_bounded(qtbot: QtBot) -> None:
    trend = TrendPlot(capacity=10_000)
    qtbot.addWidget(trend)
    size = trend.live_nbytes
    start = time.time() - 100_000
    for i in range(100_000):
        trend.append(start + i, math.sin(i / 50))
    assert trend.live_count == trend.capacity == 10_000
    assert trend.live_nbytes == size
    ts, values = trend.live_arrays()
    assert ts.shape == values.shape == (10_000,)
    assert ts[0] == start + 90_000 and ts[-1] == start + 99_999
    assert np.all(np.diff(ts) > 0), "oldest first"
    trend.extend(np.arange(100_000, dtype=float), np.zeros(100_000))
    assert trend.live_count == 10_000 and trend.live_nbytes == size


def test_window_buttons_emit_the_window_and_slide_the_axis(qtbot: QtBot, themed_app: QApplication) -> None:
    trend = _shown(qtbot)
    assert trend.window_s == WINDOWS_S[0] == 600
    x0, x1 = trend.x_range()
    assert x1 - x0 == pytest.approx(600, rel=0.01)
    for seconds, name in ((3600, "1 h"), (86_400, "24 h"), (604_800, "7 d"), (600, "10 min")):
        button = trend.findChild(QPushButton, f"trendWindow{seconds}")
        assert button is not None and button.text() == name
        with qtbot.waitSignal(trend.windowChanged, timeout=2000) as blocker:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert blocker.args == [seconds]
        assert button.isChecked()
        trend.tick()
        x0, x1 = trend.x_range()
        assert x1 - x0 == pytest.approx(seconds, rel=0.01)
        assert x1 == pytest.approx(time.time(), abs=60)


def test_manual_zoom_stops_following_until_a_window_is_chosen(qtbot: QtBot, themed_app: QApplication) -> None:
    trend = _shown(qtbot)
    view = trend.plot_widget.getViewBox()
    view.sigRangeChangedManually.emit([True, False])  # what a wheel zoom or drag emits
    assert not trend.following
    view.setXRange(1000.0, 2000.0, padding=0)
    trend.tick()
    assert trend.x_range() == (pytest.approx(1000.0), pytest.approx(2000.0)), "a zoomed view stays put"
    with qtbot.assertNotEmitted(trend.windowChanged):
        trend.set_window(600)  # same window: resumes following, nothing to fetch
    assert trend.following
    trend.tick()
    assert trend.x_range()[1] == pytest.approx(time.time(), abs=60)


def test_limits_are_drawn_as_labelled_lines(qtbot: QtBot, themed_app: QApplication) -> None:
    trend = _shown(qtbot)
    trend.setStyleSheet("TrendPlot { qproperty-limitColor: #0000ff; }")
    trend.set_limits([("low", 0.5), ("high", 1.2), ("on", 1.0), ("high-high", math.nan)])
    assert trend.limit_lines() == [("low", 0.5), ("high", 1.2)]
    trend.set_y_range((0.0, 1.6))
    trend.tick()
    QApplication.processEvents()
    plot = trend.plot_widget
    image = plot.grab().toImage()
    view = plot.getViewBox()
    for _, value in trend.limit_lines():
        y = plot.mapFromScene(view.mapViewToScene(QPointF(0.0, value))).y()
        blue = sum(
            1
            for x in range(image.width())
            for row in range(y - 2, y + 3)
            if 0 <= row < image.height() and _is_blue(image.pixelColor(x, row))
        )
        assert blue > image.width() // 4, f"no limit line drawn at {value}"
    trend.set_limits([])
    assert trend.limit_lines() == []


def _subpaths(path: QPainterPath) -> int:
    return sum(1 for i in range(path.elementCount()) if path.elementAt(i).isMoveTo())


def test_no_value_breaks_the_line(qtbot: QtBot, themed_app: QApplication) -> None:
    """The drawn path itself breaks at a sample without a value (not only the option saying so)."""
    trend = _shown(qtbot)
    now = time.time()
    for i in range(5):
        trend.append(now - 5 + i, None)  # a PLC down since the trend opened: nothing to draw, no warning
    trend.tick()
    QApplication.processEvents()
    trend.clear_live()
    for i, value in enumerate((1.0, 1.1, None, 1.3, 1.4)):  # comm-fail in the middle
        trend.append(now - 60 + i * 10, value)
    _, values = trend.live_arrays()
    assert values[1] == 1.1 and math.isnan(values[2]) and values[3] == 1.3
    trend.set_y_range((0.0, 2.0))
    trend.tick()
    QApplication.processEvents()
    curve = trend.live_curve.curve
    path = curve.getPath()
    assert _subpaths(path) == 2, "one line before the outage, one after, none across it"
    gap = path.intersects(QRectF(now - 41, 0.0, 2, 2.0))  # around the missing sample's time
    assert not gap, "the line crosses the outage"
    assert path.intersects(QRectF(now - 56, 0.0, 2, 2.0)), "the line is drawn where there are values"
    items = trend.plot_widget.listDataItems()
    assert items and all(item.opts["connect"] == "finite" for item in items)


def test_axis_shows_the_site_time_zone(qtbot: QtBot, themed_app: QApplication) -> None:
    trend = _shown(qtbot)
    trend.grab()  # one paint: the axis measures its font then
    assert trend.zone is None, "the workstation's zone until the page passes the site's"
    ts = datetime(2026, 3, 1, 4, 30, tzinfo=UTC).timestamp()
    axis = trend.axis

    def label(zone: str | None) -> str:
        trend.set_timezone(zone)
        specs = axis.tickValues(ts - 300, ts + 300, 800)  # a 10-minute span: HH:MM ticks
        spacing = next(sp for sp, tk in specs if ts in tk)
        return str(axis.tickStrings([ts], 1.0, spacing)[0])

    assert label("Asia/Shanghai") == "12:30"
    assert label("UTC") == "04:30"
    assert label("+05:30") == "10:00"
    assert label("UTC-3") == "01:30"
    assert label("Europe/London") == "04:30"
    with pytest.raises(ValueError, match="Mars/Olympus"):
        trend.set_timezone("Mars/Olympus")
    with pytest.raises(ValueError, match="25:00"):
        trend.set_timezone("+25:00")


def test_limit_labels_do_not_sit_on_each_other(qtbot: QtBot, themed_app: QApplication) -> None:
    trend = _shown(qtbot)
    trend.set_limits([("low-low", 0.05), ("low", 0.1), ("high", 1.2), ("high-high", 1.25)])
    trend.set_y_range((0.0, 1.6))
    trend.tick()
    QApplication.processEvents()
    positions = trend.limit_label_positions()
    assert len(set(positions)) == 4, "every label at 0.02 put L 0.1 on LL 0.05"
    boxes = [line.label.sceneBoundingRect() for line in trend._limit_lines]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.intersects(b), (a, b)


def test_history_is_a_band_with_an_average(
    qtbot: QtBot, themed_app: QApplication, capsys: pytest.CaptureFixture[str]
) -> None:
    trend = _shown(qtbot)
    now = time.time()
    ts = now - 3600 + np.arange(0, 3600, 30.0)
    avg = 0.8 + 0.1 * np.sin(ts / 300)
    trend.set_history(ts, avg - 0.05, avg + 0.05, avg)
    trend.set_window(3600)
    trend.tick()
    curves = trend.plot_widget.listDataItems()
    assert sum(1 for c in curves if c.xData is not None and len(c.xData) == len(ts)) == 3
    with pytest.raises(ValueError, match="differ in length"):
        trend.set_history(ts, avg, avg, avg[:-1])
    for i in range(600):
        trend.append(now - 600 + i, None if 300 < i < 360 else 0.8 + 0.05 * math.sin(i / 20))
    trend.set_title("Sprinkler main B1", "MPa")
    trend.set_limits([("low-low", 0.3), ("low", 0.5), ("high", 1.2)])
    trend.set_y_range((0.0, 1.6))
    trend.tick()
    target = REPO_ROOT / "artifacts" / "widgets" / "trend.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    assert trend.grab().save(str(target))
    with capsys.disabled():
        print(f"\nartifact saved: {target}")


def test_redraw_is_bounded_by_the_timer(qtbot: QtBot, themed_app: QApplication) -> None:
    trend = _shown(qtbot)
    assert trend.interval_ms >= 1000 / MAX_RATE_HZ
    assert trend.timer_active
    qtbot.waitUntil(lambda: trend.ticks >= 2, timeout=3000)
    redraws, ticks = trend.redraws, trend.ticks
    now = time.time()
    for i in range(1000):
        trend.append(now + i * 0.01, float(i))
        QApplication.processEvents()
    end = trend.ticks + 2
    qtbot.waitUntil(lambda: trend.ticks >= end, timeout=5000)
    drawn, ticked = trend.redraws - redraws, trend.ticks - ticks
    assert 1 <= drawn <= ticked, f"{drawn} redraws over {ticked} ticks"
    trend.close()
    assert not trend.timer_active

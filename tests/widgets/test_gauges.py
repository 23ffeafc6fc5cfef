"""Sensor gauges: every kind draws every quality, failed values look failed, limits sit where they
should on the scale, and repaint is bounded by the grid's timer however fast states arrive."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage, QPaintEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.conftest import REPO_ROOT
from widgets.gauge_base import GaugeBase
from widgets.gauge_grid import MAX_RATE_HZ, GaugeGrid
from widgets.gauge_state import (
    DIAL_MARK_INNER_R,
    DIAL_MARK_OUTER_R,
    GaugeState,
    dial_angle,
    dial_frame,
    format_age,
    nice_ticks,
    polar,
    scale_of,
)
from widgets.gauges import BinaryLamp, DialGauge, TankGauge, ThermometerGauge, make_gauge

PRESSURE_LIMITS = [("low-low", 0.3), ("low", 0.5), ("high", 1.2)]


def _state(quality: str, value: float | bool | None = 0.8, **kw: object) -> GaugeState:
    base: dict[str, object] = {
        "value": value,
        "unit": "MPa",
        "quality": quality,
        "age_s": 42.0,
        "range": (0.0, 1.6),
        "limits": PRESSURE_LIMITS,
        "label": "Sprinkler main B1",
    }
    base.update(kw)
    return GaugeState(**base)  # type: ignore[arg-type]


def _show(qtbot: QtBot, gauge: GaugeBase, width: int = 220, height: int = 240) -> None:
    qtbot.addWidget(gauge)
    gauge.resize(width, height)
    gauge.show()
    qtbot.waitExposed(gauge)


def _rgb(image: QImage, x: float, y: float) -> tuple[int, int, int]:
    colour = image.pixelColor(round(x), round(y))
    return colour.red(), colour.green(), colour.blue()


def _is_grey(rgb: tuple[int, int, int], tolerance: int = 12) -> bool:
    return max(rgb) - min(rgb) <= tolerance


# ---------------------------------------------------------------------------- pure parts
def test_dial_geometry_is_a_270_degree_arc() -> None:
    assert dial_angle(0, 0, 10) == pytest.approx(225.0)
    assert dial_angle(10, 0, 10) == pytest.approx(-45.0)
    assert dial_angle(5, 0, 10) == pytest.approx(90.0)  # mid-scale points straight up
    assert dial_angle(-3, 0, 10) == pytest.approx(225.0)  # clamped
    assert dial_angle(99, 0, 10) == pytest.approx(-45.0)
    x, y = polar(100, 100, 50, 90)
    assert (x, y) == (pytest.approx(100), pytest.approx(50))  # up is smaller y
    cx, cy, r = dial_frame(0, 0, 200, 150)
    assert cx == pytest.approx(100)
    assert cy - r >= 0 and cy + r * math.sin(math.radians(45)) <= 150  # the arc fits the body


def test_scale_words_and_ticks() -> None:
    """Ages in compact units (short enough for a narrow card's status line), two units at most."""
    assert format_age(7) == "7 s"
    assert format_age(42) == "42 s"
    assert format_age(12 * 60 + 5) == "12 min"
    assert format_age(3720) == "1 h 02 min"
    assert format_age(3 * 3600 + 7 * 60 + 9) == "3 h 07 min"
    assert format_age(2 * 86_400 + 4 * 3600) == "2 d 04 h"
    assert format_age(-5) == "0 s"
    assert format_age(90, {"s": "秒", "min": "分", "h": "时", "d": "天"}) == "1 分"
    ticks = nice_ticks(0, 1.6)
    assert ticks[0] == 0 and ticks[-1] == 1.6
    assert all(b - a >= 0.2 for a, b in itertools.pairwise(ticks)), ticks
    assert nice_ticks(-20, 100, 3, min_gap=0.3) == [-20, 0, 50, 100]
    assert scale_of(GaugeState(range=(10, 0))) == (0, 10)
    lo, hi = scale_of(GaugeState(limits=[("high", 8.0)]))  # no range: the limits still fit
    assert lo == 0 and hi > 8


def test_make_gauge_picks_the_gauge_by_point_kind(qtbot: QtBot) -> None:
    expected = {
        "pressure": DialGauge,
        "level": TankGauge,
        "temperature": ThermometerGauge,
        "heat": ThermometerGauge,
        "smoke": BinaryLamp,
        "call-point": BinaryLamp,
        "door": BinaryLamp,
        "flow": DialGauge,
        "current": DialGauge,
        "other": DialGauge,
    }
    for kind, cls in expected.items():
        gauge = make_gauge(kind, f"p-{kind}")
        qtbot.addWidget(gauge)
        assert type(gauge) is cls, kind
        assert gauge.point_id == f"p-{kind}"
    detector = make_gauge("heat", "hd1", binary=True)  # a heat *detector* is a contact
    qtbot.addWidget(detector)
    assert isinstance(detector, BinaryLamp)


# ---------------------------------------------------------------------------- every kind, every quality
@pytest.mark.parametrize("kind", ["pressure", "level", "temperature", "smoke"])
def test_each_kind_renders_every_quality(qtbot: QtBot, themed_app: QApplication, kind: str) -> None:
    gauge = make_gauge(kind, "p1")
    _show(qtbot, gauge)
    binary = isinstance(gauge, BinaryLamp)
    good_value: float | bool = True if binary else 0.8
    cases: dict[str, tuple[float | bool | None, str, str]] = {
        # quality: (value, expected value text, expected status words)
        # a failed lamp shows no verdict word: its last word is in the status line, with its age
        "good": (good_value, "smoke" if binary else "0.80 MPa", ""),
        "comm-fail": (
            good_value,
            "—" if binary else "0.80 MPa",
            "comm-fail · was smoke, 42 s ago" if binary else "comm-fail · last 42 s ago",
        ),
        "stale": (
            good_value,
            "—" if binary else "0.80 MPa",
            "stale · was smoke, 42 s ago" if binary else "stale · last 42 s ago",
        ),
        "out-of-range": (1.0 if binary else 2.5, "smoke" if binary else "2.50 MPa", "out of range"),
        "never-read": (None, "—", "never read"),
        "bad-config": (None, "—", "bad address"),
    }
    images: dict[str, QImage] = {}
    for quality, (value, value_text, status) in cases.items():
        age = None if quality == "never-read" else 42.0
        gauge.set_state(_state(quality, value, age_s=age))
        assert gauge.refresh() is True
        assert gauge.property("quality") == quality
        assert gauge.value_text() == value_text, quality
        assert gauge.status_text() == status, quality
        image = gauge.grab().toImage()
        assert not image.isNull() and image.width() >= gauge.width()
        images[quality] = image
    assert images["good"] != images["comm-fail"]
    assert images["good"] != images["never-read"]
    if not binary:
        gauge.set_state(_state("out-of-range", 2.5))
        view = gauge.body_view()
        assert view.clamped == "high" and view.value == 2.5


def test_comm_fail_is_greyed_hatched_and_framed_unlike_good(qtbot: QtBot, themed_app: QApplication) -> None:
    """Pixels: the face is hatched and the frame is dashed in the bad-quality colour (not an alarm's)."""
    gauge = DialGauge("p1")
    _show(qtbot, gauge)
    body = gauge.body_rect()
    corner = [(body.left() + 1 + dx, body.top() + 1 + dy) for dx in range(14) for dy in range(14)]

    def look(quality: str) -> tuple[set[tuple[int, int, int]], list[tuple[int, int, int]]]:
        gauge.set_state(_state(quality))
        gauge.refresh()
        image = gauge.grab().toImage()
        corner_colours = {_rgb(image, x, y) for x, y in corner}  # an empty corner of the face
        frame = [_rgb(image, 1, y) for y in range(20, gauge.height() - 20)]  # the left edge
        return corner_colours, frame

    good_corner, good_frame = look("good")
    assert len(good_corner) == 1, "a live value's face is plain"
    assert all(_is_grey(rgb) for rgb in good_frame), "normal is grey (ISA-101)"
    bad = gauge.colour("badQualityColor")
    bad_rgb = (bad.red(), bad.green(), bad.blue())
    for quality in ("comm-fail", "stale"):
        corner_colours, frame = look(quality)
        hatch = gauge.colour("hatchColor")
        assert (hatch.red(), hatch.green(), hatch.blue()) in corner_colours, f"{quality}: no hatch"
        assert corner_colours - good_corner, f"{quality}: the face must differ from a live one"
        on = sum(1 for rgb in frame if rgb == bad_rgb)
        assert on > len(frame) // 4, f"{quality}: the frame must take the bad-quality colour"
        assert on < len(frame) * 0.9, f"{quality}: the bad-quality frame is dashed"
        assert "ago" in gauge.status_text()
    assert gauge.colour("badQualityColor") != gauge.colour("alarmColor")


def test_dial_draws_limit_marks_at_their_angles(qtbot: QtBot, themed_app: QApplication) -> None:
    """The limit colour is a QSS property; marks sit on the scale at the limits' angles, nowhere else."""
    gauge = DialGauge("p1")
    gauge.setStyleSheet("DialGauge { qproperty-limitColor: #0000ff; }")
    _show(qtbot, gauge, 260, 260)
    limits = [("low", 2.0), ("high", 7.5), ("high-high", 9.0)]
    gauge.set_state(GaugeState(value=5.0, unit="bar", quality="good", age_s=0, range=(0, 10), limits=limits))
    gauge.refresh()
    assert gauge.colour("limitColor") == QColor("#0000ff")
    image = gauge.grab().toImage()
    cx, cy, r = gauge.dial_frame()
    mid_r = r * (DIAL_MARK_INNER_R + DIAL_MARK_OUTER_R) / 2

    def blue_at(value: float) -> bool:
        x, y = polar(cx, cy, mid_r, dial_angle(value, 0, 10))
        red, green, blue = _rgb(image, x, y)
        return blue > 200 and red < 90 and green < 90

    for _, value in limits:
        assert blue_at(value), f"no limit mark at {value}"
    for value in (0.5, 4.0, 6.0, 8.25):
        assert not blue_at(value), f"a limit mark where there is no limit ({value})"


def test_set_state_never_paints_and_refresh_paints_once(qtbot: QtBot, themed_app: QApplication) -> None:
    gauge = _CountingDial("p1")
    _show(qtbot, gauge)
    gauge.refresh()
    qtbot.waitUntil(lambda: gauge.paints > 0, timeout=2000)
    before = gauge.paints
    for i in range(100):
        gauge.set_state(_state("good", i / 100))
        QApplication.processEvents()
    assert gauge.paints == before, "set_state must not repaint"
    assert gauge.refresh() is True
    qtbot.waitUntil(lambda: gauge.paints == before + 1, timeout=2000)
    assert gauge.refresh() is False, "nothing changed since the last refresh"


class _CountingDial(DialGauge):
    """Counts its paint events."""

    paints = 0

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        super().paintEvent(event)


def test_repaint_rate_is_bounded_by_the_grid_timer(qtbot: QtBot, themed_app: QApplication) -> None:
    grid = GaugeGrid()
    qtbot.addWidget(grid)
    gauge = _CountingDial("p1")
    grid.add(gauge)
    assert grid.interval_ms >= 1000 / MAX_RATE_HZ
    grid.resize(300, 300)
    grid.show()
    qtbot.waitExposed(grid)
    assert grid.timer_active
    qtbot.waitUntil(lambda: grid.ticks >= 2, timeout=3000)
    paints, ticks = gauge.paints, grid.ticks
    for i in range(1000):
        grid.set_state("p1", _state("good", (i % 160) / 100))
        QApplication.processEvents()  # a per-sample repaint would be painted right here
    end = grid.ticks + 2
    qtbot.waitUntil(lambda: grid.ticks >= end, timeout=5000)
    painted = gauge.paints - paints
    ticked = grid.ticks - ticks
    assert 1 <= painted <= ticked, f"{painted} paints over {ticked} ticks"
    grid.close()
    assert not grid.timer_active, "a hidden grid must not keep its timer running"


def test_a_click_names_the_point(qtbot: QtBot, themed_app: QApplication) -> None:
    from PySide6.QtCore import Qt

    grid = GaugeGrid()
    qtbot.addWidget(grid)
    grid.set_points([("p1", "pressure", "Main"), ("l1", "level", "Pool"), ("s1", "smoke", "Lobby")])
    grid.resize(600, 300)
    grid.show()
    qtbot.waitExposed(grid)
    with qtbot.waitSignal(grid.clicked, timeout=2000) as blocker:
        qtbot.mouseClick(grid.gauge("l1"), Qt.MouseButton.LeftButton)
    assert blocker.args == ["l1"]
    with qtbot.waitSignal(grid.clicked, timeout=2000) as blocker:
        qtbot.keyClick(grid.gauge("s1"), Qt.Key.Key_Return)
    assert blocker.args == ["s1"]


def test_age_keeps_counting_between_snapshots(qtbot: QtBot) -> None:
    now = [1000.0]
    gauge = DialGauge("p1", clock=lambda: now[0])
    qtbot.addWidget(gauge)
    gauge.set_state(_state("comm-fail", age_s=42.0))
    assert gauge.refresh() is True
    assert gauge.status_text() == "comm-fail · last 42 s ago"
    now[0] += 0.4
    assert gauge.refresh() is False, "the shown age did not change"
    now[0] += 30
    assert gauge.refresh() is True, "the shown age changed: repaint at the next tick"
    assert gauge.status_text() == "comm-fail · last 1 min ago"
    now[0] += 20
    assert gauge.refresh() is False, "past a minute the age text changes once a minute: no repaint"
    assert gauge.ageing


def test_alarm_is_coloured_and_named(qtbot: QtBot, themed_app: QApplication) -> None:
    gauge = DialGauge("p1")
    _show(qtbot, gauge)
    gauge.set_state(_state("good", 0.25, alarm_active=True, alarm_limit="low-low"))
    gauge.refresh()
    assert gauge.property("alarm") == "medium", "an alarm without a priority is medium (the default)"
    assert gauge.status_text() == "low-low alarm", "the limit is named as the page passed it"
    gauge.set_state(_state("good", 0.25, alarm_active=True))
    gauge.refresh()
    assert gauge.status_text() == "in alarm", "the gauge does not work out the limit itself"
    gauge.set_state(_state("good", 0.25, alarm_active=True, alarm_limit="low-low"))
    gauge.refresh()
    image = gauge.grab().toImage()
    _, _, value_rect, _ = gauge.regions()
    alarm = gauge.colour("alarmColor")
    row = [_rgb(image, x, value_rect.center().y()) for x in range(gauge.width())]
    assert (alarm.red(), alarm.green(), alarm.blue()) in row, "the value box takes the alarm colour"


# ---------------------------------------------------------------------------- the screenshot
def _mixed_grid() -> tuple[GaugeGrid, dict[str, GaugeState]]:
    points = [
        ("p1", "pressure", "Sprinkler main B1"),
        ("p2", "pressure", "Hydrant riser"),
        ("l1", "level", "Fire pool"),
        ("t1", "temperature", "E-bike shed"),
        ("p3", "pressure", "Sprinkler zone 3"),
        ("l2", "level", "Roof tank"),
        ("t2", "temperature", "Pump room"),
        ("s1", "smoke", "Smoke B1 lobby"),
        ("c1", "call-point", "Call point 2F"),
        ("d1", "door", "Pump room door"),
        ("f1", "flow", "Sprinkler flow"),
        ("s2", "smoke", "Smoke cable shaft"),
    ]
    level_limits = [("low-low", 0.8), ("low", 1.5), ("high", 4.5)]
    temp_limits = [("high", 55.0), ("high-high", 70.0)]
    close_pressure = [("low-low", 0.45), ("low", 0.5), ("high", 1.5), ("high-high", 1.6)]
    close_temp = [("high", 62.0), ("high-high", 66.0)]
    close_level = [("low-low", 0.8), ("low", 0.9)]
    states = {
        "p1": GaugeState(0.82, "MPa", "good", 0.4, (0, 1.6), close_pressure, "Sprinkler main B1"),
        "p2": GaugeState(0.41, "MPa", "good", 0.4, (0, 1.6), PRESSURE_LIMITS, "Hydrant riser", True, "high"),
        "l1": GaugeState(3.1, "m", "good", 1, (0, 5), level_limits, "Fire pool"),
        "t1": GaugeState(31.0, "°C", "good", 1, (-20, 100), close_temp, "E-bike shed"),
        "p3": GaugeState(0.77, "MPa", "comm-fail", 42, (0, 1.6), close_pressure, "Sprinkler zone 3"),
        "l2": GaugeState(2.2, "m", "stale", 3720, (0, 5), close_level, "Roof tank"),
        "t2": GaugeState(None, "°C", "never-read", None, (-20, 100), temp_limits, "Pump room"),
        "s1": GaugeState(False, "", "comm-fail", 7, None, [], "Smoke B1 lobby"),
        "c1": GaugeState(True, "", "good", 1, None, [], "Call point 2F", True, "fire"),
        "d1": GaugeState(True, "", "good", 1, None, [], "Pump room door"),
        "f1": GaugeState(1250, "L/min", "out-of-range", 1, (0, 1000), [("high", 800.0)], "Sprinkler flow"),
        "s2": GaugeState(None, "", "bad-config", None, None, [], "Smoke cable shaft"),
    }
    grid = GaugeGrid(columns=4)
    grid.set_points(points)
    for point_id, state in states.items():
        grid.set_state(point_id, state)
    return grid, states


def test_screenshot_of_a_grid_in_mixed_states(
    qtbot: QtBot, themed_app: QApplication, capsys: pytest.CaptureFixture[str]
) -> None:
    """Saved for a person to look at; also checks failed gauges are drawn as failed in the grid."""
    grid, states = _mixed_grid()
    qtbot.addWidget(grid)
    grid.resize(900, 720)
    grid.show()
    qtbot.waitExposed(grid)
    grid.tick()
    image = grid.grab().toImage()
    target: Path = REPO_ROOT / "artifacts" / "widgets" / "gauges.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    assert image.save(str(target))
    with capsys.disabled():
        print(f"\nartifact saved: {target}")

    def hatched(point_id: str) -> bool:
        gauge = grid.gauge(point_id)
        body = gauge.body_rect().translated(gauge.pos().toPointF())
        hatch = gauge.colour("hatchColor")
        want = (hatch.red(), hatch.green(), hatch.blue())
        return any(
            _rgb(image, body.left() + 1 + dx, body.top() + 1 + dy) == want
            for dx in range(12)
            for dy in range(12)
        )

    for point_id, state in states.items():
        assert hatched(point_id) == (state.quality in ("comm-fail", "stale", "bad-config")), point_id


def test_screenshot_of_narrow_cards_with_long_status(
    qtbot: QtBot, themed_app: QApplication, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cards at their minimum width: the status keeps its age, close limits keep apart (for a person
    to look at, and checked: the painted status is one of its un-cut forms)."""
    grid = GaugeGrid(columns=4)
    qtbot.addWidget(grid)
    grid.set_points(
        [
            ("s1", "smoke", "Smoke detector, stair 4 lobby", True),
            ("p1", "pressure", "Sprinkler main, basement 2"),
            ("t1", "temperature", "E-bike charging shed 3"),
            ("l1", "level", "Roof tank east"),
        ]
    )
    grid.set_state("s1", GaugeState(False, "", "comm-fail", 3720, None, [], "Smoke detector, stair 4 lobby"))
    close = [("low-low", 0.45), ("low", 0.5), ("high", 1.5), ("high-high", 1.6)]
    grid.set_state(
        "p1", GaugeState(0.77, "MPa", "stale", 2 * 86_400 + 4 * 3600, (0, 1.6), close, "Sprinkler")
    )
    grid.set_state(
        "t1", GaugeState(48.0, "°C", "comm-fail", 75, (-20, 100), [("high", 62.0), ("high-high", 66.0)])
    )
    grid.set_state(
        "l1", GaugeState(2.2, "m", "good", 1, (0, 5), [("low-low", 0.8), ("low", 0.9)], "Roof tank")
    )
    grid.flush_layout()
    width = max(g.minimumWidth() for g in grid.gauges())
    grid.resize(4 * width + 3 * 6 + 12, 240)
    grid.show()
    qtbot.waitExposed(grid)
    grid.tick()
    image = grid.grab().toImage()
    target: Path = REPO_ROOT / "artifacts" / "widgets" / "gauges_narrow.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    assert image.save(str(target))
    with capsys.disabled():
        print(f"\nartifact saved: {target}")
    from PySide6.QtGui import QFont, QFontMetricsF

    from widgets.gauge_base import fit_text

    for gauge in grid.gauges():
        assert gauge.width() <= width + 1
        forms = gauge.status_forms()
        if not forms:
            continue
        _, _, _, status_rect = gauge.regions()
        font = QFont(gauge._fonts()[2])
        font.setBold(True)
        shown = fit_text(QFontMetricsF(font), forms, status_rect.width() - 4)
        assert shown in forms, f"{gauge.point_id}: the status was cut: {shown!r}"


def test_tooltip_names_the_point_id_behind_a_readable_label(qtbot: QtBot, themed_app: QApplication) -> None:
    gauge = make_gauge("pressure", "b3.sprinkler.pressure")
    qtbot.addWidget(gauge)
    gauge.set_state(_state("good", 0.5))
    gauge.refresh()
    assert "b3.sprinkler.pressure" in gauge.toolTip().splitlines()

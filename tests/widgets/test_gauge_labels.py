"""Scale words that can be read: limit labels never overlap one another or leave the gauge's body,
scale text is at least 8.5 pt, and a failed gauge's hatch lies under its scale, not over it."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from widgets.gauge_base import GaugeBase
from widgets.gauge_state import (
    DIAL_SCALE_R,
    DIAL_SPAN_DEG,
    DIAL_START_DEG,
    GaugeState,
    boxes_overlap,
    dial_frame,
    dial_label_boxes,
    dial_label_margin,
    polar,
    spread_boxes,
)
from widgets.gauges import MIN_SCALE_POINTS, DialGauge, TankGauge, ThermometerGauge, _small_font
from widgets.trend_plot import stagger_label_positions

CLOSE = [("low-low", 0.45), ("low", 0.5), ("high", 1.5), ("high-high", 1.6)]


def _pairwise_clear(boxes: list[tuple[float, float, float, float]]) -> bool:
    return not any(boxes_overlap(a, b) for a, b in itertools.combinations(boxes, 2))


# ---------------------------------------------------------------------------- pure geometry
def test_spread_pushes_close_labels_apart_within_bounds() -> None:
    centres = spread_boxes([50.0, 52.0, 53.0], [12.0, 12.0, 12.0], 0.0, 200.0)
    boxes = [(0.0, c - 6.0, 10.0, 12.0) for c in centres]
    assert _pairwise_clear(boxes)
    assert centres[0] == pytest.approx(50.0), "the first keeps its place"
    end = spread_boxes([195.0, 198.0, 199.0], [12.0, 12.0, 12.0], 0.0, 200.0)
    assert max(end) + 6.0 <= 200.0 + 1e-9, "pushed back inside the bound, not past it"
    assert _pairwise_clear([(0.0, c - 6.0, 10.0, 12.0) for c in end])
    assert spread_boxes([], [], 0.0, 1.0) == []
    unsorted = spread_boxes([80.0, 10.0, 81.0], [12.0, 12.0, 12.0], 0.0, 200.0)
    assert unsorted[1] == pytest.approx(10.0) and abs(unsorted[2] - unsorted[0]) >= 12.0


@given(
    values=st.lists(st.floats(0.0, 1.6), min_size=1, max_size=4),
    width=st.floats(120.0, 400.0),
    height=st.floats(100.0, 300.0),
)
def test_dial_label_boxes_never_overlap_and_stay_in_the_body(
    values: list[float], width: float, height: float
) -> None:
    text_h, text_w = 13.0, 16.0
    margin = dial_label_margin(text_h, text_w)
    assert margin >= 1.3 * text_h
    cx, cy, r = dial_frame(0.0, 0.0, width, height, margin)
    boxes = dial_label_boxes(cx, cy, r, margin, [(v, text_w, text_h) for v in values], 0.0, 1.6)
    assert _pairwise_clear(boxes), boxes
    if len(values) <= 2:  # a few labels always fit beside their marks, inside the body
        for left, top, w, h in boxes:
            assert left >= -0.5 and top >= -0.5, (left, top)
            assert left + w <= width + 0.5 and top + h <= height + 0.5, (left, top, w, h)


def test_dial_labels_at_the_low_end_do_not_overlap_and_clear_the_top() -> None:
    """The reviewer's case: L/LL at the low end printed on each other, H sat on the card title."""
    h, w = 13.0, 16.0
    margin = dial_label_margin(h, w)
    cx, cy, r = dial_frame(0.0, 0.0, 200.0, 150.0, margin)
    labels = [(0.45, w, h), (0.5, w, h), (0.8, w, h), (1.5, w, h), (1.6, w, h)]
    boxes = dial_label_boxes(cx, cy, r, margin, labels, 0.0, 1.6)
    assert _pairwise_clear(boxes)
    top_label = boxes[2]  # 0.8 is mid-scale: straight up
    assert top_label[1] >= 0.0, "the label at the top stays inside the body (not on the title)"
    for box in boxes:  # all outside the scale line
        centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
        assert math.dist(centre, (cx, cy)) > r * DIAL_SCALE_R


def test_trend_labels_are_staggered() -> None:
    widths = [60.0, 70.0, 60.0, 70.0]
    positions = stagger_label_positions(widths, 800.0)
    boxes = [(p * 800.0, 0.0, w, 14.0) for p, w in zip(positions, widths, strict=True)]
    assert _pairwise_clear(boxes), "all labels at one position (0.02) used to overlap"
    assert positions[0] == pytest.approx(0.02)
    assert stagger_label_positions([300.0, 300.0, 300.0], 700.0)[2] == pytest.approx(0.02), "wraps"


# ---------------------------------------------------------------------------- the widgets
def _shown(qtbot: QtBot, gauge: GaugeBase, width: int, height: int) -> None:
    qtbot.addWidget(gauge)
    gauge.resize(width, height)
    gauge.show()
    qtbot.waitExposed(gauge)


@pytest.mark.parametrize("size", [(150, 180), (220, 240), (320, 320)])
def test_dial_limit_labels_inside_the_body_apart(
    qtbot: QtBot, themed_app: QApplication, size: tuple[int, int]
) -> None:
    gauge = DialGauge("p1")
    _shown(qtbot, gauge, *size)
    gauge.set_state(GaugeState(0.8, "MPa", "good", 0.1, (0.0, 1.6), CLOSE, "Sprinkler main"))
    boxes = [box for _, box in gauge.limit_label_boxes()]
    body = gauge.body_rect()
    assert len(boxes) == 4
    assert _pairwise_clear([(b.left(), b.top(), b.width(), b.height()) for b in boxes])
    title, _, _, _ = gauge.regions()
    for box in boxes:
        assert not box.intersects(title), "a limit label on the card's title"
        assert body.adjusted(-0.5, -0.5, 0.5, 0.5).contains(box), (box, body)


@pytest.mark.parametrize("cls", [TankGauge, ThermometerGauge])
def test_vertical_limit_labels_apart(qtbot: QtBot, themed_app: QApplication, cls: type[GaugeBase]) -> None:
    gauge = cls("t1")
    _shown(qtbot, gauge, 160, 200)
    limits = [("low-low", 0.8), ("low", 0.9), ("high", 62.0), ("high-high", 66.0)]
    gauge.set_state(GaugeState(40.0, "°C", "good", 0.1, (-20.0, 100.0), limits, "Shed"))
    boxes = [box for _, box in gauge.limit_label_boxes()]  # type: ignore[attr-defined]
    rects = [(b.left(), b.top(), b.width(), b.height()) for b in boxes]
    assert _pairwise_clear(rects), "H/HH and L/LL used to print on top of each other"
    body = gauge.body_rect()
    for box in boxes:
        assert box.top() >= body.top() - 0.5 and box.bottom() <= body.bottom() + 0.5


def test_scale_text_is_at_least_8_5_points(qtbot: QtBot) -> None:
    gauge = DialGauge("p1")
    qtbot.addWidget(gauge)
    for factor in (0.5, 0.72, 0.85):
        assert _small_font(gauge, factor).pointSizeF() >= MIN_SCALE_POINTS >= 8.5
    small = gauge.font()
    small.setPointSizeF(6.0)
    gauge.setFont(small)
    assert _small_font(gauge).pointSizeF() >= 8.5


def test_hatch_lies_under_the_scale(qtbot: QtBot, themed_app: QApplication) -> None:
    """The scale line of a failed dial is drawn over the hatch: no hatch pixel on the arc."""
    gauge = DialGauge("p1")
    gauge.setStyleSheet("DialGauge { qproperty-hatchColor: #00c000; qproperty-scaleColor: #0000ff; }")
    _shown(qtbot, gauge, 240, 260)
    gauge.set_state(GaugeState(0.8, "MPa", "comm-fail", 5.0, (0.0, 1.6), [], "Main"))
    gauge.refresh()
    image = gauge.grab().toImage()
    cx, cy, r = gauge.dial_frame()
    on_arc = hatch_on_arc = 0
    for step in range(60):
        angle = DIAL_START_DEG - DIAL_SPAN_DEG * (step + 0.5) / 60
        x, y = polar(cx, cy, r * DIAL_SCALE_R, angle)
        colour = image.pixelColor(round(x), round(y))
        on_arc += 1
        if colour.green() > 150 and colour.red() < 80 and colour.blue() < 80:
            hatch_on_arc += 1
    assert on_arc == 60 and hatch_on_arc == 0, f"{hatch_on_arc} hatch pixels over the scale line"
    corner = QRectF(gauge.body_rect().topLeft(), gauge.body_rect().topLeft()).adjusted(1, 1, 14, 14)
    greens = sum(
        1
        for dx in range(int(corner.width()))
        for dy in range(int(corner.height()))
        if image.pixelColor(round(corner.left()) + dx, round(corner.top()) + dy).green() > 150
        and image.pixelColor(round(corner.left()) + dx, round(corner.top()) + dy).red() < 80
    )
    assert greens > 0, "the body is still hatched"


def test_label_margin_is_at_least_1_3_text_heights(qtbot: QtBot) -> None:
    gauge = DialGauge("p1")
    qtbot.addWidget(gauge)
    height = QFontMetricsF(_small_font(gauge)).height()
    assert gauge.label_margin() >= 1.3 * height

"""What a gauge shows for a point and its reading: the plain limit comparison, quality, age."""

from __future__ import annotations

import pytest

from app.fieldbus.quality import PointReading
from app.site.schema import AlarmLimit, Point
from ui.pages.sensor_view import (
    gauge_state,
    is_binary,
    limit_beyond,
    numeric_limits,
    point_label,
    same_look,
    value_range,
)

PRESSURE = Point(
    id="b1.pressure",
    plc="panel",
    address="hr:0",
    type="uint16",
    kind="pressure",
    unit="MPa",
    range=(0.0, 1.6),
    alarms=(
        AlarmLimit(limit="low", value=0.1),
        AlarmLimit(limit="low-low", value=0.05),
        AlarmLimit(limit="high", value=1.4),
    ),
)
SMOKE = Point(
    id="b1.smoke", plc="panel", address="di:0", type="bool", kind="smoke", alarms=(AlarmLimit(limit="on"),)
)
NOW = 1_700_000_100.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.8, None),
        (0.1, "low"),
        (0.07, "low"),
        (0.05, "low-low"),
        (0.0, "low-low"),
        (1.4, "high"),
        (None, None),
    ],
)
def test_limit_comparison_names_the_most_severe_limit(value: float | None, expected: str | None) -> None:
    assert limit_beyond(PRESSURE, value) == expected


def test_contacts_compare_with_on_and_off_limits() -> None:
    assert limit_beyond(SMOKE, True) == "on" and limit_beyond(SMOKE, False) is None
    door = SMOKE.model_copy(update={"alarms": (AlarmLimit(limit="off"),)})
    assert limit_beyond(door, False) == "off" and limit_beyond(door, True) is None
    assert is_binary(SMOKE) and not is_binary(PRESSURE)
    assert value_range(SMOKE) == (0.0, 1.0) and value_range(PRESSURE) == (0.0, 1.6)
    assert numeric_limits(SMOKE) == []


def test_a_live_value_beyond_a_limit_is_shown_in_alarm() -> None:
    state = gauge_state(PRESSURE, PointReading("b1.pressure", 0.07, 70, "good", NOW - 0.2), NOW)
    assert state.alarm_active and state.quality == "good" and state.unit == "MPa"
    assert state.limits == [("low", 0.1), ("low-low", 0.05), ("high", 1.4)]
    assert state.range == (0.0, 1.6) and state.label == "B1 pressure"
    assert state.alarm_priority == "medium"  # the low limit's priority (the site file's default)
    assert state.alarm_limit == "low", "the gauge is told which limit, as plain data"
    stale = gauge_state(PRESSURE, PointReading("b1.pressure", 0.01, 10, "stale", NOW - 9), NOW)
    assert stale.alarm_limit is None and not stale.alarm_active


def test_the_alarm_takes_its_limits_priority() -> None:
    state = gauge_state(PRESSURE, PointReading("b1.pressure", 0.04, 40, "good", NOW), NOW)
    assert state.alarm_active and state.alarm_priority == "medium"
    urgent = PRESSURE.model_copy(
        update={"alarms": (AlarmLimit(limit="low-low", value=0.05, priority="urgent"),)}
    )
    state = gauge_state(urgent, PointReading("b1.pressure", 0.04, 40, "good", NOW), NOW)
    assert state.alarm_priority == "urgent"
    calm = gauge_state(urgent, PointReading("b1.pressure", 0.5, 500, "good", NOW), NOW)
    assert not calm.alarm_active and calm.alarm_priority is None


@pytest.mark.parametrize(
    ("point_id", "label"),
    [
        ("b3.sprinkler.pressure", "B3 sprinkler pressure"),
        ("yard.tank.level", "Yard tank level"),
        ("a.pressure", "A pressure"),
        ("shed-2_charger.current", "Shed 2 charger current"),
        ("f12.smoke", "F12 smoke"),
    ],
)
def test_a_point_gets_a_readable_title_from_its_id(point_id: str, label: str) -> None:
    assert point_label(point_id) == label


def test_a_dead_value_is_never_shown_in_alarm_and_keeps_its_age() -> None:
    reading = PointReading("b1.pressure", 0.07, 70, "comm-fail", NOW - 42.0, "PLC panel did not answer")
    state = gauge_state(PRESSURE, reading, NOW)
    assert state.quality == "comm-fail" and not state.alarm_active
    assert state.value == 0.07 and state.age_s == pytest.approx(42.0)


def test_never_read_has_no_value() -> None:
    state = gauge_state(PRESSURE, None)
    assert state.quality == "never-read" and state.value is None and state.age_s is None


def test_the_age_alone_does_not_repaint() -> None:
    older = gauge_state(PRESSURE, PointReading("b1.pressure", 0.8, 800, "good", NOW - 5), NOW)
    newer = gauge_state(PRESSURE, PointReading("b1.pressure", 0.8, 800, "good", NOW - 1), NOW)
    assert older.age_s != newer.age_s and same_look(older, newer)
    moved = gauge_state(PRESSURE, PointReading("b1.pressure", 0.81, 810, "good", NOW - 1), NOW)
    assert not same_look(older, moved) and not same_look(None, older)

"""Alarm KPIs and flood (app.alarms.kpi, app.alarms.flood) on fixture journals computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.alarms.flood import FloodWatch
from app.alarms.kpi import AlarmRecord, compute, top_ten

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def fixture() -> list[AlarmRecord]:
    # 12 raisings of A every 30 s from 10:00:00: the 11th (10:05:00) starts a flood (11 > 10); it
    # ends when fewer than 5 are left in the window: the 8th raising leaves at 10:13:30. 510 s.
    burst = [AlarmRecord("A", at(k / 2), ended_at=at(k / 2 + 1)) for k in range(12)]
    return [
        *burst,
        AlarmRecord("B", at(30), ended_at=at(31)),
        AlarmRecord("C", at(40), chattering=True),
        AlarmRecord("D", at(50), shelved=True),
        AlarmRecord("X", at(-60)),  # raised before the period: not counted
        AlarmRecord("Y", at(60)),  # raised at its end: [from, to) leaves it out
    ]


def test_kpis_of_a_fixture_hour_match_the_hand_computed_values() -> None:
    rows = {k.kpi: k for k in compute(fixture(), T0, at(60))}
    assert rows["alarms"].value == 15
    assert rows["alarms per 10 min (mean)"].value == pytest.approx(2.5)
    assert rows["alarms per 10 min (peak)"].value == 12
    assert rows["time in flood"].value == pytest.approx(100 * 510 / 3600, abs=1e-3)
    assert rows["top 10 share"].value == pytest.approx(100.0)
    assert rows["chattering alarms"].value == 1
    assert rows["stale alarms (active > 24 h)"].value == 0
    assert rows["shelved"].value == 1
    assert rows["out of service"].value == 0
    assert rows["alarms per 10 min (mean)"].target == "≤ 1"
    assert rows["time in flood"].unit == "%"


def test_top_ten_share_counts_only_the_ten_most_frequent() -> None:
    records = [AlarmRecord(f"k{i}", at(i)) for i in range(20)] + [AlarmRecord("k0", at(30))] * 5
    rows = {k.kpi: k for k in compute(records, T0, at(60))}
    # k0 six times, then nine keys once each: 15 of 25.
    assert rows["top 10 share"].value == pytest.approx(60.0)
    assert top_ten(records, T0, at(60))[0] == ("k0", 6)


def test_an_alarm_open_for_over_a_day_is_stale() -> None:
    records = [AlarmRecord("S", at(0)), AlarmRecord("T", at(0), ended_at=at(60))]
    rows = {k.kpi: k for k in compute(records, T0, T0 + timedelta(days=2))}
    assert rows["stale alarms (active > 24 h)"].value == 1


def test_a_flood_ends_below_half_its_threshold_not_at_it() -> None:
    watch = FloodWatch(10)
    changes = [watch.raised(float(t)) for t in range(11)]
    assert changes[-1] and watch.flooding and changes[:-1] == [False] * 10
    # All 11 raisings leave the window from t=600 on: still flooding at 10 and at 5 left, not at 4.
    assert not watch.expire(600.5)  # 10 left
    assert not watch.expire(605.5)  # 5 left
    assert watch.expire(606.5) and not watch.flooding  # 4 left


def test_an_empty_period_has_zero_figures_and_a_backwards_one_is_refused() -> None:
    rows = {k.kpi: k for k in compute([], T0, at(10))}
    assert rows["alarms"].value == 0 and rows["top 10 share"].value == 0
    with pytest.raises(ValueError):
        compute([], at(10), T0)

"""Limit conditions (app.alarms.condition): deadband, on/off delays, qualities, chattering."""

from __future__ import annotations

import pytest

from app.alarms.condition import ChatterWatch, LimitCondition


def feed(cond: LimitCondition, *samples: tuple[float, float | bool | None, str]) -> list[tuple[float, str]]:
    out = []
    for t, value, quality in samples:
        event = cond.observe(value, quality, t)
        if event:
            out.append((t, event))
    return out


def test_a_low_limit_activates_at_the_limit_and_clears_beyond_its_deadband() -> None:
    c = LimitCondition("low", 0.10, deadband=0.02)
    assert feed(c, (0, 0.2, "good"), (1, 0.10, "good")) == [(1, "activate")]
    assert feed(c, (2, 0.11, "good"), (3, 0.12, "good")) == []  # inside the deadband: still active
    assert feed(c, (4, 0.121, "good")) == [(4, "clear")]


def test_a_high_high_limit_with_deadband() -> None:
    c = LimitCondition("high-high", 80.0, deadband=5.0)
    assert feed(c, (0, 79.9, "good"), (1, 80.0, "good"), (2, 76.0, "good"), (3, 74.9, "good")) == [
        (1, "activate"),
        (3, "clear"),
    ]


def test_on_delay_needs_the_condition_to_hold_for_its_whole_length() -> None:
    c = LimitCondition("high", 50.0, delay_s=2.0)
    assert feed(c, (0, 60, "good"), (1, 40, "good"), (1.5, 60, "good")) == []
    assert c.deadline() == pytest.approx(3.5)
    assert c.evaluate(3.4) is None
    assert c.evaluate(3.5) == "activate"


def test_off_delay_holds_the_alarm_until_the_value_stayed_back_long_enough() -> None:
    c = LimitCondition("high", 50.0, off_delay_s=5.0)
    assert feed(c, (0, 60, "good"), (1, 40, "good"), (3, 60, "good"), (4, 40, "good")) == [(0, "activate")]
    assert c.evaluate(8.9) is None
    assert c.evaluate(9.0) == "clear"


def test_a_value_that_is_not_good_neither_raises_nor_clears_and_restarts_delays() -> None:
    c = LimitCondition("low", 1.0, delay_s=2.0)
    assert feed(c, (0, 0.0, "never-read"), (1, 0.0, "comm-fail"), (2, 0.0, "stale")) == []
    assert feed(c, (3, 0.0, "good")) == []
    assert feed(c, (4, 0.0, "comm-fail")) == []
    assert c.deadline() is None  # the on-delay started over
    assert feed(c, (5, 0.0, "good"), (7, 0.0, "good")) == [(7, "activate")]
    assert feed(c, (8, 5.0, "comm-fail"), (9, 5.0, "out-of-range")) == []
    assert c.active


def test_contacts_alarm_on_their_state() -> None:
    on = LimitCondition("on")
    off = LimitCondition("off")
    changes = feed(on, (0, False, "good"), (1, True, "good"), (2, False, "good"))
    assert changes == [(1, "activate"), (2, "clear")]
    assert feed(off, (0, True, "good"), (1, False, "good")) == [(1, "activate")]


def test_a_numeric_limit_needs_a_value() -> None:
    with pytest.raises(ValueError, match="finite value"):
        LimitCondition("high", None)


def test_three_changes_within_a_minute_are_chattering() -> None:
    w = ChatterWatch()
    assert [w.record(t) for t in (0, 10, 20)] == [False, False, True]
    assert w.chattering and w.episodes == 1
    assert w.record(30) is False  # the same episode
    w.refresh(100)
    assert not w.chattering
    assert [w.record(t) for t in (200, 201, 202)] == [False, False, True]
    assert w.episodes == 2

"""The one rule for which alarm limit a value is beyond (app/alarms/limits.py)."""

from __future__ import annotations

import math

import pytest

from app.alarms.limits import (
    LIMIT_SEVERITY,
    LIMIT_STACK,
    LIVE_QUALITIES,
    is_live,
    limit_beyond,
    reading_beyond,
)

PRESSURE = [("low", 0.1), ("low-low", 0.05), ("high", 1.4), ("high-high", 1.6)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, None),
        (0.1, "low"),  # at the limit counts
        (0.07, "low"),
        (0.05, "low-low"),  # beyond low and low-low: the more severe is named
        (-1.0, "low-low"),
        (1.4, "high"),
        (1.6, "high-high"),
        (9.0, "high-high"),
    ],
)
def test_the_most_severe_limit_is_named(value: float, expected: str | None) -> None:
    assert limit_beyond(value, PRESSURE) == expected


def test_order_of_the_limits_in_the_site_file_does_not_matter() -> None:
    assert limit_beyond(0.01, list(reversed(PRESSURE))) == "low-low"
    assert limit_beyond(2.0, [("high-high", 1.6), ("high", 1.4)]) == "high-high"


def test_nothing_is_beyond_without_a_value_or_a_limit() -> None:
    assert limit_beyond(None, PRESSURE) is None
    assert limit_beyond(math.nan, PRESSURE) is None
    assert limit_beyond(0.0, []) is None
    assert limit_beyond(0.0, [("low", None), ("low-low", math.nan)]) is None
    assert limit_beyond(0.0, [("on", None)]) is None, "an on/off limit says nothing of a number"


def test_contacts_compare_their_state_with_on_and_off() -> None:
    assert limit_beyond(True, [("on", None)]) == "on"
    assert limit_beyond(False, [("on", None)]) is None
    assert limit_beyond(False, [("off", None)]) == "off"
    assert limit_beyond(1.0, [("on", None)], binary=True) == "on"
    assert limit_beyond(True, [("high", 0.5)]) is None, "a contact has no numeric limits"


def test_only_a_live_reading_is_beyond_a_limit() -> None:
    assert frozenset({"good", "out-of-range"}) == LIVE_QUALITIES
    assert is_live("good") and is_live("out-of-range")
    for quality in ("comm-fail", "stale", "bad-config", "never-read"):
        assert not is_live(quality)
        assert reading_beyond(quality, 0.0, PRESSURE) is None
    assert reading_beyond("good", 0.0, PRESSURE) == "low-low"
    assert reading_beyond("out-of-range", 9.0, PRESSURE) == "high-high"


def test_the_two_orders_name_the_same_limits() -> None:
    assert set(LIMIT_SEVERITY) == set(LIMIT_STACK)
    assert LIMIT_STACK == ("low-low", "low", "high", "high-high")
    assert LIMIT_SEVERITY[:2] == ("high-high", "low-low")


def test_the_rule_imports_no_qt() -> None:
    import ast
    import inspect

    import app.alarms.limits as module

    tree = ast.parse(inspect.getsource(module))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith(("PySide6", "ui", "widgets")) for name in names), names

"""The trend's Qt-free time-axis helpers: the site's zone, window words, tick labels."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from widgets.time_axis import parse_timezone, seconds_west_of_utc, tick_text, window_parts


def test_window_parts() -> None:
    assert window_parts(600) == ("min", 10)
    assert window_parts(3600) == ("h", 1)
    assert window_parts(86_400) == ("h", 24)
    assert window_parts(604_800) == ("d", 7)


def test_zones_from_names_and_offsets() -> None:
    assert parse_timezone(None) is None and parse_timezone("  ") is None
    assert parse_timezone("UTC") is UTC and parse_timezone("z") is UTC
    assert parse_timezone("+08:00") == timezone(timedelta(hours=8))
    assert parse_timezone("UTC-3") == timezone(timedelta(hours=-3))
    assert parse_timezone("+0530") == timezone(timedelta(hours=5, minutes=30))
    shanghai = parse_timezone("Asia/Shanghai")
    assert shanghai is not None and str(shanghai) == "Asia/Shanghai"
    with pytest.raises(ValueError, match="Mars/Olympus"):
        parse_timezone("Mars/Olympus")
    with pytest.raises(ValueError, match="25:00"):
        parse_timezone("+25:00")


def test_offsets_and_ticks_in_a_zone() -> None:
    ts = datetime(2026, 3, 1, 4, 30, 15, 123_000, tzinfo=UTC).timestamp()
    shanghai = parse_timezone("Asia/Shanghai")
    assert shanghai is not None
    assert seconds_west_of_utc(ts, shanghai) == -8 * 3600
    assert tick_text(ts, shanghai, "%H:%M") == "12:30"
    assert tick_text(ts, UTC, "%H:%M:%S.%f") == "04:30:15.123", "milliseconds, as pyqtgraph shows them"
    assert tick_text(ts, UTC, "%Y") == "2026"
    london = parse_timezone("Europe/London")
    assert london is not None
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC).timestamp()
    assert seconds_west_of_utc(summer, london) == -3600, "daylight saving in the zone itself"
    assert tick_text(float(sys.maxsize), UTC, "%H:%M") == ""
    assert seconds_west_of_utc(float(sys.maxsize), UTC) is None


def test_the_trend_helpers_are_qt_free() -> None:
    code = (
        "import sys; import widgets.time_axis, widgets.ring_buffer\n"
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules), 'Qt imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

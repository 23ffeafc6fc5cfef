"""`wardroom site check` and the site loader on the alarm keys of the alarms issue.

An alarm entry accepts ``off_delay_s``, ``latch``, ``realarm_min``, ``message`` and ``suppress_when``;
the ``[alarms]`` table accepts ``video_lost_s``, ``shelve_max_h`` and ``flood_per_10min``. Mistakes are
reported at their own lines (fixtures ``site_files/alarm_keys*.toml`` mark each with ``# ERROR:``), and
the defaults come from the point's kind: a smoke, heat or call-point alarm is a fire alarm of fire
priority that latches, any other kind fault / medium without latch; what the file says wins.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.commands.site import check_site_file
from app.site.loader import SiteFileError, load_site
from tests.app.test_site_check import FIXTURES, assert_ok, assert_reports, expected_errors

OK = FIXTURES / "alarm_keys_ok.toml"
ERRORS = FIXTURES / "alarm_keys_errors.toml"
SETTINGS = FIXTURES / "alarm_keys_settings.toml"

HEAD = """\
[site]
name = "Alarm keys"
timezone = "Asia/Shanghai"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 5020

[[point]]
id = "zone-test"
plc = "panel"
address = "co:1"
type = "bool"
kind = "other"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_new_key_is_accepted() -> None:
    assert_ok(OK)
    site = load_site(OK).site
    points = {p.id: p for p in site.point}
    low, low_low = points["b3.pressure"].alarms
    assert (low.off_delay_s, low.realarm_min, low.message) == (2.5, 30, "Sprinkler pressure low")
    assert (low_low.off_delay_s, low_low.realarm_min, low_low.message) == (0, 0, None)
    assert points["b3.smoke"].alarms[0].suppress_when == "b3.zone-test"
    assert points["b3.door"].alarms[0].suppress_when == "b3.zone-test"
    assert points["b3.call"].alarms[0].message == "Call point pressed (supervisory test loop)"
    assert (site.alarms.video_lost_s, site.alarms.shelve_max_h, site.alarms.flood_per_10min) == (45, 12, 20)


def test_the_alarms_table_is_optional_with_the_issues_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD)
    assert_ok(path)
    settings = load_site(path).site.alarms
    assert (settings.video_lost_s, settings.shelve_max_h, settings.flood_per_10min) == (30, 8, 10)


def test_entry_defaults_come_from_the_point_kind() -> None:
    """smoke / heat / call-point: fire, fire, latching; others fault, medium, no latch; the file wins."""
    site = load_site(OK).site
    got = {
        p.id: [(a.limit, a.category, a.priority, a.latch) for a in p.alarms] for p in site.point if p.alarms
    }
    assert got == {
        # not a fire kind: the old defaults, no latch (an explicit priority is kept)
        "b3.pressure": [("low", "fault", "medium", False), ("low-low", "fault", "urgent", False)],
        # smoke without category: a latching fire alarm of fire priority
        "b3.smoke": [("on", "fire", "fire", True)],
        # heat is a fire kind, but the file says latch = false
        "b3.heat": [("on", "fire", "fire", False)],
        # a call point with an explicit category keeps it: supervisory does not latch; priority from the kind
        "b3.call": [("on", "supervisory", "fire", False)],
        # a door latches because the file says so
        "b3.door": [("on", "fault", "medium", True)],
        # category fire written on a non-fire kind: latches (fire alarms latch), its own priority
        "b3.pump-trouble": [("on", "fire", "high", True)],
    }


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("smoke", ("fire", "fire", True)),
        ("heat", ("fire", "fire", True)),
        ("call-point", ("fire", "fire", True)),
        ("door", ("fault", "medium", False)),
        ("other", ("fault", "medium", False)),
    ],
)
def test_each_bool_kind_defaults(tmp_path: Path, kind: str, expected: tuple[str, str, bool]) -> None:
    text = (
        HEAD
        + f"""
[[point]]
id = "detector"
plc = "panel"
address = "co:2"
type = "bool"
kind = "{kind}"
alarms = [{{ limit = "on" }}]
"""
    )
    path = write(tmp_path, text)
    assert_ok(path)
    (alarm,) = load_site(path).site.point[1].alarms
    assert (alarm.category, alarm.priority, alarm.latch) == expected


@pytest.mark.parametrize("kind", ["pressure", "temperature", "level", "flow", "current"])
def test_numeric_kinds_default_to_fault_medium_without_latch(tmp_path: Path, kind: str) -> None:
    text = (
        HEAD
        + f"""
[[point]]
id = "gauge"
plc = "panel"
address = "hr:2"
type = "uint16"
kind = "{kind}"
alarms = [{{ limit = "high", value = 10 }}, {{ limit = "low", value = 1, category = "fire" }}]
"""
    )
    path = write(tmp_path, text)
    assert_ok(path)
    high, low = load_site(path).site.point[1].alarms
    assert (high.category, high.priority, high.latch) == ("fault", "medium", False)
    assert (low.category, low.priority, low.latch) == ("fire", "medium", True), "an explicit fire category"


def test_refused_keys_are_reported_at_their_lines() -> None:
    errors = assert_reports(ERRORS)
    assert len(errors) == 5
    assert any('did you mean "b3.zone-test"?' in e for e in errors), errors
    assert any("expected 0.0 or more" in e and "off_delay_s" in e for e in errors), errors
    with pytest.raises(SiteFileError):
        load_site(ERRORS)


def test_an_unknown_key_in_the_alarms_table_is_refused_at_its_line() -> None:
    errors = assert_reports(SETTINGS)
    assert errors[0].endswith("(allowed: video_lost_s, shelve_max_h, flood_per_10min)"), errors


def test_out_of_range_alarm_settings_are_refused_at_their_lines(tmp_path: Path) -> None:
    text = (
        HEAD
        + """
[alarms]
video_lost_s = 0  # ERROR: [alarms]: video_lost_s = 0 is out of range
shelve_max_h = 200  # ERROR: [alarms]: shelve_max_h = 200 is out of range; expected at most 168
flood_per_10min = 0  # ERROR: [alarms]: flood_per_10min = 0 is out of range
"""
    )
    assert_reports(write(tmp_path, text))


def test_alarm_entry_keys_of_the_wrong_type_are_refused_at_their_lines(tmp_path: Path) -> None:
    text = (
        HEAD
        + """
[[point]]
id = "gauge"
plc = "panel"
address = "hr:2"
type = "uint16"
kind = "level"

[[point.alarms]]
limit = "high"
value = 10
latch = "yes"  # ERROR: alarms[0].latch
off_delay_s = "2"  # ERROR: alarms[0].off_delay_s
message = 5  # ERROR: alarms[0].message
suppres_when = "zone-test"  # ERROR: unknown key "suppres_when" in alarms[0]; did you mean "suppress_when"?
"""
    )
    errors = assert_reports(write(tmp_path, text))
    allowed = errors[-1].split("(allowed: ")[1]
    for key in ("off_delay_s", "latch", "realarm_min", "message", "suppress_when"):
        assert key in allowed, errors[-1]


def test_wardroom_site_check_prints_them_and_exits_2() -> None:
    """The same through the command a site engineer types."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "site", "check", str(ERRORS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    shown = done.stdout + done.stderr
    for line, text in expected_errors(ERRORS.read_text(encoding="utf-8")):
        assert f"{ERRORS}:{line}: " in shown and text in shown, (line, text, shown)
    ok = subprocess.run(
        [sys.executable, "-m", "app.cli", "site", "check", str(OK)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout.strip().endswith(": OK"), ok.stdout + ok.stderr


def test_check_and_load_agree_on_the_valid_file() -> None:
    code, errors, _summary = check_site_file(OK)
    assert (code, errors) == (0, [])
    assert len(load_site(OK).site.point) == 7

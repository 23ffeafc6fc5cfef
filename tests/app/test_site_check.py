"""`wardroom site check` through its helper: every error, each at the line of the offending key or value.

Fixture files (tests/app/site_files) and the inline cases mark each line that must be reported with a
trailing ``# ERROR: <text>`` comment; ``assert_reports`` checks that exactly those lines are reported,
in order, with that text, and nothing else.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.commands.site import check_site_file
from app.site.demo import demo_site_path, export_demo
from app.site.loader import SiteError, SiteFileError, TomlLocator, load_site

FIXTURES = Path(__file__).parent / "site_files"
_MARK = re.compile(r"#\s*ERROR:\s*(?P<text>.+?)\s*$")

HEAD = """\
[site]
name = "Test Village"
timezone = "Asia/Shanghai"

[[building]]
id = "B3"
name = "Building 3"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 5020
"""


def expected_errors(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARK.search(line)
        if match:
            found.append((number, match.group("text")))
    return found


def assert_reports(path: Path) -> list[str]:
    """Exit 2, no summary, and exactly the marked errors at exactly their lines."""
    expected = expected_errors(path.read_text(encoding="utf-8"))
    assert expected, f"{path} marks no error"
    code, errors, summary = check_site_file(path)
    shown = "\n".join(errors)
    assert code == 2, shown
    assert summary == ""
    assert len(errors) == len(expected), f"expected {expected}, got:\n{shown}"
    for (line, text), error in zip(expected, errors, strict=True):
        assert error.startswith(f"{path}:{line}: "), f"expected line {line}:\n{shown}"
        assert text in error, f"expected {text!r} in:\n{error}"
    return errors


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_ok(path: Path) -> str:
    code, errors, summary = check_site_file(path)
    assert (code, errors) == (0, []), "\n".join(errors)
    assert summary.endswith(": OK")
    return summary


# ------------------------------------------------------------------------------ the demo and the issue


def test_demo_site_passes() -> None:
    summary = assert_ok(demo_site_path())
    assert summary == (
        f'{demo_site_path()}: site "Shadun Village (demo)" — 8 building(s), 1 PLC(s), 16 point(s), '
        "4 camera(s): OK"
    )


def test_demo_site_covers_what_the_demo_needs() -> None:
    site = load_site(demo_site_path()).site
    plc = site.plc[0]
    assert (plc.id, plc.protocol, plc.host, plc.port, plc.simulated) == (
        "demo-fire-panel",
        "modbus-tcp",
        "127.0.0.1",
        0,
        True,
    )
    assert (plc.poll_ms, plc.timeout_ms) == (500, 1000)
    areas = {p.address.split(":")[0] for p in site.point}
    assert areas == {"hr", "ir", "co", "di"}
    assert any("." in p.address for p in site.point)  # a bit inside a register
    assert {"float32", "uint32", "bool", "int16", "uint16"} <= {p.type for p in site.point}
    kinds = {p.kind for p in site.point}
    assert {"pressure", "level", "temperature", "smoke", "call-point", "door", "current"} <= kinds
    assert len(site.camera) >= 2
    for camera in site.camera:
        assert camera.simulated
        assert camera.url == f"http://127.0.0.1:0/cam/{camera.id}.mjpg"
        assert camera.zones and camera.detect


def test_issue_example_validates() -> None:
    path = FIXTURES / "issue_example.toml"
    assert_ok(path)
    site = load_site(path).site
    point = site.point[0]
    assert point.range == (0.0, 1.6)
    assert [a.limit for a in point.alarms] == ["low", "low-low"]
    camera = site.camera[0]
    # substream_url = "" in the issue's example means "no substream".
    assert (camera.simulated, camera.media, camera.substream_url) == (False, None, None)
    assert camera.zones[0].polygon[0] == (0.1, 0.5)


def test_export_demo_round_trip(tmp_path: Path) -> None:
    target = export_demo(tmp_path / "site")
    assert target == tmp_path / "site" / "demo.toml"
    assert target.read_bytes() == demo_site_path().read_bytes()
    assert_ok(target)
    loaded = load_site(target)
    for camera in loaded.site.camera:
        if camera.media is not None and camera.media.startswith("scene:"):
            continue  # a built-in scene of the simulator: no file to export
        media = loaded.media_path(camera)
        assert media is not None and media.is_file()
        assert media.parent == (tmp_path / "site" / "media").resolve()
        assert media.read_bytes() == (demo_site_path().parent / camera.media).read_bytes()  # type: ignore[operator]
    assert (tmp_path / "site" / "media" / "SOURCES.md").is_file()
    # A second export over the first is a fresh copy, not an error.
    assert export_demo(tmp_path / "site") == target


def test_loaded_site_keeps_text_and_hash() -> None:
    path = demo_site_path()
    loaded = load_site(path)
    assert loaded.text == path.read_text(encoding="utf-8")
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.path.is_absolute()


# --------------------------------------------------------------------------- one fixture per acceptance


ACCEPTANCE = (
    "missing_key",
    "wrong_type",
    "unknown_key",
    "unknown_plc",
    "duplicate_id",
    "bad_address",
    "type_misfit",
    "polygon_crossing",
    "polygon_short",
    "slow_plc",
    "invalid_toml",
    "four_errors",
)


@pytest.mark.parametrize("name", ACCEPTANCE[:-1])
def test_fixture_reports_its_error_at_its_line(name: str) -> None:
    """The site-file contract's list of mistakes: one file per kind, one error at its line."""
    errors = assert_reports(FIXTURES / f"{name}.toml")
    assert len(errors) == 1


MARKED = sorted(
    p.stem for p in FIXTURES.glob("*.toml") if p.stem not in ACCEPTANCE and "# ERROR:" in p.read_text("utf-8")
)


@pytest.mark.parametrize("name", MARKED)
def test_more_cases_report_exactly_their_marked_lines(name: str) -> None:
    """TOML layouts (dotted keys, inline tables, sub-tables, multi-line strings) and every check."""
    assert_reports(FIXTURES / f"{name}.toml")


def test_four_errors_are_all_reported() -> None:
    """An alarm entry that fails the schema (its priority) is still checked for the rest (no value),
    even in a point whose type was refused."""
    errors = assert_reports(FIXTURES / "four_errors.toml")
    assert len(errors) == 4


def test_an_inline_alarm_entry_reports_both_its_errors_on_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """
[[point]]
id = "p"
plc = "panel"
address = "hr:100"
type = "uint16"
kind = "pressure"
alarms = [{ limit = "low-low", priority = "critical" }]
""",
    )
    code, errors, _ = check_site_file(path)
    line = HEAD.count("\n") + 8
    assert code == 2
    assert len(errors) == 2, errors
    assert all(e.startswith(f"{path}:{line}: ") for e in errors), errors
    assert any('alarms[0]: limit "low-low" needs value = <number>' in e for e in errors), errors
    assert any('alarms[0].priority = "critical" is not valid' in e for e in errors), errors


def test_a_refused_alarm_value_is_not_also_called_missing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + """
[[point]]
id = "p"
plc = "panel"
address = "hr:100"
type = "uint16"
kind = "pressure"
alarms = [{ limit = "low", value = "0.1" }]  # ERROR: alarms[0].value = "0.1" is text; expected a number
""",
    )
    assert_reports(path)


def test_errors_raise_site_file_error_with_every_error() -> None:
    with pytest.raises(SiteFileError) as caught:
        load_site(FIXTURES / "four_errors.toml")
    assert len(caught.value.errors) == 4
    assert all(isinstance(e, SiteError) for e in caught.value.errors)
    assert str(caught.value).count("\n") == 3


def test_check_imports_nothing_heavy() -> None:
    """`site check` must answer fast: no Qt, OpenCV or torch behind it."""
    code = (
        "import sys\n"
        "from app.commands.site import check_site_file\n"
        "from app.site.demo import demo_site_path\n"
        "assert check_site_file(demo_site_path())[0] == 0\n"
        "heavy = ('PySide6', 'cv2', 'torch', 'ultralytics', 'numpy', 'sqlalchemy')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------ file-level problems


def test_missing_file(tmp_path: Path) -> None:
    code, errors, _ = check_site_file(tmp_path / "nope.toml")
    assert code == 2
    assert errors == [f"{tmp_path / 'nope.toml'}: cannot read the site file: No such file or directory"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(b'[site]\nname = "caf\xe9"\n')
    code, errors, _ = check_site_file(path)
    assert code == 2
    assert errors[0].startswith(f"{path}:2: not UTF-8 text")


def test_plc_timing_limit_is_inclusive(tmp_path: Path) -> None:
    ok = HEAD + "poll_ms = 2000\ntimeout_ms = 4000\n"  # exactly 10 s: allowed
    assert_ok(write(tmp_path, ok))
    slow = HEAD + "poll_ms = 2001\ntimeout_ms = 4000  # ERROR: 2001 + 2 × 4000 = 10001 ms, above 10000 ms\n"
    assert_reports(write(tmp_path, slow, "slow.toml"))
    default_timeout = HEAD + "poll_ms = 9000  # ERROR: 9000 + 2 × 1000 = 11000 ms\n"
    assert_reports(write(tmp_path, default_timeout, "default.toml"))


SERIAL_LINE = """\
[site]
name = "Test Village"
timezone = "Asia/Shanghai"

[[plc]]
id = "pump-room"
protocol = "modbus-rtu"
serial_port = "/dev/ttyUSB0"
baudrate = 19200
parity = "E"
unit = 1

[[plc]]
id = "tank-room"
protocol = "modbus-rtu"
serial_port = "/dev/ttyUSB0"
baudrate = 19200
parity = "E"
unit = 2
"""


def test_plcs_sharing_a_serial_line_with_one_setting_and_own_units_pass(tmp_path: Path) -> None:
    assert_ok(write(tmp_path, SERIAL_LINE))


@pytest.mark.parametrize("case", ["shared_line_baudrate", "shared_line_parity", "shared_line_unit"])
def test_plcs_sharing_a_serial_line_must_agree(case: str) -> None:
    """One RS-485 line: one baud rate, one parity, and a unit id per PLC (reported at the later key)."""
    errors = assert_reports(FIXTURES / f"{case}.toml")
    assert all("(first defined at line " in e for e in errors)


PROTOCOL_KEYS = """\
[[plc]]
id = "s7-with-unit"
protocol = "s7"
host = "192.168.0.10"
unit = 1
serial_port = "/dev/ttyS0"
baudrate = 9600
parity = "N"

[[plc]]
id = "rtu-with-host"
protocol = "modbus-rtu"
serial_port = "/dev/ttyUSB0"
host = "127.0.0.1"
port = 502
rack = 0
slot = 1

[[plc]]
id = "tcp-with-rack"
protocol = "modbus-tcp"
host = "192.168.0.11"
rack = 0
slot = 1
"""


def test_another_protocols_contract_keys_are_accepted_and_ignored(tmp_path: Path) -> None:
    """Tools that write every contract key with its default emit unit on S7, host/port on RTU, rack/slot
    on Modbus: those keys are valid (and unused); only keys the contract does not know are errors."""
    path = write(tmp_path, HEAD + PROTOCOL_KEYS)
    assert_ok(path)
    plcs = {plc.id: plc for plc in load_site(path).site.plc}
    assert plcs["s7-with-unit"].unit == 1 and plcs["rtu-with-host"].host == "127.0.0.1"
    typo = HEAD + PROTOCOL_KEYS + 'rak = 0  # ERROR: unknown key "rak"\n'
    assert_reports(write(tmp_path, typo, "typo.toml"))


def test_locator_paths() -> None:
    text = (
        "[site]\nname = 'x'\n"
        '[[point]]\nid = "a"\n'
        "[[point]]\nid = \"b\"\nalarms = [\n  { limit = 'low', value = 1 },\n\n  { limit = 'high' },\n]\n"
        '"quoted.key" = 1\n'
        "[[point]]\nid = 'c'\n[[point.alarms]]\nlimit = 'x'\n"
    )
    locator = TomlLocator(text)
    assert locator.line_of(("site", "name")) == 2
    assert locator.line_of(("point", 0)) == 3
    assert locator.line_of(("point", 1, "id")) == 6
    assert locator.line_of(("point", 1, "alarms", 1, "limit")) == 10
    assert locator.line_of(("point", 1, "alarms", 0, "value")) == 8
    assert locator.line_of(("point", 1, "quoted.key")) == 12
    assert locator.line_of(("point", 2, "alarms", 0, "limit")) == 16
    assert locator.line_of(("point", 2, "alarms", 0)) == 15
    assert locator.line_of(("point", 1, "missing")) == 5
    assert locator.line_of(("nothing",)) == 1


_DEMO_LINES = demo_site_path().read_text(encoding="utf-8").splitlines()
_FRAGMENTS = st.sampled_from(
    [
        *_DEMO_LINES,
        *["[[point]]", "[[point.alarms]]", "[site]", "x = [", "]", "}", '"""', "'''", "a.b = 1"],
        *["id = 1979-05-27", 'address = "hr:1.99"', "polygon = [[0,0],[1,1]]", "= =", "[[", "port = 0"],
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(_FRAGMENTS, st.text(max_size=12)), max_size=40))
def test_any_text_gives_a_site_or_located_errors(lines: list[str]) -> None:
    """Whatever an editor leaves in the file, the check answers with errors at real lines, never a crash."""
    text = "\n".join(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "site.toml"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        try:
            load_site(path)
        except SiteFileError as exc:
            assert exc.errors
            line_count = max(1, text.count("\n") + 1)
            for error in exc.errors:
                assert 1 <= error.line <= line_count, error
    TomlLocator(text).line_of(("point", 0, "alarms", 0, "limit"))


HISTORIAN_SITE = """\
[site]
name = "H"
timezone = "Asia/Shanghai"

[historian]
retention_days = 30
max_interval_s = 15
"""


def test_historian_table_sets_retention_and_heartbeat(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text(HISTORIAN_SITE, encoding="utf-8")
    site = load_site(path).site
    assert (site.historian.retention_days, site.historian.max_interval_s) == (30, 15)
    default = tmp_path / "d.toml"
    default.write_text(HISTORIAN_SITE.split("[historian]")[0], encoding="utf-8")
    assert load_site(default).site.historian.retention_days == 90


@pytest.mark.parametrize(
    ("replace", "line", "words"),
    [
        ("max_interval_s = 15", 7, 'unknown key "max_intervl_s"'),
        ("retention_days = 30", 6, "retention_days = 0 is out of range"),
        ("[historian]", 5, 'unknown section [histrian]; did you mean "historian"?'),
    ],
)
def test_historian_table_errors_name_their_line(tmp_path: Path, replace: str, line: int, words: str) -> None:
    broken = {
        "max_interval_s = 15": "max_intervl_s = 15",
        "retention_days = 30": "retention_days = 0",
        "[historian]": "[histrian]",
    }[replace]
    path = tmp_path / "h.toml"
    path.write_text(HISTORIAN_SITE.replace(replace, broken), encoding="utf-8")
    code, errors, _ = check_site_file(path)
    assert code == 2
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{path}:{line}: "), errors
    assert words in errors[0]

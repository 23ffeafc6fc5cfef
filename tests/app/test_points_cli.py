"""``wardroom points list / write`` end to end: the real console script against a real pymodbus server."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.auth.users import UserInfo, UserService
from app.events import EventBus
from app.fieldbus.manager import FieldbusManager
from app.fieldbus.writes import PlantWriter, WriteFailed, WriteRefused
from app.site.loader import load_site
from app.site.schema import SiteFile
from app.storage.database import Database, open_database
from tests.app.test_cli import wardroom
from tests.fieldbus.servers import ModbusServer

SITE = """\
[site]
name = "Points Ward"
timezone = "Asia/Shanghai"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {port}
poll_ms = 500
timeout_ms = 1000

[[point]]
id = "pump.pressure"
plc = "panel"
address = "hr:10"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
range = [0.0, 1.6]

[[point]]
id = "tank.level"
plc = "panel"
address = "hr:11"
type = "int32"
scale = 0.001
unit = "m"
kind = "level"

[[point]]
id = "pump.start"
plc = "panel"
address = "co:3"
type = "bool"
kind = "other"
writable = true

[[point]]
id = "pump.setpoint"
plc = "panel"
address = "hr:20"
type = "uint16"
scale = 0.1
unit = "m"
kind = "other"
writable = true
"""


PASSWORD = "long-enough-pw"


@pytest.fixture
def server() -> Iterator[ModbusServer]:
    srv = ModbusServer(size=100)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def write_site(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(port=port), encoding="utf-8")
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_points_list_reads_every_point_with_quality(tmp_path: Path, server: ModbusServer) -> None:
    server.set_registers(10, [420])
    server.set_registers(11, [0xFFFF, 0xFC18])  # int32 big word order: -1000 -> -1.0 m
    server.set_bits(3, [True])
    site = write_site(tmp_path, server.port)

    result = wardroom("points", "list", "--site", str(site), "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"pump.pressure", "tank.level", "pump.start", "pump.setpoint"}
    pressure = rows["pump.pressure"]
    assert pressure["quality"] == "good"
    assert pressure["value"] == pytest.approx(0.42)
    assert pressure["raw"] == 420
    assert pressure["unit"] == "MPa"
    assert isinstance(pressure["age_ms"], int) and pressure["age_ms"] >= 0
    assert "error" not in pressure
    assert rows["tank.level"]["value"] == pytest.approx(-1.0)
    assert rows["pump.start"]["value"] is True


def test_points_list_reports_a_dead_plc_in_words_and_exits_0(tmp_path: Path) -> None:
    port = closed_port()
    site = write_site(tmp_path, port)
    result = wardroom("points", "list", "--site", str(site), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 4
    for row in rows:
        assert row["quality"] == "comm-fail"
        assert row["value"] is None and row["age_ms"] is None
        assert "panel" in row["error"] and f"127.0.0.1:{port}" in row["error"]


def test_points_list_refuses_a_bad_site_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nname = "x"\n', encoding="utf-8")
    result = wardroom("points", "list", "--site", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{bad}:1:")


def add_user(url: str, name: str, role: str) -> None:
    added = wardroom("users", "add", name, "--role", role, "--database", url, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr


def audit_actions(db: Path) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(db)
    try:
        return [tuple(r) for r in con.execute("SELECT actor, action, target FROM audit_log ORDER BY id")]
    finally:
        con.close()


def test_points_write_reaches_the_plc_and_is_audited(tmp_path: Path, server: ModbusServer) -> None:
    site = write_site(tmp_path, server.port)
    db = tmp_path / "w.sqlite3"
    url = f"sqlite:///{db}"
    add_user(url, "wang", "supervisor")

    setpoint = wardroom(
        "points", "write", "--site", str(site), "pump.setpoint", "12.5", "--user", "wang", "--database", url,
        stdin=PASSWORD + "\n",
    )
    assert setpoint.returncode == 0, setpoint.stderr
    assert server.get_registers(20, 1) == [125]

    start = wardroom(
        "points", "write", "--site", str(site), "pump.start", "on", "--user", "wang", "--database", url,
        stdin=PASSWORD + "\n",
    )
    assert start.returncode == 0, start.stderr
    assert server.get_bits(3, 1) == [True]

    actions = audit_actions(db)
    assert ("wang", "point.write", "pump.setpoint") in actions
    assert ("wang", "point.write", "pump.start") in actions
    assert wardroom("audit", "verify", "--database", url).returncode == 0


def test_points_write_refuses_a_read_only_point(tmp_path: Path, server: ModbusServer) -> None:
    server.set_registers(10, [420])
    site = write_site(tmp_path, server.port)
    db = tmp_path / "r.sqlite3"
    url = f"sqlite:///{db}"
    add_user(url, "wang", "supervisor")

    result = wardroom(
        "points", "write", "--site", str(site), "pump.pressure", "0.9", "--user", "wang", "--database", url,
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 2
    assert "read-only" in result.stderr and "writable = true" in result.stderr
    assert server.get_registers(10, 1) == [420]
    assert ("wang", "point.write-refused", "pump.pressure") in audit_actions(db)


def test_points_write_refuses_unknown_users_and_records_clerks(tmp_path: Path, server: ModbusServer) -> None:
    site = write_site(tmp_path, server.port)
    url = f"sqlite:///{tmp_path / 'u.sqlite3'}"
    nobody = wardroom(
        "points", "write", "--site", str(site), "pump.setpoint", "1", "--user", "ghost", "--database", url,
        stdin=PASSWORD + "\n",
    )
    assert nobody.returncode == 2 and "wrong user name or password" in nobody.stderr
    add_user(url, "clerk", "records-clerk")
    clerk = wardroom(
        "points", "write", "--site", str(site), "pump.setpoint", "1", "--user", "clerk", "--database", url,
        stdin=PASSWORD + "\n",
    )
    assert clerk.returncode == 2 and "records-clerk" in clerk.stderr
    assert server.get_registers(20, 1) == [0]


# ------------------------------------------------------------------ the terminal shows only our words
def assert_only_our_rows(result: subprocess.CompletedProcess[str], port: int) -> None:
    """One row per point, in our format; nothing else on stdout, nothing at all on stderr."""
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", f"library noise on stderr:\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "pump.pressure",
        "tank.level",
        "pump.start",
        "pump.setpoint",
    ]
    for line in lines:
        assert "comm-fail: PLC panel at 127.0.0.1:" in line and str(port) in line, line
    for noise in ("pymodbus", ">>>>>", "send:", "No response", "Failed to connect", "Traceback"):
        assert noise not in result.stdout


def test_points_list_against_a_closed_port_prints_only_our_rows(tmp_path: Path) -> None:
    port = closed_port()
    result = wardroom("points", "list", "--site", str(write_site(tmp_path, port)), "--timeout", "5")
    assert_only_our_rows(result, port)


def test_points_list_against_a_silent_plc_prints_only_our_rows(tmp_path: Path) -> None:
    """A PLC that accepts the connection and never answers: pymodbus logs each retry and hex-dumps it."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as black_hole:  # never accepted, never answered
        port = int(black_hole.getsockname()[1])
        result = wardroom("points", "list", "--site", str(write_site(tmp_path, port)), "--timeout", "5")
    assert_only_our_rows(result, port)
    assert "did not answer" in result.stdout


def test_points_list_help_explains_every_quality() -> None:
    result = wardroom("points", "list", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for quality in ("good", "comm-fail", "stale", "bad-config", "out-of-range"):
        assert quality in text
    assert "never-read (not read yet" in text


# ------------------------------------------------------------------ the write service (CLI and GUI)
SECOND_PLC = """
[[plc]]
id = "other-panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {port}

[[point]]
id = "other.valve"
plc = "other-panel"
address = "co:1"
type = "bool"
kind = "other"
writable = true
"""


@pytest.fixture
def plant_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'plant.sqlite3'}")
    try:
        UserService(db).add("wang", "supervisor", PASSWORD)
        UserService(db).add("clerk", "records-clerk", PASSWORD)
        yield db
    finally:
        db.close()


def operator(db: Database, name: str) -> UserInfo:
    return UserService(db).authenticate(name, PASSWORD)


def poll_write(part: SiteFile, point_id: str, value: float | bool, timeout_s: float) -> None:
    manager = FieldbusManager(part, EventBus())
    manager.start()
    try:
        manager.write(point_id, value, timeout_s=timeout_s)
    finally:
        manager.stop(2.0)


def test_plant_writer_builds_a_poller_for_the_written_points_plc_only(
    tmp_path: Path, server: ModbusServer, plant_db: Database
) -> None:
    path = write_site(tmp_path, server.port)
    path.write_text(
        path.read_text(encoding="utf-8") + SECOND_PLC.format(port=closed_port()), encoding="utf-8"
    )
    loaded = load_site(path)
    given: list[SiteFile] = []

    def write(part: SiteFile, point_id: str, value: float | bool, timeout_s: float) -> None:
        given.append(part)
        poll_write(part, point_id, value, timeout_s)

    outcome = PlantWriter(plant_db, loaded, write).write(operator(plant_db, "wang"), "pump.setpoint", "7.5")
    assert (outcome.user, outcome.point_id, outcome.plc_id, outcome.value) == (
        "wang",
        "pump.setpoint",
        "panel",
        7.5,
    )
    assert server.get_registers(20, 1) == [75]
    assert len(given) == 1
    assert [p.id for p in given[0].plc] == ["panel"]
    assert [p.id for p in given[0].point] == ["pump.setpoint"]
    assert given[0].camera == ()


def test_plant_writer_checks_roles_in_the_service_and_audits_refusals(
    tmp_path: Path, server: ModbusServer, plant_db: Database
) -> None:
    loaded = load_site(write_site(tmp_path, server.port))
    built: list[SiteFile] = []

    def write(part: SiteFile, point_id: str, value: float | bool, timeout_s: float) -> None:
        built.append(part)
        poll_write(part, point_id, value, timeout_s)

    writer = PlantWriter(plant_db, loaded, write)
    wang = operator(plant_db, "wang")
    with pytest.raises(WriteRefused, match="records-clerk"):
        writer.write(operator(plant_db, "clerk"), "pump.setpoint", "1")
    with pytest.raises(WriteRefused, match="read-only"):
        writer.write(wang, "pump.pressure", "1")
    with pytest.raises(WriteRefused, match="not a number"):
        writer.write(wang, "pump.setpoint", "lots")
    assert built == [], "a refused write never reaches the PLC"
    assert server.get_registers(20, 1) == [0]
    refused = [
        (a, t)
        for a, x, t in audit_actions(Path(str(plant_db.engine.url.database)))
        if x == "point.write-refused"
    ]
    assert refused == [
        ("clerk", "pump.setpoint"),
        ("wang", "pump.pressure"),
        ("wang", "pump.setpoint"),
    ]


def test_plant_writer_audits_a_write_the_plc_does_not_take(tmp_path: Path, plant_db: Database) -> None:
    loaded = load_site(write_site(tmp_path, closed_port()))
    writer = PlantWriter(plant_db, loaded, poll_write)
    with pytest.raises(WriteFailed):
        writer.write(operator(plant_db, "wang"), "pump.start", "on", timeout_s=3)
    actions = audit_actions(Path(str(plant_db.engine.url.database)))
    assert ("wang", "point.write-failed", "pump.start") in actions


def test_points_watch_streams_changes_until_interrupted(tmp_path: Path, server: ModbusServer) -> None:
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    server.set_registers(10, [420])
    site = write_site(tmp_path, server.port)
    exe = shutil.which("wardroom", path=str(Path(sys.executable).parent))
    assert exe is not None
    out = tmp_path / "watch.out"

    def wait_for(needle: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and needle not in out.read_text(encoding="utf-8"):
            time.sleep(0.1)
        return out.read_text(encoding="utf-8")

    with open(out, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen([exe, "points", "watch", "--site", str(site), "pump.pressure"],
                                stdout=sink, stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        text = wait_for("0.42 MPa", 20)
        assert "pump.pressure" in text and "0.42 MPa" in text, text
        server.set_registers(10, [870])
        text = wait_for("0.87 MPa", 10)
        assert "0.87 MPa" in text, text
        assert "tank.level" not in text, "only the watched points are printed"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    assert code == 0


def test_points_watch_refuses_unknown_points(tmp_path: Path) -> None:
    site = write_site(tmp_path, closed_port())
    result = wardroom("points", "watch", "--site", str(site), "pump.pressure", "no.such.point")
    assert result.returncode == 2
    assert "no.such.point" in result.stderr

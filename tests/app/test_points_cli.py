"""``wardroom points list / write`` end to end: the real console script against a real pymodbus server."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    assert wardroom("users", "add", "wang", "--role", "supervisor", "--database", url,
                    stdin="long-enough-pw\n").returncode == 0

    setpoint = wardroom("points", "write", "--site", str(site), "pump.setpoint", "12.5", "--user", "wang",
                        "--database", url)
    assert setpoint.returncode == 0, setpoint.stderr
    assert server.get_registers(20, 1) == [125]

    start = wardroom("points", "write", "--site", str(site), "pump.start", "on", "--user", "wang",
                     "--database", url)
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
    assert wardroom("users", "add", "wang", "--role", "supervisor", "--database", url,
                    stdin="long-enough-pw\n").returncode == 0

    result = wardroom("points", "write", "--site", str(site), "pump.pressure", "0.9", "--user", "wang",
                      "--database", url)
    assert result.returncode == 2
    assert "read-only" in result.stderr and "writable = true" in result.stderr
    assert server.get_registers(10, 1) == [420]
    assert ("wang", "point.write-refused", "pump.pressure") in audit_actions(db)


def test_points_write_refuses_unknown_users_and_records_clerks(tmp_path: Path, server: ModbusServer) -> None:
    site = write_site(tmp_path, server.port)
    url = f"sqlite:///{tmp_path / 'u.sqlite3'}"
    nobody = wardroom("points", "write", "--site", str(site), "pump.setpoint", "1", "--user", "ghost",
                      "--database", url)
    assert nobody.returncode == 2 and "no user 'ghost'" in nobody.stderr
    assert wardroom("users", "add", "clerk", "--role", "records-clerk", "--database", url,
                    stdin="long-enough-pw\n").returncode == 0
    clerk = wardroom("points", "write", "--site", str(site), "pump.setpoint", "1", "--user", "clerk",
                     "--database", url)
    assert clerk.returncode == 2 and "records-clerk" in clerk.stderr
    assert server.get_registers(20, 1) == [0]

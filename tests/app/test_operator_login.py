"""Operators prove who they are: the real console script, a real SQLite file and a real
pymodbus server on 127.0.0.1. A refused login never reaches the PLC and is audited; a write is audited
``point.write-requested`` before the PLC is touched; ``[security]`` sets the lockout."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import open_database
from tests.app.test_cli import wardroom
from tests.app.test_points_cli import SITE
from tests.fieldbus.servers import ModbusServer

PASSWORD = "long-enough-pw"
ADMIN_PASSWORD = "admin-long-pw"
SECURITY = "\n[security]\nlockout_attempts = 2\nlockout_minutes = 30\n"


@pytest.fixture
def server() -> Iterator[ModbusServer]:
    srv = ModbusServer(size=100)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def plant(tmp_path: Path, server: ModbusServer) -> tuple[Path, Path, str]:
    """(site file, database file, database URL) with an administrator, an officer and a clerk."""
    site = tmp_path / "site.toml"
    site.write_text(SITE.format(port=server.port) + SECURITY, encoding="utf-8")
    db = tmp_path / "plant.sqlite3"
    url = f"sqlite:///{db}"
    add(url, "root", "administrator", None)
    add(url, "li.wei", "duty-officer", "root")
    add(url, "clerk", "records-clerk", "root")
    return site, db, url


def add(url: str, name: str, role: str, by: str | None) -> None:
    if by is None:
        result = wardroom(
            "users", "add", name, "--role", role, "--database", url, stdin=f"{ADMIN_PASSWORD}\n"
        )
    else:
        result = wardroom(
            "users",
            "add",
            name,
            "--role",
            role,
            "--by",
            by,
            "--database",
            url,
            stdin=f"{ADMIN_PASSWORD}\n{PASSWORD}\n",
        )
    assert result.returncode == 0, result.stderr


def write(
    site: Path, url: str, user: str, password: str, value: str = "12.5"
) -> subprocess.CompletedProcess[str]:
    return wardroom(
        "points",
        "write",
        "pump.setpoint",
        value,
        "--site",
        str(site),
        "--user",
        user,
        "--database",
        url,
        stdin=f"{password}\n",
    )


def rows(db: Path) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(db)
    try:
        return [tuple(r) for r in con.execute("SELECT actor, action, target FROM audit_log ORDER BY id")]
    finally:
        con.close()


def actions_since(db: Path, start: int) -> list[str]:
    return [action for _, action, _ in rows(db)[start:]]


# ------------------------------------------------------------------ plant writes
def test_a_write_with_a_wrong_password_is_refused_audited_and_never_reaches_the_plc(
    plant: tuple[Path, Path, str], server: ModbusServer
) -> None:
    site, db, url = plant
    server.set_registers(20, [7])
    before = len(rows(db))
    result = write(site, url, "li.wei", "not-the-password")
    assert result.returncode == 2
    assert "wrong user name or password" in result.stderr
    assert server.get_registers(20, 1) == [7]
    assert actions_since(db, before) == ["user.login-failed", "point.write-refused"]
    assert ("li.wei", "point.write-refused", "pump.setpoint") in rows(db)

    empty = write(site, url, "li.wei", "")
    assert empty.returncode == 2 and "wrong user name or password" in empty.stderr
    unknown = write(site, url, "ghost", PASSWORD)
    assert unknown.returncode == 2 and "wrong user name or password" in unknown.stderr
    assert server.get_registers(20, 1) == [7]


def test_a_disabled_user_cannot_write(plant: tuple[Path, Path, str], server: ModbusServer) -> None:
    site, db, url = plant
    server.set_registers(20, [7])
    disabled = wardroom(
        "users", "disable", "li.wei", "--by", "root", "--database", url, stdin=f"{ADMIN_PASSWORD}\n"
    )
    assert disabled.returncode == 0, disabled.stderr
    listed = json.loads(wardroom("users", "list", "--json", "--database", url).stdout)
    assert {r["name"]: r["disabled"] for r in listed} == {"clerk": False, "li.wei": True, "root": False}
    before = len(rows(db))
    result = write(site, url, "li.wei", PASSWORD)
    assert result.returncode == 2 and "wrong user name or password" in result.stderr
    assert server.get_registers(20, 1) == [7]
    assert actions_since(db, before) == ["user.login-failed", "point.write-refused"]

    enabled = wardroom(
        "users", "enable", "li.wei", "--by", "root", "--database", url, stdin=f"{ADMIN_PASSWORD}\n"
    )
    assert enabled.returncode == 0, enabled.stderr
    assert write(site, url, "li.wei", PASSWORD).returncode == 0
    assert server.get_registers(20, 1) == [125]
    assert ("root", "user.disable", "li.wei") in rows(db) and ("root", "user.enable", "li.wei") in rows(db)


def test_security_lockout_attempts_locks_after_two_wrong_passwords_in_the_cli(
    plant: tuple[Path, Path, str], server: ModbusServer
) -> None:
    site, db, url = plant
    server.set_registers(20, [7])
    assert write(site, url, "li.wei", "wrong-one").returncode == 2
    second = write(site, url, "li.wei", "wrong-two")
    assert second.returncode == 2 and "locked for 30 minutes" in second.stderr
    locked = write(site, url, "li.wei", PASSWORD)  # even the right password, while locked
    assert locked.returncode == 2
    assert "li.wei is locked until " in locked.stderr and "(site time)" in locked.stderr
    until = locked.stderr.split("locked until ")[1][:5]
    expected = datetime.now(UTC) + timedelta(minutes=30)
    from zoneinfo import ZoneInfo

    shown = datetime.strptime(until, "%H:%M").time()
    local = expected.astimezone(ZoneInfo("Asia/Shanghai"))
    assert abs((local.hour * 60 + local.minute) - (shown.hour * 60 + shown.minute)) % (24 * 60) <= 1
    assert server.get_registers(20, 1) == [7]
    assert ("system", "user.locked", "li.wei") in rows(db)
    assert ("li.wei", "point.write-refused", "pump.setpoint") in rows(db)

    unlocked = wardroom(
        "users", "unlock", "li.wei", "--by", "root", "--database", url, stdin=f"{ADMIN_PASSWORD}\n"
    )
    assert unlocked.returncode == 0, unlocked.stderr
    assert ("root", "user.unlock", "li.wei") in rows(db)
    assert write(site, url, "li.wei", PASSWORD).returncode == 0


def test_the_synced_security_table_is_honoured_without_the_site_file(
    plant: tuple[Path, Path, str],
) -> None:
    site, _db, url = plant
    database = open_database(url)
    try:
        sync_site(database, load_site(site))
    finally:
        database.close()
    for wrong in ("wrong-one", "wrong-two"):
        wardroom("audit", "list", "--user", "root", "--database", url, stdin=f"{wrong}\n")
    locked = wardroom("audit", "list", "--user", "root", "--database", url, stdin=f"{ADMIN_PASSWORD}\n")
    assert locked.returncode == 2 and "root is locked until" in locked.stderr


def test_a_right_password_lands_and_the_request_is_audited_first(
    plant: tuple[Path, Path, str], server: ModbusServer
) -> None:
    site, db, url = plant
    before = len(rows(db))
    result = write(site, url, "li.wei", PASSWORD)
    assert result.returncode == 0, result.stderr
    assert server.get_registers(20, 1) == [125]
    assert actions_since(db, before) == ["user.login", "point.write-requested", "point.write"]
    verified = wardroom("audit", "verify", "--json", "--database", url)
    assert verified.returncode == 0 and json.loads(verified.stdout)[0]["ok"] is True


def test_a_write_whose_request_cannot_be_recorded_never_reaches_the_plc(
    plant: tuple[Path, Path, str], server: ModbusServer
) -> None:
    site, db, url = plant
    server.set_registers(20, [7])
    con = sqlite3.connect(db)
    with con:  # the failure is injected at exactly that commit: the login's own rows still go in
        con.execute(
            "CREATE TRIGGER refuse_request BEFORE INSERT ON audit_log "
            "WHEN NEW.action = 'point.write-requested' BEGIN SELECT RAISE(ABORT, 'disk said no'); END"
        )
    con.close()
    before = len(rows(db))
    result = write(site, url, "li.wei", PASSWORD)
    assert result.returncode == 1, result.stderr
    assert "not sent to the PLC" in result.stderr and "Traceback" not in result.stderr
    assert server.get_registers(20, 1) == [7]
    assert actions_since(db, before) == ["user.login"]


def test_a_records_clerk_logs_in_but_may_not_write(
    plant: tuple[Path, Path, str], server: ModbusServer
) -> None:
    site, db, url = plant
    result = write(site, url, "clerk", PASSWORD)
    assert result.returncode == 2 and "records-clerk" in result.stderr
    assert server.get_registers(20, 1) == [0]
    assert ("clerk", "point.write-refused", "pump.setpoint") in rows(db)


# ------------------------------------------------------------------ users commands
def test_users_commands_need_an_administrator_once_there_is_one(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    url = f"sqlite:///{db}"
    add(url, "root", "administrator", None)
    nobody = wardroom("users", "add", "x", "--role", "supervisor", "--database", url, stdin=f"{PASSWORD}\n")
    assert nobody.returncode == 2 and "--by" in nobody.stderr
    add(url, "sam", "supervisor", "root")
    by_supervisor = wardroom(
        "users",
        "add",
        "y",
        "--role",
        "duty-officer",
        "--by",
        "sam",
        "--database",
        url,
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert by_supervisor.returncode == 2 and "administrator" in by_supervisor.stderr
    assert ("sam", "user.add-refused", "y") in rows(db)

    own = wardroom("users", "passwd", "sam", "--database", url, stdin=f"{PASSWORD}\nnew-long-password\n")
    assert own.returncode == 0, own.stderr
    wrong_old = wardroom("users", "passwd", "sam", "--database", url, stdin=f"{PASSWORD}\nother-long-pw\n")
    assert wrong_old.returncode == 2 and "wrong user name or password" in wrong_old.stderr
    reset = wardroom(
        "users",
        "passwd",
        "sam",
        "--by",
        "root",
        "--database",
        url,
        stdin=f"{ADMIN_PASSWORD}\nreset-long-pw\n",
    )
    assert reset.returncode == 0, reset.stderr
    assert [a for a, x, t in rows(db) if x == "user.passwd" and t == "sam"] == ["sam", "root"]
    listed = wardroom("audit", "list", "--user", "sam", "--database", url, stdin="reset-long-pw\n")
    assert listed.returncode == 0, listed.stderr


# ------------------------------------------------------------------ audit list
def test_audit_list_filters_by_action_and_site_time(plant: tuple[Path, Path, str]) -> None:
    site, _db, url = plant
    database = open_database(url)
    try:
        sync_site(database, load_site(site))  # Asia/Shanghai, UTC+8
    finally:
        database.close()
    result = wardroom(
        "audit",
        "list",
        "--user",
        "root",
        "--action",
        "user.add",
        "--json",
        "--database",
        url,
        stdin=f"{ADMIN_PASSWORD}\n",
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(r["action"], r["target"]) for r in listed] == [
        ("user.add", "root"),
        ("user.add", "li.wei"),
        ("user.add", "clerk"),
    ]
    assert set(listed[0]) == {"id", "at", "actor", "action", "target", "details"}
    assert listed[0]["at"].endswith("+00:00") and listed[1]["details"] == {"role": "duty-officer"}

    first = datetime.fromisoformat(listed[1]["at"]).astimezone(UTC)
    shanghai = (first + timedelta(hours=8)).replace(tzinfo=None)
    window = wardroom(
        "audit",
        "list",
        "--user",
        "root",
        "--action",
        "user.add",
        "--json",
        "--database",
        url,
        "--from",
        shanghai.isoformat(),
        "--to",
        (shanghai + timedelta(microseconds=1)).isoformat(),
        stdin=f"{ADMIN_PASSWORD}\n",
    )
    assert window.returncode == 0, window.stderr
    assert [r["target"] for r in json.loads(window.stdout)] == ["li.wei"]  # [from, to) in site time
    empty = wardroom(
        "audit",
        "list",
        "--user",
        "root",
        "--json",
        "--database",
        url,
        "--from",
        shanghai.isoformat(),
        "--to",
        shanghai.isoformat(),
        stdin=f"{ADMIN_PASSWORD}\n",
    )
    assert json.loads(empty.stdout) == []
    globbed = wardroom(
        "audit",
        "list",
        "--user",
        "root",
        "--action",
        "user.log*",
        "--json",
        "--database",
        url,
        stdin=f"{ADMIN_PASSWORD}\n",
    )
    assert {r["action"] for r in json.loads(globbed.stdout)} == {"user.login"}


def test_audit_list_is_refused_to_a_duty_officer_and_the_refusal_audited(
    plant: tuple[Path, Path, str],
) -> None:
    _, db, url = plant
    result = wardroom("audit", "list", "--user", "li.wei", "--database", url, stdin=f"{PASSWORD}\n")
    assert result.returncode == 2 and "supervisor" in result.stderr
    assert ("li.wei", "audit.list-refused", "audit_log") in rows(db)


# ------------------------------------------------------------------ demo mode
def test_demo_commands_read_and_write_the_demo_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"WARDROOM_HOME": str(home)}
    added = wardroom("users", "add", "olga", "--role", "supervisor", "--demo", stdin=f"{PASSWORD}\n", env=env)
    assert added.returncode == 0, added.stderr
    demo_db = next(home.rglob("demo.sqlite3"))
    con = sqlite3.connect(demo_db)
    try:
        assert con.execute("SELECT name, role FROM users").fetchall() == [("olga", "supervisor")]
    finally:
        con.close()
    listed = wardroom("users", "list", "--json", "--demo", env=env)
    assert [r["name"] for r in json.loads(listed.stdout)] == ["olga"]
    assert json.loads(wardroom("users", "list", "--json", env=env).stdout) == []  # the real one is apart
    assert wardroom("audit", "verify", "--demo", env=env).returncode == 0
    audit = wardroom("audit", "list", "--user", "olga", "--demo", "--json", stdin=f"{PASSWORD}\n", env=env)
    assert ("user.add", "olga") in {(r["action"], r["target"]) for r in json.loads(audit.stdout)}
    points = wardroom("simulate", "points", "--demo", "--json", env=env)
    assert points.returncode == 0 and json.loads(points.stdout)

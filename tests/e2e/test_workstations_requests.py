"""Acceptance (issue #8): plant writes go to the owning station; consoles never touch the plant.

Real processes over a real PostgreSQL, the test's Modbus server as the PLC (it counts the client
connections it accepts):

- a ``wardroom points write`` beside a running station is a request the station executes within 2 s,
  audited under the CLI's user; a console (``wardroom console`` and, in console mode, the GUI) opens no
  Modbus connection at all;
- a request whose deadline passes while the station is paused (SIGSTOP) is ``expired`` and never
  reaches the PLC, even after the station resumes;
- with the station stopped the CLI takes the lease and writes itself;
- a Modbus RTU line (a socat pty pair) is opened by the station alone while ``points write`` is used
  on it: the write goes through the station.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.storage.database import open_database
from models.audit import AuditEntry
from models.fleet import DeviceRequest
from tests.e2e.gui_harness import announce
from tests.e2e.workstation_support import (
    PASSWORD,
    START_S,
    WARDROOM,
    Procs,
    Pt,
    add_users,
    no_peer,
    openers,
    owns_line,
    pg_database,
    site_text,
    tcp_peers,
    wait_for,
)
from tests.fieldbus.servers import ModbusServer, socat_pty_pair

pytestmark = pytest.mark.timeout(240)

SETPOINT = Pt("pump.setpoint", 20, alarm=False, writable=True)
LEVEL = Pt("tank.level", 10, alarm=False)
EXECUTED_WITHIN_S = 2.0
PAUSED_TIMEOUT_S = 2.0  # the CLI's --timeout while the station is paused (well under the lease's 6 s)
RESUMED_WATCH_S = 3.0  # after SIGCONT, how long the PLC is watched for a late write
NO_SOCAT = "socat is not installed (Debian package 'socat' provides the pty pair for the RTU test)"


@pytest.fixture
def server() -> Iterator[ModbusServer]:
    srv = ModbusServer(size=100)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def requests_of(url: str) -> list[DeviceRequest]:
    db = open_database(url)
    try:
        with db.session() as session:
            return list(session.scalars(select(DeviceRequest).order_by(DeviceRequest.id)))
    finally:
        db.close()


def audit_of(url: str, prefix: str) -> list[tuple[str, str, str]]:
    """(actor, action, target) of the audit rows whose action starts with ``prefix``, oldest first."""
    db = open_database(url)
    try:
        with db.session() as session:
            rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(r.actor, r.action, r.target) for r in rows if r.action.startswith(prefix)]
    finally:
        db.close()


def write_args(site: Path, url: str, value: str, *extra: str) -> list[str]:
    return ["points", "write", SETPOINT.id, value, "--user", "li", "--site", str(site), "--database", url,
            *extra]  # fmt: skip


def test_plant_writes_go_to_the_owning_station_and_consoles_open_no_plc_connection(
    tmp_path: Path, server: ModbusServer, request: pytest.FixtureRequest
) -> None:
    with pg_database() as url:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        add_users(url, home, ("li", "duty-officer"))
        site = tmp_path / "site.toml"
        site.write_text(site_text(server.port, [SETPOINT, LEVEL]), encoding="utf-8")
        report = tmp_path / "gui-report.json"
        with Procs(home, url, site) as procs:
            s1 = procs.station("s1")
            console = procs.console("console-a", "li", "--points")
            # The GUI in console mode: --demo signs in as the demo duty officer without a dialog, and
            # a console shows the database's version of the site (this test's, synced by s1).
            gui_env = dict(procs.env, QT_QPA_PLATFORM="offscreen", WARDROOM_GUI_REPORT=str(report))
            gui_log = tmp_path / "gui.log"
            with gui_log.open("w") as log:
                gui = subprocess.Popen(
                    [WARDROOM, "gui", "--demo", "--console", "--database", url],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=gui_env,
                )
            try:
                owns_line(s1)  # the console is ready: Procs.console waits for that
                wait_for(lambda: server.connections >= 1, 10, "the station polling")
                wait_for(report.exists, START_S, "the console-mode GUI running (its report)")
                console.wait_record(
                    lambda r: (
                        r.get("type") == "point" and r.get("point") == LEVEL.id and r.get("quality") == "good"
                    ),
                    10,
                    "a live value in the console",
                )
                polled = server.connections
                assert polled == 1, f"{polled} Modbus clients with one station, a console and a console GUI"
                pg_port = int(re.sub(r".*:(\d+)/.*", r"\1", url))
                for label, pid in (("console", console.pid), ("console GUI", gui.pid)):
                    peers = tcp_peers(pid)
                    assert all(port == pg_port for _, port in peers), f"{label} connects to {peers}"
                    assert peers, f"the {label} holds no database connection"

                # 1. A write beside the station: a request the station executes within 2 s.
                started = time.monotonic()
                done = procs.cli(*write_args(site, url, "12"), stdin=PASSWORD + "\n")
                cli_s = time.monotonic() - started
                assert done.returncode == 0, done.stderr
                assert "by station s1" in done.stdout, done.stdout
                assert server.get_registers(SETPOINT.register, 1) == [12]
                row = requests_of(url)[-1]
                assert row.status == "done" and row.station == "s1" and row.user_name == "li"
                assert row.finished_at is not None
                executed_s = (row.finished_at - row.created_at).total_seconds()
                assert executed_s <= EXECUTED_WITHIN_S, f"executed {executed_s:.2f} s after the request"
                assert ("li", "point.write", SETPOINT.id) in audit_of(url, "point.write")
                assert server.connections == polled, "the CLI opened its own connection beside the station"
                assert gui.poll() is None, gui_log.read_text()
                assert console.running(), console.tail()

                # 2. The station paused past the request's deadline: expired, never written.
                writes_before = len(server.writes)
                s1.signal(signal.SIGSTOP)
                try:
                    late = procs.cli(
                        *write_args(site, url, "34", "--timeout", str(PAUSED_TIMEOUT_S)),
                        stdin=PASSWORD + "\n",
                    )
                finally:
                    s1.signal(signal.SIGCONT)
                resumed = time.monotonic()
                assert late.returncode == 1, (late.returncode, late.stdout, late.stderr)
                assert requests_of(url)[-1].status == "expired", requests_of(url)[-1].reason
                while time.monotonic() - resumed < RESUMED_WATCH_S:  # watch: a late write must not come
                    assert server.get_registers(SETPOINT.register, 1) == [12], (
                        "an expired request was written"
                    )
                    time.sleep(0.1)
                assert len(server.writes) == writes_before
                assert requests_of(url)[-1].status == "expired"
                expired_audit = [a for a in audit_of(url, "point.write") if a[1] == "point.write-failed"]
                announce(
                    request.config,
                    f"plant write by request: CLI {cli_s:.2f} s, executed {executed_s:.2f} s after the "
                    f"request; paused station: exit {late.returncode}: {late.stderr.strip()}; audit "
                    f"{expired_audit[-1:] or 'no point.write-failed row'}",
                )

                # 3. The station stopped: the CLI takes the lease and writes itself.
                assert s1.stop() == 0, s1.tail()
                alone = procs.cli(*write_args(site, url, "56"), stdin=PASSWORD + "\n")
                assert alone.returncode == 0, alone.stderr
                assert "by station" not in alone.stdout, alone.stdout
                assert server.get_registers(SETPOINT.register, 1) == [56]
                assert server.connections > polled, "the CLI wrote without a connection of its own?"
                assert requests_of(url)[-1].status == "expired", "the CLI's own write made a request row"
            finally:
                if gui.poll() is None:
                    gui.terminate()
                    try:
                        gui.wait(10)
                    except subprocess.TimeoutExpired:
                        gui.kill()
                        gui.wait(5)


@pytest.fixture
def pty_pair() -> Iterator[tuple[str, str, int]]:
    if shutil.which("socat") is None:
        no_peer(NO_SOCAT)
    with socat_pty_pair() as pair:
        yield pair


def test_an_rtu_line_is_opened_by_the_station_alone_while_points_write_is_used(
    tmp_path: Path, pty_pair: tuple[str, str, int]
) -> None:
    server_end, line_end, socat = pty_pair
    mine = {os.getpid(), socat}  # this test (the RTU slave's end) and socat: not clients of the line
    server = ModbusServer(size=100, serial_port=server_end, baudrate=19200)
    server.start()
    try:
        with pg_database() as url:
            home = tmp_path / "home"
            home.mkdir(exist_ok=True)
            add_users(url, home, ("li", "duty-officer"))
            site = tmp_path / "site.toml"
            site.write_text(site_text(rtu_port=line_end, points=[SETPOINT, LEVEL]), encoding="utf-8")
            with Procs(home, url, site) as procs:
                s1 = procs.station("s1")
                owns_line(s1)
                wait_for(
                    lambda: openers(line_end, mine) == {s1.pid},
                    10,
                    lambda: (
                        f"the station alone holding the serial line (pid {s1.pid}): {openers(line_end, mine)}"
                    ),
                )
                seen: set[int] = set()
                stop = threading.Event()

                def watch() -> None:
                    while not stop.is_set():
                        seen.update(openers(line_end, mine))
                        stop.wait(0.02)

                watcher = threading.Thread(target=watch, name="rtu-openers", daemon=True)
                watcher.start()
                try:
                    done = procs.cli(*write_args(site, url, "7"), stdin=PASSWORD + "\n")
                finally:
                    stop.set()
                    watcher.join(5)
                assert done.returncode == 0, done.stderr
                assert "by station s1" in done.stdout, done.stdout
                assert server.get_registers(SETPOINT.register, 1) == [7]
                assert seen == {s1.pid}, f"the serial line was opened by {seen} (station: {s1.pid})"
                assert openers(line_end, mine) == {s1.pid}
    finally:
        server.stop()

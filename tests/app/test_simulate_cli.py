"""``wardroom simulate`` end to end, as a user runs it: the real console script in subprocesses.

A simulator serves a site with a port-0 PLC; ``simulate trip`` (another process) finds it through the
registry and must bring the sprinkler pressure below its lowest alarm limit within 10 s; ``restore``
must bring it back above its low limit (and deadband) within 30 s. The value is read as a poller would,
through ``wardroom points list --json``, which finds the running simulator through the registry.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from app.sim import registry

SITE = """\
[site]
name = "Drill Village"
timezone = "Asia/Shanghai"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 0
poll_ms = 500
simulated = true

[[plc]]
id = "field"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 5020

[[point]]
id = "b3.sprinkler.pressure"
plc = "panel"
address = "hr:100"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
range = [0.0, 1.6]
alarms = [
  { limit = "low", value = 0.10, priority = "high", category = "supervisory", delay_s = 2, deadband = 0.01 },
  { limit = "low-low", value = 0.05, priority = "urgent", category = "fault" },
]

[[point]]
id = "field.pressure"
plc = "field"
address = "hr:0"
type = "uint16"
kind = "pressure"
"""
LOW_LOW, LOW, LOW_DEADBAND = 0.05, 0.10, 0.01


def wardroom_cmd() -> list[str]:
    """The installed console script next to this interpreter (what a user types)."""
    exe = shutil.which("wardroom", path=str(Path(sys.executable).parent))
    assert exe is not None, "the wardroom console script is not installed in this environment"
    return [exe]


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def run(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*wardroom_cmd(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


PASSWORD = "long-enough-pw"


def add_user(name: str, role: str, url: str, env: dict[str, str]) -> None:
    added = run("users", "add", name, "--role", role, "--database", url, env=env, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr


def drill_as(
    user: str, verb: str, point: str, site: Path, url: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``wardroom simulate trip|restore`` as ``user``, the password piped on stdin."""
    return run("simulate", verb, point, "--site", str(site), "--user", user, "--database", url, env=env,
               stdin=PASSWORD + "\n")  # fmt: skip


def audit_rows(db: Path) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(db)
    try:
        return [tuple(r) for r in con.execute("SELECT actor, action, target FROM audit_log ORDER BY id")]
    finally:
        con.close()


def test_simulate_trip_and_restore_act_on_the_running_simulator(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(SITE, encoding="utf-8")
    env = {**os.environ, "WARDROOM_HOME": os.environ["WARDROOM_HOME"]}  # isolated by tests/conftest.py
    db = tmp_path / "drills.sqlite3"
    url = f"sqlite:///{db}"
    add_user("sam", "supervisor", url, env)  # no administrator yet: first set-up needs no --by
    add_user("olga", "duty-officer", url, env)
    out_path = tmp_path / "simulate.out"
    with open(out_path, "w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [*wardroom_cmd(), "simulate", "--site", str(site)], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        assert wait_until(lambda: bool(registry.lookup(site, "panel")) or server.poll() is not None, 30.0)
        assert server.poll() is None, out_path.read_text()
        (entry,) = registry.lookup(site, "panel")
        assert entry.pid == server.pid and entry.host == "127.0.0.1" and entry.port > 0
        assert f"on 127.0.0.1:{entry.port}" in out_path.read_text()

        def pressure() -> float:
            """Read as the acceptance says: through ``wardroom points list --json``."""
            listed = run("points", "list", "--site", str(site), "--json", env=env)
            assert listed.returncode == 0, listed.stderr
            rows = {row["id"]: row for row in json.loads(listed.stdout)}
            row = rows["b3.sprinkler.pressure"]
            assert row["quality"] == "good", row
            return float(row["value"])

        assert pressure() > LOW + LOW_DEADBAND

        # A duty officer may not drill on a real site: refused in the service, audited, nothing tripped.
        refused = drill_as("olga", "trip", "b3.sprinkler.pressure", site, url, env)
        assert refused.returncode == 2, refused.stderr
        assert "refused" in refused.stderr and "supervisor" in refused.stderr
        assert ("olga", "drill.trip-refused", "b3.sprinkler.pressure") in audit_rows(db)
        assert pressure() > LOW + LOW_DEADBAND
        wrong = run("simulate", "trip", "b3.sprinkler.pressure", "--site", str(site), "--user", "sam",
                    "--database", url, env=env, stdin="not-the-password\n")  # fmt: skip
        assert wrong.returncode == 2 and "wrong user name or password" in wrong.stderr

        started = time.monotonic()
        tripped = drill_as("sam", "trip", "b3.sprinkler.pressure", site, url, env)
        assert tripped.returncode == 0, tripped.stderr
        assert ("sam", "drill.trip", "b3.sprinkler.pressure") in audit_rows(db)
        assert (
            f"tripped b3.sprinkler.pressure on simulated PLC panel at 127.0.0.1:{entry.port}"
            in tripped.stdout
        )
        assert wait_until(lambda: pressure() < LOW_LOW, 10.0 - (time.monotonic() - started))
        fell_s = time.monotonic() - started

        started = time.monotonic()
        restored = drill_as("sam", "restore", "b3.sprinkler.pressure", site, url, env)
        assert restored.returncode == 0, restored.stderr
        assert ("sam", "drill.restore", "b3.sprinkler.pressure") in audit_rows(db)
        assert wait_until(lambda: pressure() > LOW + LOW_DEADBAND, 30.0 - (time.monotonic() - started))
        print(f"trip: below {LOW_LOW} MPa after {fell_s:.1f} s; restore: above "
              f"{LOW + LOW_DEADBAND} MPa after {time.monotonic() - started:.1f} s")  # fmt: skip

        unknown = drill_as("sam", "trip", "nope", site, url, env)
        assert unknown.returncode == 2 and "has no point 'nope'" in unknown.stderr
        field = drill_as("sam", "trip", "field.pressure", site, url, env)
        assert field.returncode == 2 and "not simulated" in field.stderr
        copy = tmp_path / "copy.toml"  # same content, another file: nobody serves it
        shutil.copyfile(site, copy)
        missing = drill_as("sam", "trip", "b3.sprinkler.pressure", copy, url, env)
        assert missing.returncode == 1
        assert f"no running simulator for PLC panel of site {copy}: " in missing.stderr
        assert f"start one with wardroom simulate --site {copy}" in missing.stderr
    finally:
        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
            raise
    assert time.monotonic() - stopping < 5.0
    assert code == 0, out_path.read_text()
    output = out_path.read_text()
    assert (
        "drill TRIPPED b3.sprinkler.pressure" in output and "drill restored b3.sprinkler.pressure" in output
    )
    assert output.rstrip().endswith("simulate: stopped")
    assert registry.lookup(site, "panel") == []


def test_simulate_needs_a_site_with_a_simulated_plc(tmp_path: Path) -> None:
    env = dict(os.environ)
    assert run("simulate", env=env).returncode == 2
    site = tmp_path / "site.toml"
    real = SITE.replace("simulated = true", "simulated = false").replace("port = 0", "port = 5021")
    site.write_text(real, encoding="utf-8")
    served = run("simulate", "--site", str(site), env=env)
    assert served.returncode == 2 and "has no simulated PLC" in served.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text(SITE.replace('kind = "pressure"', 'kind = "pressur"', 1), encoding="utf-8")
    bad = run("simulate", "trip", "b3.sprinkler.pressure", "--site", str(broken), "--user", "sam", env=env)
    assert bad.returncode == 2 and f"{broken}:" in bad.stderr

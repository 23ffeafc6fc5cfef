"""Shared parts of the several-workstations acceptance tests (issue #8); no tests here.

Everything is a real process against a real PostgreSQL server: ``wardroom station`` and ``wardroom
console`` are the installed entry point, started with ``subprocess.Popen``; every line they print is
collected by a reader thread with its arrival time, and a test waits for a line (or any condition)
with a bounded timeout. The PLC is the test's own pymodbus server (``tests.fieldbus.servers``), which
counts the client connections it accepts: how a test knows which process polls it.

Processes are always killed: :class:`Procs` is a context manager that kills (SIGKILL after a short
SIGTERM grace) whatever is still running when the block ends, and joins its reader threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.models.support import PG_ENV, fresh_pg_database

WARDROOM = str(Path(sys.executable).parent / "wardroom")
PASSWORD = "long-enough-pw"
ADMIN_PASSWORD = "administrator-pw"
START_S = 45.0  # a process's start-up on a loaded 2-core CI machine (imports, schema, first read)
CLI_S = 60.0
NETGUARD_DIR = Path(__file__).resolve().parent.parent / "netguard"
NETGUARD_LOG_ENV = "WARDROOM_TEST_NETGUARD_LOG"  # tests/netguard/wardroom_netguard.py LOG_ENV


# ------------------------------------------------------------------ peers
def no_peer(reason: str) -> None:
    """Skip, or fail when every test peer is required (WARDROOM_REQUIRE_PEERS=1, as CI sets)."""
    if os.environ.get("WARDROOM_REQUIRE_PEERS") == "1":
        pytest.fail(f"{reason}; WARDROOM_REQUIRE_PEERS=1 requires it", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards); skip/fail as :func:`no_peer` without a server."""
    if not os.environ.get(PG_ENV):
        no_peer(f"{PG_ENV} is not set: no PostgreSQL server to test against (.ci/run sets it)")
    with fresh_pg_database() as url:
        yield url


def plain_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (psycopg.connect, psql)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a child ``wardroom``: its own WARDROOM_HOME, the network guard on."""
    env = dict(os.environ)
    env["WARDROOM_HOME"] = str(home)
    env.pop("WARDROOM_DATABASE_URL", None)
    inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(NETGUARD_DIR)]
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD_DIR), *inherited])
    # A module-scoped rig starts its processes before the per-test guard sets its log: give them one.
    env[NETGUARD_LOG_ENV] = os.environ.get(NETGUARD_LOG_ENV) or str(guard_log(home))
    env.update(extra)
    return env


def guard_log(home: Path) -> Path:
    """Where children started with :func:`child_env` report refused connects (no test's own log)."""
    return home.parent / "netguard-children.log"


def guard_violations(home: Path) -> list[str]:
    path = guard_log(home)
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []


# ------------------------------------------------------------------ site files
@dataclass(frozen=True)
class Pt:
    """One uint16 holding-register point on the test PLC; ``alarm``: a ``high`` limit at 0.5."""

    id: str
    register: int
    alarm: bool = True
    writable: bool = False


def site_text(
    port: int | None = None,
    points: list[Pt] | None = None,
    *,
    rtu_port: str | None = None,
    poll_ms: int = 100,
    name: str = "Workstations",
) -> str:
    """A site with one PLC ``panel`` (Modbus TCP on 127.0.0.1:port, or RTU on ``rtu_port``)."""
    if rtu_port is not None:
        plc = (
            f'protocol = "modbus-rtu"\nserial_port = "{rtu_port}"\nbaudrate = 19200\nunit = 1\n'
            f"poll_ms = {max(poll_ms, 200)}\ntimeout_ms = 500\n"
        )
    else:
        plc = (
            f'protocol = "modbus-tcp"\nhost = "127.0.0.1"\nport = {port}\n'
            f"poll_ms = {poll_ms}\ntimeout_ms = 500\n"
        )
    parts = [f'[site]\nname = "{name}"\ntimezone = "UTC"\n', f'[[plc]]\nid = "panel"\n{plc}']
    for p in points or []:
        alarm = 'alarms = [ { limit = "high", value = 0.5 } ]\n' if p.alarm else ""
        parts.append(
            f'[[point]]\nid = "{p.id}"\nplc = "panel"\naddress = "hr:{p.register}"\ntype = "uint16"\n'
            f'kind = "other"\nwritable = {str(p.writable).lower()}\n{alarm}'
        )
    return "\n".join(parts)


def alarm_points(prefix: str, first_register: int, count: int) -> list[Pt]:
    return [Pt(f"{prefix}{i:03d}", first_register + i) for i in range(count)]


# ------------------------------------------------------------------ users
def add_users(url: str, home: Path, *names: tuple[str, str]) -> None:
    """``admin`` (administrator, the first user) and ``names`` ((name, role)), by the real CLI."""
    env = child_env(home)
    first = run_cli("users", "add", "admin", "--role", "administrator", "--database", url,
                    stdin=ADMIN_PASSWORD + "\n", env=env)  # fmt: skip
    assert first.returncode == 0, first.stderr
    for name, role in names:
        done = run_cli("users", "add", name, "--role", role, "--by", "admin", "--database", url,
                       stdin=f"{ADMIN_PASSWORD}\n{PASSWORD}\n", env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout_s: float = CLI_S
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WARDROOM, *args], input=stdin, capture_output=True, text=True, timeout=timeout_s, env=env
    )


# ------------------------------------------------------------------ processes
@dataclass(frozen=True)
class Line:
    stream: str  # "out" / "err"
    text: str
    at: float  # time.time() of arrival

    def json(self) -> dict[str, Any] | None:
        if self.stream != "out" or not self.text.startswith("{"):
            return None
        try:
            value = json.loads(self.text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


class Proc:
    """One running ``wardroom`` process: its lines with arrival times, stdin, signals."""

    def __init__(self, label: str, args: list[str], env: dict[str, str], stdin_first: str | None) -> None:
        self.label = label
        self.args = args
        self.popen = subprocess.Popen(
            [WARDROOM, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )
        self.pid = self.popen.pid
        self.lines: list[Line] = []
        self._cond = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(stream, tag), name=f"ws-{label}-{tag}", daemon=True)
            for stream, tag in ((self.popen.stdout, "out"), (self.popen.stderr, "err"))
        ]
        for reader in self._readers:
            reader.start()
        if stdin_first is not None:
            self.send(stdin_first)

    def _read(self, stream: Any, tag: str) -> None:
        for raw in stream:
            line = Line(tag, raw.rstrip("\n"), time.time())
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    # -------------------------------------------------------------- lines
    def snapshot(self) -> list[Line]:
        with self._cond:
            return list(self.lines)

    def records(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The JSON objects printed on stdout (``kind``: only those with this ``type``)."""
        found = [r for line in self.snapshot() if (r := line.json()) is not None]
        return [r for r in found if kind is None or r.get("type") == kind]

    def wait_until(self, predicate: Callable[[], bool], timeout_s: float, what: str) -> float:
        """Wait (bounded) until ``predicate()`` holds, re-checked on every line; seconds waited."""
        started = time.monotonic()
        deadline = started + timeout_s
        with self._cond:
            while True:
                self._cond.release()
                try:
                    ok = predicate()
                finally:
                    self._cond.acquire()
                if ok:
                    return time.monotonic() - started
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.label}: not within {timeout_s:g} s: {what}\n{self.tail()}")
                if self.popen.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(
                        f"{self.label} exited ({self.popen.returncode}) waiting for {what}\n{self.tail()}"
                    )
                self._cond.wait(min(left, 0.05))

    def wait_line(self, contains: str, timeout_s: float = START_S, stream: str | None = None) -> Line:
        def found() -> Line | None:
            return next(
                (
                    line
                    for line in self.snapshot()
                    if contains in line.text and (stream is None or line.stream == stream)
                ),
                None,
            )

        self.wait_until(lambda: found() is not None, timeout_s, repr(contains))
        line = found()
        assert line is not None
        return line

    def wait_record(
        self, predicate: Callable[[dict[str, Any]], bool], timeout_s: float, what: str
    ) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((r for r in self.records() if predicate(r)), None)

        self.wait_until(lambda: found() is not None, timeout_s, what)
        record = found()
        assert record is not None
        return record

    def tail(self, count: int = 40) -> str:
        return "\n".join(f"  [{line.stream}] {line.text}" for line in self.snapshot()[-count:])

    # -------------------------------------------------------------- control
    def send(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def signal(self, sig: int) -> None:
        if self.popen.poll() is None:
            os.kill(self.pid, sig)

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace_s: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after ``grace_s``; the exit code; reader threads joined."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)
            self.popen.terminate()
            try:
                self.popen.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._close()
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL (no goodbye: the station's lease row stays until it expires)."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)
        self._close()

    def _close(self) -> None:
        if self.popen.stdin is not None:
            with contextlib.suppress(OSError):
                self.popen.stdin.close()
        for reader in self._readers:
            reader.join(5)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class Procs:
    """Starts ``wardroom`` processes for one test; every one still running at exit is stopped."""

    def __init__(self, home: Path, url: str, site: Path) -> None:
        self.home = home
        self.url = url
        self.site = site
        self.env = child_env(home)
        self.started: list[Proc] = []

    def __enter__(self) -> Procs:
        return self

    def __exit__(self, *_exc: object) -> None:
        for proc in reversed(self.started):
            with contextlib.suppress(Exception):
                proc.stop(grace_s=3.0)
        for proc in self.started:  # a stop that failed: SIGKILL by its own pid
            if proc.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.popen.wait(5)

    def start(self, label: str, *args: str, stdin_first: str | None = None) -> Proc:
        proc = Proc(label, list(args), self.env, stdin_first)
        self.started.append(proc)
        return proc

    def station(self, name: str, *extra: str) -> Proc:
        args = ["station", "--site", str(self.site), "--database", self.url, "--name", name]
        return self.start(name, *args, "--events", "jsonl", *extra)

    def console(self, name: str, user: str, *extra: str) -> Proc:
        """A console, once it says it is ready: an alarm raised before that arrives as ``restored``
        (the console's starting snapshot), which the tests' live-alarm counts leave out."""
        args = ["console", "--site", str(self.site), "--database", self.url, "--user", user, "--name", name]
        proc = self.start(name, *args, *extra, stdin_first=PASSWORD)
        proc.wait_record(lambda r: r.get("type") == "ready", START_S, f"{name} ready")
        return proc

    def cli(self, *args: str, stdin: str = "", timeout_s: float = CLI_S) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, stdin=stdin, env=self.env, timeout_s=timeout_s)


def wait_for(
    predicate: Callable[[], bool], timeout_s: float, what: str | Callable[[], str], every_s: float = 0.02
) -> float:
    """Wait (bounded) until ``predicate()`` holds; seconds waited (``what`` may say what was seen)."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start >= timeout_s:
            raise AssertionError(f"not within {timeout_s:g} s: {what() if callable(what) else what}")
        time.sleep(every_s)


def owns_line(station: Proc, what: str = "owns plc:panel", timeout_s: float = START_S) -> Line:
    """The station's ownership line (``station NAME: owns ...`` / ``... held by station ...``)."""
    return station.wait_line(what, timeout_s)


# ------------------------------------------------------------------ alarm lines and latency
def iso_epoch(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def alarm_lines(console: Proc, prefix: str) -> list[dict[str, Any]]:
    """The console's journaled (not restored) alarm lines for points ``prefix*``, in printed order."""
    return [
        r
        for r in console.records("alarm")
        if not r.get("restored") and str(r.get("key", "")).startswith(prefix)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# ------------------------------------------------------------------ PostgreSQL sessions
def pg_query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def backends_of(url: str, pid: int) -> list[tuple[int, str]]:
    """(backend pid, application_name) of every PostgreSQL session the process ``pid`` holds open.

    Matched by the client's TCP port: each of the process's sockets to the server's port is one
    session (``pg_stat_activity.client_port``), whatever name the session gave itself.
    """
    server_port = make_url(url).port or 5432
    ports = [
        c.laddr.port
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.raddr and c.raddr.port == server_port and c.status == psutil.CONN_ESTABLISHED
    ]
    if not ports:
        return []
    database = make_url(url).database
    rows = pg_query(
        url,
        "SELECT pid, application_name FROM pg_stat_activity"
        " WHERE datname = :db AND client_port = ANY(:ports)",
        db=database,
        ports=ports,
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def terminate_backends(url: str, pids: list[int]) -> int:
    rows = pg_query(
        url, "SELECT count(*) FROM (SELECT pg_terminate_backend(p) FROM unnest(:p) AS p) t", p=pids
    )
    return int(rows[0][0])


def tcp_peers(pid: int) -> list[tuple[str, int]]:
    """The remote (host, port) of every TCP connection the process holds."""
    return [(c.raddr.ip, c.raddr.port) for c in psutil.Process(pid).net_connections(kind="tcp") if c.raddr]


def openers(path: str, exclude: set[int] | None = None) -> set[int]:
    """Pids of the processes that hold ``path`` open (a pty: who opened the serial line)."""
    target = os.path.realpath(path)
    found: set[int] = set()
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error, OSError):
            if any(f.path == target for f in proc.open_files()):
                found.add(proc.pid)
                continue
            for fd in os.listdir(f"/proc/{proc.pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{proc.pid}/fd/{fd}") == target:
                        found.add(proc.pid)
                        break
    return found - (exclude or set())


def wait_alarms(
    console: Proc, prefix: str, count: int, timeout_s: float, to: str | None = "unacknowledged"
) -> list[dict[str, Any]]:
    """Wait (bounded) until the console printed ``count`` transitions (to ``to``) of ``prefix*``."""

    def matching() -> list[dict[str, Any]]:
        return [r for r in alarm_lines(console, prefix) if to is None or r["to"] == to]

    console.wait_until(lambda: len(matching()) >= count, timeout_s, f"{count} {prefix}* alarm lines to {to}")
    return matching()


def wait_ack(console: Proc, occurrence: int, timeout_s: float) -> dict[str, Any]:
    """The console's answer to ``ack OCCURRENCE``."""
    return console.wait_record(
        lambda r: r.get("type") == "ack" and r.get("occurrence") == occurrence,
        timeout_s,
        f"the outcome of ack {occurrence}",
    )

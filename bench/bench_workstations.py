"""Several workstations benchmark (issue #8): stations and consoles over PostgreSQL.

Not a timed test: run it by hand and read the tables (``.venv/bin/python -m bench.bench_workstations
--pg-url postgresql://postgres@127.0.0.1:55432/postgres``, about 3 minutes; ``--quick`` for under a
minute; ``--parts a`` or ``--parts b`` for one part). It needs a PostgreSQL server (``--pg-url``, else
``WARDROOM_TEST_PG_URL``) on which it creates its own database and drops it afterwards. Numbers depend
on the machine (printed at the end) and on whatever else the server and the machine are doing. Each
cell is median [min-max] over the repetitions.

a. **Station -> console alarm propagation.** Real processes: ``wardroom station --events jsonl``
   polling a real pymodbus server (``tests.fieldbus.servers.ModbusServer``, in this process) every
   ``POLL_MS``, and 1 or 3 ``wardroom console`` processes (the SiteFeed the console-mode GUI uses).
   Alarms are raised at ``RATE`` per second (one register written every 10 ms, each a new ``high``
   alarm: no clears, so no chattering logic is involved). Latency = console's ``received`` - the
   transition's ``at`` (the engine stamps ``at`` just before the journal commit, so this includes the
   commit). Baseline in the same run: the station's own ``--events jsonl`` line (printed after the
   commit) as this process reads it, minus ``at``: the commit plus the pipe. The target is a p99 at
   most 500 ms beyond the commit. An alarm not seen within the settle time counts as infinitely late.
b. **10,000 points at 1 Hz, 10 % beyond deadband each second.** The station side is the real
   :class:`app.fleet.live.LiveWriter` in a child process, fed ``PointValueChanged`` events on its bus
   (what the pollers publish), holding the PLC's lease like a live station (heartbeat 2 s); each value
   is the wall-clock time of its change, so a console's age of a value is ``received - value``. The
   consoles are real ``wardroom console --points`` processes (SiteFeed; they also print one JSON line
   per change, which a GUI would not do). CPU: the station child's process CPU time, one console's,
   and the PostgreSQL server's (user+system of the backends serving this database from /proc, plus
   the server's shared background processes: they serve every database on the server). Baseline in
   the same run: the same load with no console attached; the ratio column is 3 consoles / none.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import cell, cpu_model, pct, table  # noqa: E402 - needs the repository on the path

WARDROOM = str(Path(sys.executable).parent / "wardroom")
PASSWORD = "bench-password-1"
POLL_MS = 100
RATE = 100  # alarms per second (part a)
POINTS_B = 10_000
MOVING_SHARE = 0.10  # part b: share of the points beyond their deadband each second
TARGET_P99_S = 0.5
START_S = 90.0
SETTLE_S = 5.0


# ============================================================================ shared helpers
def _log(message: str) -> None:
    print(f"  {message}", flush=True)


# ============================================================================ PostgreSQL
def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@contextlib.contextmanager
def bench_database(base: str) -> Iterator[str]:
    """A new database on the server (dropped afterwards); yields its SQLAlchemy URL."""
    from tests.models.support import fresh_pg_database

    with fresh_pg_database(_sqlalchemy_url(base), prefix="wardroom_bench") as url:
        yield url


def _query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())
    finally:
        engine.dispose()


def _ticks(pid: int) -> float:
    """CPU seconds (user + system) of one process from /proc; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class PgCpu:
    """CPU seconds of the server's processes: this database's backends and the shared ones."""

    url: str
    backends: dict[int, float] = field(default_factory=dict)
    shared: dict[int, float] = field(default_factory=dict)

    def _pids(self) -> tuple[set[int], set[int]]:
        database = make_url(self.url).database
        rows = _query(self.url, "SELECT pid, datname, backend_type FROM pg_stat_activity")
        mine = {int(r[0]) for r in rows if r[1] == database}
        shared = {int(r[0]) for r in rows if r[1] is None}
        return mine, shared

    def sample(self) -> None:
        mine, shared = self._pids()
        self.backends = {pid: _ticks(pid) for pid in mine}
        self.shared = {pid: _ticks(pid) for pid in shared}

    def since(self) -> tuple[float, float]:
        """CPU seconds since ``sample()``: (this database's backends, the shared processes)."""
        mine, shared = self._pids()
        backends = sum(_ticks(pid) - self.backends.get(pid, 0.0) for pid in mine)
        background = sum(_ticks(pid) - self.shared.get(pid, 0.0) for pid in shared)
        return backends, background


# ============================================================================ processes
class Child:
    """A ``wardroom`` process whose stdout lines are read (with arrival time) by a thread."""

    def __init__(
        self, args: list[str], env: dict[str, str], stdin_first: str | None = None, keep: bool = True
    ):
        self.popen = subprocess.Popen(
            [WARDROOM, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )
        self.keep = keep
        self.lines: list[tuple[float, str]] = []
        self.ready = threading.Event()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._errors = threading.Thread(target=self._read_errors, daemon=True)
        self._errors.start()
        if stdin_first is not None:
            assert self.popen.stdin is not None
            self.popen.stdin.write(stdin_first + "\n")
            self.popen.stdin.flush()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for raw in self.popen.stdout:
            now = time.time()
            if '"ready"' in raw:
                self.ready.set()
            if self.keep:
                with self._lock:
                    self.lines.append((now, raw))

    def _read_errors(self) -> None:
        """stderr: the station's ownership line says it runs; the rest is dropped."""
        assert self.popen.stderr is not None
        for raw in self.popen.stderr:
            if ": owns " in raw:
                self.ready.set()

    def take(self) -> list[tuple[float, str]]:
        with self._lock:
            taken, self.lines = self.lines, []
        return taken

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._reader.join(5)
        self._errors.join(5)


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["WARDROOM_HOME"] = str(home)
    env.pop("WARDROOM_DATABASE_URL", None)
    return env


def _add_user(url: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [WARDROOM, "users", "add", "bench", "--role", "administrator", "--database", url],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"users add failed: {done.stderr}")


def _site(path: Path, port: int, points: int, *, alarms: bool, deadband: float = 0.0) -> None:
    parts = [
        '[site]\nname = "Bench"\ntimezone = "UTC"\n',
        "[alarms]\nflood_per_10min = 100000\n",
        f'[[plc]]\nid = "panel"\nprotocol = "modbus-tcp"\nhost = "127.0.0.1"\nport = {port}\n'
        f"poll_ms = {POLL_MS}\ntimeout_ms = 1000\n",
    ]
    alarm = 'alarms = [ { limit = "high", value = 0.5 } ]\n' if alarms else ""
    kind = "uint16" if alarms else "float32"
    for i in range(points):
        parts.append(
            f'[[point]]\nid = "p{i:05d}"\nplc = "panel"\naddress = "hr:{i * (1 if alarms else 2)}"\n'
            f'type = "{kind}"\nkind = "other"\nvalue_deadband = {deadband}\n{alarm}'
        )
    path.write_text("\n".join(parts), encoding="utf-8")


def _wait(event: threading.Event, what: str, proc: Child) -> None:
    if not event.wait(START_S):
        raise RuntimeError(f"{what} did not start within {START_S:.0f} s (exit {proc.popen.poll()})")


# ============================================================================ part a
@dataclass
class PropagationRun:
    consoles: int
    sent: int
    station: list[float]  # baseline: the station's own committed line, minus at
    console: list[float]  # every console's received - at (inf: never seen)


def _alarm_latencies(lines: list[tuple[float, str]], keys: set[str]) -> dict[str, float]:
    """key -> latency of its first raise (console lines carry ``received``; the station's, arrival)."""
    found: dict[str, float] = {}
    for arrival, raw in lines:
        if not raw.startswith("{"):
            continue
        record = json.loads(raw)
        key = record.get("key")
        if key not in keys or key in found or record.get("to") != "unacknowledged" or record.get("restored"):
            continue
        received = float(record.get("received", arrival))
        found[key] = received - datetime.fromisoformat(record["at"]).timestamp()
    return found


def _burst(server: Any, first: int, count: int) -> None:
    """Raise ``count`` alarms from register ``first`` at RATE per second (evenly spaced)."""
    start = time.monotonic()
    for i in range(count):
        due = start + i / RATE
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        server.set_registers(first + i, [1])


def part_propagation(base_url: str, repeat: int, seconds: float, home: Path) -> list[PropagationRun]:
    from tests.fieldbus.servers import ModbusServer

    per_run = int(RATE * seconds)
    total = per_run * repeat * 2
    runs: list[PropagationRun] = []
    server = ModbusServer(size=total + 10)
    port = server.start()
    env = _env(home)
    children: list[Child] = []
    try:
        with bench_database(base_url) as url:
            _add_user(url, env)
            site = home / "alarms.toml"
            _site(site, port, total, alarms=True)
            common = ["--site", str(site), "--database", url]
            station = Child(["station", *common, "--name", "bench", "--events", "jsonl"], env)
            children.append(station)

            def console(n: int) -> Child:
                child = Child(["console", *common, "--user", "bench", "--name", f"c{n}"], env, PASSWORD)
                children.append(child)
                return child

            first = console(1)
            _wait(station.ready, "the station", station)
            _wait(first.ready, "console 1", first)
            register = 0
            for rep in range(repeat):
                for count in (1, 3):
                    extra = [console(n) for n in range(2, count + 1)]
                    for child in extra:
                        _wait(child.ready, "a console", child)
                    attached = [first, *extra]
                    for child in (station, *attached):
                        child.take()
                    keys = {f"p{i:05d}/high" for i in range(register, register + per_run)}
                    _log(f"[a] rep {rep + 1}: {per_run} alarms at {RATE}/s, {count} console(s)")
                    _burst(server, register, per_run)
                    register += per_run
                    deadline = time.monotonic() + SETTLE_S
                    got: list[dict[str, float]] = [{} for _ in attached]
                    seen: dict[str, float] = {}
                    buffers: list[list[tuple[float, str]]] = [[] for _ in attached]
                    station_lines: list[tuple[float, str]] = []
                    while time.monotonic() < deadline:
                        station_lines += station.take()
                        for i, child in enumerate(attached):
                            buffers[i] += child.take()
                            got[i] = _alarm_latencies(buffers[i], keys)
                        seen = _alarm_latencies(station_lines, keys)
                        if all(len(g) == len(keys) for g in got) and len(seen) == len(keys):
                            break
                        time.sleep(0.1)
                    runs.append(
                        PropagationRun(
                            consoles=count,
                            sent=per_run,
                            station=[seen.get(k, math.inf) for k in keys],
                            console=[g.get(k, math.inf) for g in got for k in keys],
                        )
                    )
                    for child in extra:
                        child.stop()
                        children.remove(child)
    finally:
        for child in reversed(children):
            child.stop()
        server.stop()
    return runs


def report_propagation(runs: list[PropagationRun]) -> None:
    print()
    print(
        f"a. station -> console alarm propagation over PostgreSQL, {RATE} alarms/s, poll {POLL_MS} ms "
        f"(latency from the transition's `at`; target p99 <= {TARGET_P99_S * 1000:.0f} ms beyond the commit)"
    )
    head = [
        "consoles",
        "baseline p50 ms",
        "baseline p99 ms",
        "console p50 ms",
        "console p99 ms",
        "p99 - base",
    ]
    rows = []
    for count in sorted({r.consoles for r in runs}):
        mine = [r for r in runs if r.consoles == count]
        base50 = [pct(r.station, 0.5) for r in mine]
        base99 = [pct(r.station, 0.99) for r in mine]
        c50 = [pct(r.console, 0.5) for r in mine]
        c99 = [pct(r.console, 0.99) for r in mine]
        beyond = [c - b for c, b in zip(c99, base99, strict=True)]
        rows.append(
            [
                str(count),
                cell(base50, ".0f", 1000),
                cell(base99, ".0f", 1000),
                cell(c50, ".0f", 1000),
                cell(c99, ".0f", 1000),
                cell(beyond, ".0f", 1000),
            ]
        )
    table(head, rows, [8, 16, 16, 15, 15, 11])
    missing = sum(1 for r in runs for v in r.console if math.isinf(v))
    if missing:
        print(f"   alarms never seen by a console within {SETTLE_S:.0f} s: {missing}")
    print("   baseline: the station's own --events jsonl line (after its commit), read through a pipe")


# ============================================================================ part b
def _station_child(
    url: str, site_path: str, conn: Connection, points: int, seconds_list: list[float]
) -> None:
    """The station side of part b: a LiveWriter fed PointValueChanged, holding the PLC's lease."""
    from app.events import EventBus
    from app.fieldbus.events import PointValueChanged
    from app.fieldbus.quality import PointReading
    from app.fleet import leases
    from app.fleet.clock import db_now
    from app.fleet.connections import plc_connection_key
    from app.fleet.leases import StationIdentity
    from app.fleet.live import LiveWriter
    from app.site.loader import load_site
    from app.storage.database import open_database

    loaded = load_site(Path(site_path))
    plc = loaded.site.plc[0]
    key = plc_connection_key(plc)
    db = open_database(url)
    name = "bench-station"

    def take(session: Any) -> bool:
        now = db_now(session)
        leases.register(session, StationIdentity(name, "benchhost", os.getpid()), now)
        return leases.acquire(session, key, [f"plc:{plc.id}"], name, now).ok

    assert db.write(take)
    stop_beat = threading.Event()

    def renew(session: Any) -> None:
        leases.beat(session, name, db_now(session), "")
        leases.renew(session, name, [key], db_now(session), {})

    def beat() -> None:
        while not stop_beat.wait(leases.HEARTBEAT_S):
            db.write(renew)

    threading.Thread(target=beat, daemon=True).start()
    bus = EventBus()
    now = time.time()
    writer = LiveWriter(db, bus, name, seen=lambda: {f"plc:{plc.id}": time.time()})
    writer.put_points(plc.id, [PointReading(f"p{i:05d}", now, None, "good", now, "") for i in range(points)])
    writer.flush()
    writer.start()
    conn.send("ready")
    moving = int(points * MOVING_SHARE)
    offset = 0
    for seconds in seconds_list:
        conn.recv()  # go
        process = psutil.Process()
        cpu0 = sum(process.cpu_times()[:2])
        start = time.monotonic()
        tick = 0
        while tick < seconds:  # one change of 10 % of the points at each whole second
            due = start + tick
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            stamp = time.time()
            for i in range(moving):  # a different 10 % every second
                pid = f"p{(offset + i) % points:05d}"
                bus.publish(
                    PointValueChanged(
                        plc_id=plc.id, reading=PointReading(pid, stamp, None, "good", stamp, "")
                    )
                )
            offset += moving
            tick += 1
        cpu = sum(process.cpu_times()[:2]) - cpu0
        conn.send((cpu, time.monotonic() - start, writer.flushes, writer.rows))
    conn.recv()  # "end": the consoles are gone (releasing earlier makes them show the PLC unpolled)
    writer.stop()
    stop_beat.set()
    db.write(lambda s: leases.release(s, name, [key]))
    db.close()
    conn.send("done")


@dataclass
class LoadRun:
    consoles: int
    seconds: float
    station_cpu: float
    console_cpu: float
    pg_backends: float
    pg_shared: float
    ages: list[float]
    changes: int
    stale: int = 0  # point lines not "good" (a console that thought the station silent)


def part_points(base_url: str, repeat: int, seconds: float, home: Path) -> list[LoadRun]:
    runs: list[LoadRun] = []
    env = _env(home)
    with bench_database(base_url) as url:
        _add_user(url, env)
        site = home / "points.toml"
        _site(site, 1, POINTS_B, alarms=False, deadband=0.5)
        plan = [seconds] * (2 * repeat)
        parent, child = mp.Pipe()
        ctx = mp.get_context("spawn")
        proc = ctx.Process(target=_station_child, args=(url, str(site), child, POINTS_B, plan), daemon=True)
        proc.start()
        consoles: list[Child] = []
        try:
            if not parent.poll(START_S):
                raise RuntimeError("the station child did not start")
            parent.recv()
            pg = PgCpu(url)
            for rep in range(repeat):
                for count in (0, 3):
                    if count:
                        args = [
                            "console",
                            "--site",
                            str(site),
                            "--database",
                            url,
                            "--user",
                            "bench",
                            "--points",
                        ]
                        consoles = [Child([*args, "--name", f"c{n}"], env, PASSWORD) for n in range(count)]
                        for c in consoles:
                            _wait(c.ready, "a console", c)
                        for c in consoles:
                            c.take()
                    _log(
                        f"[b] rep {rep + 1}: {POINTS_B} points, {MOVING_SHARE:.0%}/s for {seconds:g} s, "
                        f"{count} console(s)"
                    )
                    console_cpu0 = (
                        sum(psutil.Process(consoles[0].popen.pid).cpu_times()[:2]) if consoles else 0.0
                    )
                    pg.sample()
                    went = time.time()
                    parent.send("go")
                    cpu, elapsed, _flushes, _rows = parent.recv()
                    pg_mine, pg_shared = pg.since()
                    console_cpu = (
                        sum(psutil.Process(consoles[0].popen.pid).cpu_times()[:2]) - console_cpu0
                        if consoles
                        else math.nan
                    )
                    time.sleep(0.5)  # the last second's changes reach the consoles
                    ages: list[float] = []
                    changes = 0
                    stale = 0
                    kinds: set[str] = set()
                    for c in consoles:
                        for _arrival, raw in c.take():
                            if '"point"' not in raw:
                                continue
                            record = json.loads(raw)
                            if record.get("quality") != "good":
                                stale += 1
                                kinds.add(f"{record.get('quality')}: {record.get('error')}")
                            # Only this run's changes (a console that was slow to read the whole
                            # site prints its first read after "ready": those values are older).
                            if isinstance(record.get("value"), float) and record["value"] >= went:
                                ages.append(float(record["received"]) - record["value"])
                                changes += 1
                    runs.append(
                        LoadRun(count, elapsed, cpu, console_cpu, pg_mine, pg_shared, ages, changes, stale)
                    )
                    for c in consoles:
                        c.stop()
                    consoles = []
                    if kinds:
                        _log(f"[b] point lines not good: {sorted(kinds)[:3]}")
            parent.send("end")
            if parent.poll(30):
                parent.recv()
        finally:
            for c in consoles:
                c.stop()
            proc.join(30)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
    return runs


def report_points(runs: list[LoadRun]) -> None:
    print()
    print(
        f"b. {POINTS_B:,} points, {MOVING_SHARE:.0%} of them beyond deadband each second (LiveWriter in a "
        "child process), consoles = `wardroom console --points` processes"
    )
    head = [
        "consoles",
        "station CPU %",
        "console CPU %",
        "PG backends CPU %",
        "PG shared CPU %",
        "age p50 ms",
        "age p99 ms",
        "changes/s",
    ]
    rows = []
    by: dict[int, list[LoadRun]] = {}
    for run in runs:
        by.setdefault(run.consoles, []).append(run)
    for count, mine in sorted(by.items()):
        rows.append(
            [
                str(count),
                cell([r.station_cpu / r.seconds for r in mine], ".0f", 100),
                cell([r.console_cpu / r.seconds for r in mine], ".0f", 100),
                cell([r.pg_backends / r.seconds for r in mine], ".0f", 100),
                cell([r.pg_shared / r.seconds for r in mine], ".0f", 100),
                cell([pct(r.ages, 0.5) for r in mine], ".0f", 1000),
                cell([pct(r.ages, 0.99) for r in mine], ".0f", 1000),
                cell([r.changes / r.seconds / max(1, r.consoles) for r in mine], ".0f"),
            ]
        )
    if 0 in by and 3 in by:
        pairs = list(zip(by[0], by[3], strict=False))
        rows.append(
            [
                "ratio 3/0",
                cell([b.station_cpu / a.station_cpu for a, b in pairs if a.station_cpu], ".2f"),
                "",
                cell([b.pg_backends / a.pg_backends for a, b in pairs if a.pg_backends], ".2f"),
                cell([b.pg_shared / a.pg_shared for a, b in pairs if a.pg_shared], ".2f"),
                "",
                "",
                "",
            ]
        )
    table(head, rows, [9, 14, 14, 18, 16, 11, 11, 10])
    print("   CPU % of one core; console CPU: one of the three; age: console received - the value's change")
    stale = [r.stale for r in runs if r.consoles]
    print(f"   point lines not 'good' (consoles showing the station silent), per run: {stale}")
    print("   PG shared: the server's background processes (WAL writer, checkpointer ...), all databases")


# ============================================================================ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short repetition of each (under a minute)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each part (default 3)")
    parser.add_argument("--parts", default="a,b", help="which parts to run: a, b or a,b (default)")
    parser.add_argument(
        "--pg-url", default=os.environ.get("WARDROOM_TEST_PG_URL"), help="PostgreSQL server URL"
    )
    args = parser.parse_args()
    if not args.pg_url:
        parser.error("a PostgreSQL server is needed: --pg-url URL or WARDROOM_TEST_PG_URL")
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    repeat = 1 if args.quick else max(1, args.repeat)
    started = time.monotonic()
    propagation: list[PropagationRun] = []
    load: list[LoadRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-workstations-") as folder:
        home = Path(folder)
        if "a" in parts:
            propagation = part_propagation(args.pg_url, repeat, 3.0 if args.quick else 5.0, home)
        if "b" in parts:
            load = part_points(args.pg_url, repeat, 5.0 if args.quick else 10.0, home)
    server = _query(_sqlalchemy_url(args.pg_url), "SHOW server_version")[0][0]
    print()
    print(
        f"machine: {cpu_model()}, nproc {len(os.sched_getaffinity(0))} (shared), load average "
        f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, PostgreSQL {server}, "
        f"{platform.platform()}"
    )
    print(f"{repeat} repetition(s); cells: median [min-max]; whole run {time.monotonic() - started:.0f} s")
    if propagation:
        report_propagation(propagation)
    if load:
        report_points(load)


if __name__ == "__main__":
    main()
    sys.stdout.flush()

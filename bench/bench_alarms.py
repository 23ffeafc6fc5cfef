"""Alarm benchmark: raise-to-visible latency, journal queries over 1,000,000 rows, sustained transitions.

Not a timed test: run it by hand and read the tables (``.venv/bin/python -m bench.bench_alarms``,
about 5 minutes; ``--quick`` for about 1 minute; ``--parts 1,3`` for some of it). Numbers depend on
the machine and its disk, both printed at the top. Each cell is median [min-max] over the repetitions
(interleaved with their baseline, so slow drift of a shared machine hits both alike).

1. **Raise-to-visible latency.** A real pymodbus server (``tests.fieldbus.servers.ModbusServer``) in a
   *separate process* plays a fire panel of 1,000 detectors (bool points, ``on`` alarms, no latch) and
   toggles coils round-robin at 1, 100 and 1,000 changes/s, stamping each change with
   ``time.monotonic()`` (one clock for both processes on Linux). A real :class:`app.station.Station`
   (historian included, SQLite journal) polls it every ``POLL_MS``; the engine journals each transition
   and publishes ``AlarmChanged``; a :class:`ui.bridge.CoreBridge` in a ``QApplication`` (offscreen)
   batches them; a slot connected like the console's (queued) maps them with ``RowMapper`` and applies
   them to an :class:`widgets.alarm_table.AlarmTableModel`. Latency = the moment the model holds the
   row in the state of that change minus the coil change. Baseline, interleaved: the same station
   without the alarm engine, coil change -> ``PointValueChanged`` at the bridge's ``pointsChanged``
   slot (poll + bridge batching). A change not visible within the settle time counts as infinitely
   late.
2. **Journal of 1,000,000 rows** (occurrences + transitions, bulk-loaded; about 50 open among
   them): the first page of the active list (``journal.open_alarms``) and of the history
   (``journal.history``, 500 rows over the last day) through a ``Database.session()``, p95 over
   ``QUERIES`` calls each; baseline: the bare SQL on the driver. On SQLite and on a throwaway
   PostgreSQL server (initdb in a temp dir, loopback port, as the ``postgres`` user when root; skipped
   with the reason when it cannot start; always stopped).
3. **Sustained transitions** with ``synchronous=FULL``: an :class:`app.alarms.engine.AlarmEngine` fed
   synthetic readings on its bus as fast as it commits them (at most ``WINDOW`` readings in flight),
   transitions committed per second; baselines: single-row commits through ``sqlite3`` and through
   SQLAlchemy Core in the same folder, and ``os.fsync`` of a small file there (median of 200).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing as mp
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

POLL_MS = 100
DETECTORS = 1000
RATES = (1, 100, 1000)
TARGET_LATENCY_S = POLL_MS / 1000 + 0.250
QUERIES = 100
WINDOW = 100
OPEN_ALARMS = 50
DEFINITIONS = 200
HISTORY_PAGE = 500
JOURNAL_DAYS = 60
T_END = datetime(2026, 3, 1, tzinfo=UTC)


# ============================================================================ shared helpers
def _pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; inf (a change never seen) sorts last."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _cell(values: Sequence[float], fmt: str = ".1f", scale: float = 1.0) -> str:
    """median [min-max] of one figure over the repetitions ('inf': not all changes were seen)."""
    vals = [v * scale for v in values if not math.isnan(v)]
    if not vals:
        return "-"

    def f(v: float) -> str:
        return "inf" if math.isinf(v) else format(v, fmt)

    if len(vals) == 1:
        return f(vals[0])
    return f"{f(statistics.median(vals))} [{f(min(vals))}-{f(max(vals))}]"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]) -> None:
    line = " ".join(
        f"{h:>{w}}" if i else f"{h:<{w}}" for i, (h, w) in enumerate(zip(head, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            " ".join(
                f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _filesystem(path: Path) -> str:
    best, kind, dev = "", "?", "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                best, dev, kind = parts[1], parts[0], parts[2]
    return f"{kind} on {dev} (mounted at {best or '?'})"


def _site_toml(points: int, port: int, poll_ms: int) -> str:
    lines = [
        "[site]",
        'name = "Alarm benchmark"',
        'timezone = "UTC"',
        "",
        "[[building]]",
        'id = "B1"',
        'name = "Building 1"',
        "",
        "[[plc]]",
        'id = "panel"',
        'protocol = "modbus-tcp"',
        'host = "127.0.0.1"',
        f"port = {port}",
        f"poll_ms = {poll_ms}",
        "timeout_ms = 1000",
    ]
    for i in range(points):
        lines += [
            "",
            "[[point]]",
            f'id = "smoke.{i:04d}"',
            'plc = "panel"',
            f'address = "co:{i + 1}"',
            'type = "bool"',
            'kind = "smoke"',
            'building = "B1"',
            'alarms = [ { limit = "on", latch = false } ]',
        ]
    return "\n".join(lines) + "\n"


def _load(folder: Path, points: int, port: int, poll_ms: int = POLL_MS) -> Any:
    from app.site.loader import load_site

    path = folder / "site.toml"
    path.write_text(_site_toml(points, port, poll_ms), encoding="utf-8")
    return load_site(path)


def _open_db(url: str, loaded: Any) -> Any:
    from app.site.sync import sync_site
    from app.storage.database import Database

    db = Database(url)
    db.upgrade()
    sync_site(db, loaded)
    return db


# ============================================================================ 1. latency
def _panel(conn: Connection, size: int) -> None:
    """Child process: the fire panel. Toggles coils on command and reports when each one changed."""
    from tests.fieldbus.servers import ModbusServer

    server = ModbusServer(size=size)
    conn.send(server.start())
    coils = [False] * size
    try:
        while True:
            command = conn.recv()
            if command[0] == "stop":
                break
            if command[0] == "reset":
                coils = [False] * size
                server.set_bits(0, coils)
                conn.send("ok")
            elif command[0] == "run":
                _, rate, seconds, first, points = command
                log: list[tuple[int, bool, float]] = []
                start = time.monotonic() + 0.02
                for k in range(round(rate * seconds)):
                    delay = start + k / rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    index = (first + k) % points
                    coils[index + 1] = not coils[index + 1]
                    server.set_bits(index + 1, [coils[index + 1]])
                    log.append((index, coils[index + 1], time.monotonic()))
                conn.send(log)
    finally:
        server.stop()


@dataclass
class LatencyRun:
    mode: str  # "engine" or "baseline"
    rate: int
    toggles: int
    seen: int
    achieved_rate: float
    p50: float
    p99: float
    max: float
    visible_per_s: float = float("nan")  # changes made visible per second (first change -> last seen)
    points_p50: float = float("nan")  # the point value at the bridge, in the same (engine) run
    points_p99: float = float("nan")


class _Watch(QObject):
    """GUI thread: the console's path from ``alarmsChanged`` to the model, stamped; and point values."""

    clearRequested = Signal()

    def __init__(self, bridge: Any, site: Any) -> None:
        super().__init__()
        from ui.pages.alarm_rows import RowMapper
        from widgets.alarm_table import AlarmTableModel

        self.model = AlarmTableModel(self)
        self.mapper = RowMapper(site)
        self.lock = threading.Lock()
        self.alarm_seen: list[tuple[str, float]] = []  # (alarm key, when its transition was visible)
        self.point_seen: list[tuple[str, bool, float]] = []
        self.missing = 0  # transitions whose row was not in the model after apply (should stay 0)
        self._cleared = threading.Event()
        # queued like the console page (connect_queued): one more trip through the event loop
        bridge.alarmsChanged.connect(self.on_alarms, Qt.ConnectionType.QueuedConnection)
        bridge.pointsChanged.connect(self.on_points, Qt.ConnectionType.QueuedConnection)
        self.clearRequested.connect(self._clear, Qt.ConnectionType.QueuedConnection)

    @Slot(list)
    def on_points(self, events: list[Any]) -> None:
        now = time.monotonic()
        with self.lock:
            for event in events:
                reading = event.reading
                if reading.quality == "good" and isinstance(reading.value, bool):
                    self.point_seen.append((reading.point_id, reading.value, now))

    @Slot(list)
    def on_alarms(self, events: list[Any]) -> None:
        latest: dict[int, Any] = {}
        removed: set[int] = set()
        for event in events:
            view = event.view
            row_id = self.mapper.row_id(view)
            if view.state == "normal":
                removed.add(row_id)
                latest.pop(row_id, None)
                continue
            removed.discard(row_id)
            latest[row_id] = self.mapper.row(view)
        self.model.apply(list(latest.values()), sorted(removed))
        now = time.monotonic()
        with self.lock:
            for event in events:
                if event.transition is None or event.reannounce:
                    continue
                row = self.model.get(self.mapper.row_id(event.view))
                if event.view.state != "normal" and row is None:
                    self.missing += 1
                self.alarm_seen.append((event.view.key, now))

    @Slot()
    def _clear(self) -> None:
        self.model.clear()
        with self.lock:
            self.alarm_seen.clear()
            self.point_seen.clear()
        self._cleared.set()

    def reset(self) -> None:
        """From the driver thread: empty the model (in the GUI thread) and the stamps; wait for it."""
        self._cleared.clear()
        self.clearRequested.emit()
        if not self._cleared.wait(10):
            raise RuntimeError("the GUI thread did not answer within 10 s")

    def snapshot(self) -> tuple[list[tuple[str, float]], list[tuple[str, bool, float]]]:
        with self.lock:
            return list(self.alarm_seen), list(self.point_seen)


def _point_id(index: int) -> str:
    return f"smoke.{index:04d}"


def _latencies(
    toggles: Sequence[tuple[int, bool, float, int]],
    alarm_seen: Sequence[tuple[str, float]],
    point_seen: Sequence[tuple[str, bool, float]],
) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Per rate: change -> row visible (k-th transition of the alarm) and change -> value at the bridge."""
    alarm_at: dict[str, list[float]] = {}
    for key, at in alarm_seen:
        alarm_at.setdefault(key, []).append(at)
    changes: dict[str, list[float]] = {}
    last: dict[str, bool] = {}
    for pid, value, at in point_seen:
        if value != last.get(pid, False):
            changes.setdefault(pid, []).append(at)
        last[pid] = value
    count: dict[int, int] = {}
    alarms: dict[int, list[float]] = {}
    points: dict[int, list[float]] = {}
    for index, _value, at, rate in toggles:
        k = count.get(index, 0)
        count[index] = k + 1
        pid = _point_id(index)
        seen_alarm = alarm_at.get(f"{pid}/on", [])
        seen_point = changes.get(pid, [])
        alarms.setdefault(rate, []).append(seen_alarm[k] - at if k < len(seen_alarm) else math.inf)
        points.setdefault(rate, []).append(seen_point[k] - at if k < len(seen_point) else math.inf)
    return alarms, points


def _latency_session(
    mode: str,
    panel: Connection,
    port: int,
    bus: Any,
    watch: _Watch,
    durations: dict[int, float],
    settle_s: dict[int, float],
) -> list[LatencyRun]:
    """One station (engine on or off) against the panel, the rates one after another."""
    from app.station import Station

    panel.send(("reset",))
    panel.recv()
    watch.reset()
    runs: list[LatencyRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-alarms-") as tmp:
        folder = Path(tmp)
        loaded = _load(folder, DETECTORS, port)
        db = _open_db(f"sqlite:///{folder / 'journal.sqlite3'}", loaded)
        original = Station._start_alarms
        if mode == "baseline":
            Station._start_alarms = lambda self: None  # type: ignore[method-assign]
        station = Station(loaded, db, bus)
        try:
            station.start()
        finally:
            Station._start_alarms = original  # type: ignore[method-assign]
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                fieldbus = station.fieldbus
                readings = fieldbus.readings() if fieldbus is not None else {}
                if len(readings) == DETECTORS and all(r.quality == "good" for r in readings.values()):
                    break
                time.sleep(0.1)
            time.sleep(2 * POLL_MS / 1000)
            toggles: list[tuple[int, bool, float, int]] = []
            first = 0
            for rate in RATES:
                panel.send(("run", rate, durations[rate], first, DETECTORS))
                log: list[tuple[int, bool, float]] = panel.recv()
                first += len(log)
                toggles += [(i, v, t, rate) for i, v, t in log]
                wanted = len(toggles)
                deadline = time.monotonic() + settle_s[rate]
                while time.monotonic() < deadline:
                    alarm_seen, point_seen = watch.snapshot()
                    if len(alarm_seen if mode == "engine" else point_seen) >= wanted:
                        break
                    time.sleep(0.05)
                time.sleep(0.3)  # the bridge's last batch
                alarm_seen, point_seen = watch.snapshot()
                alarms, points = _latencies(toggles, alarm_seen, point_seen)
                mine = alarms[rate] if mode == "engine" else points[rate]
                span = log[-1][2] - log[0][2] if len(log) > 1 else 0.0
                run = LatencyRun(
                    mode,
                    rate,
                    len(log),
                    sum(not math.isinf(x) for x in mine),
                    (len(log) - 1) / span if span > 0 else float(rate),
                    _pct(mine, 0.5),
                    _pct(mine, 0.99),
                    max(mine),
                )
                stamps = [t for _, _, t in log]
                finished = [t + x for t, x in zip(stamps, mine, strict=True) if not math.isinf(x)]
                if finished and max(finished) > stamps[0]:
                    run.visible_per_s = len(finished) / (max(finished) - stamps[0])
                if mode == "engine":
                    run.points_p50, run.points_p99 = _pct(points[rate], 0.5), _pct(points[rate], 0.99)
                runs.append(run)
        finally:
            station.stop(timeout_s=6)
            db.close()
    return runs


def part_latency(repeat: int, quick: bool) -> list[LatencyRun]:
    """Runs the Qt event loop in this (main) thread and the stations from a helper thread."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.events import EventBus
    from ui.bridge import CoreBridge

    class Done(QObject):
        finished = Signal()

    durations = {1: 4.0, 100: 3.0, 1000: 2.0} if quick else {1: 6.0, 100: 5.0, 1000: 3.0}
    settle = {1: 2.0, 100: 3.0, 1000: 6.0} if quick else {1: 2.0, 100: 4.0, 1000: 8.0}
    app = QApplication.instance() or QApplication([])
    bus = EventBus()
    bridge = CoreBridge(bus)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_panel, args=(child, DETECTORS + 8), daemon=True)
    proc.start()
    results: list[LatencyRun] = []
    errors: list[BaseException] = []
    done = Done()
    done.finished.connect(app.quit, Qt.ConnectionType.QueuedConnection)
    try:
        port = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            watch = _Watch(bridge, _load(Path(tmp), DETECTORS, port).site)

        def drive() -> None:
            try:
                for rep in range(repeat):
                    for mode in ("engine", "baseline"):
                        t0 = time.monotonic()
                        runs = _latency_session(mode, parent, port, bus, watch, durations, settle)
                        results.extend(runs)
                        summary = ", ".join(
                            f"{r.rate}/s p99 {r.p99 * 1000:.0f} ms ({r.seen}/{r.toggles})" for r in runs
                        )
                        print(
                            f"  [1] rep {rep + 1} {mode:8}: {summary} ({time.monotonic() - t0:.0f} s)",
                            flush=True,
                        )
            except BaseException as exc:
                errors.append(exc)
            finally:
                done.finished.emit()

        driver = threading.Thread(target=drive, name="bench-driver", daemon=True)
        driver.start()
        app.exec()
        driver.join(30)
        print(f"  [1] transitions whose row was not in the model right after apply: {watch.missing}")
    finally:
        bridge.close()
        with contextlib.suppress(OSError):
            parent.send(("stop",))
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
    if errors:
        raise errors[0]
    return results


def report_latency(results: list[LatencyRun]) -> None:
    print()
    print(
        f"1. Raise-to-visible latency: coil change on a pymodbus server (other process) -> station poll "
        f"({POLL_MS} ms) -> engine -> journal commit -> AlarmChanged -> CoreBridge -> row in AlarmTableModel"
    )
    print(
        f"   {DETECTORS} detectors (bool, 'on' alarm), toggled round-robin; baseline: same station "
        "without the "
        "engine, coil change -> PointValueChanged at pointsChanged"
    )
    head = ["rate /s", "path", "changes", "seen", "offered /s", "visible /s", "p50 ms", "p99 ms", "max ms"]
    rows = []
    for rate in RATES:
        for mode, label in (("engine", "alarm row in model"), ("baseline", "baseline: value at bridge")):
            rs = [r for r in results if r.rate == rate and r.mode == mode]
            if not rs:
                continue
            rows.append(
                [
                    str(rate),
                    label,
                    str(sum(r.toggles for r in rs)),
                    f"{100 * sum(r.seen for r in rs) / max(1, sum(r.toggles for r in rs)):.1f} %",
                    _cell([r.achieved_rate for r in rs], ".0f"),
                    _cell([r.visible_per_s for r in rs], ".0f"),
                    _cell([r.p50 for r in rs], ".0f", 1000),
                    _cell([r.p99 for r in rs], ".0f", 1000),
                    _cell([r.max for r in rs], ".0f", 1000),
                ]
            )
    _table(head, rows, [7, 25, 7, 7, 14, 14, 16, 20, 20])
    print()
    for rate in RATES:
        eng = [r for r in results if r.rate == rate and r.mode == "engine"]
        base = [r for r in results if r.rate == rate and r.mode == "baseline"]
        if not eng or not base:
            continue
        e50, b50 = statistics.median([r.p50 for r in eng]), statistics.median([r.p50 for r in base])
        e99, b99 = statistics.median([r.p99 for r in eng]), statistics.median([r.p99 for r in base])
        same50 = statistics.median([r.points_p50 for r in eng])
        print(
            f"   {rate:>5}/s: engine / baseline (medians): p50 x{e50 / b50:.2f}, p99 x{e99 / b99:.2f}; "
            f"the value at the bridge in the engine's own run: p50 {same50 * 1000:.0f} ms"
        )
    target = [r.p99 for r in results if r.rate == 100 and r.mode == "engine"]
    if target:
        worst, middle = max(target), statistics.median(target)
        if worst <= TARGET_LATENCY_S:
            verdict = "met in every repetition"
        elif middle <= TARGET_LATENCY_S:
            verdict = "met by the median, MISSED by at least one repetition"
        else:
            verdict = "MISSED"

        def ms(v: float) -> str:
            return "inf" if math.isinf(v) else f"{v * 1000:.0f}"

        print(
            f"   target p99 <= poll + 250 ms = {TARGET_LATENCY_S * 1000:.0f} ms at 100 alarms/s: {verdict} "
            f"(median p99 {ms(middle)} ms, worst {ms(worst)} ms)"
        )


# ============================================================================ 2. journal queries
@dataclass
class QueryResult:
    backend: str
    label: str
    rows: int
    p50_ms: float
    p95_ms: float
    plan: str = ""


def _sqlite_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _journal_rows(
    total: int, definitions: list[tuple[int, str]]
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Occurrences (3 transitions each when closed) spread over JOURNAL_DAYS, the newest ones open.

    Yields chunks of (occurrences, transitions); times are timezone-aware datetimes.
    """
    occurrences = total // 4
    step = JOURNAL_DAYS * 86_400 / occurrences
    start = T_END - timedelta(days=JOURNAL_DAYS)
    open_states = ["unacknowledged", "acknowledged", "rtn-unacknowledged", "shelved", "latched"]
    occ: list[tuple[Any, ...]] = []
    trans: list[tuple[Any, ...]] = []
    tid = 0
    for i in range(occurrences):
        oid = i + 1
        def_id, key = definitions[i % len(definitions)]
        raised = start + timedelta(seconds=i * step)
        acked = raised + timedelta(seconds=30)
        cleared = raised + timedelta(seconds=120)
        is_open = i >= occurrences - OPEN_ALARMS
        state = open_states[i % len(open_states)] if is_open else "normal"
        occ.append(
            (
                oid,
                def_id,
                f"point:{key.split('/')[0]}",
                key,
                "B1",
                state,
                "fire",
                "fire",
                f"{key}: fire alarm (smoke on)",
                1.0,
                raised,
                acked if state != "unacknowledged" else None,
                cleared if state in ("normal", "rtn-unacknowledged", "latched") else None,
                cleared if state == "normal" else None,
                False,
            )
        )
        moves = [("normal", "unacknowledged", raised)]
        if state != "unacknowledged":
            moves.append(("unacknowledged", "acknowledged", acked))
        if state == "normal":
            moves.append(("acknowledged", "normal", cleared))
        elif state != "acknowledged":
            moves.append(("acknowledged", state, cleared))
        for from_state, to_state, at in moves:
            tid += 1
            trans.append((tid, oid, from_state, to_state, at, "", False))
        if len(occ) >= 20_000:
            yield occ, trans
            occ, trans = [], []
    if occ:
        yield occ, trans


OCC_COLUMNS = (
    "id, definition_id, source, alarm_key, building, state, priority, category, message, value, "
    "raised_at, acknowledged_at, returned_at, cleared_at, chattering"
)
TRANS_COLUMNS = "id, occurrence_id, from_state, to_state, at, note, held"
OPEN_STATES_SQL = (
    "('unacknowledged', 'acknowledged', 'rtn-unacknowledged', 'latched', 'shelved', 'suppressed', "
    "'out-of-service')"
)


def _definitions(db: Any) -> list[tuple[int, str]]:
    from sqlalchemy import select

    from models.alarms import AlarmDefinition

    with db.session() as session:
        return [(i, k) for i, k in session.execute(select(AlarmDefinition.id, AlarmDefinition.key))]


def _fill_sqlite(path: Path, total: int, definitions: list[tuple[int, str]]) -> tuple[int, int]:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("BEGIN")
        n_occ = n_trans = 0
        for occ, trans in _journal_rows(total, definitions):
            con.executemany(
                f"INSERT INTO alarm_occurrences ({OCC_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                [(*o[:10], *(None if t is None else _sqlite_text(t) for t in o[10:14]), o[14]) for o in occ],
            )
            con.executemany(
                f"INSERT INTO alarm_transitions ({TRANS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*t[:4], _sqlite_text(t[4]), *t[5:]) for t in trans],
            )
            n_occ += len(occ)
            n_trans += len(trans)
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return n_occ, n_trans


def _fill_postgres(dsn: str, total: int, definitions: list[tuple[int, str]]) -> tuple[int, int]:
    import psycopg

    n_occ = n_trans = 0
    with psycopg.connect(dsn) as con:
        with con.cursor() as cur:
            for occ, trans in _journal_rows(total, definitions):
                with cur.copy(f"COPY alarm_occurrences ({OCC_COLUMNS}) FROM STDIN") as copy:
                    for row in occ:
                        copy.write_row(row)
                with cur.copy(f"COPY alarm_transitions ({TRANS_COLUMNS}) FROM STDIN") as copy:
                    for row in trans:
                        copy.write_row(row)
                n_occ += len(occ)
                n_trans += len(trans)
            for table in ("alarm_occurrences", "alarm_transitions"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        con.commit()
        con.autocommit = True
        con.execute("ANALYZE alarm_occurrences")
        con.execute("ANALYZE alarm_transitions")
    return n_occ, n_trans


def _timed(fn: Callable[[], int], queries: int) -> tuple[int, float, float]:
    fn()  # warm: statement caches, pages in the OS cache
    times = []
    rows = 0
    for _ in range(queries):
        t0 = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t0)
    return rows, 1000 * _pct(times, 0.5), 1000 * _pct(times, 0.95)


def _service_queries(db: Any, backend: str, queries: int) -> list[QueryResult]:
    from app.alarms import journal

    start, end = T_END - timedelta(days=1), T_END + timedelta(hours=1)

    def active() -> int:
        with db.session() as session:
            return len(journal.open_alarms(session))

    def history() -> int:
        with db.session() as session:
            return len(journal.history(session, start, end, limit=HISTORY_PAGE))

    out = []
    for label, fn in (("service: journal.open_alarms", active), ("service: journal.history 500", history)):
        rows, p50, p95 = _timed(fn, queries)
        out.append(QueryResult(backend, label, rows, p50, p95))
    return out


BARE_HISTORY = (
    "SELECT t.id, t.occurrence_id, t.from_state, t.to_state, t.at, t.by_user_id, t.note, t.held, o.alarm_key "
    "FROM alarm_transitions t JOIN alarm_occurrences o ON o.id = t.occurrence_id "
    "WHERE t.at >= {p} AND t.at < {p} ORDER BY t.at, t.id LIMIT {n}"
)
BARE_OPEN = {
    "bare: state != ? (as the ORM binds it)": ("SELECT * FROM alarm_occurrences WHERE state != {p}", True),
    "bare: state <> 'normal' (partial index)": (
        "SELECT * FROM alarm_occurrences WHERE state <> 'normal'",
        False,
    ),
    "bare: state IN (open states)": (
        f"SELECT * FROM alarm_occurrences WHERE state IN {OPEN_STATES_SQL}",
        False,
    ),
}


def _runner(con: Any, sql: str, params: tuple[Any, ...]) -> Callable[[], int]:
    return lambda: len(con.execute(sql, params).fetchall())


def _bare_sqlite(path: Path, queries: int) -> list[QueryResult]:
    con = sqlite3.connect(path)
    out = []
    try:
        start, end = _sqlite_text(T_END - timedelta(days=1)), _sqlite_text(T_END + timedelta(hours=1))
        cases: list[tuple[str, str, tuple[Any, ...]]] = [
            (label, sql.format(p="?"), ("normal",) if bound else ())
            for label, (sql, bound) in BARE_OPEN.items()
        ]
        cases.append(
            ("bare: history page (at index)", BARE_HISTORY.format(p="?", n=HISTORY_PAGE), (start, end))
        )
        for label, sql, params in cases:
            plan = "; ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params))
            rows, p50, p95 = _timed(_runner(con, sql, params), queries)
            out.append(QueryResult("SQLite", label, rows, p50, p95, plan))
    finally:
        con.close()
    return out


def _bare_postgres(dsn: str, queries: int) -> list[QueryResult]:
    import psycopg

    out = []
    with psycopg.connect(dsn, autocommit=True) as con:
        start, end = T_END - timedelta(days=1), T_END + timedelta(hours=1)
        cases: list[tuple[str, str, tuple[Any, ...]]] = [
            (label, sql.format(p="%s"), ("normal",) if bound else ())
            for label, (sql, bound) in BARE_OPEN.items()
        ]
        cases.append(
            ("bare: history page (at index)", BARE_HISTORY.format(p="%s", n=HISTORY_PAGE), (start, end))
        )
        for label, sql, params in cases:
            plan_rows = con.execute("EXPLAIN " + sql, params).fetchall()
            plan = " / ".join(
                str(r[0]).strip() for r in plan_rows if "Scan" in str(r[0]) or "Index" in str(r[0])
            )
            rows, p50, p95 = _timed(_runner(con, sql, params), queries)
            out.append(QueryResult("PostgreSQL", label, rows, p50, p95, plan[:160]))
    return out


@contextlib.contextmanager
def _postgres(folder: Path) -> Iterator[tuple[str | None, str]]:
    """A throwaway PostgreSQL server, as installer/run-tests.sh starts one; yields (dsn or None, note)."""
    bins = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()],
    )
    if not bins or not (bins[-1] / "initdb").exists():
        yield None, "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin"
        return
    pg_bin = bins[-1]
    data = folder / "pg"
    run_as: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            yield None, "running as root and runuser is missing (PostgreSQL refuses to run as root)"
            return
        shutil.chown(folder, "postgres")
        os.chmod(folder, 0o755)
        run_as = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = False
    try:
        init = subprocess.run(
            [
                *run_as,
                str(pg_bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if init.returncode != 0:
            yield None, f"initdb failed: {(init.stderr or init.stdout).strip().splitlines()[-1:]}"
            return
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=50"
        start = subprocess.run(
            [
                *run_as,
                str(pg_bin / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                opts,
                "start",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
        started = True
        if start.returncode != 0:
            yield None, f"pg_ctl start failed: {(start.stderr or start.stdout).strip()[-200:]}"
            return
        created = subprocess.run(
            [
                *run_as,
                str(pg_bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "bench",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if created.returncode != 0:
            yield None, f"createdb failed: {created.stderr.strip()[-200:]}"
            return
        version = subprocess.run(
            [str(pg_bin / "postgres"), "--version"], capture_output=True, text=True
        ).stdout
        yield f"postgresql://postgres@127.0.0.1:{port}/bench", version.strip()
    finally:
        if started:
            subprocess.run(
                [*run_as, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )


def part_journal(total: int, queries: int, rounds: int) -> tuple[list[QueryResult], list[str]]:
    notes: list[str] = []
    results: list[QueryResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-alarms-journal-") as tmp:
        folder = Path(tmp)
        loaded = _load(folder, DEFINITIONS, 1502)
        path = folder / "journal.sqlite3"
        db = _open_db(f"sqlite:///{path}", loaded)
        try:
            definitions = _definitions(db)
            t0 = time.monotonic()
            n_occ, n_trans = _fill_sqlite(path, total, definitions)
            notes.append(
                f"SQLite {sqlite3.sqlite_version}: {n_occ:,} occurrences + {n_trans:,} transitions = "
                f"{n_occ + n_trans:,} rows loaded in {time.monotonic() - t0:.1f} s "
                f"({path.stat().st_size / 2**20:.0f} MiB, no ANALYZE, as the app leaves it)"
            )
            print(f"  [2] {notes[-1]}", flush=True)
            for _ in range(rounds):  # interleaved: service layer, then the bare queries
                results += _service_queries(db, "SQLite", queries)
                results += _bare_sqlite(path, queries)
        finally:
            db.close()
    with (
        tempfile.TemporaryDirectory(prefix="bench-alarms-pg-") as pg_tmp,
        _postgres(Path(pg_tmp)) as (dsn, note),
    ):
        if dsn is None:
            notes.append(f"PostgreSQL skipped: {note}")
            print(f"  [2] {notes[-1]}", flush=True)
        else:
            pdb = _open_db(dsn, loaded)
            try:
                t0 = time.monotonic()
                n_occ, n_trans = _fill_postgres(dsn, total, _definitions(pdb))
                notes.append(
                    f"{note}: {n_occ + n_trans:,} rows loaded with COPY in {time.monotonic() - t0:.1f} s "
                    "(fsync=off: a throwaway server; ANALYZE after loading, as autovacuum would)"
                )
                print(f"  [2] {notes[-1]}", flush=True)
                for _ in range(rounds):
                    results += _service_queries(pdb, "PostgreSQL", queries)
                    results += _bare_postgres(dsn, queries)
            finally:
                pdb.close()
    return results, notes


def report_journal(results: list[QueryResult], notes: list[str], queries: int, rounds: int) -> None:
    print()
    print(
        f"2. Journal queries: first page of the active list ({OPEN_ALARMS} open) and of the history "
        f"({HISTORY_PAGE} rows, last day); p50/p95 over {queries} queries, {rounds} interleaved round(s), "
        "warm cache"
    )
    for note in notes:
        print(f"   {note}")
    groups: dict[tuple[str, str], list[QueryResult]] = {}
    for r in results:
        groups.setdefault((r.backend, r.label), []).append(r)
    head = ["backend", "query", "rows", "p50 ms", "p95 ms"]
    rows = [
        [
            b,
            label,
            str(rs[0].rows),
            _cell([r.p50_ms for r in rs], ".2f"),
            _cell([r.p95_ms for r in rs], ".2f"),
        ]
        for (b, label), rs in groups.items()
    ]
    _table(head, rows, [10, 40, 5, 20, 20])
    print("   plans:")
    for (b, label), rs in groups.items():
        if rs[0].plan:
            print(f"     {b:10} {label:40} {rs[0].plan}")
    for backend in ("SQLite", "PostgreSQL"):
        for service, bare in (
            ("service: journal.open_alarms", "bare: state != ? (as the ORM binds it)"),
            ("service: journal.history 500", "bare: history page (at index)"),
        ):
            svc, base = groups.get((backend, service)), groups.get((backend, bare))
            if svc and base:
                sp95 = statistics.median([r.p95_ms for r in svc])
                bp95 = statistics.median([r.p95_ms for r in base])
                verdict = "met" if sp95 <= 5.0 else "MISSED"
                print(
                    f"   {backend:10} {service}: p95 {sp95:.2f} ms = x{sp95 / max(bp95, 1e-9):.1f} the bare "
                    f"query ({bp95:.2f} ms); target <= 5 ms: {verdict if backend == 'SQLite' else 'info'}"
                )


# ============================================================================ 3. sustained transitions
@dataclass
class SustainRun:
    label: str
    per_s: float
    seconds: float
    count: int
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    chatter_writes: int = 0


def _engine_sustain(folder: Path, seconds: float, points: int) -> SustainRun:
    from app.alarms.engine import AlarmEngine
    from app.alarms.events import AlarmChanged
    from app.events import EventBus
    from app.fieldbus.events import PointValueChanged
    from app.fieldbus.quality import PointReading

    loaded = _load(folder, points, 1502)
    db = _open_db(f"sqlite:///{folder / 'engine.sqlite3'}", loaded)
    bus = EventBus()
    engine = AlarmEngine(loaded, db, bus)
    cond = threading.Condition()
    published: dict[str, list[float]] = {}
    latencies: list[float] = []
    committed = [0]

    def on_alarm(event: AlarmChanged) -> None:
        t = event.transition
        if t is None or t.id is None or event.reannounce:
            return
        now = time.monotonic()
        with cond:
            queue = published.get(event.view.key)
            if queue:
                latencies.append(now - queue.pop(0))
            committed[0] += 1
            cond.notify_all()

    bus.subscribe(AlarmChanged, on_alarm)
    engine.start()
    values = [False] * points
    sent = 0
    try:
        t0 = time.monotonic()
        end = t0 + seconds
        while time.monotonic() < end:
            with cond:
                while sent - committed[0] >= WINDOW and time.monotonic() < end:
                    cond.wait(0.05)
            i = sent % points
            values[i] = not values[i]
            pid = _point_id(i)
            with cond:
                published.setdefault(f"{pid}/on", []).append(time.monotonic())
            bus.publish(
                PointValueChanged(
                    plc_id="panel", reading=PointReading(pid, values[i], values[i], "good", time.time())
                )
            )
            sent += 1
        with cond:
            done = committed[0]
        elapsed = time.monotonic() - t0
        chatter = sum(a.chatter.episodes for a in engine._alarms.values())
    finally:
        engine.stop(deadline_s=10)
        db.close()
    return SustainRun(
        "engine (journal + publish)",
        done / elapsed,
        elapsed,
        done,
        1000 * _pct(latencies, 0.5),
        1000 * _pct(latencies, 0.99),
        chatter,
    )


def _sqlite3_commits(folder: Path, seconds: float) -> SustainRun:
    path = folder / "plain.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
        con.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT, state TEXT, at TEXT)")
        n = 0
        t0 = time.monotonic()
        end = t0 + seconds
        while time.monotonic() < end:
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO t (k, state, at) VALUES (?, ?, ?)", (f"k{n}", "unacknowledged", "2026"))
            con.execute("COMMIT")
            n += 1
        elapsed = time.monotonic() - t0
    finally:
        con.close()
    return SustainRun("sqlite3 single-row commits", n / elapsed, elapsed, n)


def _core_commits(folder: Path, seconds: float) -> SustainRun:
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert

    from app.storage.engine import make_engine, write_engine

    engine = make_engine(f"sqlite:///{folder / 'core.sqlite3'}")
    meta = MetaData()
    table = Table(
        "t", meta, Column("id", Integer, primary_key=True), Column("k", String), Column("state", String)
    )
    meta.create_all(engine)
    writer = write_engine(engine)
    n = 0
    try:
        t0 = time.monotonic()
        end = t0 + seconds
        while time.monotonic() < end:
            with writer.begin() as conn:  # BEGIN IMMEDIATE, synchronous=FULL: the app's own set-up
                conn.execute(insert(table).values(k=f"k{n}", state="unacknowledged"))
            n += 1
        elapsed = time.monotonic() - t0
    finally:
        engine.dispose()
    return SustainRun("SQLAlchemy Core single-row commits", n / elapsed, elapsed, n)


def _fsync_ms(folder: Path, times: int = 200) -> float:
    path = folder / "fsync.probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    samples = []
    try:
        for i in range(times):
            os.pwrite(fd, f"{i:08d}".encode() * 8, 0)
            t0 = time.perf_counter()
            os.fsync(fd)
            samples.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
    return 1000 * statistics.median(samples)


def part_sustain(
    repeat: int, seconds: float, base_seconds: float, points: int
) -> tuple[list[SustainRun], list[float]]:
    runs: list[SustainRun] = []
    fsyncs: list[float] = []
    for rep in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-alarms-sustain-") as tmp:
            folder = Path(tmp)
            fsyncs.append(_fsync_ms(folder))
            engine = _engine_sustain(folder, seconds, points)
            plain = _sqlite3_commits(folder, base_seconds)
            core = _core_commits(folder, base_seconds)
            runs += [engine, plain, core]
            print(
                f"  [3] rep {rep + 1}: engine {engine.per_s:.0f}/s, sqlite3 {plain.per_s:.0f}/s, "
                f"Core {core.per_s:.0f}/s, fsync {fsyncs[-1]:.2f} ms",
                flush=True,
            )
    return runs, fsyncs


def report_sustain(runs: list[SustainRun], fsyncs: list[float], points: int) -> None:
    print()
    print(
        "3. Sustained transitions, SQLite synchronous=FULL, WAL, BEGIN IMMEDIATE; engine fed synthetic "
        f"readings "
        f"({points} detectors round-robin, at most {WINDOW} readings in flight)"
    )
    head = ["writer", "commits/s", "count", "p50 ms", "p99 ms"]
    rows = []
    for label in (
        "engine (journal + publish)",
        "sqlite3 single-row commits",
        "SQLAlchemy Core single-row commits",
    ):
        rs = [r for r in runs if r.label == label]
        rows.append(
            [
                label,
                _cell([r.per_s for r in rs], ".0f"),
                str(sum(r.count for r in rs)),
                _cell([r.p50_ms for r in rs], ".1f"),
                _cell([r.p99_ms for r in rs], ".1f"),
            ]
        )
    _table(head, rows, [36, 20, 8, 20, 20])
    eng = [r.per_s for r in runs if r.label.startswith("engine")]
    plain = [r.per_s for r in runs if r.label.startswith("sqlite3")]
    chatter = [r.chatter_writes for r in runs if r.label.startswith("engine")]
    print(
        f"   fsync of a small file in the same folder: {_cell(fsyncs, '.2f')} ms "
        "(median of 200 per repetition)"
    )
    print(f"   occurrences marked chattering by the engine (within the batch write): {chatter}")
    if eng and plain:
        e = statistics.median(eng)
        verdict = "met" if e >= 1000 else "MISSED"
        print(
            f"   engine / sqlite3 single-row commits (medians): x{e / statistics.median(plain):.2f}; "
            f"target >= 1,000 transitions/s: {verdict} ({e:.0f}/s); latency column = reading published -> "
            "AlarmChanged, closed loop"
        )


# ============================================================================ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="short runs, 200,000 journal rows (about 1 minute)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each part (default 3)")
    parser.add_argument("--rows", type=int, default=None, help="journal rows for part 2 (default 1,000,000)")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 1,3 (default all)")
    args = parser.parse_args()
    home = tempfile.TemporaryDirectory(prefix="bench-alarms-home-")  # never the user's own data folder
    os.environ.setdefault("WARDROOM_HOME", home.name)
    try:
        _run(args)
    finally:
        home.cleanup()


def _run(args: argparse.Namespace) -> None:
    parts = {int(p) for p in args.parts.split(",") if p.strip()}
    repeat = 1 if args.quick else max(1, args.repeat)
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    queries = QUERIES
    random.seed(1)
    started = time.monotonic()

    latency: list[LatencyRun] = []
    journal_results: list[QueryResult] = []
    journal_notes: list[str] = []
    sustain: list[SustainRun] = []
    fsyncs: list[float] = []
    if 1 in parts:
        latency = part_latency(repeat, args.quick)
    if 2 in parts:
        journal_results, journal_notes = part_journal(rows, queries, repeat)
    if 3 in parts:
        seconds, base = (4.0, 1.5) if args.quick else (10.0, 3.0)
        sustain, fsyncs = part_sustain(repeat, seconds, base, 2000)

    print()
    print(
        f"machine: {_cpu_model()}, nproc {len(os.sched_getaffinity(0))} (shared), "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.platform()}"
    )
    print(f"temp folder {tempfile.gettempdir()}: {_filesystem(Path(tempfile.gettempdir()))}")
    print(f"{repeat} repetition(s); cells: median [min-max]; whole run {time.monotonic() - started:.0f} s")
    if latency:
        report_latency(latency)
    if journal_results or journal_notes:
        report_journal(journal_results, journal_notes, queries, repeat)
    if sustain:
        report_sustain(sustain, fsyncs, 2000)


if __name__ == "__main__":
    main()
    sys.stdout.flush()

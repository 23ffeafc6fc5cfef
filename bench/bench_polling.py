"""Benchmark: 50 simulated PLCs x 200 points (10,000 points) polled at a 1 s scan.

Not a timed test: run it by hand and read the table (``.venv/bin/python -m bench.bench_polling``,
``--quick`` for a short run). The pymodbus servers live in a *separate process*, so the CPU measured
here (``time.process_time`` of this process) is the poller's alone: requests, decoding, quality and
event dispatch to one subscriber.

Each PLC serves 199 ``uint16`` points (hr:0-197 and hr:200) and one ``uint32`` latency probe at
hr:198-199 that the server process rewrites about once a second (at a random phase) with its wall
clock in milliseconds; the subscriber computes change -> event latency from it. Block reads cover a
PLC in 2 requests (125 + 76 registers). The baseline polls the same site with one request per point
(the planner is swapped for a per-point one, for this benchmark only).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing as mp
import os
import platform
import random
import statistics
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

PLCS = 50
POINTS = 200
REGISTERS = 256
PROBE = 198
MOD = 2**32


# ---------------------------------------------------------------------- server process
def _serve(conn: Connection, plcs: int) -> None:
    """Child process: ``plcs`` pymodbus TCP servers on 127.0.0.1 and the probe writer."""
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    async def main() -> None:
        servers = []
        for n in range(plcs):
            regs = [(n * 1000 + a) & 0xFFFF for a in range(REGISTERS)]
            device = SimDevice(id=1, simdata=[SimData(0, values=regs, datatype=DataType.REGISTERS)])
            server = ModbusTcpServer(device, address=("127.0.0.1", 0))
            await server.serve_forever(background=True)
            servers.append(server)
        ports = [s.transport.sockets[0].getsockname()[1] for s in servers]  # type: ignore[attr-defined]
        conn.send(ports)
        rng = random.Random(1)
        due = [time.monotonic() + rng.uniform(0, 1) for _ in servers]
        loop = asyncio.get_running_loop()
        stop = loop.run_in_executor(None, conn.recv)
        while not stop.done():
            now = time.monotonic()
            for i, server in enumerate(servers):
                if now >= due[i]:
                    stamp = int(time.time() * 1000) % MOD
                    await server.async_setValues(1, 3, PROBE, [stamp >> 16, stamp & 0xFFFF])
                    due[i] = now + rng.uniform(0.5, 1.5)
            await asyncio.sleep(0.005)
        for server in servers:
            await server.shutdown()

    asyncio.run(main())


# ---------------------------------------------------------------------- measured process
@dataclass
class Result:
    label: str
    seconds: float
    cpu_pct: float
    requests_per_s: float
    period_p50: float
    period_p99: float
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    good: int


def _site(ports: list[int]) -> Any:
    from app.site.schema import SiteFile

    plcs, points = [], []
    for n, port in enumerate(ports):
        pid = f"plc{n:02d}"
        plcs.append(
            {
                "id": pid,
                "protocol": "modbus-tcp",
                "host": "127.0.0.1",
                "port": port,
                "poll_ms": 1000,
                "timeout_ms": 1000,
            }
        )
        for a in [*range(PROBE), PROBE + 2]:
            points.append(
                {
                    "id": f"{pid}.r{a}",
                    "plc": pid,
                    "address": f"hr:{a}",
                    "type": "uint16",
                    "kind": "other",
                    "scale": 0.1,
                }
            )
        points.append(
            {"id": f"{pid}.probe", "plc": pid, "address": f"hr:{PROBE}", "type": "uint32", "kind": "other"}
        )
    assert len(points) == len(ports) * POINTS
    return SiteFile.model_validate(
        {"site": {"name": "bench", "timezone": "UTC"}, "plc": plcs, "point": points}
    )


def _per_point_plan(slots: Any, max_gap: int) -> list[Any]:
    """The baseline: every point its own request."""
    from app.fieldbus.plan import Block

    return [Block(s.address.area, s.address.db, s.start, s.width, (s,)) for s in slots]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(label: str, ports: list[int], per_point: bool, seconds: float, warmup_s: float) -> Result:
    from app.events import EventBus
    from app.fieldbus import manager as manager_module
    from app.fieldbus.events import PointValueChanged
    from app.fieldbus.manager import FieldbusManager

    bus = EventBus()
    latencies: list[float] = []
    measuring = threading.Event()

    def on_value(event: PointValueChanged) -> None:
        if measuring.is_set() and event.reading.point_id.endswith(".probe"):
            now_ms = int(time.time() * 1000) % MOD
            latencies.append(float((now_ms - int(event.reading.raw or 0)) % MOD))

    bus.subscribe(PointValueChanged, on_value)
    original_plan = manager_module.plan_modbus
    if per_point:
        manager_module.plan_modbus = _per_point_plan
    try:
        manager = FieldbusManager(_site(ports), bus)
        manager.start()
    finally:
        manager_module.plan_modbus = original_plan
    try:
        deadline = time.monotonic() + warmup_s
        while time.monotonic() < deadline:
            if all(r.quality == "good" for r in manager.readings().values()):
                break
            time.sleep(0.2)
        time.sleep(1.0)
        before = manager.stats()
        measuring.set()
        cpu0, t0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = time.process_time(), time.monotonic()
        measuring.clear()
        after = manager.stats()
        good = sum(r.quality == "good" for r in manager.readings().values())
    finally:
        manager.stop(timeout_s=5)
    periods: list[float] = []
    requests = 0
    for plc_id, stats in after.items():
        starts = [s for s in stats.scan_starts if t0 <= s <= t1]
        periods += [b - a for a, b in itertools.pairwise(starts)]
        requests += stats.requests - before[plc_id].requests
    wall = t1 - t0
    return Result(
        label,
        wall,
        100 * (cpu1 - cpu0) / wall,
        requests / wall,
        _pct(periods, 0.5),
        _pct(periods, 0.99),
        _pct(latencies, 0.5) if latencies else None,
        _pct(latencies, 0.99) if latencies else None,
        good,
    )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _spread(results: list[Result], attr: str, fmt: str) -> str:
    """median [min-max] of one column over the repetitions."""
    values = [v for v in (getattr(r, attr) for r in results) if v is not None]
    if not values:
        return "-"
    return f"{format(_median(values), fmt)} [{format(min(values), fmt)}-{format(max(values), fmt)}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about 40 s in all)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each run (default 3)")
    args = parser.parse_args()
    seconds, base_seconds, warmup = (10.0, 8.0, 15.0) if args.quick else (25.0, 15.0, 20.0)
    repeat = 1 if args.quick else max(1, args.repeat)

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, PLCS), daemon=True)
    proc.start()
    blocks: list[Result] = []
    singles: list[Result] = []
    try:
        ports = parent.recv()
        for _ in range(repeat):  # interleaved, so slow drift of the machine hits both alike
            blocks.append(run("block reads", ports, False, seconds, warmup))
            singles.append(run("one request per point", ports, True, base_seconds, warmup))
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
    print()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    print(f"{PLCS} PLCs x {POINTS} points = {PLCS * POINTS} points, poll 1 s; servers in another process")
    print(f"{repeat} repetition(s) of each run; cells: median [min-max]")
    print()
    head = (
        f"{'run':24} {'CPU % core':>20} {'req/s':>8} {'period p50 s':>24} {'period p99 s':>24} "
        f"{'latency p50 ms':>18} {'latency p99 ms':>18} {'good':>6}"
    )
    print(head)
    print("-" * len(head))
    for label, results in (("block reads", blocks), ("one request per point", singles)):
        cells = [
            f"{label:24}",
            f"{_spread(results, 'cpu_pct', '.2f'):>20}",
            f"{_median([r.requests_per_s for r in results]):8.0f}",
            f"{_spread(results, 'period_p50', '.3f'):>24}",
            f"{_spread(results, 'period_p99', '.3f'):>24}",
            f"{_spread(results, 'latency_p50_ms', '.0f'):>18}",
            f"{_spread(results, 'latency_p99_ms', '.0f'):>18}",
            f"{min(r.good for r in results):6d}",
        ]
        print(" ".join(cells))
    print()
    block_cpu = _median([r.cpu_pct for r in blocks])
    single_cpu = _median([r.cpu_pct for r in singles])
    block_rps = _median([r.requests_per_s for r in blocks])
    single_rps = _median([r.requests_per_s for r in singles])
    if block_cpu > 0:
        print(
            f"baseline / block reads (medians): CPU x{single_cpu / block_cpu:.1f}, "
            f"requests x{single_rps / max(block_rps, 1e-9):.0f}, "
            f"scan period p99 {_median([r.period_p99 for r in singles]):.2f} s "
            f"vs {_median([r.period_p99 for r in blocks]):.3f} s"
        )
    print("targets: CPU <= 5 % of one core, period p99 <= 1.05 s, latency p99 <= poll + 50 ms = 1050 ms")


if __name__ == "__main__":
    main()

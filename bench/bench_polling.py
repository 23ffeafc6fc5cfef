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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about 40 s in all)")
    args = parser.parse_args()
    seconds, base_seconds, warmup = (10.0, 8.0, 15.0) if args.quick else (45.0, 30.0, 20.0)

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, PLCS), daemon=True)
    proc.start()
    try:
        ports = parent.recv()
        results = [
            run("block reads", ports, False, seconds, warmup),
            run("one request per point", ports, True, base_seconds, warmup),
        ]
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
    block, single = results
    print()
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    print(f"{PLCS} PLCs x {POINTS} points = {PLCS * POINTS} points, poll 1 s; servers in another process")
    print()
    head = (
        f"{'run':28} {'s':>5} {'CPU % core':>10} {'req/s':>8} {'period p50':>10} {'p99':>7} "
        f"{'lat p50 ms':>10} {'p99':>6} {'good':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        lat50 = f"{r.latency_p50_ms:.0f}" if r.latency_p50_ms is not None else "-"
        lat99 = f"{r.latency_p99_ms:.0f}" if r.latency_p99_ms is not None else "-"
        print(
            f"{r.label:28} {r.seconds:5.0f} {r.cpu_pct:10.2f} {r.requests_per_s:8.0f} "
            f"{r.period_p50:10.3f} {r.period_p99:7.3f} {lat50:>10} {lat99:>6} {r.good:6d}"
        )
    print()
    if block.cpu_pct > 0:
        print(
            f"baseline / block reads: CPU x{single.cpu_pct / block.cpu_pct:.1f}, "
            f"requests x{single.requests_per_s / max(block.requests_per_s, 1e-9):.0f}, "
            f"scan period p99 {single.period_p99:.2f} s vs {block.period_p99:.3f} s"
        )
    print("targets: CPU <= 5 % of one core, period p99 <= 1.05 s, latency p99 <= 1050 ms")


if __name__ == "__main__":
    main()

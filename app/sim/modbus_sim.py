"""A simulated PLC: a real pymodbus TCP server (or a real S7 server) on loopback.

The demo site, drills and tests need a PLC that speaks the real protocol, so that everything above it
(link monitor now, pollers later) is exercised exactly as in the field. The server runs in its own
thread with its own asyncio loop, so it neither blocks nor depends on the caller's threads; values
change through :meth:`ModbusSimulator.set_value`, which is safe to call from any thread.

A background ticker nudges analog values a little every second so the demo looks alive; a value set
explicitly (a drill, a test) is pinned and no longer drifts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Protocol

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from app.sim.values import Drift, encode_registers, from_raw, initial_value, to_raw
from app.site.address import Address, parse_address
from app.site.schema import Plc, Point

log = logging.getLogger("wardroom.sim")

# Function codes used only to pick the data area inside pymodbus' datastore.
_FC = {"co": 1, "di": 2, "hr": 3, "ir": 4}
_BIT_AREAS = ("co", "di")
_REG_AREAS = ("hr", "ir")
START_TIMEOUT_S = 5.0


@dataclass
class SimPoint:
    """One served point: its parsed address, its current engineering value and how it drifts."""

    point: Point
    address: Address
    value: float
    drift: Drift | None
    pinned: bool = False


class Backend(Protocol):
    """What the simulator needs from a protocol server (Modbus here, S7 in :mod:`app.sim.s7_sim`)."""

    def start(self) -> int: ...

    def stop(self, timeout_s: float) -> None: ...

    def write(self, points: Sequence[SimPoint]) -> None: ...


def build_points(plc: Plc, points: Sequence[Point]) -> list[SimPoint]:
    """Parse every point of ``plc`` once; a bad address is a bug in the caller (the loader checks them)."""
    result = []
    for point in points:
        if point.plc != plc.id:
            continue
        address = parse_address(point.address, plc.protocol)
        value = initial_value(point)
        drift = None if point.type == "bool" else Drift.for_point(point, value)
        result.append(SimPoint(point, address, value, drift))
    return result


class _ModbusBackend:
    """pymodbus 3.16 server (SimData/SimDevice API) in a dedicated thread and event loop."""

    def __init__(self, plc: Plc, host: str, port: int, points: Sequence[SimPoint]) -> None:
        self._plc = plc
        self._host = host
        self._port = port
        self._device = SimDevice(0, simdata=self._blocks(points), use_bit_addressing=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._quit: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def _blocks(
        self, points: Sequence[SimPoint]
    ) -> tuple[list[SimData], list[SimData], list[SimData], list[SimData]]:
        """One contiguous block per area spanning all its points (gaps read as zero, like most PLCs)."""
        bits: dict[str, dict[int, bool]] = {a: {} for a in _BIT_AREAS}
        regs: dict[str, dict[int, int]] = {a: {} for a in _REG_AREAS}
        for sp in points:
            area, index = sp.address.area, sp.address.index
            raw = to_raw(sp.point, sp.value)
            if area in bits:
                bits[area][index] = bool(raw)
            elif area in regs and sp.address.bit is not None:
                mask = 1 << sp.address.bit
                regs[area][index] = (regs[area].get(index, 0) | mask) if raw else regs[area].get(index, 0)
            elif area in regs:
                for i, word in enumerate(encode_registers(sp.point.type, raw, self._plc.word_order)):
                    regs[area][index + i] = word

        def bit_block(values: dict[int, bool]) -> list[SimData]:
            if not values:
                return [SimData(0, values=[False] * 16, datatype=DataType.BITS)]
            lo, hi = min(values), max(values)
            return [
                SimData(lo, values=[values.get(a, False) for a in range(lo, hi + 1)], datatype=DataType.BITS)
            ]

        def reg_block(values: dict[int, int]) -> list[SimData]:
            if not values:
                return [SimData(0, values=[0], datatype=DataType.REGISTERS)]
            lo, hi = min(values), max(values)
            return [
                SimData(lo, values=[values.get(a, 0) for a in range(lo, hi + 1)], datatype=DataType.REGISTERS)
            ]

        # pymodbus order: (coils, discrete inputs, holding registers, input registers)
        return bit_block(bits["co"]), bit_block(bits["di"]), reg_block(regs["hr"]), reg_block(regs["ir"])

    def start(self) -> int:
        self._thread = threading.Thread(target=self._run, name=f"modbus-sim-{self._plc.id}", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError(f"did not start listening within {START_TIMEOUT_S:.0f} s")
        if self._error is not None:
            raise RuntimeError(str(self._error)) from self._error
        return self._port

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            _drain(loop)
            loop.close()

    async def _main(self) -> None:
        try:
            self._quit = asyncio.Event()
            self._server = ModbusTcpServer(self._device, address=(self._host, self._port))
            await self._server.serve_forever(background=True)
            listener = self._server.transport
            self._port = listener.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        except Exception as exc:
            self._error = OSError(
                f"could not listen on {self._host}:{self._port} (is the port already in use?): {exc}"
            )
            self._ready.set()
            return
        self._ready.set()
        await self._quit.wait()
        await self._server.shutdown()

    def stop(self, timeout_s: float) -> None:
        loop, quit_ = self._loop, self._quit
        if loop is not None and quit_ is not None:
            with suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(quit_.set)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def write(self, points: Sequence[SimPoint]) -> None:
        """Apply values on the server's loop (the datastore belongs to that thread)."""
        loop = self._loop
        if loop is None or self._server is None or loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self._apply(points), loop)
        future.result(timeout=2.0)

    async def _apply(self, points: Sequence[SimPoint]) -> None:
        assert self._server is not None
        ctx = self._server.context
        for sp in points:
            area, index, bit = sp.address.area, sp.address.index, sp.address.bit
            raw = to_raw(sp.point, sp.value)
            fc = _FC[area]
            if area in _BIT_AREAS:
                await ctx.async_setValues(0, fc, index, [bool(raw)])
            elif bit is not None:
                current = await ctx.async_getValues(0, fc, index, 1)
                if isinstance(current, list):
                    word = int(current[0])
                    word = (word | (1 << bit)) if raw else (word & ~(1 << bit))
                    await ctx.async_setValues(0, fc, index, [word])
            else:
                words = encode_registers(sp.point.type, raw, self._plc.word_order)
                await ctx.async_setValues(0, fc, index, words)


def _drain(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the server left running so closing the loop leaks no task or socket."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


def _served(point: Point, value: float) -> float:
    """The value a client will decode: what survives scaling, rounding and clamping to the type."""
    return from_raw(point, to_raw(point, value))


class ModbusSimulator:
    """A simulated PLC for one ``[[plc]]`` entry: Modbus TCP, or S7 when the PLC's protocol is s7."""

    def __init__(
        self,
        plc: Plc,
        points: Sequence[Point],
        host: str = "127.0.0.1",
        *,
        vary: bool = True,
        tick_s: float = 1.0,
        seed: int | None = None,
    ) -> None:
        if plc.protocol == "modbus-rtu":
            raise ValueError(f"PLC {plc.id}: a simulated modbus-rtu PLC is not supported (use modbus-tcp)")
        self.plc = plc
        self.host = host
        self.port = plc.effective_port
        self._points = {sp.point.id: sp for sp in build_points(plc, points)}
        self._vary = vary
        self._tick_s = tick_s
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._backend: Backend | None = None
        self._ticker: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> int:
        """Start serving; blocks until the server listens and returns the actual port."""
        if self._backend is not None:
            return self.port
        points = list(self._points.values())
        backend: Backend
        if self.plc.protocol == "s7":
            from app.sim.s7_sim import S7Backend

            backend = S7Backend(self.plc, self.host, self.port, points)
        else:
            backend = _ModbusBackend(self.plc, self.host, self.port, points)
        self.port = backend.start()
        self._backend = backend
        self._halt.clear()
        if self._vary:
            self._ticker = threading.Thread(
                target=self._tick, name=f"plc-sim-tick-{self.plc.id}", daemon=True
            )
            self._ticker.start()
        log.info("simulated PLC %s (%s) listening on %s", self.plc.id, self.plc.protocol, self.endpoint)
        return self.port

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the ticker and the server; returns within about ``timeout_s``."""
        self._halt.set()
        if self._ticker is not None:
            self._ticker.join(timeout_s / 2)
            self._ticker = None
        if self._backend is not None:
            self._backend.stop(timeout_s / 2)
            self._backend = None
            log.info("simulated PLC %s stopped", self.plc.id)

    def set_value(self, point_id: str, value: float) -> None:
        """Serve ``value`` (engineering units) for a point from now on; it then stops drifting."""
        with self._lock:
            sp = self._points.get(point_id)
            if sp is None:
                raise KeyError(f"PLC {self.plc.id} has no point {point_id!r}")
            sp.value = _served(sp.point, float(value))
            sp.pinned = True
            backend = self._backend
        if backend is not None:
            backend.write([sp])

    def value(self, point_id: str) -> float:
        """The engineering value currently served for a point (as a client would decode it)."""
        with self._lock:
            return self._points[point_id].value

    def _tick(self) -> None:
        while not self._halt.wait(self._tick_s):
            with self._lock:
                moved = []
                for sp in self._points.values():
                    if sp.drift is None or sp.pinned:
                        continue
                    sp.value = _served(sp.point, sp.drift.next(sp.value, self._rng))
                    moved.append(sp)
                backend = self._backend
            if backend is None or not moved:
                continue
            try:
                backend.write(moved)
            except Exception:  # a failed nudge must not kill the simulator
                if not self._halt.is_set():
                    log.exception("simulated PLC %s: could not update values", self.plc.id)

"""A simulated PLC: a real pymodbus TCP server (or a real S7 server) on loopback, with physics and drills.

The demo site, drills and tests need a PLC that speaks the real protocol, so that everything above it
(link monitor, pollers) is exercised exactly as in the field. The server runs in its own thread with
its own asyncio loop, so it neither blocks nor depends on the caller's threads.

Values come from a :class:`app.sim.physics.Plant` stepped by a ticker thread: calm drift, and the
drill conditions. The drill switches live *on the server itself* (see :mod:`app.sim.drillmap`: a
second Modbus unit id, or a drill data block on S7), so ``wardroom simulate trip`` in another process
drills whichever simulator serves the site, whether ``wardroom simulate``, ``wardroom station`` or the
GUI started it. A simulator given its site file's path announces its actual port in the simulators
registry (:mod:`app.sim.registry`) while it runs. :meth:`ModbusSimulator.set_value` pins a value
(tests, set-up), which physics then leaves alone until a trip or restore of that point.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from app.sim import drillmap
from app.sim.physics import Plant
from app.sim.values import from_raw, initial_value, registers, to_raw
from app.site.address import Address, parse_address
from app.site.schema import Plc, Point

if TYPE_CHECKING:
    from app.sim.registry import SimulatorEntry

log = logging.getLogger("wardroom.sim")

# Function codes used only to pick the data area inside pymodbus' datastore.
_FC = {"co": 1, "di": 2, "hr": 3, "ir": 4}
_BIT_AREAS = ("co", "di")
_REG_AREAS = ("hr", "ir")
_FC_HOLDING = 3
_FC_COIL_WRITES = (5, 15)
START_TIMEOUT_S = 5.0
CALL_TIMEOUT_S = 2.0
DEFAULT_TICK_S = 0.5
MAX_STEP_S = 2.0  # a stalled ticker (suspended laptop) must not make physics jump


@dataclass
class SimPoint:
    """One served point: its parsed address and the engineering value a client currently reads."""

    point: Point
    address: Address
    value: float


class Backend(Protocol):
    """What the simulator needs from a protocol server (Modbus here, S7 in :mod:`app.sim.s7_sim`)."""

    def start(self) -> int: ...

    def stop(self, timeout_s: float) -> None: ...

    def write(self, points: Sequence[SimPoint]) -> None: ...

    def drill_states(self) -> list[bool]:
        """The drill switches as served now (index = point's place among the PLC's points)."""
        ...

    def set_drill(self, index: int, on: bool) -> None: ...


def build_points(plc: Plc, points: Sequence[Point]) -> list[SimPoint]:
    """Parse every point of ``plc`` once (file order kept); a bad address is a bug in the caller."""
    result = []
    for point in drillmap.plc_points(plc, points):
        address = parse_address(point.address, plc.protocol)
        result.append(SimPoint(point, address, initial_value(point)))
    return result


class _ModbusBackend:
    """pymodbus 3.16 server (SimData/SimDevice API) in a dedicated thread and event loop.

    Two devices: unit 0 (pymodbus: "every unit id not listed") serves the site's map; the drill unit
    serves the drill switches, so the two can never collide.
    """

    def __init__(
        self, plc: Plc, host: str, port: int, points: Sequence[SimPoint], kick: Callable[[], None]
    ) -> None:
        self._plc = plc
        self._host = host
        self._port = port
        self._kick = kick
        ids = [sp.point.id for sp in points]
        self._switches = len(ids)
        self.drill_unit = drillmap.drill_unit(plc)
        site = SimDevice(0, simdata=self._blocks(points), use_bit_addressing=True)
        drill = SimDevice(
            self.drill_unit,
            simdata=(
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                [SimData(0, values=[0] * max(len(ids), 1), datatype=DataType.REGISTERS)],
                [SimData(0, values=drillmap.modbus_info(ids), datatype=DataType.REGISTERS)],
            ),
            use_bit_addressing=True,
            action=self._drill_action,
        )
        self._devices = [site, drill]
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
                for i, word in enumerate(registers(sp.point, raw, self._plc.word_order)):
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

    async def _drill_action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """Check writes to the drill unit (0/1 into an existing switch only) and wake the ticker."""
        del start_address, current
        if set_values is None:
            return None
        if function_code in _FC_COIL_WRITES:
            return ExcCodes.ILLEGAL_FUNCTION  # coils of the drill unit are padding, not switches
        if address + count > self._switches:
            return ExcCodes.ILLEGAL_ADDRESS
        if any(int(v) not in (0, 1) for v in set_values):
            return ExcCodes.ILLEGAL_VALUE
        self._kick()
        return None

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
            self._server = ModbusTcpServer(self._devices, address=(self._host, self._port))
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

    def _call(self, coro: Callable[[], Coroutine[Any, Any, object]]) -> object:
        """Run a coroutine on the server's loop (the datastore belongs to that thread)."""
        loop = self._loop
        if loop is None or self._server is None or loop.is_closed():
            return None
        future = asyncio.run_coroutine_threadsafe(coro(), loop)
        return future.result(timeout=CALL_TIMEOUT_S)

    def write(self, points: Sequence[SimPoint]) -> None:
        self._call(lambda: self._apply(points))

    def drill_states(self) -> list[bool]:
        if not self._switches:
            return []
        values = self._call(lambda: self._get(self.drill_unit, _FC_HOLDING, 0, self._switches))
        return [bool(v) for v in values] if isinstance(values, list) else []

    def set_drill(self, index: int, on: bool) -> None:
        refused = self._call(lambda: self._set(self.drill_unit, _FC_HOLDING, index, [1 if on else 0]))
        if refused is not None:
            raise RuntimeError(f"PLC {self._plc.id}: drill switch {index} refused ({refused!r})")

    async def _get(self, unit: int, fc: int, address: int, count: int) -> object:
        assert self._server is not None
        return await self._server.context.async_getValues(unit, fc, address, count)

    async def _set(self, unit: int, fc: int, address: int, values: list[int]) -> object:
        assert self._server is not None
        return await self._server.context.async_setValues(unit, fc, address, values)

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
                words = registers(sp.point, raw, self._plc.word_order)
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
    """A simulated PLC for one ``[[plc]]`` entry: Modbus TCP, or S7 when the PLC's protocol is s7.

    ``vary`` turns the calm drift on (drills and physics run either way); ``seed`` makes the drift
    reproducible; ``site_path`` (the site file) makes the simulator announce itself in the registry;
    ``on_drill(point_id, tripped)`` is called (on the ticker thread) when a drill switch flips.
    """

    def __init__(
        self,
        plc: Plc,
        points: Sequence[Point],
        host: str = "127.0.0.1",
        *,
        vary: bool = True,
        tick_s: float = DEFAULT_TICK_S,
        seed: int | None = None,
        site_path: Path | None = None,
        on_drill: Callable[[str, bool], None] | None = None,
    ) -> None:
        if plc.protocol == "modbus-rtu":
            raise ValueError(f"PLC {plc.id}: a simulated modbus-rtu PLC is not supported (use modbus-tcp)")
        self.plc = plc
        self.host = host
        self.port = plc.effective_port
        self.site_path = site_path
        self._on_drill = on_drill
        served = build_points(plc, points)
        self._order = [sp.point.id for sp in served]
        self._points = {sp.point.id: sp for sp in served}
        self._plant = Plant([sp.point for sp in served], seed=seed, vary=vary)
        self._tick_s = tick_s
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._kick = threading.Event()
        self._backend: Backend | None = None
        self._ticker: threading.Thread | None = None
        self._entry: SimulatorEntry | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def drill_unit(self) -> int:
        """The Modbus unit id of this simulator's drill switches (see :mod:`app.sim.drillmap`)."""
        return drillmap.drill_unit(self.plc)

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
            backend = _ModbusBackend(self.plc, self.host, self.port, points, self._kick.set)
        self.port = backend.start()
        with self._lock:
            for point_id in self._plant.tripped:  # drilled before start: serve those switches as on
                backend.set_drill(self._order.index(point_id), True)
            self._backend = backend
        self._halt.clear()
        self._ticker = threading.Thread(target=self._tick, name=f"plc-sim-tick-{self.plc.id}", daemon=True)
        self._ticker.start()
        if self.site_path is not None:
            self._register()
        log.info("simulated PLC %s (%s) listening on %s", self.plc.id, self.plc.protocol, self.endpoint)
        return self.port

    def _register(self) -> None:
        from app.sim import registry

        assert self.site_path is not None
        try:
            self._entry = registry.register(
                self.site_path, self.plc.id, self.plc.protocol, self.host, self.port
            )
        except OSError as exc:  # drills from other processes will not find it; serving still works
            log.warning("simulated PLC %s: could not write the simulators registry: %s", self.plc.id, exc)

    def _unregister(self) -> None:
        from app.sim import registry

        entry, self._entry = self._entry, None
        if entry is not None:
            try:
                registry.unregister(entry)
            except OSError as exc:
                log.warning(
                    "simulated PLC %s: could not update the simulators registry: %s", self.plc.id, exc
                )

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the ticker and the server; returns within about ``timeout_s``."""
        self._unregister()
        self._halt.set()
        self._kick.set()
        if self._ticker is not None:
            self._ticker.join(timeout_s / 2)
            self._ticker = None
        if self._backend is not None:
            self._backend.stop(timeout_s / 2)
            self._backend = None
            log.info("simulated PLC %s stopped", self.plc.id)

    # ------------------------------------------------------------------------- values

    def _sp(self, point_id: str) -> SimPoint:
        sp = self._points.get(point_id)
        if sp is None:
            raise KeyError(f"PLC {self.plc.id} has no point {point_id!r}")
        return sp

    def set_value(self, point_id: str, value: float) -> None:
        """Serve ``value`` (engineering units) for a point from now on; physics leaves it alone."""
        with self._lock:
            sp = self._sp(point_id)
            sp.value = _served(sp.point, float(value))
            self._plant.pin(point_id, sp.value)
            backend = self._backend
        if backend is not None:
            backend.write([sp])

    def value(self, point_id: str) -> float:
        """The engineering value currently served for a point (as a client would decode it)."""
        with self._lock:
            return self._sp(point_id).value

    # ------------------------------------------------------------------------- drills

    def trip(self, point_id: str) -> None:
        """Start the point's alarm condition, as a drill client writing its switch would."""
        self._drill(point_id, True)

    def restore(self, point_id: str) -> None:
        """End the point's alarm condition."""
        self._drill(point_id, False)

    def tripped(self) -> frozenset[str]:
        """The points whose drill condition physics applies (a switch flip shows from the next tick)."""
        with self._lock:
            return self._plant.tripped

    def _drill(self, point_id: str, on: bool) -> None:
        with self._lock:
            self._sp(point_id)
            backend = self._backend
            if backend is None:  # not serving: nobody else can see a switch, so drive physics directly
                (self._plant.trip if on else self._plant.restore)(point_id)
                return
        # The switch on the server is the one truth, whoever flips it; the ticker applies it.
        backend.set_drill(self._order.index(point_id), on)
        self._kick.set()

    def _sync_drills(self, switches: Sequence[bool]) -> list[tuple[str, bool]]:
        """Make physics follow the switches as served (caller holds the lock); returns the flips."""
        flips = []
        for point_id, on in zip(self._order, switches, strict=False):
            if on != self._plant.is_tripped(point_id):
                (self._plant.trip if on else self._plant.restore)(point_id)
                log.info("drill on PLC %s: %s %s", self.plc.id, "tripped" if on else "restored", point_id)
                flips.append((point_id, on))
        return flips

    def _tick(self) -> None:
        last = time.monotonic()
        while not self._halt.is_set():
            self._kick.wait(self._tick_s)
            self._kick.clear()
            if self._halt.is_set():
                break
            backend = self._backend
            if backend is None:
                continue
            try:
                switches = backend.drill_states()
                now = time.monotonic()
                dt, last = min(now - last, MAX_STEP_S), now
                with self._lock:
                    flips = self._sync_drills(switches)
                    moved = []
                    for point_id in self._plant.step(dt):
                        sp = self._points[point_id]
                        served = _served(sp.point, self._plant.value(point_id))
                        if served != sp.value:
                            sp.value = served
                            moved.append(sp)
                if moved:
                    backend.write(moved)
                if self._on_drill is not None:
                    for point_id, on in flips:
                        self._on_drill(point_id, on)
            except Exception:  # a failed tick must not kill the simulator
                if not self._halt.is_set():
                    log.exception("simulated PLC %s: could not update values", self.plc.id)

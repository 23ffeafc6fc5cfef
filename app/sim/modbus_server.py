"""The Modbus TCP side of a simulated PLC: a real pymodbus server in its own thread and event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from contextlib import suppress
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from app.sim import drillmap
from app.sim.plc import SimPoint
from app.sim.values import registers, to_raw
from app.site.schema import Plc
from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.sim")

# Function codes used only to pick the data area inside pymodbus' datastore.
_FC = {"co": 1, "di": 2, "hr": 3, "ir": 4}
_BIT_AREAS = ("co", "di")
_REG_AREAS = ("hr", "ir")
_FC_HOLDING = 3
_FC_COIL_WRITES = (5, 15)
START_TIMEOUT_S = 5.0
CALL_TIMEOUT_S = 2.0


class ModbusBackend:
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
        self._worker: Worker | None = None

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
        self._worker = Worker(f"modbus-sim-{self._plc.id}", self._run, on_cancel=self._quit_loop).start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError(f"did not start listening within {START_TIMEOUT_S:.0f} s")
        if self._error is not None:
            raise RuntimeError(str(self._error)) from self._error
        return self._port

    def _run(self, token: CancelToken) -> None:
        del token  # on_cancel ends the loop
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

    def _quit_loop(self) -> None:
        loop, quit_ = self._loop, self._quit
        if loop is not None and quit_ is not None:
            with suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(quit_.set)

    def stop(self, timeout_s: float) -> None:
        if self._worker is not None:
            self._worker.stop(timeout_s)
        else:
            self._quit_loop()

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

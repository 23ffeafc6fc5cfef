"""Modbus TCP and RTU links on pymodbus 3.16 (pinned: its API and bit order change between minors).

Timeouts are ours, not pymodbus' defaults (``timeout=3, retries=3`` reports a silent PLC after 12 s;
``reconnect_delay_max=300`` can stay blind for minutes): ``plc.timeout_ms`` is the budget of one
request *including* its retry, so pymodbus gets ``timeout = timeout_ms / 2`` and ``retries = 1``.
pymodbus' own reconnect loop is switched off (``reconnect_delay=0``): it does not notice a PLC that
keeps the connection open but stops answering (black-holed), and its back-off can exceed our bound,
so the owner task reconnects itself (see :mod:`.owner`) with a fresh client each time, which also
guarantees that no answer from a previous connection is ever matched to a new request.

Every answer is checked before its data is used: function code, unit id, transaction id (pymodbus
accepts a response whose transaction id is 0 for any request) and the number of registers or bits.

Modbus RTU: every PLC (unit) on one serial port shares one client, and each request is timed by the
PLC it asks (pymodbus keeps one timeout per client, so it is set before every request). RTU frames
carry no transaction id, so an answer that comes after its request timed out could be taken for the
answer to a later request. What pymodbus 3.16.1 does (read in its source): before each request it
empties its receive buffer and makes a fresh response future, and its RTU framer drops a complete frame
whose unit differs from the unit asked. So a late answer can only be mistaken by a later request to
the *same* unit; we therefore (1) send each RTU request once, with the whole budget (a retry would put
a second answer on the line), and (2) after a unit fails to answer, send nothing more to that unit
until one more budget has passed (its late answer, if any, arrives and is dropped meanwhile; other
units on the line go on being polled), then empty the receive buffer again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from app.fieldbus import codec
from app.fieldbus.owner import Link, LinkError, Refused
from app.fieldbus.plan import Block, Slot
from app.fieldbus.state import BlockData, PlcState
from app.site.schema import Plc

log = logging.getLogger("wardroom.fieldbus")

READ_FC = {"co": 1, "di": 2, "hr": 3, "ir": 4}
EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "device failure",
    5: "acknowledge",
    6: "device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
_GRACE_S = 0.5  # beyond pymodbus' own budget, before we stop waiting for it ourselves


def exception_text(code: int) -> str:
    return f"exception {code} ({EXCEPTION_NAMES.get(code, 'unknown')})"


def pymodbus_timing(plc: Plc) -> tuple[float, int]:
    """(timeout per try in s, retries) so that one request including its retry fits ``timeout_ms``."""
    return plc.timeout_ms / 2000.0, 1


def rtu_timing(plc: Plc) -> tuple[float, int]:
    """On a serial line one try with the whole budget: a retry would leave two answers on the line."""
    return plc.timeout_ms / 1000.0, 0


Client = AsyncModbusTcpClient | AsyncModbusSerialClient


class _ModbusLink(Link):
    """What TCP and RTU share: requests, answer checks and writes."""

    def __init__(self, plc: Plc, endpoint: str) -> None:
        self.plc = plc  # the connection's settings; each request is timed by the PLC it asks
        self.endpoint = endpoint
        self._client: Client | None = None
        self._lost: asyncio.Future[None] | None = None  # resolved when the connection drops

    # ---------------------------------------------------------------- connection
    def _on_connect(self, connected: bool) -> None:
        if not connected and self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with suppress(Exception):
                client.close()

    def _silent(self, state: PlcState) -> str:
        return f"PLC {state.plc.id} at {self._where(state)} did not answer within {state.plc.timeout_ms} ms"

    def _where(self, state: PlcState) -> str:
        return self.endpoint

    def _timing(self, state: PlcState) -> tuple[float, int]:
        return pymodbus_timing(state.plc)

    def _arm(self, client: Client, state: PlcState) -> None:
        """Give pymodbus the timing of the PLC about to be asked (one client may serve several)."""
        timeout, retries = self._timing(state)
        client.ctx.comm_params.timeout_connect = timeout
        client.ctx.retries = retries

    async def _call(self, state: PlcState, request: Callable[[Client], Awaitable[ModbusPDU]]) -> ModbusPDU:
        """Run one request, bounded in time, failing fast if the connection drops meanwhile."""
        client = self._client
        if client is None or not client.connected:
            raise LinkError(f"PLC {state.plc.id} at {self._where(state)}: connection lost")
        lost = self._lost
        if lost is None or lost.done():
            raise LinkError(f"PLC {state.plc.id} at {self._where(state)}: connection lost")
        self._arm(client, state)
        task = asyncio.ensure_future(request(client))
        budget = state.plc.timeout_ms / 1000.0 + _GRACE_S
        try:
            waiters: set[asyncio.Future[Any]] = {task, lost}
            done, _ = await asyncio.wait(waiters, timeout=budget, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # we are being cancelled (stop): take the request down with us
            task.cancel()
            raise
        if task not in done:
            task.cancel()
            with suppress(BaseException):
                await task
            if lost in done:
                raise LinkError(f"PLC {state.plc.id} at {self._where(state)} closed the connection")
            raise LinkError(self._silent(state))
        try:
            return task.result()
        except (ModbusException, OSError, TimeoutError) as exc:
            log.debug("PLC %s request failed: %s", state.plc.id, exc)
            raise LinkError(self._silent(state)) from exc

    def _check(self, state: PlcState, response: ModbusPDU, fc: int, what: str) -> None:
        """Refuse any answer that might belong to another request."""
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            raise Refused(code, f"{exception_text(code)} for {what}", bad_address=code == 2)
        problems = []
        if response.function_code != fc:
            problems.append(f"function {response.function_code} instead of {fc}")
        if state.plc.unit and response.dev_id != state.plc.unit:
            problems.append(f"unit {response.dev_id} instead of {state.plc.unit}")
        expected_tid = self._expected_tid()
        if expected_tid is not None and response.transaction_id != expected_tid:
            problems.append(f"transaction {response.transaction_id} instead of {expected_tid}")
        if problems:
            raise LinkError(
                f"PLC {state.plc.id} at {self._where(state)} sent a mismatched answer for {what} "
                f"({', '.join(problems)})"
            )

    def _expected_tid(self) -> int | None:
        return None

    # ---------------------------------------------------------------- reads
    async def read(self, state: PlcState, block: Block) -> BlockData:
        area, unit = block.area, state.plc.unit
        fc = READ_FC[area]
        what = block.describe()

        def request(client: Client) -> Awaitable[ModbusPDU]:
            kwargs: dict[str, Any] = {"count": block.count, "device_id": unit}
            if area == "hr":
                return client.read_holding_registers(block.start, **kwargs)
            if area == "ir":
                return client.read_input_registers(block.start, **kwargs)
            if area == "co":
                return client.read_coils(block.start, **kwargs)
            return client.read_discrete_inputs(block.start, **kwargs)

        response = await self._call(state, request)
        self._check(state, response, fc, what)
        if area in ("co", "di"):
            bits = list(response.bits)
            if len(bits) != (block.count + 7) // 8 * 8:
                raise self._bad_length(state, what, f"{len(bits)} bits for {block.count}")
            return bits[: block.count]
        registers = list(response.registers)
        if len(registers) != block.count:
            raise self._bad_length(state, what, f"{len(registers)} registers for {block.count}")
        return registers

    def _bad_length(self, state: PlcState, what: str, detail: str) -> LinkError:
        return LinkError(
            f"PLC {state.plc.id} at {self._where(state)} sent a malformed answer for {what} ({detail})"
        )

    # ---------------------------------------------------------------- writes
    async def write(self, state: PlcState, slot: Slot, raw: codec.Raw) -> None:
        address, unit, what = slot.address, state.plc.unit, slot.address.text
        if address.area == "co":
            response = await self._call(
                state, lambda c: c.write_coil(address.index, bool(raw), device_id=unit)
            )
            self._check(state, response, 5, what)
            return
        if address.area != "hr":
            raise Refused(0, f"{what} is read-only (only coils and holding registers can be written)", False)
        if address.bit is not None:
            await self._write_bit(state, slot, bool(raw))
            return
        words = codec.encode_registers(raw, slot.point.type, state.plc.word_order)
        if len(words) == 1:
            response = await self._call(
                state, lambda c: c.write_register(address.index, words[0], device_id=unit)
            )
            self._check(state, response, 6, what)
        else:
            response = await self._call(
                state, lambda c: c.write_registers(address.index, words, device_id=unit)
            )
            self._check(state, response, 16, what)

    async def _write_bit(self, state: PlcState, slot: Slot, value: bool) -> None:
        """One bit of a holding register: mask write (fc 22) so the PLC's other bits are untouched."""
        index, bit, unit = slot.address.index, slot.address.bit or 0, state.plc.unit
        and_mask = 0xFFFF ^ (1 << bit)
        or_mask = (1 << bit) if value else 0
        response = await self._call(
            state,
            lambda c: c.mask_write_register(
                address=index, and_mask=and_mask, or_mask=or_mask, device_id=unit
            ),
        )
        self._check(state, response, 22, slot.address.text)


class ModbusTcpLink(_ModbusLink):
    """One TCP connection to one PLC."""

    def __init__(self, plc: Plc, host: str, port: int) -> None:
        super().__init__(plc, f"{host}:{port}")
        self.host, self.port = host, port

    async def open(self) -> None:
        await self.close()
        timeout = self.plc.timeout_ms / 1000.0  # connecting gets the whole budget (one try)
        self._lost = asyncio.get_running_loop().create_future()
        client = AsyncModbusTcpClient(
            self.host,
            port=self.port,
            name=f"plc {self.plc.id}",
            timeout=timeout,
            retries=pymodbus_timing(self.plc)[1],
            reconnect_delay=0,
            reconnect_delay_max=0,
            trace_connect=self._on_connect,
        )
        started = asyncio.get_running_loop().time()
        try:
            ok = await asyncio.wait_for(client.connect(), timeout=timeout + _GRACE_S)
        except (TimeoutError, OSError, ModbusException):
            ok = False
        if not ok or not client.connected:
            with suppress(Exception):
                client.close()
            took = asyncio.get_running_loop().time() - started
            if took >= timeout * 0.9:
                raise LinkError(
                    f"PLC {self.plc.id} at {self.endpoint} did not accept a connection "
                    f"within {self.plc.timeout_ms} ms"
                )
            raise LinkError(
                f"PLC {self.plc.id} at {self.endpoint} refused the connection or cannot be reached"
            )
        self._client = client

    def _expected_tid(self) -> int | None:
        client = self._client
        return client.ctx.request_transaction_id if client is not None else None


class ModbusRtuLink(_ModbusLink):
    """One serial port shared by every PLC (unit) on that RS-485 line (see the module doc).

    The port's settings (baudrate, parity) are the first PLC's: the site check refuses PLCs on one
    port that disagree on them or share a unit id. Timing is per request, from the PLC being asked.
    """

    def __init__(self, plc: Plc, port: str) -> None:
        super().__init__(plc, port)
        self.port = port
        # unit -> time.monotonic() until which its late answer may still arrive: nothing is sent to it
        self._late_until: dict[int, float] = {}

    def _where(self, state: PlcState) -> str:
        return f"{self.port} unit {state.plc.unit}"

    def _timing(self, state: PlcState) -> tuple[float, int]:
        return rtu_timing(state.plc)

    def ready_at(self, state: PlcState) -> float:
        return self._late_until.get(state.plc.unit, 0.0)

    def _line_usable(self) -> bool:
        client, lost = self._client, self._lost
        return client is not None and client.connected and lost is not None and not lost.done()

    async def open(self) -> None:
        await self.close()
        self._late_until.clear()  # a fresh port hears nothing of the old one's requests
        timeout, retries = rtu_timing(self.plc)
        self._lost = asyncio.get_running_loop().create_future()
        client = AsyncModbusSerialClient(
            self.port,
            framer=FramerType.RTU,
            baudrate=self.plc.baudrate,
            parity=self.plc.parity,
            bytesize=8,
            stopbits=1,
            name=f"line {self.port}",
            timeout=timeout,
            retries=retries,
            reconnect_delay=0,
            reconnect_delay_max=0,
            trace_connect=self._on_connect,
        )
        try:
            ok = await asyncio.wait_for(client.connect(), timeout=timeout + _GRACE_S)
        except (TimeoutError, OSError, ModbusException):
            ok = False
        if not ok or not client.connected:
            with suppress(Exception):
                client.close()
            raise LinkError(f"PLC {self.plc.id}: serial port {self.port} cannot be opened")
        self._client = client

    async def _drain(self, state: PlcState) -> None:
        """Before asking a unit that failed to answer: wait out its late answer, then forget it."""
        until = self._late_until.pop(state.plc.unit, None)
        if until is None:
            return
        delay = until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        client = self._client
        if client is not None:
            client.ctx.recv_buffer = b""  # a partial frame must not prefix the next answer

    async def _call(self, state: PlcState, request: Callable[[Client], Awaitable[ModbusPDU]]) -> ModbusPDU:
        await self._drain(state)
        return await super()._call(state, request)

    def _unanswered(self, state: PlcState, exc: LinkError) -> LinkError:
        """A unit that did not answer properly: hold it back for one budget; the line stays usable."""
        self._late_until[state.plc.unit] = time.monotonic() + state.plc.timeout_ms / 1000.0
        return LinkError(exc.reason, link_down=False)

    async def read(self, state: PlcState, block: Block) -> BlockData:
        try:
            return await super().read(state, block)
        except LinkError as exc:
            if not self._line_usable():
                raise
            raise self._unanswered(state, exc) from exc

    async def write(self, state: PlcState, slot: Slot, raw: codec.Raw) -> None:
        try:
            await super().write(state, slot, raw)
        except LinkError as exc:
            if not self._line_usable():
                raise
            raise self._unanswered(state, exc) from exc

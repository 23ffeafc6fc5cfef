"""The owner task of one connection: the only code that talks to that PLC (or serial line).

One task per connection means one request in flight at a time, by construction; writes are queued to
the same task and served between reads. The protocol specifics live behind :class:`Link`
(:mod:`.modbus`, :mod:`.s7`); this module holds the timing rules they share:

- scans run at a fixed rate per PLC (``poll_ms``), without drift;
- a failed scan is retried after ``min(poll_ms, RETRY_S)`` counted from the *start* of the failed
  attempt, so a PLC that comes back is read again within about a second whatever the outage length
  (an attempt that itself took longer, e.g. a silent PLC's timeout, is retried at once);
- on TCP any failure closes the connection, so a late answer can never be taken for the answer to a
  later request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

from app.fieldbus import codec
from app.fieldbus.plan import Block, Slot
from app.fieldbus.state import BlockData, PlcState

log = logging.getLogger("wardroom.fieldbus")
ONCE_PASSES = 4  # one-shot scans: re-read after splits at most this many times

RETRY_S = 1.0  # longest wait between attempts to reach a PLC that does not answer


class LinkError(Exception):
    """The PLC did not answer properly (timeout, refused connection, malformed answer).

    ``link_down``: the connection itself is unusable and must be reopened (always so on TCP); on a
    serial line one silent unit does not make the port unusable for the others.
    """

    def __init__(self, reason: str, link_down: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.link_down = link_down


class Refused(Exception):
    """The PLC answered with an error for one request (Modbus exception, S7 item error)."""

    def __init__(self, code: int, message: str, bad_address: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.bad_address = bad_address


class WriteError(Exception):
    """A write was refused or failed; the message says why in plain words."""


class Link(ABC):
    """One connection (TCP socket, serial port or S7 session) as the owner task sees it."""

    #: human-readable "host:port" or serial device, for messages
    endpoint: str

    @abstractmethod
    async def open(self) -> None:
        """Connect; raise LinkError with a plain-words reason."""

    @abstractmethod
    async def close(self) -> None:
        """Drop the connection (idempotent, never raises)."""

    @abstractmethod
    async def read(self, state: PlcState, block: Block) -> BlockData:
        """Read one block; raise LinkError or Refused."""

    @abstractmethod
    async def write(self, state: PlcState, slot: Slot, raw: codec.Raw) -> None:
        """Write one point's raw value; raise LinkError or Refused."""

    def plan_after_open(self, state: PlcState) -> None:  # noqa: B027 - optional hook
        """Adapt the plan once the connection's limits are known (S7 negotiates its PDU size)."""

    def ready_at(self, state: PlcState) -> float:
        """``time.monotonic()`` before which nothing may be sent to this PLC (0: no such wait).

        A serial line holds back a unit that failed to answer, so that its late answer cannot be
        taken for the answer to its next request (see :class:`app.fieldbus.modbus.ModbusRtuLink`).
        """
        return 0.0

    def abort(self) -> None:  # noqa: B027 - optional hook
        """Unblock any call in progress at once (stopping); only links with blocking calls need it."""


@dataclass
class _WriteJob:
    state: PlcState
    slot: Slot
    raw: codec.Raw
    future: asyncio.Future[None]


class Owner:
    """Drives one Link for one or more PLCs (several only on a shared serial line)."""

    def __init__(self, link: Link, states: Sequence[PlcState]) -> None:
        self.link = link
        self.states = list(states)
        self._open = False
        self._stopping = False
        self._wake = asyncio.Event()
        self._writes: list[_WriteJob] = []

    # ------------------------------------------------------------------ control
    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def write(self, state: PlcState, slot: Slot, raw: codec.Raw) -> None:
        """Queue a write for the owner task and wait for its outcome (raises WriteError)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._writes.append(_WriteJob(state, slot, raw, future))
        self._wake.set()
        await future

    # ------------------------------------------------------------------ loop
    async def run(self) -> None:
        try:
            while not self._stopping:
                state = min(self.states, key=lambda s: s.next_due)
                delay = state.next_due - time.monotonic()
                if delay > 0:
                    await self._sleep(delay)
                    await self._serve_writes()
                    continue
                await self._guarded_scan(state)
                await self._serve_writes()
        finally:
            self._fail_writes("the poller is stopping")
            await self._close()

    async def scan_all_once(self) -> None:
        """One scan of every PLC of this connection (``points list``), then close.

        A block the PLC refuses is split during the scan; the pieces are read in further passes
        (bounded), so a one-shot reading never leaves points 'never-read' behind a hole in the map.
        """
        try:
            for state in self.states:
                for _ in range(ONCE_PASSES):
                    before = list(state.blocks)
                    await self._guarded_scan(state)
                    if state.blocks == before or not self._open:
                        break
        finally:
            await self._close()

    async def _sleep(self, delay: float) -> None:
        if self._writes or self._stopping:
            return
        self._wake.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _close(self) -> None:
        self._open = False
        await self.link.close()

    async def _ensure_open(self) -> None:
        if self._open:
            return
        await self.link.open()
        self._open = True
        for state in self.states:
            self.link.plan_after_open(state)

    def _retry_later(self, state: PlcState, started: float) -> None:
        retry = started + min(state.period_s, RETRY_S)
        state.next_due = max(retry, time.monotonic(), self.link.ready_at(state))

    async def _guarded_scan(self, state: PlcState) -> None:
        """A bug in one scan must not end polling: report it as a fault of that PLC and go on."""
        started = time.monotonic()
        try:
            await self._scan(state)
        except Exception as exc:
            log.exception("poller of PLC %s failed", state.plc.id)
            state.link_failed(f"PLC {state.plc.id}: internal poller error ({exc.__class__.__name__})")
            await self._close()
            self._retry_later(state, started)

    async def _scan(self, state: PlcState) -> None:
        started = time.monotonic()
        state.scan_started(started)
        try:
            await self._ensure_open()
        except LinkError as exc:
            for other in self.states:
                other.link_failed(exc.reason)
                self._retry_later(other, started)
            return
        for block in list(state.blocks):
            if self._stopping:
                return
            if self._writes:
                await self._serve_writes()
                if not self._open:
                    self._retry_later(state, started)
                    return
            try:
                data = await self.link.read(state, block)
            except Refused as exc:
                state.block_refused(block, exc.code, exc.message, exc.bad_address)
                continue
            except LinkError as exc:
                state.link_failed(exc.reason)
                if exc.link_down:
                    await self._close()
                self._retry_later(state, started)
                return
            state.block_read(block, data, time.time(), time.monotonic())
        state.scan_done(time.monotonic())
        state.schedule_next(time.monotonic())

    # ------------------------------------------------------------------ writes
    async def _serve_writes(self) -> None:
        while self._writes and not self._stopping:
            job = self._writes.pop(0)
            if job.future.done():  # the caller gave up waiting
                continue
            try:
                await self._ensure_open()
                await self.link.write(job.state, job.slot, job.raw)
            except LinkError as exc:
                if exc.link_down:
                    await self._close()
                _settle(job.future, WriteError(f"write to {job.slot.point.id} failed: {exc.reason}"))
                continue
            except Refused as exc:
                _settle(
                    job.future,
                    WriteError(
                        f"PLC {job.state.plc.id} refused the write to "
                        f"{job.slot.point.id} ({job.slot.address.text}): {exc.message}"
                    ),
                )
                continue
            except Exception as exc:
                log.exception("write to %s failed", job.slot.point.id)
                await self._close()
                _settle(job.future, WriteError(f"write to {job.slot.point.id} failed: {exc}"))
                continue
            _settle(job.future, None)
            job.state.next_due = time.monotonic()  # show the new value at once

    def _fail_writes(self, reason: str) -> None:
        for job in self._writes:
            _settle(job.future, WriteError(f"write to {job.slot.point.id} failed: {reason}"))
        self._writes.clear()


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    """Complete a write's future unless its caller already gave up (cancelled it)."""
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)

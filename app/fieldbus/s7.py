"""Siemens S7 link on python-snap7 3.3 (pure Python, blocking sockets).

snap7's client is synchronous, so each S7 PLC gets one dedicated worker thread and the owner task
awaits its calls one at a time (never two requests in flight). Every socket call is bounded: snap7
3.3 connects with a fixed 5 s timeout, so we open the ISO-on-TCP connection ourselves with our own
timeout (the same steps as ``Client.connect``; python-snap7 is pinned, and a test covers this), and
set the read timeout on the socket. Like Modbus, ``timeout_ms`` is the budget of one request.

Item return codes 0x05 (address out of range) and 0x0A (object does not exist) are the S7
equivalent of Modbus exception 2: bad-config; other item errors follow the stale rule.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar

from snap7.client import Client
from snap7.connection import ISOTCPConnection
from snap7.error import S7Error, S7ProtocolError
from snap7.type import Area

from app.fieldbus import codec
from app.fieldbus.owner import Link, LinkError, Refused
from app.fieldbus.plan import Block, Slot, plan_s7
from app.fieldbus.state import BlockData, PlcState
from app.site.schema import Plc

log = logging.getLogger("wardroom.fieldbus")

AREAS = {"db": Area.DB, "m": Area.MK, "i": Area.PE, "q": Area.PA}
_ITEM_CODE = re.compile(r"operation failed: (.*) \(0x([0-9a-fA-F]{2})\)")
_BAD_ADDRESS_CODES = (0x05, 0x0A)
_GRACE_S = 0.5
T = TypeVar("T")


def _connect(client: Client, connection: ISOTCPConnection, rack: int, slot: int, timeout_s: float) -> None:
    """``Client.connect`` with our own timeout (snap7 3.3 hard-codes 5 s for the TCP and ISO steps)."""
    client.host, client.port, client.rack, client.slot = connection.host, connection.port, rack, slot
    connection.connect(timeout=timeout_s)
    client.connection = connection
    try:
        client._setup_communication()  # PDU size negotiation
    except BaseException:
        client.disconnect()
        raise
    client.connected = True


class S7Link(Link):
    """One S7 session to one PLC, run on its own worker thread."""

    def __init__(self, plc: Plc, host: str, port: int) -> None:
        self.plc = plc
        self.host, self.port = host, port
        self.endpoint = f"{host}:{port}"
        self._client: Client | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"s7-{plc.id}")
        self.pdu_length = 0
        self._connecting: ISOTCPConnection | None = None

    @property
    def _timeout_s(self) -> float:
        return self.plc.timeout_ms / 1000.0

    async def _run(self, fn: Callable[[], T]) -> T:
        """Run a blocking snap7 call on this PLC's thread, bounded by the request budget."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, fn)
        try:
            return await asyncio.wait_for(future, timeout=self._timeout_s + _GRACE_S)
        except TimeoutError as exc:
            raise LinkError(self._silent()) from exc

    def _silent(self) -> str:
        return f"PLC {self.plc.id} at {self.endpoint} did not answer within {self.plc.timeout_ms} ms"

    async def open(self) -> None:
        await self.close()
        client = Client()
        client.remote_tsap = (client.connection_type << 8) | (self.plc.rack << 5) | self.plc.slot
        connection = ISOTCPConnection(
            host=self.host, port=self.port, local_tsap=client.local_tsap, remote_tsap=client.remote_tsap
        )
        self._connecting = connection
        try:
            await self._run(
                lambda: _connect(client, connection, self.plc.rack, self.plc.slot, self._timeout_s)
            )
        except (S7Error, OSError) as exc:
            log.debug("S7 connect to %s failed: %s", self.endpoint, exc)
            raise LinkError(f"PLC {self.plc.id} at {self.endpoint} cannot be reached ({exc})") from exc
        finally:
            self._connecting = None
        if connection.socket is not None:  # reads: our budget, not snap7's 5 s
            connection.socket.settimeout(self._timeout_s)
            connection.timeout = self._timeout_s
        self.pdu_length = client.pdu_length
        self._client = client

    def plan_after_open(self, state: PlcState) -> None:
        slots = [slot for block in state.blocks for slot in block.slots]
        unique = {slot.point.id: slot for slot in slots}
        state.blocks = plan_s7(unique.values(), state.plc.max_gap, self.pdu_length)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with suppress(Exception):
                await asyncio.get_running_loop().run_in_executor(self._executor, client.disconnect)

    def abort(self) -> None:
        """Shut the sockets down so a blocked connect/recv on the worker thread returns at once."""
        for connection in (self._connecting, self._client.connection if self._client else None):
            sock = connection.socket if connection is not None else None
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def shutdown(self) -> None:
        """Release the worker thread (after the owner task ended)."""
        self.abort()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _fail(self, exc: Exception, what: str) -> Exception:
        if isinstance(exc, S7ProtocolError) and (match := _ITEM_CODE.search(str(exc))):
            code = int(match.group(2), 16)
            return Refused(
                code,
                f"{match.group(1)} (code 0x{code:02x}) for {what}",
                bad_address=code in _BAD_ADDRESS_CODES,
            )
        log.debug("S7 request to %s failed: %s", self.endpoint, exc)
        return LinkError(
            self._silent()
            if "timeout" in str(exc).lower()
            else f"PLC {self.plc.id} at {self.endpoint}: {exc}"
        )

    async def read(self, state: PlcState, block: Block) -> BlockData:
        client = self._client
        if client is None:
            raise LinkError(f"PLC {self.plc.id} at {self.endpoint}: connection lost")
        what = block.describe()
        area = AREAS[block.area]
        try:
            data = await self._run(lambda: client.read_area(area, block.db or 0, block.start, block.count))
        except (S7Error, OSError) as exc:
            raise self._fail(exc, what) from exc
        if len(data) != block.count:
            raise LinkError(
                f"PLC {self.plc.id} at {self.endpoint} sent {len(data)} bytes for {what} "
                f"instead of {block.count}"
            )
        return bytes(data)

    async def write(self, state: PlcState, slot: Slot, raw: codec.Raw) -> None:
        client = self._client
        if client is None:
            raise LinkError(f"PLC {self.plc.id} at {self.endpoint}: connection lost")
        address = slot.address
        if address.area == "i":
            raise Refused(0, f"{address.text} is a process input and cannot be written", False)
        area, db = AREAS[address.area], address.db or 0

        def do_write() -> None:
            if address.bit is not None:
                # Read-modify-write of the byte. An S7 bit write (transport size BIT) would be atomic
                # on a real CPU, but python-snap7 3.3's server (our test peer and the demo simulator)
                # ignores the bit and overwrites the whole byte. The window is one round trip.
                current = client.read_area(area, db, address.index, 1)
                mask = 1 << address.bit
                byte = (current[0] | mask) if raw else (current[0] & ~mask & 0xFF)
                client.write_area(area, db, address.index, bytearray([byte]))
            else:
                data = bytearray(codec.encode_bytes(raw, slot.point.type))
                client.write_area(area, db, address.index, data)

        try:
            await self._run(do_write)
        except (S7Error, OSError) as exc:
            raise self._fail(exc, address.text) from exc

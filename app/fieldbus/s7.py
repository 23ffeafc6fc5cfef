"""Siemens S7 link on python-snap7 3.3 (pure Python, blocking sockets).

snap7's client is synchronous, so each S7 PLC gets one dedicated worker thread and the owner task
awaits its calls one at a time (never two requests in flight). Every socket call is bounded: snap7
3.3 connects with a fixed 5 s timeout, so we open the ISO-on-TCP connection ourselves with our own
timeout (the same steps as ``Client.connect``; python-snap7 is pinned, and a test covers this), and
set the read timeout on the socket. Like Modbus, ``timeout_ms`` is the budget of one request.

Item return codes 0x05 (address out of range) and 0x0A (object does not exist) are the S7
equivalent of Modbus exception 2: bad-config; other item errors follow the stale rule.

Operators read our reasons, not snap7's: its error texts ("Receive failed: ...", "Expected COTP CC,
got 0x80") are mapped to plain words here and kept, raw, in the log. The bounded connect is public
(:func:`open_client`) so that the drill client (:mod:`app.sim.drill`) uses it too.
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
from snap7.error import S7Error, S7ProtocolError, S7TimeoutError
from snap7.type import Area

from app.fieldbus import codec
from app.fieldbus.owner import Link, LinkError, Refused
from app.fieldbus.plan import Block, Slot, group, s7_payload_limit
from app.fieldbus.state import BlockData, PlcState
from app.site.schema import Plc

log = logging.getLogger("wardroom.fieldbus")

AREAS = {"db": Area.DB, "m": Area.MK, "i": Area.PE, "q": Area.PA}
_ITEM_CODE = re.compile(r"operation failed: (.*) \(0x([0-9a-fA-F]{2})\)")
_BAD_ADDRESS_CODES = (0x05, 0x0A)
_ITEM_WORDS = {
    0x01: "hardware fault in the PLC",
    0x03: "access to this address is not allowed",
    0x05: "the address is out of range",
    0x06: "the data type is not supported",
    0x07: "the data type does not match",
    0x0A: "the data block or area does not exist",
}
_GRACE_S = 0.5
T = TypeVar("T")


def new_session(host: str, port: int, rack: int, slot: int) -> tuple[Client, ISOTCPConnection]:
    """A snap7 client and its not yet connected ISO-on-TCP connection (PG connection to rack/slot)."""
    client = Client()
    client.remote_tsap = (client.connection_type << 8) | (rack << 5) | slot
    connection = ISOTCPConnection(
        host=host, port=port, local_tsap=client.local_tsap, remote_tsap=client.remote_tsap
    )
    return client, connection


def connect_session(
    client: Client, connection: ISOTCPConnection, rack: int, slot: int, timeout_s: float
) -> None:
    """``Client.connect`` with our own timeout (snap7 3.3 hard-codes 5 s for the TCP and ISO steps).

    Reads and writes on the connection get the same bound afterwards. Blocking: call it off the loop.
    """
    client.host, client.port, client.rack, client.slot = connection.host, connection.port, rack, slot
    connection.connect(timeout=timeout_s)
    client.connection = connection
    try:
        client._setup_communication()  # PDU size negotiation
    except BaseException:
        client.disconnect()
        raise
    client.connected = True
    if connection.socket is not None:  # reads: our budget, not snap7's 5 s
        connection.socket.settimeout(timeout_s)
        connection.timeout = timeout_s


def open_client(host: str, port: int, rack: int, slot: int, timeout_s: float) -> Client:
    """A connected snap7 client whose connect and every request are bounded by ``timeout_s``."""
    client, connection = new_session(host, port, rack, slot)
    connect_session(client, connection, rack, slot, timeout_s)
    return client


def plain_reason(exc: BaseException, timeout_ms: int) -> str:
    """What went wrong, in words for an operator (the caller names the PLC and logs ``exc`` raw)."""
    text = str(exc).lower()
    if isinstance(exc, S7TimeoutError | TimeoutError) or "timeout" in text or "timed out" in text:
        return f"did not answer within {timeout_ms} ms"
    if isinstance(exc, ConnectionRefusedError) or "refused" in text:
        return "refused the connection (nothing is listening on that port)"
    if "unreachable" in text or "no route" in text:
        return "cannot be reached (no route to it)"
    closed = ("closed by peer", "connection reset", "broken pipe", "receive failed", "receive error")
    if any(word in text for word in (*closed, "send failed", "not connected")):
        return "closed the connection"
    if any(word in text for word in ("cotp", "tpkt", "negotiat", "pdu")):
        return "did not accept an S7 connection (check its rack and slot)"
    return "sent an answer that is not valid S7"


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
        self._last_logged = ""  # snap7's raw text is logged at info once per kind of failure

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

    def _log_raw(self, what: str, exc: BaseException) -> None:
        raw = f"{exc.__class__.__name__}: {exc}"
        level = logging.INFO if raw != self._last_logged else logging.DEBUG
        self._last_logged = raw
        log.log(level, "S7 %s %s failed: %s", what, self.endpoint, raw)

    async def open(self) -> None:
        await self.close()
        plc = self.plc
        client, connection = new_session(self.host, self.port, plc.rack, plc.slot)
        self._connecting = connection
        try:
            await self._run(lambda: connect_session(client, connection, plc.rack, plc.slot, self._timeout_s))
        except (S7Error, OSError) as exc:
            self._log_raw("connect to", exc)
            reason = plain_reason(exc, plc.timeout_ms)
            if reason.startswith("did not accept an S7"):
                reason = f"did not accept an S7 connection to rack {plc.rack}, slot {plc.slot}"
            raise LinkError(f"PLC {plc.id} at {self.endpoint} {reason}") from exc
        finally:
            self._connecting = None
        self.pdu_length = client.pdu_length
        self._client = client

    def plan_after_open(self, state: PlcState) -> None:
        """Fit the plan to the negotiated PDU, keeping what earlier answers taught it.

        Blocks split after "address out of range" answers stay split across reconnects (re-planning
        from scratch would ask for the refused range again on every reconnect); only blocks larger than
        the new payload limit are cut to fit.
        """
        if not self.pdu_length:
            return
        limit = s7_payload_limit(self.pdu_length)
        if limit == state.split_limit:
            return
        blocks: list[Block] = []
        for block in state.blocks:
            if block.count <= limit:
                blocks.append(block)
            else:
                blocks.extend(group(block.slots, 2 * state.plc.max_gap, limit))
        state.set_blocks(blocks, split_limit=limit)

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
        """Refused (an item error: the PLC answered) or LinkError, in plain words; raw text to the log."""
        self._log_raw(f"request ({what}) to", exc)
        if isinstance(exc, S7ProtocolError) and (match := _ITEM_CODE.search(str(exc))):
            code = int(match.group(2), 16)
            words = _ITEM_WORDS.get(code, "the PLC refused this item")
            return Refused(
                code,
                f"{words} (S7 item code 0x{code:02x}) for {what}",
                bad_address=code in _BAD_ADDRESS_CODES,
            )
        return LinkError(f"PLC {self.plc.id} at {self.endpoint} {plain_reason(exc, self.plc.timeout_ms)}")

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

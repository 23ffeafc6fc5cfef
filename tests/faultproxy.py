"""A small asyncio TCP fault proxy for loopback tests (``tc netem`` and toxiproxy are unavailable here).

It sits between a client (the poller) and a server (a real pymodbus server) and misbehaves on
command, at runtime, for connections already open as well as new ones:

=================  =====================================================================
mode               what the client sees
=================  =====================================================================
``pass``           a transparent pipe (also what :meth:`FaultProxy.heal` restores)
``delay``          every answer ``delay_ms`` late
``blackhole``      connections accepted, requests swallowed, never an answer
``reset``          every connection (open or new) killed with a TCP RST
``reset-mid``      requests reach the server, then the client's connection is RST
``split``          answers trickle in 1-byte chunks with tiny pauses
``garbage``        answers replaced by random bytes of the same length
``wrong-tid``      answers with another Modbus transaction id (alternately +1 and 0)
``wrong-unit``     answers with another Modbus unit id
``exception``      answers replaced by a Modbus exception response (``code``)
=================  =====================================================================

The Modbus-aware modes cut the server's byte stream into MBAP frames first, so a rewrite never
depends on how TCP happened to chunk the data. Binds 127.0.0.1 only; runs its own thread and loop.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
from contextlib import suppress
from dataclasses import dataclass, field

MODES = (
    "pass",
    "delay",
    "blackhole",
    "reset",
    "reset-mid",
    "split",
    "garbage",
    "wrong-tid",
    "wrong-unit",
    "exception",
)
_FRAMED = ("wrong-tid", "wrong-unit", "exception")
_SPLIT_PAUSE_S = 0.002


@dataclass
class _Conn:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    tid_flip: bool = False


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0), not a polite FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """``FaultProxy(target_port).start()`` -> listening port; ``set_mode(...)``; ``heal()``; ``stop()``."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.mode = "pass"
        self.delay_ms = 0
        self.code = 4
        self.connections = 0  # accepted so far (for tests that want to see reconnects)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._conn_list: list[_Conn] = []
        self._ready = threading.Event()

    # ------------------------------------------------------------------ control (any thread)
    def start(self) -> int:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="faultproxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("fault proxy did not start")
        return self.port

    def set_mode(self, mode: str, *, delay_ms: int = 0, code: int = 4) -> None:
        """Switch behaviour now, for open and new connections alike."""
        if mode not in MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; expected one of {', '.join(MODES)}")
        loop = self._loop
        assert loop is not None

        def apply() -> None:
            self.mode, self.delay_ms, self.code = mode, delay_ms, code
            if mode == "reset":
                for conn in list(self._conn_list):
                    self._kill(conn, rst=True)

        done = threading.Event()

        def apply_and_signal() -> None:
            apply()
            done.set()

        loop.call_soon_threadsafe(apply_and_signal)
        done.wait(5)

    def heal(self) -> None:
        self.set_mode("pass")

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._shutdown)
        thread.join(5)
        self._thread = None

    # ------------------------------------------------------------------ loop side
    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self._listen())
        self._ready.set()
        loop.run_forever()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def _shutdown(self) -> None:
        loop = self._loop
        assert loop is not None
        if self._server is not None:
            self._server.close()
        for conn in list(self._conn_list):
            self._kill(conn, rst=False)
        loop.stop()

    def _kill(self, conn: _Conn, rst: bool) -> None:
        if conn in self._conn_list:
            self._conn_list.remove(conn)
        for task in conn.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        if rst:
            _rst(conn.client)
        else:
            conn.client.close()
        if conn.upstream is not None:
            conn.upstream.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = _Conn(writer)
        if self.mode == "reset":
            _rst(writer)
            return
        self._conn_list.append(conn)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._kill(conn, rst=True)  # like a PLC that is down
            return
        conn.upstream = up_writer
        conn.tasks = [
            asyncio.create_task(self._client_to_server(conn, reader, up_writer)),
            asyncio.create_task(self._server_to_client(conn, up_reader, writer)),
        ]

    async def _client_to_server(
        self, conn: _Conn, reader: asyncio.StreamReader, upstream: asyncio.StreamWriter
    ) -> None:
        with suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(4096):
                if self.mode == "blackhole":
                    continue  # swallowed
                upstream.write(data)
                await upstream.drain()
        if conn in self._conn_list:
            self._kill(conn, rst=False)

    async def _server_to_client(
        self, conn: _Conn, upstream: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        buffer = b""
        with suppress(OSError, asyncio.CancelledError):
            while data := await upstream.read(4096):
                mode = self.mode
                if mode == "blackhole":
                    buffer = b""
                    continue
                if mode == "reset-mid":
                    self._kill(conn, rst=True)
                    return
                if mode in _FRAMED or buffer:
                    buffer += data
                    frames, buffer = _split_mbap(buffer)
                    data = b"".join(self._rewrite(conn, frame, mode) for frame in frames)
                    if not data:
                        continue
                if mode == "delay":
                    await asyncio.sleep(self.delay_ms / 1000.0)
                if mode == "garbage":
                    data = os.urandom(len(data))
                if mode == "split":
                    for i in range(len(data)):
                        writer.write(data[i : i + 1])
                        await writer.drain()
                        await asyncio.sleep(_SPLIT_PAUSE_S)
                    continue
                writer.write(data)
                await writer.drain()
        if conn in self._conn_list:
            self._kill(conn, rst=False)

    def _rewrite(self, conn: _Conn, frame: bytes, mode: str) -> bytes:
        if len(frame) < 8:
            return frame
        tid, pid, _length, unit, fc = struct.unpack(">HHHBB", frame[:8])
        if mode == "wrong-tid":
            conn.tid_flip = not conn.tid_flip
            new_tid = 0 if conn.tid_flip else (tid + 1) & 0xFFFF
            return struct.pack(">H", new_tid) + frame[2:]
        if mode == "wrong-unit":
            return frame[:6] + bytes([(unit + 1) & 0xFF]) + frame[7:]
        if mode == "exception":
            return struct.pack(">HHHBBB", tid, pid, 3, unit, (fc | 0x80) & 0xFF, self.code)
        return frame


def _split_mbap(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Whole MBAP frames at the start of ``buffer`` and the incomplete rest."""
    frames: list[bytes] = []
    while len(buffer) >= 7:
        length = struct.unpack(">H", buffer[4:6])[0]
        end = 6 + length
        if length < 2 or len(buffer) < end:
            break
        frames.append(buffer[:end])
        buffer = buffer[end:]
    return frames, buffer

"""Real test peers for the pollers: a pymodbus 3.16.1 server (TCP or RTU) and site/bus helpers.

The server runs in its own thread and loop; the test's "PLC program" changes values through thread-
safe methods. Every read request is counted on the server side (a SimDevice ``action`` hook), which
is how the block-read test proves the number of requests, and reads of chosen addresses can be
answered with a Modbus exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import os
import re
import select
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerRTU
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from app.events import Event, EventBus
from app.site.schema import SiteFile

FC_AREA = {1: "co", 2: "di", 3: "hr", 4: "ir", 5: "co", 6: "hr", 15: "co", 16: "hr", 22: "hr"}


class ModbusServer:
    """pymodbus server on 127.0.0.1 (or a serial port) with ``size`` registers and bits per area."""

    def __init__(
        self,
        size: int = 2000,
        device_id: int = 1,
        serial_port: str | None = None,
        baudrate: int = 19200,
        extra_ids: tuple[int, ...] = (),
    ) -> None:
        self.size = size
        self.device_id = device_id
        self.device_ids = (device_id, *extra_ids)
        self.serial_port = serial_port
        self.baudrate = baudrate
        self.port = 0
        self.reads: list[tuple[str, int, int]] = []  # (area, address, count) of client reads
        self.connections = 0  # TCP clients accepted since start (how many processes polled it)
        self.open_connections = 0
        self._connections_lock = threading.Lock()
        self.writes: list[tuple[str, int]] = []
        self.refuse: dict[tuple[str, int], int] = {}  # (area, address) -> exception code for reads
        self._internal = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: ModbusTcpServer | ModbusSerialServer | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def start(self, port: int = 0) -> int:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        error: list[BaseException] = []

        def run() -> None:
            loop = self._loop
            assert loop is not None
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(port))
            except BaseException as exc:  # reported to start()
                error.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="modbus-test-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("test Modbus server did not start")
        if error:
            raise error[0]
        return self.port

    def _devices(self) -> list[SimDevice]:
        def bits() -> list[SimData]:
            return [SimData(0, count=self.size, values=False, datatype=DataType.BITS)]

        def regs() -> list[SimData]:
            return [SimData(0, count=self.size, values=0, datatype=DataType.REGISTERS)]

        return [
            SimDevice(id=i, simdata=(bits(), bits(), regs(), regs()), action=self._action)
            for i in self.device_ids
        ]

    async def _serve(self, port: int) -> None:
        if self.serial_port is not None:
            self._server = ModbusSerialServer(
                self._devices(),
                framer=FramerType.RTU,
                port=self.serial_port,
                baudrate=self.baudrate,
                timeout=0.5,
            )
        else:
            self._server = ModbusTcpServer(
                self._devices(), address=("127.0.0.1", port), trace_connect=self._on_connect
            )
        await self._server.serve_forever(background=True)
        if self.serial_port is None:
            transport: Any = self._server.transport
            self.port = transport.sockets[0].getsockname()[1]

    def _on_connect(self, connected: bool) -> None:
        """pymodbus calls this as a client connects (True) or goes (False)."""
        with self._connections_lock:
            if connected:
                self.connections += 1
                self.open_connections += 1
            else:
                self.open_connections = max(0, self.open_connections - 1)

    async def _shutdown(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
        await asyncio.sleep(0)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None

    # ------------------------------------------------------------------ the hook
    async def _action(
        self,
        fc: int,
        _start: int,
        address: int,
        count: int,
        _regs: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if self._internal:
            return None
        area = FC_AREA.get(fc, "?")
        if values is None:
            with self._lock:
                self.reads.append((area, address, count))
            for (r_area, r_addr), code in self.refuse.items():
                if r_area == area and address <= r_addr < address + count:
                    return ExcCodes(code)
        else:
            with self._lock:
                self.writes.append((area, address))
        return None

    def reset_counts(self) -> None:
        with self._lock:
            self.reads.clear()
            self.writes.clear()

    def read_count(self) -> int:
        with self._lock:
            return len(self.reads)

    # ------------------------------------------------------------------ data (any thread)
    def _call(self, make: Callable[[ModbusTcpServer | ModbusSerialServer], Any]) -> Any:
        loop, server = self._loop, self._server
        assert loop is not None and server is not None

        async def run() -> Any:
            self._internal = True
            try:
                return await make(server)
            finally:
                self._internal = False

        return asyncio.run_coroutine_threadsafe(run(), loop).result(5)

    def set_registers(self, address: int, values: Sequence[int], area: str = "hr", unit: int = 0) -> None:
        fc = 3 if area == "hr" else 4
        self._call(lambda s: s.async_setValues(unit or self.device_id, fc, address, list(values)))

    def set_bits(self, address: int, values: Sequence[bool], area: str = "co") -> None:
        fc = 1 if area == "co" else 2
        self._call(lambda s: s.async_setValues(self.device_id, fc, address, [bool(v) for v in values]))

    def get_registers(self, address: int, count: int, area: str = "hr", unit: int = 0) -> list[int]:
        fc = 3 if area == "hr" else 4
        return list(self._call(lambda s: s.async_getValues(unit or self.device_id, fc, address, count)))

    def get_bits(self, address: int, count: int, area: str = "co") -> list[bool]:
        fc = 1 if area == "co" else 2
        return [bool(b) for b in self._call(lambda s: s.async_getValues(self.device_id, fc, address, count))]


def make_site(plcs: Iterable[dict[str, Any]], points: Iterable[dict[str, Any]]) -> SiteFile:
    """A validated SiteFile from plain dicts (the same shape as the TOML)."""
    return SiteFile.model_validate(
        {"site": {"name": "Test", "timezone": "UTC"}, "plc": list(plcs), "point": list(points)}
    )


def point(pid: str, plc: str, address: str, type_: str = "uint16", **extra: Any) -> dict[str, Any]:
    return {"id": pid, "plc": plc, "address": address, "type": type_, "kind": "other", **extra}


class Recorder:
    """Collects bus events and lets a test wait (bounded) for a condition on them."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        self.stamps: list[float] = []  # time.monotonic() of each event's arrival
        self._cond = threading.Condition()
        self.unsubscribe = bus.subscribe(Event, self._on_event)

    def _on_event(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self.stamps.append(time.monotonic())
            self._cond.notify_all()

    def snapshot(self) -> list[Event]:
        with self._cond:
            return list(self.events)

    def stamped(self) -> list[tuple[Event, float]]:
        """Every event with its arrival time (``time.monotonic()``)."""
        with self._cond:
            return list(zip(self.events, self.stamps, strict=True))

    def between(self, start: float, end: float) -> list[Event]:
        """Events that arrived between two ``time.monotonic()`` instants."""
        with self._cond:
            return [e for e, t in zip(self.events, self.stamps, strict=True) if start < t < end]

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str = "condition") -> float:
        """Wait until ``predicate()`` holds (re-checked on every event and every 50 ms); returns seconds."""
        started = time.monotonic()
        deadline = started + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
                self._cond.wait(min(left, 0.05))
        return time.monotonic() - started


class RtuSlaves:
    """Modbus RTU slaves on one serial line (one end of a pty pair), answering holding-register reads.

    pymodbus' own server cannot play a *slow* device: it handles requests concurrently and stamps a
    delayed answer with the unit of whatever request arrived last. Here each request is answered like
    a device would, after ``delay(unit, start, count)`` seconds (None: no answer at all), and a late
    answer goes out on the line whenever it is ready, as on RS-485. Only function 3 is served; frames
    for other units or with a bad CRC get no answer. One thread, bounded waits; ``stop()`` joins it.
    """

    def __init__(
        self,
        path: str,
        registers: dict[int, dict[int, int]],
        delay: Callable[[int, int, int], float | None] | None = None,
    ) -> None:
        self.path = path
        self.registers = registers  # unit -> address -> value
        self.delay = delay or (lambda _unit, _start, _count: 0.0)
        self.requests: list[tuple[int, int, int]] = []  # (unit, start, count) as received
        self.late = 0  # answers sent after a delay of more than 0
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._fd = -1
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self._thread = threading.Thread(target=self._run, name="rtu-slaves", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _answer(self, unit: int, start: int, count: int) -> bytes:
        values = self.registers.get(unit, {})
        data = b"".join(values.get(start + i, 0).to_bytes(2, "big") for i in range(count))
        frame = bytes([unit, 3, len(data)]) + data
        return frame + FramerRTU.compute_CRC(frame).to_bytes(2, "big")

    def _requests_in(self, buffer: bytearray) -> list[tuple[int, int, int]]:
        found = []
        for _ in range(len(buffer)):  # bounded: every turn consumes at least one byte or stops
            if len(buffer) < 8:
                break
            frame = bytes(buffer[:8])
            crc = int.from_bytes(frame[6:8], "big")
            if frame[1] == 3 and FramerRTU.check_CRC(frame[:6], crc):
                found.append((frame[0], int.from_bytes(frame[2:4], "big"), int.from_bytes(frame[4:6], "big")))
                del buffer[:8]
            else:
                del buffer[:1]  # hunt for the next frame
        return found

    def _run(self) -> None:
        buffer = bytearray()
        pending: list[tuple[float, int, bytes, bool]] = []  # (due, order, frame, late)
        order = 0
        while not self._halt.is_set():
            now = time.monotonic()
            wait = min(0.05, max(0.0, pending[0][0] - now)) if pending else 0.05
            readable, _, _ = select.select([self._fd], [], [], wait)
            if readable:
                with contextlib.suppress(BlockingIOError):
                    buffer += os.read(self._fd, 4096)
            for unit, start, count in self._requests_in(buffer):
                with self._lock:
                    self.requests.append((unit, start, count))
                if unit not in self.registers:
                    continue
                delay = self.delay(unit, start, count)
                if delay is None:
                    continue
                order += 1
                heapq.heappush(
                    pending, (time.monotonic() + delay, order, self._answer(unit, start, count), delay > 0)
                )
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _due, _order, frame, late = heapq.heappop(pending)
                os.write(self._fd, frame)
                if late:
                    with self._lock:
                        self.late += 1

    def request_count(self, unit: int) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r[0] == unit)

    def late_count(self) -> int:
        with self._lock:
            return self.late


@contextlib.contextmanager
def socat_pty_pair() -> Iterator[tuple[str, str, int]]:
    """Two connected ptys from Debian's socat, the stand-in for an RS-485 line: (one end, the other
    end, socat's pid; socat keeps both ends open itself). The caller checks that socat exists."""
    proc = subprocess.Popen(
        ["socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"], stderr=subprocess.PIPE, text=True
    )
    ports: list[str] = []
    deadline = time.monotonic() + 10
    assert proc.stderr is not None
    while len(ports) < 2 and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if match := re.search(r"PTY is (\S+)", line):
            ports.append(match.group(1))
    try:
        assert len(ports) == 2, "socat did not report two ptys"
        yield ports[0], ports[1], proc.pid
    finally:
        proc.terminate()
        proc.wait(5)
        proc.stderr.close()

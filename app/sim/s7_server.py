"""The S7 side of a simulated PLC: python-snap7's pure-Python server with real DB/M/I/Q areas.

Minimal but real: an S7 client (the link monitor now, the S7 poller later) connects with the ISO-on-TCP
handshake and reads the same big-endian bytes a Siemens CPU would serve. The drill switches are a data
block of their own (:func:`app.sim.drillmap.drill_db`), polled by the simulator's ticker: snap7's server
writes client data into the registered bytearray in place, under the area's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from snap7.server import Server
from snap7.type import SrvArea

from app.sim import drillmap
from app.sim.values import s7_bytes, to_raw

if TYPE_CHECKING:
    from app.sim.plc import SimPoint
    from app.site.schema import Plc

log = logging.getLogger("wardroom.sim")

_AREAS: dict[str, SrvArea] = {"db": SrvArea.DB, "m": SrvArea.MK, "i": SrvArea.PE, "q": SrvArea.PA}
_SIZE_BYTES = {"bit": 1, "byte": 1, "word": 2, "dword": 4}
MIN_AREA_BYTES = 64


def _area_key(sp: SimPoint) -> tuple[SrvArea, int]:
    address = sp.address
    return _AREAS[address.area], (address.db or 0) if address.area == "db" else 0


class S7Backend:
    """Serves the points' bytes from registered areas; writes go through the server's area locks."""

    def __init__(self, plc: Plc, host: str, port: int, points: Sequence[SimPoint]) -> None:
        if port and port <= 1024:
            raise ValueError(f"PLC {plc.id}: a simulated S7 PLC needs a port above 1024 (got {port})")
        self._plc = plc
        self._host = host
        self._port = port
        self._server = Server(log=False)
        self._areas: dict[tuple[SrvArea, int], bytearray] = {}
        sizes: dict[tuple[SrvArea, int], int] = {}
        for sp in points:
            key = _area_key(sp)
            end = sp.address.index + _SIZE_BYTES[sp.address.size]
            sizes[key] = max(sizes.get(key, MIN_AREA_BYTES), end + 16)
        for key, size in sizes.items():
            self._areas[key] = bytearray(size)
            self._server.register_area(key[0], key[1], self._areas[key])
        self._fill(points)
        ids = [sp.point.id for sp in points]
        self._switches = len(ids)
        self.drill_db = drillmap.drill_db(plc, [sp.point for sp in points])
        drill = bytearray(drillmap.S7_SWITCH_OFFSET + max(len(ids), 1))
        drill[0:8] = drillmap.fingerprint_bytes(ids)
        drill[8:10] = min(len(ids), 0xFFFF).to_bytes(2, "big")
        self._drill = drill
        self._server.register_area(SrvArea.DB, self.drill_db, drill)

    def _fill(self, points: Sequence[SimPoint]) -> None:
        for sp in points:
            data = self._areas[_area_key(sp)]
            raw = to_raw(sp.point, sp.value)
            index, bit = sp.address.index, sp.address.bit
            if bit is not None:
                data[index] = (data[index] | (1 << bit)) if raw else (data[index] & ~(1 << bit) & 0xFF)
            else:
                chunk = s7_bytes(sp.point, raw)
                data[index : index + len(chunk)] = chunk

    def start(self) -> int:
        try:
            self._server.start_to(self._host, self._port)
        except Exception as exc:
            raise OSError(
                f"could not listen on {self._host}:{self._port} (is the port already in use?): {exc}"
            ) from exc
        sock = self._server.server_socket
        if sock is not None:
            self._port = int(sock.getsockname()[1])
        return self._port

    def stop(self, timeout_s: float) -> None:
        # snap7's stop joins its accept thread (0.1 s poll) and each client thread (1 s max).
        del timeout_s
        self._server.stop()

    def write(self, points: Sequence[SimPoint]) -> None:
        for sp in points:
            area, index = _area_key(sp)
            self._server.lock_area(area, index)
            try:
                self._fill([sp])
            finally:
                self._server.unlock_area(area, index)

    def drill_states(self) -> list[bool]:
        self._server.lock_area(SrvArea.DB, self.drill_db)
        try:
            start = drillmap.S7_SWITCH_OFFSET
            return [bool(b) for b in self._drill[start : start + self._switches]]
        finally:
            self._server.unlock_area(SrvArea.DB, self.drill_db)

    def set_drill(self, index: int, on: bool) -> None:
        self._server.lock_area(SrvArea.DB, self.drill_db)
        try:
            self._drill[drillmap.S7_SWITCH_OFFSET + index] = 1 if on else 0
        finally:
            self._server.unlock_area(SrvArea.DB, self.drill_db)

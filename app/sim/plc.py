"""The shared core of a simulated PLC: the points it serves and what a protocol server must offer.

Kept apart from the simulator (``app.sim.simulator``) and the protocol servers
(``app.sim.modbus_server``, ``app.sim.s7_server``) so that each of those imports this one and none
imports another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.sim import drillmap
from app.sim.values import initial_value
from app.site.address import Address, parse_address
from app.site.schema import Plc, Point


@dataclass
class SimPoint:
    """One served point: its parsed address and the engineering value a client currently reads."""

    point: Point
    address: Address
    value: float


class Backend(Protocol):
    """What the simulator needs from a protocol server (``modbus_server``, ``s7_server``)."""

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

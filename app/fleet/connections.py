"""Which devices share a connection, and so a lease: the unit a station owns.

A lease is per *connection*, never per device: every PLC on one RS-485 line goes with that line (a
serial port can be opened by one process only), PLCs behind one TCP endpoint (a gateway) go
together, a simulated PLC is its simulator, and a camera is its own stream. ``--plcs GLOB`` and
``--cameras GLOB`` choose connections by any member's id, so a slice never splits a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from app.site.schema import Plc, SiteFile


@dataclass(frozen=True)
class Connection:
    """One leasable connection: its key, and the PLCs or camera behind it."""

    key: str
    plcs: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()

    @property
    def members(self) -> list[str]:
        return [f"plc:{p}" for p in self.plcs] + [f"camera:{c}" for c in self.cameras]


def plc_connection_key(plc: Plc) -> str:
    if plc.simulated:
        return f"sim:{plc.id}"
    if plc.protocol == "modbus-rtu":
        # A PLC without a port cannot share a line with anything: its own key.
        return f"serial:{plc.serial_port}" if plc.serial_port else f"serial:(none):{plc.id}"
    return f"tcp:{plc.host or '(none)'}:{plc.effective_port}"


def site_connections(site: SiteFile) -> list[Connection]:
    """Every connection of the site, PLC lines first, in site-file order."""
    plcs: dict[str, list[str]] = {}
    for plc in site.plc:
        plcs.setdefault(plc_connection_key(plc), []).append(plc.id)
    found = [Connection(key, plcs=tuple(ids)) for key, ids in plcs.items()]
    found += [Connection(f"camera:{camera.id}", cameras=(camera.id,)) for camera in site.camera]
    return found


def wanted(connections: list[Connection], plcs: str = "*", cameras: str = "*") -> list[Connection]:
    """The connections a station started with ``--plcs``/``--cameras`` globs should own."""
    return [
        c
        for c in connections
        if any(fnmatchcase(p, plcs) for p in c.plcs) or any(fnmatchcase(cam, cameras) for cam in c.cameras)
    ]


def connection_of(connections: list[Connection]) -> dict[str, str]:
    """``plc:<id>`` / ``camera:<id>`` -> its connection's key."""
    return {member: c.key for c in connections for member in c.members}

"""Where a running simulator keeps its drill switches, derived from the site file alone.

``wardroom simulate trip POINT`` runs in another process than the simulator, and knows only the site
file. So the switch for a point must follow from the file: it is the point's *index among its PLC's
points, in file order*. Drills never share an address space with the site's own map:

- **Modbus**: the drill switches live on a second device (unit id) of the simulator's own server,
  ``DRILL_UNIT`` = 247 (the highest ordinary Modbus unit address), or 246 when the PLC itself uses
  unit 247. The site's map answers on every other unit id, so no real register map can collide.
  Holding register *i* of the drill unit is the switch of point *i*: write 1 to trip, 0 to restore.
  Input registers 0-3 hold a fingerprint of the PLC's point list and 4 the number of points, so a
  client can tell that the server it reached serves *this* file's points (a re-used port, or a file
  edited after the simulator started, would otherwise trip the wrong point).
- **S7**: a drill data block, ``DRILL_DB`` = 65000 (or the next lower number the site does not use).
  Bytes 0-7 the fingerprint, 8-9 the point count (big-endian), byte 10 + *i* the switch of point *i*.

Pure data, no I/O and no pymodbus: the simulator and the CLI both import it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from app.site.schema import Plc, Point, SiteFile

DRILL_UNIT = 247
DRILL_UNIT_ALTERNATE = 246
FINGERPRINT_WORDS = 4
DRILL_INFO_REGISTERS = FINGERPRINT_WORDS + 1  # fingerprint words, then the point count
DRILL_DB = 65000
S7_SWITCH_OFFSET = 10  # bytes 0-7 fingerprint, 8-9 count


def plc_points(plc: Plc, points: Sequence[Point]) -> list[Point]:
    """The PLC's points in file order: the order that numbers the drill switches."""
    return [p for p in points if p.plc == plc.id]


def drill_unit(plc: Plc) -> int:
    """The Modbus unit id of the drill switches (never the PLC's own unit id)."""
    return DRILL_UNIT if plc.unit != DRILL_UNIT else DRILL_UNIT_ALTERNATE


def drill_db(plc: Plc, points: Sequence[Point]) -> int:
    """The S7 data block of the drill switches: 65000, or the next lower one the PLC's points leave free."""
    used = {p.address.split(".", 1)[0] for p in plc_points(plc, points)}
    number = DRILL_DB
    while f"db{number}" in used and number > 1:
        number -= 1
    return number


def fingerprint(point_ids: Sequence[str]) -> list[int]:
    """Four 16-bit words from the SHA-256 of the ordered point ids: the drill layout's identity."""
    digest = hashlib.sha256("\n".join(point_ids).encode("utf-8")).digest()
    return [int.from_bytes(digest[i : i + 2], "big") for i in range(0, 2 * FINGERPRINT_WORDS, 2)]


def fingerprint_bytes(point_ids: Sequence[str]) -> bytes:
    """The fingerprint as the 8 bytes an S7 drill block starts with."""
    return b"".join(word.to_bytes(2, "big") for word in fingerprint(point_ids))


def modbus_info(point_ids: Sequence[str]) -> list[int]:
    """Input registers 0-4 of the drill unit: fingerprint, then the point count (clamped to 16 bits)."""
    return [*fingerprint(point_ids), min(len(point_ids), 0xFFFF)]


@dataclass(frozen=True)
class DrillTarget:
    """Where the switch of one point is: its PLC, the point, and the switch index."""

    plc: Plc
    point: Point
    index: int
    points: tuple[Point, ...]  # the PLC's points in file order

    @property
    def point_ids(self) -> tuple[str, ...]:
        """The ids the fingerprint is made of."""
        return tuple(p.id for p in self.points)

    @property
    def db(self) -> int:
        """The S7 drill data block of the point's PLC."""
        return drill_db(self.plc, self.points)


class UnknownPoint(LookupError):
    """The site file has no such point."""


def locate(site: SiteFile, point_id: str) -> DrillTarget:
    """The drill switch of ``point_id``, from the file alone. Raises :class:`UnknownPoint`."""
    point = next((p for p in site.point if p.id == point_id), None)
    if point is None:
        raise UnknownPoint(point_id)
    plc = next(p for p in site.plc if p.id == point.plc)  # the loader guarantees the reference
    mine = tuple(plc_points(plc, site.point))
    index = next(i for i, p in enumerate(mine) if p.id == point_id)
    return DrillTarget(plc=plc, point=point, index=index, points=mine)

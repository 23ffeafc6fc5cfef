"""Block planner: a PLC's points grouped into the fewest contiguous reads the protocol allows.

One request per point would cost a round trip each (pymodbus manages ~3,000 requests/s on this
machine, so 10,000 points could never be scanned once a second). Reading a few unused registers
between two points is far cheaper than a second round trip, up to ``plc.max_gap`` units.

Units are the protocol's own: registers (holding/input), bits (coils/discrete inputs), bytes (S7).
For S7, ``max_gap`` is counted in 16-bit words like on Modbus, i.e. ``2 * max_gap`` bytes.

Greedy left-to-right grouping over points sorted by start address is optimal here: any read covers
a contiguous range, so an optimal plan partitions the sorted points into runs, and extending the
current run while both the gap and the size limit allow never needs more runs than any other plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.fieldbus.codec import byte_count, word_count
from app.site.address import Address
from app.site.schema import Point

MODBUS_MAX_REGISTERS = 125  # Modbus application protocol: read holding/input registers
MODBUS_MAX_BITS = 2000  # read coils / discrete inputs
S7_READ_OVERHEAD = 18  # S7 header + parameters + data header around a read's payload
S7_DEFAULT_PDU = 480  # what snap7 asks for; the PLC may negotiate less (240 on small CPUs)


@dataclass(frozen=True, slots=True)
class Slot:
    """One point's place in its area: ``start`` and ``width`` in the area's units."""

    point: Point
    address: Address
    start: int
    width: int

    @property
    def end(self) -> int:
        return self.start + self.width


@dataclass(frozen=True, slots=True)
class Block:
    """One read request: ``count`` units from ``start`` of ``area`` (and ``db`` for S7 data blocks)."""

    area: str
    db: int | None
    start: int
    count: int
    slots: tuple[Slot, ...]

    @property
    def end(self) -> int:
        return self.start + self.count

    def __hash__(self) -> int:
        """Cheap: the range alone (equal blocks share it; ``==`` still compares the points).

        Pollers key per-block caches by the block itself, on every read; hashing its points (pydantic
        models) each time would cost more than the read. Dict lookups of the very same block object
        never reach ``__eq__``.
        """
        return hash((self.area, self.db, self.start, self.count))

    def describe(self) -> str:
        """How an operator would name this range, e.g. ``hr:100-124`` or ``db5 bytes 0-39``."""
        last = self.end - 1
        if self.db is not None:
            return f"db{self.db} bytes {self.start}-{last}"
        if self.area in ("m", "i", "q"):
            return f"{self.area} bytes {self.start}-{last}"
        return f"{self.area}:{self.start}" + (f"-{last}" if last != self.start else "")


def modbus_slot(point: Point, address: Address) -> Slot:
    """Bits (coils/inputs) are 1 bit wide; register points span their type's registers."""
    if address.area in ("co", "di"):
        return Slot(point, address, address.index, 1)
    width = 1 if address.bit is not None else word_count(point.type)
    return Slot(point, address, address.index, width)


def s7_slot(point: Point, address: Address) -> Slot:
    """S7 is byte addressed; a bit point is read as the byte that holds it."""
    width = 1 if address.bit is not None else byte_count(point.type)
    return Slot(point, address, address.index, width)


def group(slots: Iterable[Slot], max_gap: int, limit: int) -> list[Block]:
    """Plan the reads of slots that all belong to one area (and DB); see the module doc."""
    ordered = sorted(slots, key=lambda s: (s.start, -s.width))
    if not ordered:
        return []
    first = ordered[0]
    area, db = first.address.area, first.address.db
    blocks: list[Block] = []
    run: list[Slot] = [first]
    start, end = first.start, first.end
    for slot in ordered[1:]:
        new_end = max(end, slot.end)
        if slot.start - end <= max_gap and new_end - start <= limit:
            run.append(slot)
            end = new_end
            continue
        blocks.append(Block(area, db, start, end - start, tuple(run)))
        run, start, end = [slot], slot.start, slot.end
    blocks.append(Block(area, db, start, end - start, tuple(run)))
    return blocks


def _by_area(slots: Iterable[Slot]) -> dict[tuple[str, int | None], list[Slot]]:
    areas: dict[tuple[str, int | None], list[Slot]] = {}
    for slot in slots:
        areas.setdefault((slot.address.area, slot.address.db), []).append(slot)
    return areas


def plan_modbus(slots: Iterable[Slot], max_gap: int) -> list[Block]:
    """All reads of one Modbus PLC, area by area (co, di, hr, ir in a stable order)."""
    blocks: list[Block] = []
    for (area, _db), area_slots in sorted(_by_area(slots).items(), key=lambda kv: kv[0][0]):
        limit = MODBUS_MAX_BITS if area in ("co", "di") else MODBUS_MAX_REGISTERS
        blocks.extend(group(area_slots, max_gap, limit))
    return blocks


def s7_payload_limit(pdu_length: int) -> int:
    """Largest read payload (bytes) for a negotiated PDU length."""
    return max(1, pdu_length - S7_READ_OVERHEAD)


def plan_s7(slots: Iterable[Slot], max_gap: int, pdu_length: int = S7_DEFAULT_PDU) -> list[Block]:
    """All reads of one S7 PLC, per area and data block; ``max_gap`` in words (2 bytes each)."""
    blocks: list[Block] = []
    limit = s7_payload_limit(pdu_length)
    keyed = sorted(_by_area(slots).items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    for _key, area_slots in keyed:
        blocks.extend(group(area_slots, 2 * max_gap, limit))
    return blocks


def split(block: Block, limit: int) -> list[Block]:
    """Smaller reads for a block the PLC refused (exception 2), to find which address is bad.

    A joined block also covers the unused addresses between points, and a PLC with a sparse memory map
    refuses the whole read if one of them does not exist. So first drop the gaps; a block that has no
    gaps left is split per distinct address. A block that cannot be split is returned unchanged: its
    points really are misconfigured.
    """
    tight = group(block.slots, 0, limit)
    if len(tight) > 1:
        return tight
    ranges: dict[tuple[int, int], list[Slot]] = {}
    for slot in block.slots:
        ranges.setdefault((slot.start, slot.width), []).append(slot)
    if len(ranges) <= 1:
        return [block]
    return [
        Block(block.area, block.db, start, width, tuple(slots))
        for (start, width), slots in sorted(ranges.items())
    ]


def request_count(blocks: Sequence[Block]) -> int:
    """Requests one scan costs (one per block; kept as a function so tests read clearly)."""
    return len(blocks)

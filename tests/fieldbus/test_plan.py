"""Block reads: the planner's output, and the requests a real server actually receives."""

from __future__ import annotations

import random

import pytest

from app.fieldbus.manager import poll_once
from app.fieldbus.plan import group, modbus_slot, plan_s7, s7_slot, split
from app.site.address import parse_address
from app.site.schema import Point
from tests.fieldbus.servers import ModbusServer, make_site, point


def _minimal_requests(spans: list[tuple[int, int]], max_gap: int, limit: int) -> int:
    """Independent oracle: dynamic programming over all ways to cut the sorted points into reads."""
    spans = sorted(spans, key=lambda s: (s[0], -s[1]))
    n = len(spans)
    best = [0] + [n + 1] * n
    for end in range(1, n + 1):
        for start in range(end - 1, -1, -1):
            first = spans[start][0]
            reach, ok = spans[start][0] + spans[start][1], True
            for s, w in spans[start + 1 : end]:
                if s - reach > max_gap:
                    ok = False
                    break
                reach = max(reach, s + w)
            if not ok:
                break  # adding earlier points keeps this gap inside the run
            if reach - first > limit:
                break
            best[end] = min(best[end], best[start] + 1)
    return best[n]


def _spread_points(count: int, seed: int) -> list[dict[str, object]]:
    """``count`` non-overlapping holding-register points of mixed widths over registers 0-1999."""
    rng = random.Random(seed)
    taken: set[int] = set()
    points: list[dict[str, object]] = []
    while len(points) < count:
        type_ = rng.choice(["uint16", "int16", "uint32", "float32"])
        width = 2 if type_ in ("uint32", "float32") else 1
        start = rng.randrange(0, 2000 - width)
        if any(r in taken for r in range(start, start + width)):
            continue
        taken.update(range(start, start + width))
        points.append(point(f"p{len(points)}", "plc", f"hr:{start}", type_))
    return points


@pytest.mark.parametrize("max_gap", [0, 3, 16, 40])
def test_500_points_read_in_the_minimal_number_of_requests(modbus_server: ModbusServer, max_gap: int) -> None:
    points = _spread_points(500, seed=max_gap)
    plc = {
        "id": "plc",
        "protocol": "modbus-tcp",
        "host": "127.0.0.1",
        "port": modbus_server.port,
        "poll_ms": 1000,
        "timeout_ms": 1000,
        "max_gap": max_gap,
    }
    site = make_site([plc], points)
    spans = []
    for p in site.point:
        address = parse_address(p.address, "modbus-tcp")
        spans.append((address.index, 2 if p.type in ("uint32", "float32") else 1))
    expected = _minimal_requests(spans, max_gap, 125)
    modbus_server.reset_counts()
    readings = poll_once(site, timeout_s=20)
    assert all(r.quality == "good" for r in readings.values())
    assert modbus_server.read_count() == expected
    for area, first, count in modbus_server.reads:
        assert area == "hr" and count <= 125 and first + count <= 2000
    if max_gap == 0:
        assert expected > 100  # the gap setting really matters for this layout


def test_coils_use_the_2000_bit_limit(modbus_server: ModbusServer) -> None:
    pattern = [i % 3 == 0 for i in range(2000)]
    modbus_server.set_bits(0, pattern, "co")
    plc = {
        "id": "plc",
        "protocol": "modbus-tcp",
        "host": "127.0.0.1",
        "port": modbus_server.port,
        "timeout_ms": 2000,
    }
    site = make_site([plc], [point(f"c{i}", "plc", f"co:{i}", "bool") for i in range(0, 2000, 2)])
    modbus_server.reset_counts()
    readings = poll_once(site, timeout_s=20)
    assert modbus_server.read_count() == 1  # 1,999 bits in one request
    assert all(readings[f"c{i}"].value is pattern[i] for i in range(0, 2000, 2))


def _pt(pid: str, address: str, type_: str) -> Point:
    return Point.model_validate({"id": pid, "plc": "x", "address": address, "type": type_, "kind": "other"})


def test_group_respects_limit_and_gap() -> None:
    slots = [
        modbus_slot(_pt(f"p{i}", f"hr:{i * 10}", "uint16"), parse_address(f"hr:{i * 10}", "modbus-tcp"))
        for i in range(30)
    ]
    assert len(group(slots, 8, 125)) == 30  # gaps of 9 unread registers
    blocks = group(slots, 9, 125)
    assert [b.count for b in blocks] == [121, 121, 31]
    assert sum(len(b.slots) for b in blocks) == 30


def test_s7_plans_per_area_and_db_within_the_pdu() -> None:
    texts = ["db1.dbw0", "db1.dbd300", "db2.dbw0", "mw0", "m1.3", "iw4", "qw2", "db1.dbx2.1"]
    types = ["int16", "float32", "uint16", "uint16", "bool", "int16", "uint16", "bool"]
    slots = [s7_slot(_pt(t, t, ty), parse_address(t, "s7")) for t, ty in zip(texts, types, strict=True)]
    blocks = plan_s7(slots, max_gap=16, pdu_length=240)  # 222-byte payloads
    keys = sorted((b.area, b.db, b.start, b.count) for b in blocks)
    assert keys == [
        ("db", 1, 0, 3),
        ("db", 1, 300, 4),
        ("db", 2, 0, 2),
        ("i", None, 4, 2),
        ("m", None, 0, 2),
        ("q", None, 2, 2),
    ]


def test_split_finds_the_refused_address() -> None:
    slots = [
        modbus_slot(_pt(f"p{i}", f"hr:{a}", "uint16"), parse_address(f"hr:{a}", "modbus-tcp"))
        for i, a in enumerate([0, 1, 5, 9, 9])
    ]
    (block,) = group(slots, 16, 125)
    tight = split(block, 125)
    assert [(b.start, b.count) for b in tight] == [(0, 2), (5, 1), (9, 1)]
    singles = split(tight[0], 125)
    assert [(b.start, b.count) for b in singles] == [(0, 1), (1, 1)]
    assert split(tight[2], 125) == [tight[2]]  # two points on one register: cannot split further

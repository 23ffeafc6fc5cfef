"""PlcState and ReadingStore rules on the hot path: cheap age renewal, per-block caches, quality.

These drive one PLC's state directly with the data a PLC would answer (no network): the rules are
what the pollers of every protocol share, and the benchmark's 10,000 points depend on them.
"""

from __future__ import annotations

from app.events import Event, LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.manager import build
from app.fieldbus.quality import PointReading
from app.fieldbus.state import PlcState, ReadingStore
from tests.fieldbus.servers import make_site, point


def _state(*points: dict[str, object], max_gap: int = 16) -> tuple[PlcState, ReadingStore, list[Event]]:
    plc = {"id": "p", "protocol": "modbus-tcp", "host": "127.0.0.1", "port": 1502, "max_gap": max_gap}
    store = ReadingStore()
    events: list[Event] = []
    built = build(make_site([plc], points), None, store, events.append)
    return built.states["p"], store, events


def test_unchanged_data_renews_ages_lazily_without_events() -> None:
    state, store, events = _state(point("a", "p", "hr:0"), point("b", "p", "hr:1", scale=0.5))
    (block,) = state.blocks
    state.block_read(block, [7, 8], 1000.0, 1.0)
    assert store.get("a") == PointReading("a", 7.0, 7, "good", 1000.0, "")
    assert store.get("b") == PointReading("b", 4.0, 8, "good", 1000.0, "")
    first = len(events)
    for n in range(1, 6):  # the same answer again and again: only the age renews
        state.block_read(block, [7, 8], 1000.0 + n, 1.0 + n)
    assert len(events) == first  # nothing to publish: no value or quality changed
    assert store.get("a") == PointReading("a", 7.0, 7, "good", 1005.0, "")
    snapshot = store.snapshot()
    assert snapshot["b"] == PointReading("b", 4.0, 8, "good", 1005.0, "")
    assert state.readings()["a"].last_good_at == 1005.0

    state.block_read(block, [7, 9], 1006.0, 7.0)  # b changes, a does not
    assert store.get("a") == PointReading("a", 7.0, 7, "good", 1006.0, "")
    assert store.get("b") == PointReading("b", 4.5, 9, "good", 1006.0, "")
    changed = [e for e in events[first:] if isinstance(e, PointValueChanged)]
    assert [e.reading.point_id for e in changed] == ["b"]

    state.link_failed("PLC p at 127.0.0.1:1502 did not answer within 1000 ms")
    failed = store.snapshot()
    assert {r.quality for r in failed.values()} == {"comm-fail"}
    assert failed["a"].last_good_at == 1006.0  # the age of the last good read, never renewed further
    assert failed["a"].value == 7.0
    state.block_read(block, [7, 9], 1010.0, 11.0)  # the same data as before the outage: good again
    back = store.snapshot()
    assert back["a"] == PointReading("a", 7.0, 7, "good", 1010.0, "")
    qualities = [(e.reading.point_id, e.previous, e.reading.quality) for e in events
                 if isinstance(e, PointQualityChanged)]  # fmt: skip
    assert qualities[-2:] == [("a", "comm-fail", "good"), ("b", "comm-fail", "good")]
    links = [e.status for e in events if isinstance(e, LinkStateChanged)]
    assert links == ["connected", "disconnected", "connected"]


def test_garbage_is_never_renewed_as_good() -> None:
    state, store, _events = _state(point("f", "p", "hr:0", "float32"), point("u", "p", "hr:2"))
    (block,) = state.blocks
    state.block_read(block, [0x3F80, 0, 5], 100.0, 1.0)
    nan = [0x7FC0, 0, 5]
    state.block_read(block, nan, 101.0, 2.0)
    state.block_read(block, nan, 102.0, 3.0)  # the same garbage again: stays refused, age not renewed
    bad = store.get("f")
    assert bad is not None and bad.quality == "out-of-range" and bad.last_good_at == 100.0
    assert bad.value == 1.0 and "not a measurement" in bad.error
    assert store.get("u") == PointReading("u", 5.0, 5, "good", 102.0, "")


def test_block_caches_follow_the_plan_and_are_pruned_on_a_split() -> None:
    """Caches are keyed by the Block itself (``id()`` is reused by Python for new objects)."""
    state, store, _events = _state(point("a", "p", "hr:0"), point("b", "p", "hr:10"), max_gap=16)
    (joined,) = state.blocks
    state.block_read(joined, [1] + [0] * 9 + [2], 10.0, 1.0)
    assert set(state._block_data) == {joined}
    state.block_refused(joined, 2, "exception 2 (illegal data address) for hr:0-10", bad_address=True)
    assert [(b.start, b.count) for b in state.blocks] == [(0, 1), (10, 1)]
    assert set(state._block_data) <= set(state.blocks)  # the joined block's data is gone
    assert set(state._members) <= set(state.blocks)
    first, second = state.blocks
    state.block_read(first, [1], 11.0, 2.0)
    state.block_read(second, [3], 11.0, 2.0)
    assert store.get("b") == PointReading("b", 3.0, 3, "good", 11.0, "")
    assert set(state._block_data) == {first, second}

"""Per-PLC poll state: the read plan, each point's reading, and the quality rules.

Kept apart from the protocol code so that Modbus TCP, Modbus RTU and S7 share one set of rules:

- a PLC that does not answer turns *all* its points comm-fail at once, with one
  ``LinkStateChanged(kind="plc", status="disconnected")``; its first answer publishes "connected";
- a block refused with "illegal address" (Modbus exception 2, S7 item codes 0x05/0x0A) is split to
  find the bad address; points that stay refused are bad-config;
- a point whose block keeps failing otherwise turns stale after ``STALE_PERIODS`` poll periods
  without a good read (the PLC answers, but not for this point);
- a good value outside the point's range is out-of-range;
- a value is published only when it moves by at least ``value_deadband``; the reading always keeps
  the time of the last good read, so an age never lies.

All methods run on the poller's event loop thread, which keeps its own copy of the readings; the
shared :class:`ReadingStore` gets them in one locked batch per block, *before* the matching events are
published, so a subscriber that looks at the store sees at least what the event says.

Most values do not change between scans, and the hot path is built around that (the benchmark's
10,000 points at 1 s depend on it): a block whose data is byte-for-byte what it was last time, with
every point good, only renews its points' time of last good read. The renewal is a float per point
(in the track, and one dict update per block in the store); the store builds the immutable
:class:`PointReading` with the renewed ``last_good_at`` only when someone asks for it
(:meth:`ReadingStore.get` / :meth:`ReadingStore.snapshot`), so no reading object is made per point
and scan. Caches per block are keyed by the :class:`Block` itself and pruned whenever the plan
changes (a split, or a re-plan after connecting), never by ``id()``, which Python reuses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from app.events import Event, LinkStateChanged
from app.fieldbus import codec
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.plan import Block, Slot, split
from app.fieldbus.quality import (
    LIVE_QUALITIES,
    STALE_PERIODS,
    PointReading,
    Quality,
    crosses_deadband,
    never_read,
    range_error,
)
from app.site.schema import Plc

log = logging.getLogger("wardroom.fieldbus")

Publish = Callable[[Event], None]
BlockData = Sequence[int] | Sequence[bool] | bytes


class ReadingStore:
    """Thread-safe map point id -> latest PointReading (the pollers write, anyone reads snapshots).

    ``renew`` records a newer time of last good read for points whose reading is otherwise unchanged;
    it is folded into a new PointReading lazily, on the first ``get``/``snapshot`` that needs it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readings: dict[str, PointReading] = {}
        self._renewed: dict[str, float] = {}  # point id -> wall time of a good read newer than its reading's

    def set(self, reading: PointReading) -> None:
        with self._lock:
            self._readings[reading.point_id] = reading
            self._renewed.pop(reading.point_id, None)

    def update(self, readings: Iterable[PointReading]) -> None:
        with self._lock:
            stored, renewed = self._readings, self._renewed
            for reading in readings:
                stored[reading.point_id] = reading
                if renewed:
                    renewed.pop(reading.point_id, None)

    def renew(self, point_ids: Iterable[str], wall: float) -> None:
        """These points were read again with unchanged data (and are good): their age restarts."""
        with self._lock:
            self._renewed.update(dict.fromkeys(point_ids, wall))

    def _fold(self, point_id: str) -> PointReading | None:
        """The reading with any pending renewal applied (caller holds the lock)."""
        reading = self._readings.get(point_id)
        at = self._renewed.pop(point_id, None)
        if reading is None or at is None:
            return reading
        if reading.last_good_at is None or at > reading.last_good_at:
            reading = PointReading(
                reading.point_id, reading.value, reading.raw, reading.quality, at, reading.error
            )
            self._readings[point_id] = reading
        return reading

    def get(self, point_id: str) -> PointReading | None:
        with self._lock:
            return self._fold(point_id)

    def snapshot(self) -> dict[str, PointReading]:
        with self._lock:
            for point_id in list(self._renewed):
                self._fold(point_id)
            return dict(self._readings)


@dataclass
class PlcStats:
    """Counters for diagnostics and the benchmark (scan starts are monotonic seconds).

    The poller thread records while any thread may ask for a copy: ``scan_starts`` is only changed
    under ``lock`` (iterating a deque that another thread appends to raises RuntimeError), and
    :meth:`copy` takes the same lock. The integer counters are single stores, safe to read as they are.
    """

    scans: int = 0
    requests: int = 0
    failures: int = 0
    scan_starts: deque[float] = field(default_factory=lambda: deque(maxlen=4096))
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_scan(self, now: float) -> None:
        with self.lock:
            self.scans += 1
            self.scan_starts.append(now)

    def copy(self) -> PlcStats:
        """A consistent copy that the poller will not change (safe from any thread)."""
        with self.lock:
            starts = deque(self.scan_starts, maxlen=self.scan_starts.maxlen)
            return PlcStats(self.scans, self.requests, self.failures, starts)


@dataclass(slots=True)
class _PointTrack:
    slot: Slot
    last_good_mono: float | None = None
    last_good_wall: float | None = None  # the reading's ``last_good_at``, renewed without a new reading
    last_error: str = ""
    chunk: object = None  # the raw words/bytes last decoded, to skip decoding when unchanged
    decoded: bool = False  # whether ``chunk`` decoded to a value


class PlcState:
    """One PLC's plan and points; the owner task drives it with read results."""

    def __init__(
        self,
        plc: Plc,
        slots: Sequence[Slot],
        blocks: Sequence[Block],
        endpoint: str,
        store: ReadingStore,
        publish: Publish,
        split_limit: int,
    ) -> None:
        self.plc = plc
        self.endpoint = endpoint
        self.period_s = plc.poll_ms / 1000.0
        self.next_due = time.monotonic()
        self.stats = PlcStats()
        self._store = store
        self._publish = publish
        self.split_limit = split_limit
        self._tracks = {slot.point.id: _PointTrack(slot) for slot in slots}
        self._current: dict[str, PointReading] = {s.point.id: never_read(s.point.id) for s in slots}
        self._published: dict[str, float | bool | None] = {}
        self._link: str = "unknown"  # "connected" | "disconnected" | "unknown"
        self._started_mono = time.monotonic()
        self._dirty: list[PointReading] = []
        self._events: list[Event] = []
        # Per-block caches, keyed by the Block itself and pruned by ``set_blocks``:
        self._failed_blocks: set[Block] = set()  # refused (not bad-address) during this scan
        self._block_data: dict[Block, BlockData] = {}  # its data at the last read
        self._members: dict[Block, tuple[tuple[str, ...], tuple[_PointTrack, ...]]] = {}
        self._clean: set[Block] = set()  # every point decoded and good/out-of-range since its last read
        self.blocks: list[Block] = []
        self.set_blocks(blocks)
        store.update(self._current.values())

    # ------------------------------------------------------------------ plan
    def set_blocks(self, blocks: Sequence[Block], split_limit: int | None = None) -> None:
        """Adopt a (new) read plan, dropping what was cached for blocks no longer in it."""
        self.blocks = list(blocks)
        if split_limit is not None:
            self.split_limit = split_limit
        keep = set(self.blocks)
        for cache in (self._block_data, self._members):
            for gone in [b for b in cache if b not in keep]:
                del cache[gone]
        self._failed_blocks &= keep
        self._clean &= keep

    def _members_of(self, block: Block) -> tuple[tuple[str, ...], tuple[_PointTrack, ...]]:
        members = self._members.get(block)
        if members is None:
            ids = tuple(slot.point.id for slot in block.slots)
            members = (ids, tuple(self._tracks[i] for i in ids))
            self._members[block] = members
        return members

    # ------------------------------------------------------------------ scheduling
    @property
    def link_up(self) -> bool:
        return self._link == "connected"

    def scan_started(self, now: float) -> None:
        self.stats.record_scan(now)
        self._failed_blocks.clear()

    def schedule_next(self, now: float) -> None:
        """Fixed-rate schedule (no drift); after an overrun start again right away."""
        self.next_due = max(self.next_due + self.period_s, now)

    # ------------------------------------------------------------------ output
    def _put(self, reading: PointReading) -> None:
        self._current[reading.point_id] = reading
        self._dirty.append(reading)

    def _flush(self) -> None:
        """Store first, then events: whoever reacts to an event finds the store up to date."""
        if self._dirty:
            self._store.update(self._dirty)
            self._dirty = []
        if self._events:
            events, self._events = self._events, []
            for event in events:
                self._publish(event)

    # ------------------------------------------------------------------ results
    def block_read(self, block: Block, data: BlockData, wall: float, mono: float) -> None:
        """Decode every point of a block that the PLC answered."""
        self.stats.requests += 1
        self._set_link("connected", "")  # before the points: consumers see the PLC up first
        if block in self._clean and data == self._block_data.get(block):
            ids, tracks = self._members_of(block)
            for track in tracks:  # same data, same values: only the ages renew
                track.last_good_mono = mono
                track.last_good_wall = wall
            self._store.renew(ids, wall)
            self._flush()
            return
        self._block_data[block] = data
        renewed: list[str] = []
        clean = True
        for slot in block.slots:
            offset = slot.start - block.start
            chunk = data[offset : offset + slot.width]
            point_id = slot.point.id
            track = self._tracks[point_id]
            if track.decoded and chunk == track.chunk and self._current[point_id].quality in LIVE_QUALITIES:
                track.last_good_mono = mono
                track.last_good_wall = wall
                renewed.append(point_id)
                continue
            track.chunk = chunk
            try:
                raw = self._decode(slot, chunk)
            except ValueError as exc:
                track.decoded = False
                clean = False
                self._set_quality(slot, "out-of-range", f"PLC sent data that is not a value: {exc}")
                continue
            track.decoded = True
            track.last_good_mono = mono
            track.last_good_wall = wall
            self._good(slot, raw, wall)
        if renewed:
            self._store.renew(renewed, wall)
        self._flush()
        if clean:
            self._clean.add(block)

    def _decode(self, slot: Slot, chunk: BlockData) -> codec.Raw:
        point, address = slot.point, slot.address
        if isinstance(chunk, bytes | bytearray):
            return codec.decode_bytes(bytes(chunk), point.type, address.bit)
        if address.area in ("co", "di"):
            return codec.decode_bits([bool(b) for b in chunk], point.type)
        return codec.decode_registers([int(w) for w in chunk], point.type, self.plc.word_order, address.bit)

    def _good(self, slot: Slot, raw: codec.Raw, wall: float) -> None:
        point = slot.point
        value = codec.to_engineering(raw, point.scale, point.offset)
        problem = range_error(value, point.range, point.unit)
        quality: Quality = "out-of-range" if problem else "good"
        old = self._current[point.id]
        publish_value = point.id not in self._published or crosses_deadband(
            self._published[point.id], value, point.value_deadband
        )
        shown_value, shown_raw = (value, raw) if publish_value else (old.value, old.raw)
        reading = PointReading(point.id, shown_value, shown_raw, quality, wall, problem)
        self._put(reading)
        if publish_value:
            self._published[point.id] = value
            self._events.append(PointValueChanged(plc_id=self.plc.id, reading=reading))
        if old.quality != quality:
            self._events.append(
                PointQualityChanged(plc_id=self.plc.id, reading=reading, previous=old.quality)
            )

    def _set_quality(self, slot: Slot, quality: Quality, error: str) -> None:
        old = self._current[slot.point.id]
        if old.quality == quality and old.error == error:
            return
        self._clean.clear()  # rare: let every block take the full path once more
        last_good = self._tracks[slot.point.id].last_good_wall
        reading = PointReading(old.point_id, old.value, old.raw, quality, last_good, error)
        self._put(reading)
        if old.quality != quality:
            self._events.append(
                PointQualityChanged(plc_id=self.plc.id, reading=reading, previous=old.quality)
            )

    def block_refused(self, block: Block, code: int, message: str, bad_address: bool) -> None:
        """The PLC answered with an error for this block (``bad_address``: the address does not exist)."""
        self.stats.requests += 1
        self._set_link("connected", "")
        if bad_address:
            parts = split(block, self.split_limit)
            if len(parts) > 1:
                index = self.blocks.index(block)
                self.set_blocks([*self.blocks[:index], *parts, *self.blocks[index + 1 :]])
                log.info(
                    "PLC %s refused %s (%s); reading it in %d parts",
                    self.plc.id,
                    block.describe(),
                    message,
                    len(parts),
                )
            else:
                for slot in block.slots:
                    text = f"PLC {self.plc.id} refused address {slot.address.text}: {message}"
                    self._set_quality(slot, "bad-config", text)
            self._flush()
            return
        self._failed_blocks.add(block)
        for slot in block.slots:
            self._tracks[slot.point.id].last_error = message
        self._flush()

    def scan_done(self, mono: float) -> None:
        """A whole scan got answers: apply the stale rule to points whose block failed."""
        self._set_link("connected", "")
        limit = STALE_PERIODS * self.period_s
        for block in self.blocks:
            if block not in self._failed_blocks:
                continue
            for slot in block.slots:
                track = self._tracks[slot.point.id]
                since = track.last_good_mono if track.last_good_mono is not None else self._started_mono
                if mono - since >= limit - 1e-3:
                    why = track.last_error or "error response"
                    text = f"no good read from PLC {self.plc.id} for {STALE_PERIODS} poll periods ({why})"
                    self._set_quality(slot, "stale", text)
        self._flush()

    def link_failed(self, reason: str) -> None:
        """The PLC did not answer (or the link broke): every point comm-fail, one fault event."""
        self.stats.failures += 1
        self._set_link("disconnected", reason)
        for track in self._tracks.values():
            self._set_quality(track.slot, "comm-fail", reason)
        self._flush()

    def _set_link(self, status: str, reason: str) -> None:
        if status == self._link:
            return
        previous = self._link
        self._link = status
        if status == "connected" and previous == "unknown":
            log.info("PLC %s at %s answering", self.plc.id, self.endpoint)
        elif status == "connected":
            log.warning("PLC %s at %s answering again", self.plc.id, self.endpoint)
        elif reason.startswith(f"PLC {self.plc.id}"):
            log.warning("%s", reason)  # the reason already names the PLC
        else:
            log.warning("PLC %s: %s", self.plc.id, reason)
        self._events.append(
            LinkStateChanged(
                kind="plc",
                id=self.plc.id,
                status="connected" if status == "connected" else "disconnected",
                reason=reason,
                endpoint=self.endpoint,
            )
        )

    def readings(self) -> dict[str, PointReading]:
        """This PLC's readings, each with its current ``last_good_at`` (loop thread only)."""
        out: dict[str, PointReading] = {}
        for point_id, reading in self._current.items():
            at = self._tracks[point_id].last_good_wall
            if reading.quality in LIVE_QUALITIES and at is not None and at != reading.last_good_at:
                reading = PointReading(
                    point_id, reading.value, reading.raw, reading.quality, at, reading.error
                )
            out[point_id] = reading
        return out

    def slot(self, point_id: str) -> Slot | None:
        track = self._tracks.get(point_id)
        return track.slot if track else None

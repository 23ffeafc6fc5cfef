"""FieldbusManager: every PLC of a site polled from one asyncio loop in one worker thread.

The rest of the application never touches a protocol client: it reads immutable snapshots
(:meth:`FieldbusManager.readings`), listens to bus events (``PointValueChanged``,
``PointQualityChanged``, ``LinkStateChanged(kind="plc")``) and asks for writes, which are queued to
the owner task of the PLC's connection. ``poll_once`` serves ``wardroom points list``: every PLC once,
in parallel, in bounded time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from app.events import Event, EventBus
from app.fieldbus import codec
from app.fieldbus.modbus import ModbusRtuLink, ModbusTcpLink
from app.fieldbus.owner import Link, LinkError, Owner, WriteError
from app.fieldbus.plan import (
    MODBUS_MAX_REGISTERS,
    S7_DEFAULT_PDU,
    Block,
    Slot,
    modbus_slot,
    plan_modbus,
    plan_s7,
    s7_payload_limit,
    s7_slot,
)
from app.fieldbus.quality import PointReading, never_read
from app.fieldbus.s7 import S7Link
from app.fieldbus.state import PlcState, PlcStats, ReadingStore
from app.site.address import parse_address, type_fit_error
from app.site.schema import Plc, Point, SiteFile
from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.fieldbus")

Endpoints = Mapping[str, tuple[str, int]]
STOP_GRACE_S = 0.3  # an owner gets this long to finish its request before it is cancelled


@dataclass
class _Built:
    owners: list[Owner]
    states: dict[str, PlcState]  # by PLC id
    point_plc: dict[str, str]  # point id -> PLC id
    links: list[Link]


class _UnreachableLink(Link):
    """A PLC without a usable endpoint (e.g. a simulated PLC whose simulator is not running)."""

    def __init__(self, plc: Plc, why: str) -> None:
        self.endpoint = "no endpoint"
        self._reason = f"PLC {plc.id}: {why}"

    async def open(self) -> None:
        raise LinkError(self._reason)

    async def close(self) -> None:
        return None

    async def read(self, state: PlcState, block: Block) -> list[int]:
        raise LinkError(self._reason)

    async def write(self, state: PlcState, slot: Slot, raw: codec.Raw) -> None:
        raise LinkError(self._reason)


def _slots(plc: Plc, points: Sequence[Point], store: ReadingStore) -> list[Slot]:
    """Parse each point's address; a point that cannot be read is bad-config, never polled."""
    slots: list[Slot] = []
    for point in points:
        try:
            address = parse_address(point.address, plc.protocol)
        except ValueError as exc:
            store.set(PointReading(point.id, None, None, "bad-config", None, str(exc)))
            continue
        if problem := type_fit_error(address, point.type):
            store.set(PointReading(point.id, None, None, "bad-config", None, problem))
            continue
        slots.append(s7_slot(point, address) if plc.protocol == "s7" else modbus_slot(point, address))
    return slots


def _tcp_endpoint(plc: Plc, endpoints: Endpoints) -> tuple[str, int] | None:
    if plc.id in endpoints:
        return endpoints[plc.id]
    if not plc.host or not plc.effective_port:
        return None
    return plc.host, plc.effective_port


def build(
    site: SiteFile, endpoints: Endpoints | None, store: ReadingStore, publish: Callable[[Event], None]
) -> _Built:
    """Links, owners and per-PLC states for a site (must run on the loop that will drive them)."""
    endpoints = endpoints or {}
    built = _Built([], {}, {}, [])
    lines: dict[str, tuple[ModbusRtuLink, list[PlcState]]] = {}
    for plc in site.plc:
        points = [p for p in site.point if p.plc == plc.id]
        slots = _slots(plc, points, store)
        link: Link
        if plc.protocol == "modbus-rtu":
            port = endpoints[plc.id][0] if plc.id in endpoints else (plc.serial_port or "")
            blocks, limit, endpoint = plan_modbus(slots, plc.max_gap), MODBUS_MAX_REGISTERS, port
        else:
            target = _tcp_endpoint(plc, endpoints)
            endpoint = f"{target[0]}:{target[1]}" if target else "no endpoint"
            if plc.protocol == "s7":
                blocks, limit = plan_s7(slots, plc.max_gap), s7_payload_limit(S7_DEFAULT_PDU)
            else:
                blocks, limit = plan_modbus(slots, plc.max_gap), MODBUS_MAX_REGISTERS
        state = PlcState(plc, slots, blocks, endpoint, store, publish, limit)
        built.states[plc.id] = state
        for slot in slots:
            built.point_plc[slot.point.id] = plc.id
        if plc.protocol == "modbus-rtu":
            if not endpoint:
                link = _UnreachableLink(plc, "no serial port configured")
                built.owners.append(Owner(link, [state]))
                built.links.append(link)
                continue
            lines.setdefault(endpoint, (ModbusRtuLink(plc, endpoint), []))[1].append(state)
            continue
        target = _tcp_endpoint(plc, endpoints)
        if target is None:
            link = _UnreachableLink(plc, "no host/port to connect to (is its simulator running?)")
        elif plc.protocol == "s7":
            link = S7Link(plc, *target)
        else:
            link = ModbusTcpLink(plc, *target)
        built.owners.append(Owner(link, [state]))
        built.links.append(link)
    for rtu, line_states in lines.values():
        built.owners.append(Owner(rtu, line_states))
        built.links.append(rtu)
    return built


class FieldbusStartError(RuntimeError):
    """The poller could not start (e.g. the site's read plan could not be built); says why."""


def _shutdown_links(links: Sequence[Link]) -> None:
    for link in links:
        if isinstance(link, S7Link):
            link.shutdown()


class FieldbusManager:
    """Polls every PLC of ``site``; ``endpoints`` overrides host/port per PLC id (simulators on port 0).

    For a Modbus RTU PLC an endpoint's first element is taken as its serial port.
    """

    def __init__(
        self,
        site: SiteFile,
        bus: EventBus,
        endpoints: Endpoints | None = None,
        *,
        owned: Sequence[str] | None = None,
    ) -> None:
        self._site = site
        self._bus = bus
        self._endpoints = dict(endpoints or {})
        # Which PLCs this process polls (a station owns a slice of the site); None: all of them.
        self._owned: set[str] = {p.id for p in site.plc} if owned is None else set(owned)
        self._tasks: dict[int, asyncio.Task[None]] = {}  # id(owner) -> its task
        self._store = ReadingStore()
        self._points = {p.id: p for p in site.point}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: Worker | None = None
        self._built: _Built | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None  # why the loop ended before it was ready

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._worker is not None:
            raise RuntimeError("FieldbusManager already started")
        self._ready.clear()
        self._failure = None
        self._loop = asyncio.new_event_loop()
        self._worker = Worker("fieldbus", self._run, on_cancel=self._end_loop).start()
        if not self._ready.wait(timeout=5.0):
            raise FieldbusStartError("the fieldbus poller did not start within 5 s")
        failure = self._failure
        if failure is not None:
            self._worker.join(2.0)
            self._worker = None
            raise FieldbusStartError(
                f"the fieldbus poller could not start: {failure.__class__.__name__}: {failure}"
            ) from failure

    def _run(self, token: CancelToken) -> None:
        del token  # on_cancel ends the loop
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except Exception as exc:
            log.exception("fieldbus loop failed")
            if not self._ready.is_set():  # failed while starting: start() raises it
                self._failure = exc
        finally:
            if self._built is not None:
                _shutdown_links(self._built.links)
            loop.close()
            self._ready.set()

    def _subsite(self, plc_ids: set[str]) -> SiteFile:
        return self._site.model_copy(
            update={
                "plc": [p for p in self._site.plc if p.id in plc_ids],
                "point": [p for p in self._site.point if p.plc in plc_ids],
            }
        )

    def _run_owner(self, owner: Owner) -> None:
        self._tasks[id(owner)] = asyncio.create_task(owner.run(), name=f"owner {owner.link.endpoint}")

    async def _main(self) -> None:
        self._stop_event = asyncio.Event()
        self._built = build(self._subsite(self._owned), self._endpoints, self._store, self._bus.publish)
        for owner in self._built.owners:
            self._run_owner(owner)
        self._ready.set()
        await self._stop_event.wait()
        for owner in self._built.owners:
            owner.stop()
            owner.link.abort()
        tasks = list(self._tasks.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in leftovers:  # e.g. a library's own helper tasks
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop polling, close every connection, end the worker thread (within ``timeout_s``)."""
        worker = self._worker
        if worker is None or self._loop is None:
            return
        worker.stop(timeout_s)
        self._worker = None

    def _end_loop(self) -> None:
        loop = self._loop
        if loop is not None and self._stop_event is not None and not loop.is_closed():
            with suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._stop_event.set)

    @property
    def running(self) -> bool:
        """Whether the poller thread is alive (a crash of the loop would end it)."""
        return self._worker is not None and self._worker.is_alive()

    # ------------------------------------------------------------------ ownership
    @property
    def owned(self) -> set[str]:
        """The PLC ids this manager polls now."""
        return set(self._owned)

    def adopt(
        self, plc_ids: Sequence[str], endpoints: Endpoints | None = None, timeout_s: float = 5.0
    ) -> None:
        """Start polling these PLCs too (a station gained their connection); ``endpoints`` as at start."""
        new = {p for p in plc_ids if p not in self._owned and p in self._points_by_plc()}
        if not new:
            return
        self._endpoints.update(endpoints or {})
        self._owned |= new
        self._call(self._adopt(new), timeout_s)

    def release(self, plc_ids: Sequence[str], timeout_s: float = 2.0) -> None:
        """Stop polling these PLCs and close their connections (another station owns them now)."""
        gone = {p for p in plc_ids if p in self._owned}
        if not gone:
            return
        self._owned -= gone
        self._call(self._release(gone), timeout_s)
        for point in self._site.point:
            if point.plc in gone:
                self._store.set(never_read(point.id))

    def _points_by_plc(self) -> set[str]:
        return {p.id for p in self._site.plc}

    def _call(self, coroutine: Coroutine[Any, Any, None], timeout_s: float) -> None:
        loop = self._loop
        if loop is None or self._worker is None or loop.is_closed():
            coroutine.close()
            return
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            future.result(timeout=timeout_s)
        except FutureTimeout:
            log.warning(
                "changing the polled PLCs took longer than %g s; it goes on in the background", timeout_s
            )

    async def _adopt(self, plc_ids: set[str]) -> None:
        built = self._built
        assert built is not None
        part = build(self._subsite(plc_ids), self._endpoints, self._store, self._bus.publish)
        built.owners.extend(part.owners)
        built.states.update(part.states)
        built.point_plc.update(part.point_plc)
        built.links.extend(part.links)
        for owner in part.owners:
            self._run_owner(owner)

    async def _release(self, plc_ids: set[str]) -> None:
        built = self._built
        assert built is not None
        leaving = [o for o in built.owners if any(s.plc.id in plc_ids for s in o.states)]
        tasks = []
        for owner in leaving:
            owner.stop()
            owner.link.abort()
            built.owners.remove(owner)
            if (task := self._tasks.pop(id(owner), None)) is not None:
                tasks.append(task)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        _shutdown_links([o.link for o in leaving])
        for owner in leaving:
            if owner.link in built.links:
                built.links.remove(owner.link)
            for state in owner.states:
                built.states.pop(state.plc.id, None)
        built.point_plc = {p: plc for p, plc in built.point_plc.items() if plc not in plc_ids}

    # ------------------------------------------------------------------ queries
    def readings(self) -> dict[str, PointReading]:
        """Snapshot of every point's latest reading (safe from any thread)."""
        return self._store.snapshot()

    def reading(self, point_id: str) -> PointReading | None:
        return self._store.get(point_id)

    def stats(self) -> dict[str, PlcStats]:
        """Per-PLC counters (consistent copies, safe while polling), for diagnostics and the benchmark."""
        built = self._built
        if built is None:
            return {}
        return {plc_id: state.stats.copy() for plc_id, state in built.states.items()}

    # ------------------------------------------------------------------ writes
    def write(self, point_id: str, value: float | bool, timeout_s: float = 5.0) -> None:
        """Write an engineering value to a writable point; raises WriteError saying why not."""
        point = self._points.get(point_id)
        if point is None:
            raise WriteError(f"there is no point {point_id!r} in the site file")
        if not point.writable:
            raise WriteError(f"point {point_id} is not writable (the site file does not say writable = true)")
        built, loop = self._built, self._loop
        if built is None or loop is None or self._worker is None:
            raise WriteError(f"cannot write {point_id}: the poller is not running")
        if point.plc not in self._owned:
            raise WriteError(f"cannot write {point_id}: PLC {point.plc} is polled by another station")
        plc_id = built.point_plc.get(point_id)
        state = built.states.get(plc_id or "")
        slot = state.slot(point_id) if state else None
        if state is None or slot is None:
            raise WriteError(f"cannot write {point_id}: its address is not valid ({point.address})")
        if slot.address.read_only:
            raise WriteError(f"point {point_id} is at {slot.address.text}, which is read-only")
        try:
            raw = codec.to_raw(value, point.type, point.scale, point.offset)
        except ValueError as exc:
            raise WriteError(f"cannot write {value!r} to {point_id}: {exc}") from exc
        owner = next(o for o in built.owners if state in o.states)
        future = asyncio.run_coroutine_threadsafe(owner.write(state, slot, raw), loop)
        try:
            future.result(timeout=timeout_s)
        except FutureTimeout:
            future.cancel()
            raise WriteError(f"write to {point_id} got no answer within {timeout_s:g} s") from None


def poll_once(
    site: SiteFile, endpoints: Endpoints | None = None, timeout_s: float = 10.0
) -> dict[str, PointReading]:
    """Poll every PLC once, all in parallel, within ``timeout_s``; a reading for every point."""
    store = ReadingStore()
    links: list[Link] = []

    def ignore(_event: Event) -> None:
        return None

    async def main() -> None:
        built = build(site, endpoints, store, ignore)
        links.extend(built.links)
        tasks = {asyncio.create_task(owner.scan_all_once()): owner for owner in built.owners}
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in pending:
            for state in tasks[task].states:
                state.link_failed(
                    f"PLC {state.plc.id} at {state.endpoint} was not read within {timeout_s:g} s"
                )

    try:
        asyncio.run(main())
    finally:
        _shutdown_links(links)
    return store.snapshot()

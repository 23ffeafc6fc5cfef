"""The alarm engine: point values, link states and event calls in; journaled transitions out.

It runs in the station on one worker thread of its own. Bus subscribers (poller and monitor threads)
only queue what they receive; the worker takes what has queued up (a batch), evaluates conditions
(:mod:`app.alarms.condition`), decides state changes (:mod:`app.alarms.lifecycle`), writes the
batch's transitions to the journal (:mod:`app.alarms.journal`) in one transaction, and only after
that commit publishes each as :class:`app.alarms.events.AlarmChanged`, in order. One commit per
batch rather than per alarm is what lets a flood be journaled as fast as it comes. So nothing is
shown that is not recorded, with one exception, the one a control room needs: while storage fails,
transitions are
held in memory in their order, shown and sounded marked "not recorded", a ``system:storage`` alarm
says so, and the held transitions are written in order when storage returns.

At start, before it evaluates anything, the engine restores the open occurrences from the journal:
an alarm that was showing before a crash is shown again and never raised twice (the database also
refuses a second open occurrence of one alarm). Operator actions made elsewhere (another console,
the CLI) reach the engine through the journal: it reads new transitions every half second, adopts
them and publishes them, and since its own writes are conditional it never overwrites one.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.alarms import journal
from app.alarms.condition import ChatterWatch, LimitCondition
from app.alarms.events import AlarmChanged
from app.alarms.journal import NewAlarm
from app.alarms.lifecycle import OVERLAYS, Refused, State, Status, step
from app.alarms.lifecycle import Event as LifecycleEvent
from app.alarms.views import AlarmView, TransitionView
from app.events import LINK_DOWN, LINK_UP, EventBus, LinkStateChanged, utcnow
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import PointReading
from app.storage import bus
from app.storage.engine import StorageError
from app.workers import CancelToken, Worker
from models.site import SITE_KEY, Site

if TYPE_CHECKING:
    from app.site.loader import LoadedSite
    from app.site.schema import AlarmLimit, Point
    from app.storage.database import Database

log = logging.getLogger("wardroom.alarms")

POINT_FAULT_QUALITIES = frozenset({"stale", "out-of-range", "bad-config"})
SYNC_EVERY_S = 0.5  # reads the journal for other writers' transitions (actions reach us within 1 s)
HEARTBEAT_EVERY_S = 3.0  # a dead store is noticed within this plus a write timeout, well within 10 s
WRITE_TIMEOUT_S = 5.0
MAX_CONFLICT_RETRIES = 3
BATCH = 500  # inputs handled between two timer passes
STORAGE_KEY = "system:storage"


def _limit_words(limit: str) -> str:
    return {
        "high-high": "above its high-high limit",
        "high": "above its high limit",
        "low": "below its low limit",
        "low-low": "below its low-low limit",
    }.get(limit, limit)


def _format(value: float | bool | None, unit: str) -> str:
    if value is None:
        return "no value"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:.4g} {unit}".rstrip()


def limit_message(point: Point, alarm: AlarmLimit, value: float | bool | None) -> str:
    """The text a duty officer reads, unless the site file gives one: point, limit, value."""
    if alarm.message:
        return alarm.message
    if alarm.limit in ("on", "off"):
        what = "fire alarm" if alarm.category == "fire" else "alarm"
        return f"{point.id}: {what} ({point.kind} {alarm.limit})"
    assert alarm.value is not None
    return (
        f"{point.id} {_limit_words(alarm.limit)} {_format(alarm.value, point.unit)}: "
        f"{_format(value, point.unit)}"
    )


@dataclass
class _Alarm:
    """One alarm the engine follows, with or without an open occurrence."""

    key: str
    source: str
    category: str
    priority: str
    building: str | None = None
    definition_key: str | None = None
    status: Status = field(default_factory=Status)
    occ_id: int | None = None
    view: AlarmView | None = None
    condition: LimitCondition | None = None
    point: Point | None = None
    spec: AlarmLimit | None = None
    realarm_s: float = 0.0
    announced_at: float = 0.0  # monotonic time of the last (re-)announcement
    chatter: ChatterWatch = field(default_factory=ChatterWatch)
    value: float | bool | None = None
    message: str = ""
    snapshot: str | None = None


@dataclass
class _Op:
    """One decided transition, waiting to be journaled with the others of its batch.

    ``view`` is the alarm as it will look once written (built in memory: no read-back). While
    storage is down ops are held, in order, and written when it returns.
    """

    alarm: _Alarm
    event: LifecycleEvent
    from_state: str
    to_state: str
    at: datetime
    note: str
    fields: dict[str, Any]
    new: NewAlarm | None
    view: AlarmView

    @property
    def chattering(self) -> bool:
        """This transition started a chattering episode (marked on the occurrence with it)."""
        return bool(self.fields.get("chattering"))


class AlarmEngine:
    """Evaluates the site's alarms; ``start()`` restores from the journal, ``stop()`` within a deadline."""

    def __init__(
        self,
        loaded: LoadedSite,
        db: Database,
        bus: EventBus,
        *,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.loaded = loaded
        self.db = db
        self.bus = bus
        self.clock = clock
        self.monotonic = monotonic
        site = loaded.site
        self.video_lost_s = site.alarms.video_lost_s
        self._alarms: dict[str, _Alarm] = {}
        self._by_point: dict[str, list[_Alarm]] = {}
        self._by_switch: dict[str, list[_Alarm]] = {}
        self._points = {p.id: p for p in site.point}
        self._plc_bound_s = {p.id: p.report_bound_ms / 1000 for p in site.plc}
        self._cameras = {c.id: c for c in site.camera}
        self._fault_since: dict[str, float] = {}
        self._fault_error: dict[str, str] = {}
        self._camera_lost: dict[str, tuple[float, str]] = {}
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._worker: Worker | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._pending: list[_Op] = []
        self._held: list[_Op] = []
        self._definition_ids: dict[str, int] = {}
        self._storage_reason = ""
        self._own_transitions: set[int] = set()
        self._last_seen = 0
        self._next_sync = 0.0
        self._next_heartbeat = 0.0
        # The slice of the site this engine decides for (None: all of it, a single station).
        self._owned_plcs: set[str] | None = None
        self._owned_cameras: set[str] | None = None
        for point in site.point:
            for spec in point.alarms:
                key = f"{point.id}/{spec.limit}"
                alarm = _Alarm(
                    key=key,
                    source=f"point:{point.id}",
                    category=spec.category,
                    priority=spec.priority,
                    building=point.building,
                    definition_key=key,
                    status=Status(latch=spec.latch),
                    condition=LimitCondition(
                        spec.limit, spec.value, spec.deadband, spec.delay_s, spec.off_delay_s
                    ),
                    point=point,
                    spec=spec,
                    realarm_s=spec.realarm_min * 60,
                )
                self._alarms[key] = alarm
                self._by_point.setdefault(point.id, []).append(alarm)
                if spec.suppress_when:
                    self._by_switch.setdefault(spec.suppress_when, []).append(alarm)

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Restore open alarms from the journal (published again), then follow the bus."""
        self._restore()
        bus = self.bus
        self._unsubscribe = [
            bus.subscribe(PointValueChanged, lambda e: self._queue.put(("reading", e.reading))),
            bus.subscribe(PointQualityChanged, lambda e: self._queue.put(("reading", e.reading))),
            bus.subscribe(LinkStateChanged, lambda e: self._queue.put(("link", e))),
        ]
        self._worker = Worker("wardroom-alarms", self._run, on_cancel=lambda: self._queue.put(("stop", None)))
        self._worker.start()

    def stop(self, deadline_s: float = 5.0) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self._worker is not None:
            self._worker.stop(deadline_s)
            self._worker = None

    def raise_event(
        self,
        key: str,
        *,
        category: str,
        priority: str,
        message: str,
        source: str | None = None,
        building: str | None = None,
        snapshot: str | None = None,
    ) -> None:
        """Raise an event alarm (``camera:<id>/zone:<name>`` ...) for another service; any thread."""
        self._queue.put(("raise", (key, source or key, category, priority, message, building, snapshot)))

    def clear_event(self, key: str) -> None:
        """The event's condition is over (it still needs acknowledging if not yet); any thread."""
        self._queue.put(("clear", key))

    def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait until everything queued so far was handled (tests, orderly shutdown)."""
        done = queue.Queue[bool]()
        self._queue.put(("mark", done))
        try:
            return done.get(timeout=timeout_s)
        except queue.Empty:
            return False

    @property
    def storage_ok(self) -> bool:
        return not self._held and not self._storage_reason

    def snapshot(self) -> list[AlarmView]:
        """The open alarms as the engine sees them (any thread; a copy)."""
        views = [a.view for a in list(self._alarms.values())]
        return [v for v in views if v is not None and v.state != "normal"]

    # ------------------------------------------------------------------------------ restore

    def _restore(self) -> None:
        try:
            with self.db.session() as session:
                open_views = journal.open_alarms(session)
                self._last_seen = journal.last_transition_id(session)
                self._definition_ids = journal.definition_ids(session)
        except (SQLAlchemyError, StorageError) as exc:
            log.error("could not read the alarm journal at start: %s", exc)
            self._storage_failed(f"the journal could not be read: {exc}")
            return
        for view in open_views:
            self._restore_view(view)
            self.bus.publish(AlarmChanged(view=view))
        if open_views:
            log.info("restored %d open alarm(s) from the journal", len(open_views))

    def _restore_view(self, view: AlarmView) -> None:
        """Take an open occurrence's state from the journal as the alarm's, condition included."""
        alarm = self._alarm_for_view(view)
        active = view.state in ("unacknowledged", "acknowledged")
        alarm.status = replace(
            alarm.status,
            state=cast("State", view.state),
            active=active,
            suppressed_by_design=view.state == "suppressed",
        )
        if alarm.condition is not None:
            alarm.condition.active = active
        alarm.occ_id = view.id
        alarm.view = view
        alarm.value = view.value
        alarm.announced_at = self.monotonic()

    # ------------------------------------------------------------------------------ ownership

    def own(self, plcs: set[str], cameras: set[str], timeout_s: float = 5.0) -> bool:
        """Decide the alarms of these PLCs and cameras from now on (a station's slice of the site).

        Blocks until the engine has re-read the open occurrences of newly owned devices from the
        journal, so a station taking over from a dead one shows them again and never raises them
        twice; only then should it start polling them. False if that did not finish in time.
        """
        done: queue.Queue[bool] = queue.Queue()
        self._queue.put(("own", (set(plcs), set(cameras), done)))
        try:
            return done.get(timeout=timeout_s)
        except queue.Empty:
            return False

    def _take_ownership(self, plcs: set[str], cameras: set[str]) -> None:
        gained_plcs = plcs - (self._owned_plcs if self._owned_plcs is not None else set())
        gained_cameras = cameras - (self._owned_cameras if self._owned_cameras is not None else set())
        self._owned_plcs, self._owned_cameras = plcs, cameras
        if not gained_plcs and not gained_cameras:
            return
        self._sync_journal()
        try:
            with self.db.session() as session:
                open_views = journal.open_alarms(session)
        except (SQLAlchemyError, StorageError) as exc:
            log.error("could not read the open alarms of the devices taken over: %s", exc)
            return
        restored = 0
        for view in open_views:
            alarm = self._alarm_for_view(view)
            plc, camera = self._device_of(alarm)
            if (plc is not None and plc in gained_plcs) or (camera is not None and camera in gained_cameras):
                self._restore_view(view)
                restored += 1
        if restored:
            log.info("took over %d open alarm(s) from the journal", restored)

    def _device_of(self, alarm: _Alarm) -> tuple[str | None, str | None]:
        """(PLC id, camera id) whose station decides this alarm; (None, None): any station."""
        if alarm.point is not None:
            return alarm.point.plc, None
        kind, _, rest = alarm.source.partition(":")
        if kind == "plc":
            return rest, None
        if kind == "point":
            point = self._points.get(rest)
            return (point.plc if point is not None else None), None
        if kind == "camera":
            return None, rest.split("/", 1)[0]
        return None, None

    def _owns(self, alarm: _Alarm) -> bool:
        plc, camera = self._device_of(alarm)
        if plc is not None and self._owned_plcs is not None:
            return plc in self._owned_plcs
        if camera is not None and self._owned_cameras is not None:
            return camera in self._owned_cameras
        return True

    def _alarm_for_view(self, view: AlarmView) -> _Alarm:
        alarm = self._alarms.get(view.key)
        if alarm is None:
            alarm = _Alarm(
                key=view.key,
                source=view.source,
                category=view.category,
                priority=view.priority,
                building=view.building,
                definition_key=view.definition_key,
                message=view.message,
            )
            self._alarms[view.key] = alarm
        return alarm

    # ------------------------------------------------------------------------------ worker

    def _run(self, token: CancelToken) -> None:
        while not token.cancelled:
            timeout = max(0.02, min(self._next_deadline() - self.monotonic(), SYNC_EVERY_S))
            batch: list[tuple[str, Any]] = []
            try:
                batch.append(self._queue.get(timeout=timeout))
                while len(batch) < BATCH:
                    batch.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            for kind, payload in batch:
                if kind == "stop":
                    self._commit()
                    return
                try:
                    self._handle(kind, payload)
                except Exception:  # one bad input must not stop the alarm engine
                    log.exception("alarm engine: handling %s failed", kind)
            try:
                self._tick()
                self._commit()  # one transaction for the batch, then everything in it is published
            except Exception:
                log.exception("alarm engine: timers or journal failed")

    def _handle(self, kind: str, payload: Any) -> None:
        if kind == "reading":
            self._on_reading(payload)
        elif kind == "link":
            self._on_link(payload)
        elif kind == "raise":
            key, source, category, priority, message, building, snapshot = payload
            alarm = self._system_alarm(key, source, category, priority, building)
            alarm.message, alarm.snapshot = message, snapshot
            self._apply(alarm, "activate")
        elif kind == "clear":
            if (cleared := self._alarms.get(payload)) is not None:
                self._apply(cleared, "clear")
        elif kind == "mark":
            self._commit()
            payload.put(True)
        elif kind == "own":
            plcs, cameras, done = payload
            self._take_ownership(plcs, cameras)
            done.put(True)

    def _next_deadline(self) -> float:
        now = self.monotonic()
        deadlines = [self._next_sync, self._next_heartbeat]
        for alarm in self._alarms.values():
            if alarm.condition is not None and (d := alarm.condition.deadline()) is not None:
                deadlines.append(d)
        for point_id, since in self._fault_since.items():
            point = self._points.get(point_id)
            if point is not None:
                deadlines.append(since + self._plc_bound_s.get(point.plc, 10.0))
        for since, _ in self._camera_lost.values():
            deadlines.append(since + self.video_lost_s)
        return min(deadlines) if deadlines else now + SYNC_EVERY_S

    # ------------------------------------------------------------------------------ inputs

    def _on_reading(self, reading: PointReading) -> None:
        now = self.monotonic()
        point_id = reading.point_id
        for alarm in self._by_point.get(point_id, ()):
            assert alarm.condition is not None
            if reading.quality == "good":
                alarm.value = reading.value
            change = alarm.condition.observe(reading.value, reading.quality, now)
            if change is not None:
                self._apply(alarm, change)
        self._point_fault(reading, now)
        for alarm in self._by_switch.get(point_id, ()):
            if reading.quality == "good" and reading.value is not None:
                self._apply(alarm, "suppress" if bool(reading.value) else "unsuppress")

    def _point_fault(self, reading: PointReading, now: float) -> None:
        point_id = reading.point_id
        key = f"point:{point_id}/fault"
        if reading.quality in POINT_FAULT_QUALITIES:
            self._fault_since.setdefault(point_id, now)
            self._fault_error[point_id] = f"{reading.quality}: {reading.error or reading.quality}"
            return
        self._fault_since.pop(point_id, None)
        if reading.quality == "good" and key in self._alarms:
            self._apply(self._alarms[key], "clear")

    def _on_link(self, event: LinkStateChanged) -> None:
        if event.kind == "plc":
            key = f"plc:{event.id}"
            if event.status == "disconnected":
                alarm = self._system_alarm(key, key, "fault", "high", None)
                alarm.message = f"PLC {event.id} does not answer: {event.reason or 'no reply'}"
                self._apply(alarm, "activate")
            elif event.status == "connected" and key in self._alarms:
                self._apply(self._alarms[key], "clear")
            return
        key = f"camera:{event.id}"
        if event.status in LINK_DOWN:
            self._camera_lost.setdefault(event.id, (self.monotonic(), event.reason))
        elif event.status in LINK_UP or event.status == "disabled":  # a disabled camera is no fault
            self._camera_lost.pop(event.id, None)
            if key in self._alarms:
                self._apply(self._alarms[key], "clear")

    def _system_alarm(
        self, key: str, source: str, category: str, priority: str, building: str | None
    ) -> _Alarm:
        alarm = self._alarms.get(key)
        if alarm is None:
            alarm = _Alarm(key=key, source=source, category=category, priority=priority, building=building)
            self._alarms[key] = alarm
        return alarm

    # ------------------------------------------------------------------------------ timers

    def _tick(self) -> None:
        now = self.monotonic()
        wall = self.clock()
        for alarm in list(self._alarms.values()):
            if alarm.condition is not None and (change := alarm.condition.evaluate(now)) is not None:
                self._apply(alarm, change)
            view = alarm.view
            if (
                alarm.status.state == "shelved"
                and view is not None
                and view.shelved_until is not None
                and view.shelved_until <= wall
            ):
                self._apply(alarm, "shelf-expired", note="shelf expired")
            if (
                alarm.realarm_s > 0
                and alarm.status.state == "unacknowledged"
                and self._owns(alarm)
                and view is not None
                and now - alarm.announced_at >= alarm.realarm_s
            ):
                alarm.announced_at = now
                self.bus.publish(AlarmChanged(view=view, reannounce=True))
            if alarm.chatter.chattering:  # only an episode can end; quiet alarms cost nothing here
                alarm.chatter.refresh(now)
        for point_id, since in list(self._fault_since.items()):
            point = self._points.get(point_id)
            if point is None or now - since < self._plc_bound_s.get(point.plc, 10.0):
                continue
            key = f"point:{point_id}/fault"
            alarm = self._system_alarm(key, f"point:{point_id}", "fault", "medium", point.building)
            if not alarm.status.active:
                alarm.message = f"point {point_id} is {self._fault_error.get(point_id, 'faulty')}"
                self._apply(alarm, "activate")
        for camera_id, (since, reason) in list(self._camera_lost.items()):
            if now - since < self.video_lost_s:
                continue
            key = f"camera:{camera_id}"
            camera = self._cameras.get(camera_id)
            alarm = self._system_alarm(key, key, "fault", "medium", camera.building if camera else None)
            if not alarm.status.active:
                name = camera.display_name if camera else camera_id
                alarm.message = f"camera {name}: video lost{': ' + reason if reason else ''}"
                self._apply(alarm, "activate")
        if now >= self._next_sync:
            self._next_sync = now + SYNC_EVERY_S
            self._sync_journal()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_EVERY_S
            self._heartbeat()

    # ------------------------------------------------------------------------------ transitions

    def _apply(self, alarm: _Alarm, event: LifecycleEvent, *, note: str = "") -> None:
        """Step the alarm's lifecycle; a state change is queued for this batch's journal write."""
        try:
            result = step(alarm.status, event)
        except Refused:
            return
        before, after = alarm.status, result.status
        alarm.status = after
        if not result.changed:
            return
        chattering = False
        if event in ("activate", "clear"):
            chattering = alarm.chatter.record(self.monotonic())
        at = self.clock()
        fields = self._fields(alarm, before.state, after.state, at)
        if chattering:
            fields["chattering"] = True
        new = self._new_alarm(alarm, after.state) if before.state == "normal" else None
        view = self._view_after(alarm, after.state, at, fields, new)
        op = _Op(alarm, event, before.state, after.state, at, note, fields, new, view)
        alarm.view = op.view
        if after.state == "unacknowledged":
            alarm.announced_at = self.monotonic()
        self._pending.append(op)

    def _fields(self, alarm: _Alarm, from_state: str, to_state: str, at: datetime) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if to_state in ("rtn-unacknowledged", "latched") or (
            to_state == "normal" and from_state in ("acknowledged", "unacknowledged")
        ):
            fields["returned_at"] = at
        if to_state == "normal":
            fields["cleared_at"] = at
        if to_state == "unacknowledged" and alarm.value is not None:
            fields["value"] = float(alarm.value)
        return fields

    def _new_alarm(self, alarm: _Alarm, state: str) -> NewAlarm:
        message = alarm.message
        if alarm.point is not None and alarm.spec is not None:
            message = limit_message(alarm.point, alarm.spec, alarm.value)
        return NewAlarm(
            key=alarm.key,
            source=alarm.source,
            category=alarm.category,
            priority=alarm.priority,
            message=message or alarm.key,
            state=state,
            value=alarm.value,
            building=alarm.building,
            definition_key=alarm.definition_key,
            snapshot=alarm.snapshot,
        )

    def _view_after(
        self, alarm: _Alarm, state: str, at: datetime, fields: dict[str, Any], new: NewAlarm | None
    ) -> AlarmView:
        """The alarm as the journal will hold it after this transition (no read-back needed)."""
        base = alarm.view
        value = alarm.value if "value" in fields or base is None else base.value
        chattering = bool(fields.get("chattering")) or (base is not None and base.chattering and new is None)
        if new is not None or base is None:
            return AlarmView(
                id=None,
                key=alarm.key,
                definition_key=alarm.definition_key,
                source=alarm.source,
                point=alarm.point.id
                if alarm.point is not None
                else (alarm.source.removeprefix("point:") if alarm.source.startswith("point:") else None),
                limit=alarm.spec.limit if alarm.spec is not None else None,
                building=alarm.building,
                category=alarm.category,
                priority=alarm.priority,
                state=state,
                value=alarm.value,
                message=new.message if new is not None else alarm.message,
                raised_at=at,
                returned_at=fields.get("returned_at"),
                chattering=chattering,
                snapshot=alarm.snapshot,
            )
        return replace(
            base,
            state=state,
            value=value,
            returned_at=fields.get("returned_at", base.returned_at),
            chattering=chattering,
            recorded=True,
        )

    # ------------------------------------------------------------------------------ the journal write

    def _commit(self) -> None:
        """Journal this batch's transitions in one transaction, then publish them in their order.

        A transition that finds its occurrence moved by someone else (an operator elsewhere) is not
        written: the engine adopts the journal's state and decides that alarm again (next round).
        """
        for _ in range(MAX_CONFLICT_RETRIES):
            ops, self._pending = self._pending, []
            if not ops:
                return
            if self._held or self._storage_reason:
                for op in ops:
                    self._hold(op)
                return
            try:
                try:
                    outcomes = self.db.write(partial(self._write_ops, ops=ops), timeout_s=WRITE_TIMEOUT_S)
                except IntegrityError:  # an occurrence we thought closed is open (another writer)
                    write = partial(self._write_ops, ops=ops, careful=True)
                    outcomes = self.db.write(write, timeout_s=WRITE_TIMEOUT_S)
            except (SQLAlchemyError, StorageError) as exc:
                for op in ops:
                    self._hold(op)
                self._storage_failed(str(exc))  # its own alarm is held behind these
                self._pending, extra = [], self._pending
                for op in extra:
                    self._hold(op)
                return
            retry: dict[str, list[_Op]] = {}
            for op, outcome in zip(ops, outcomes, strict=True):
                if outcome is None or op.alarm.key in retry:
                    retry.setdefault(op.alarm.key, []).append(op)
                    continue
                self._published(op, *outcome, held=False)
            for conflicted in retry.values():
                alarm = conflicted[0].alarm
                self._adopt_current(alarm)
                for op in conflicted:
                    self._apply(alarm, op.event, note=op.note)
        if self._pending:
            log.warning("alarm transitions conflicting after %d rounds; next batch", MAX_CONFLICT_RETRIES)

    def _write_ops(
        self, session: Any, ops: list[_Op], *, held: bool = False, careful: bool = False
    ) -> list[tuple[int, int] | None]:
        """Write ops in order inside one transaction; (occurrence id, transition id), or None for a
        transition that lost its race. Nothing on the alarms is changed here: the transaction may
        still roll back."""
        bus.serialize(session)  # before any row lock: transitions commit in id order (consoles read by id)
        occ_ids: dict[str, int | None] = {}
        lost: set[str] = set()
        written: list[tuple[int, int]] = []  # (index in ops, occurrence id)
        rows: list[dict[str, Any]] = []
        for index, op in enumerate(ops):
            key = op.alarm.key
            if key in lost:
                continue
            occ_id = occ_ids.get(key, op.alarm.occ_id)
            if op.new is not None:
                key_of_definition = op.new.definition_key
                definition_id = self._definition_ids.get(key_of_definition or "")
                if definition_id is None and key_of_definition is not None:  # not read at start
                    definition_id = journal.definition_id(session, key_of_definition)
                occ_id = journal.insert_occurrence(
                    session, op.new, op.at, definition_id, chattering=op.chattering, savepoint=careful
                )
            elif occ_id is None or not journal.update_state(
                session, occ_id, op.from_state, op.to_state, op.fields
            ):
                occ_id = None
            if occ_id is None:
                lost.add(key)
                continue
            occ_ids[key] = None if op.to_state == "normal" else occ_id
            written.append((index, occ_id))
            rows.append(
                {
                    "occurrence_id": occ_id,
                    "from_state": op.from_state,
                    "to_state": op.to_state,
                    "at": op.at,
                    "by_user_id": None,
                    "note": op.note,
                    "held": held,
                }
            )
        outcomes: list[tuple[int, int] | None] = [None] * len(ops)
        for (index, occ_id), tid in zip(written, journal.insert_transitions(session, rows), strict=True):
            outcomes[index] = (occ_id, tid)
        if rows:
            bus.notify(session, "alarms")
        return outcomes

    def _published(self, op: _Op, occ_id: int, tid: int, *, held: bool) -> None:
        alarm = op.alarm
        self._own_transitions.add(tid)
        view = replace(op.view, id=occ_id, recorded=True)
        alarm.occ_id = None if op.to_state == "normal" else occ_id
        if alarm.view is op.view or alarm.view is None or alarm.view.id in (None, occ_id):
            alarm.view = view
        transition = TransitionView(
            tid, occ_id, alarm.key, op.at, op.from_state, op.to_state, None, op.note, held
        )
        self.bus.publish(AlarmChanged(view=view, transition=transition))

    def _adopt_current(self, alarm: _Alarm) -> None:
        """After a lost race: take the journal's state of the alarm as ours."""
        try:
            with self.db.session() as session:
                view = journal.find_open(session, alarm.key)
        except (SQLAlchemyError, StorageError) as exc:
            log.error("alarm %s: could not re-read the journal: %s", alarm.key, exc)
            return
        if view is None:
            alarm.status = replace(alarm.status, state="normal")
            alarm.occ_id = None
            return
        alarm.status = replace(alarm.status, state=view.state)  # type: ignore[arg-type]
        alarm.occ_id = view.id
        alarm.view = view

    # ------------------------------------------------------------------------------ storage

    def _hold(self, op: _Op) -> None:
        """Keep a transition for later and show it now, marked not recorded."""
        self._held.append(op)
        view = replace(op.view, id=op.alarm.occ_id, recorded=False)
        op.alarm.view = view
        transition = TransitionView(
            None, op.alarm.occ_id, op.alarm.key, op.at, op.from_state, op.to_state, None, op.note, True
        )
        self.bus.publish(AlarmChanged(view=view, transition=transition))

    def _storage_failed(self, reason: str) -> None:
        if self._storage_reason:
            return
        self._storage_reason = reason or "the database does not accept writes"
        log.error("alarms are not being recorded: %s", self._storage_reason)
        alarm = self._system_alarm(STORAGE_KEY, STORAGE_KEY, "fault", "urgent", None)
        alarm.message = f"alarms are not being recorded: {self._storage_reason}"
        self._apply(alarm, "activate")

    def _heartbeat(self) -> None:
        """A small write every few seconds, so a dead store is noticed even when no alarm changes."""
        if self._held:
            self._flush()
            return
        try:
            self.db.write(_touch_site, timeout_s=WRITE_TIMEOUT_S)
        except (SQLAlchemyError, StorageError) as exc:
            self._storage_failed(str(exc))
            return
        if self._storage_reason:
            self._storage_back()

    def _flush(self) -> None:
        """Write the held transitions, in their order, in one transaction; on failure try later."""
        held = list(self._held)
        try:
            write = partial(self._write_ops, ops=held, held=True, careful=True)
            outcomes = self.db.write(write, timeout_s=WRITE_TIMEOUT_S)
        except (SQLAlchemyError, StorageError) as exc:
            log.info("storage still failing (%d transitions held): %s", len(held), exc)
            return
        del self._held[: len(held)]
        for op, outcome in zip(held, outcomes, strict=True):
            if outcome is None:
                log.warning("held transition of %s no longer applies; the journal's state wins", op.alarm.key)
                self._adopt_current(op.alarm)
                continue
            self._published(op, *outcome, held=True)
        self._storage_back()

    def _storage_back(self) -> None:
        if not self._storage_reason:
            return
        log.info("storage is back; alarms are recorded again")
        self._storage_reason = ""
        alarm = self._alarms.get(STORAGE_KEY)
        if alarm is not None:
            self._apply(alarm, "clear")

    # ------------------------------------------------------------------------------ journal sync

    def _sync_journal(self) -> None:
        """Adopt and publish transitions other writers journaled (operator actions, other stations)."""
        if self._storage_reason:
            return
        try:
            with self.db.session() as session:
                rows = journal.transitions_after(session, self._last_seen)
        except (SQLAlchemyError, StorageError) as exc:
            log.warning("could not read the alarm journal: %s", exc)
            return
        for transition, view in rows:
            assert transition.id is not None
            self._last_seen = max(self._last_seen, transition.id)
            if transition.id in self._own_transitions:
                self._own_transitions.discard(transition.id)
                continue
            alarm = self._alarm_for_view(view)
            adopted = alarm.occ_id in (None, view.id)
            if adopted:
                alarm.status = replace(alarm.status, state=view.state)  # type: ignore[arg-type]
                alarm.occ_id = view.id if view.state != "normal" else None
                alarm.view = view
            self.bus.publish(AlarmChanged(view=view, transition=transition))
            if adopted and transition.from_state in OVERLAYS and self._owns(alarm):
                self._recheck(alarm)

    def _recheck(self, alarm: _Alarm) -> None:
        """After someone ended a shelf or out-of-service: the journal could not know the condition.

        The engine followed the condition under the overlay, so it decides again: an active alarm
        put back to normal is raised again, a cleared one put back to unacknowledged has returned.
        """
        state, active = alarm.status.state, alarm.status.active
        if state == "normal" and active:
            alarm.status = replace(alarm.status, active=False)
            self._apply(alarm, "activate")
        elif state == "unacknowledged" and not active:
            alarm.status = replace(alarm.status, active=True)
            self._apply(alarm, "clear")


def _touch_site(session: Any) -> None:
    session.execute(update(Site).where(Site.key == SITE_KEY).values(synced_at=Site.synced_at))

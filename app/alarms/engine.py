"""The alarm engine: point values, link states and event calls in; journaled transitions out.

It runs in the station on one worker thread of its own. Bus subscribers (poller and monitor threads)
only queue what they receive; the worker evaluates conditions (:mod:`app.alarms.condition`), decides
state changes (:mod:`app.alarms.lifecycle`), writes each one to the journal (:mod:`app.alarms.journal`)
and only then publishes :class:`app.alarms.events.AlarmChanged`. So nothing is shown that is not
recorded, with one exception, the one a control room needs: while storage fails, transitions are
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
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from app.alarms import journal
from app.alarms.condition import ChatterWatch, LimitCondition
from app.alarms.events import AlarmChanged
from app.alarms.journal import NewAlarm
from app.alarms.lifecycle import OVERLAYS, Refused, Status, step
from app.alarms.lifecycle import Event as LifecycleEvent
from app.alarms.views import AlarmView, TransitionView
from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import PointReading
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


def _now() -> datetime:
    return datetime.now(UTC)


def _limit_words(limit: str) -> str:
    return {"high-high": "above its high-high limit", "high": "above its high limit",
            "low": "below its low limit", "low-low": "below its low-low limit"}.get(limit, limit)


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


@dataclass(frozen=True)
class _Held:
    """A transition made while storage was down, written in order when it returns."""

    key: str
    from_state: str
    to_state: str
    at: datetime
    note: str
    fields: dict[str, Any]
    new: NewAlarm | None


class AlarmEngine:
    """Evaluates the site's alarms; ``start()`` restores from the journal, ``stop()`` within a deadline."""

    def __init__(
        self,
        loaded: LoadedSite,
        db: Database,
        bus: EventBus,
        *,
        clock: Callable[[], datetime] = _now,
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
        self._held: list[_Held] = []
        self._storage_reason = ""
        self._own_transitions: set[int] = set()
        self._last_seen = 0
        self._next_sync = 0.0
        self._next_heartbeat = 0.0
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
        except (SQLAlchemyError, StorageError) as exc:
            log.error("could not read the alarm journal at start: %s", exc)
            self._storage_failed(f"the journal could not be read: {exc}")
            return
        for view in open_views:
            alarm = self._alarm_for_view(view)
            active = view.state in ("unacknowledged", "acknowledged")
            alarm.status = replace(
                alarm.status, state=view.state, active=active,  # type: ignore[arg-type]
                suppressed_by_design=view.state == "suppressed",
            )
            if alarm.condition is not None:
                alarm.condition.active = active
            alarm.occ_id = view.id
            alarm.view = view
            alarm.value = view.value
            alarm.announced_at = self.monotonic()
            self.bus.publish(AlarmChanged(view=view))
        if open_views:
            log.info("restored %d open alarm(s) from the journal", len(open_views))

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
                    return
                try:
                    self._handle(kind, payload)
                except Exception:  # one bad input must not stop the alarm engine
                    log.exception("alarm engine: handling %s failed", kind)
            try:
                self._tick()
            except Exception:
                log.exception("alarm engine: timers failed")

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
            payload.put(True)

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
        if event.status == "disconnected":
            self._camera_lost.setdefault(event.id, (self.monotonic(), event.reason))
        elif event.status == "connected":
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
                and view is not None
                and now - alarm.announced_at >= alarm.realarm_s
            ):
                alarm.announced_at = now
                self.bus.publish(AlarmChanged(view=view, reannounce=True))
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
        """Step the alarm's lifecycle; journal a state change (first commit wins), then publish it."""
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                result = step(alarm.status, event)
            except Refused:
                return
            before = alarm.status
            if not result.changed:
                alarm.status = result.status
                return
            after = result.status
            moved = event in ("activate", "clear")
            if moved and alarm.chatter.record(self.monotonic()) and alarm.occ_id is not None:
                self._mark_chattering(alarm)
            outcome = self._write(alarm, before.state, after.state, note)
            if outcome == "conflict":
                continue  # another writer moved it first: adopt its state (done) and decide again
            alarm.status = after
            return
        log.warning("alarm %s: gave up after %d conflicting writes", alarm.key, MAX_CONFLICT_RETRIES)

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

    def _write(self, alarm: _Alarm, from_state: str, to_state: str, note: str) -> str:
        """Journal one transition; 'ok', 'held' (storage down: shown unrecorded) or 'conflict'."""
        at = self.clock()
        fields = self._fields(alarm, from_state, to_state, at)
        new = self._new_alarm(alarm, to_state) if from_state == "normal" else None
        if self._held or self._storage_reason:
            self._hold(alarm, _Held(alarm.key, from_state, to_state, at, note, fields, new))
            return "held"
        try:
            written = self.db.write(
                lambda s: self._write_in(s, alarm, from_state, to_state, at, note, fields, new),
                timeout_s=WRITE_TIMEOUT_S,
            )
        except (SQLAlchemyError, StorageError) as exc:
            self._hold(alarm, _Held(alarm.key, from_state, to_state, at, note, fields, new))
            self._storage_failed(str(exc))  # its own alarm is held behind this one
            return "held"
        if written is None:
            self._adopt_current(alarm)
            return "conflict"
        view, transition = written
        self._committed(alarm, view, transition)
        return "ok"

    def _write_in(
        self,
        session: Any,
        alarm: _Alarm,
        from_state: str,
        to_state: str,
        at: datetime,
        note: str,
        fields: dict[str, Any],
        new: NewAlarm | None,
        held: bool = False,
    ) -> tuple[AlarmView, TransitionView | None] | None:
        if new is not None:
            view, transition = journal.raise_alarm(session, new, at, held=held, note=note)
            if transition is None:
                return None  # already open (another station, or restored): adopt it
            return view, transition
        if alarm.occ_id is None:
            return None
        return journal.move(
            session, alarm.occ_id, from_state, to_state, at, note=note, held=held, fields=fields
        )

    def _committed(self, alarm: _Alarm, view: AlarmView, transition: TransitionView | None) -> None:
        if transition is not None and transition.id is not None:
            self._own_transitions.add(transition.id)
        alarm.view = view
        alarm.occ_id = view.id if view.state != "normal" else None
        if transition is not None and transition.to_state == "unacknowledged":
            alarm.announced_at = self.monotonic()
        self.bus.publish(AlarmChanged(view=view, transition=transition))

    def _adopt_current(self, alarm: _Alarm) -> None:
        """After a lost race: take the journal's state of the alarm as ours."""
        try:
            with self.db.session() as session:
                view = (
                    journal.get(session, alarm.occ_id) if alarm.occ_id is not None
                    else journal.find_open(session, alarm.key)
                )
        except (SQLAlchemyError, StorageError) as exc:
            log.error("alarm %s: could not re-read the journal: %s", alarm.key, exc)
            return
        if view is None:
            alarm.status = replace(alarm.status, state="normal")
            alarm.occ_id = None
            return
        alarm.status = replace(alarm.status, state=view.state)  # type: ignore[arg-type]
        alarm.occ_id = view.id if view.state != "normal" else None
        alarm.view = view

    def _mark_chattering(self, alarm: _Alarm) -> None:
        occ_id = alarm.occ_id
        if occ_id is None or self._storage_reason:
            return
        try:
            self.db.write(lambda s: journal.set_fields(s, occ_id, chattering=True), timeout_s=WRITE_TIMEOUT_S)
        except (SQLAlchemyError, StorageError) as exc:
            self._storage_failed(str(exc))

    # ------------------------------------------------------------------------------ storage

    def _hold(self, alarm: _Alarm, held: _Held) -> None:
        """Keep a transition for later and show it now, marked not recorded."""
        self._held.append(held)
        base = alarm.view
        view = AlarmView(
            id=alarm.occ_id,
            key=alarm.key,
            definition_key=alarm.definition_key,
            source=alarm.source,
            point=alarm.point.id if alarm.point is not None else None,
            limit=alarm.spec.limit if alarm.spec is not None else None,
            building=alarm.building,
            category=alarm.category,
            priority=alarm.priority,
            state=held.to_state,
            value=alarm.value,
            message=held.new.message if held.new is not None else (base.message if base else alarm.message),
            raised_at=held.at if held.new is not None or base is None else base.raised_at,
            acknowledged_at=base.acknowledged_at if base else None,
            acknowledged_by=base.acknowledged_by if base else None,
            returned_at=held.fields.get("returned_at", base.returned_at if base else None),
            shelved_until=base.shelved_until if base else None,
            chattering=alarm.chatter.chattering,
            recorded=False,
        )
        alarm.view = view
        transition = TransitionView(
            id=None, occurrence_id=alarm.occ_id, key=alarm.key, at=held.at,
            from_state=held.from_state, to_state=held.to_state, by=None, note=held.note, held=True,
        )
        if held.to_state == "unacknowledged":
            alarm.announced_at = self.monotonic()
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
        """Write the held transitions in their order; stop at the first failure and try again later."""
        while self._held:
            held = self._held[0]
            alarm = self._alarms[held.key]
            try:
                written = self.db.write(
                    lambda s, h=held, a=alarm: self._write_in(  # type: ignore[misc]
                        s, a, h.from_state, h.to_state, h.at, h.note, h.fields, h.new, held=True
                    ),
                    timeout_s=WRITE_TIMEOUT_S,
                )
            except (SQLAlchemyError, StorageError) as exc:
                log.info("storage still failing (%d transitions held): %s", len(self._held), exc)
                return
            self._held.pop(0)
            if written is None:
                log.warning("held transition of %s no longer applies; the journal's state wins", held.key)
                self._adopt_current(alarm)
                continue
            view, transition = written
            if self._held and any(h.key == held.key for h in self._held):
                # a later held transition of this alarm follows: keep the id, publish once at the end
                alarm.occ_id = view.id
                if transition is not None and transition.id is not None:
                    self._own_transitions.add(transition.id)
                continue
            self._committed(alarm, view, transition)
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
            if adopted and transition.from_state in OVERLAYS:
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

"""The alarm engine in a real station, polling a real Modbus server on 127.0.0.1.

The test plays the PLC program: it changes registers and bits on a pymodbus server, the station's
pollers read them every ``POLL_MS``, the engine decides, the journal (a real SQLite file) records,
and only then is :class:`AlarmChanged` published. Each feature of an alarm entry has its test here
(off-delay, deadband, re-alarm, ``suppress_when``, chattering, the point-fault alarm, the fire
default), and the quality acceptance runs the station *through* the fault proxy: a PLC black-holed
during an active low-pressure alarm gives exactly one ``plc:<id>`` fault alarm and leaves the
pressure alarm as it was; after the PLC returns, the pressure alarm follows the value again.

Every wait is bounded (a condition and a deadline); a "nothing happens" check waits for the poller to
have read the value in question and for the engine to have handled everything queued so far.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from app.alarms import journal
from app.alarms.actions import AlarmActions
from app.alarms.engine import AlarmEngine
from app.alarms.events import AlarmChanged
from app.alarms.views import AlarmView, TransitionView
from app.auth.permissions import SUPERVISOR
from app.auth.users import UserInfo, UserService
from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.manager import FieldbusManager
from app.site.loader import load_site
from app.station import Station
from app.storage.database import Database
from models.alarms import AlarmOccurrence
from tests.app.alarm_support import journaled
from tests.faultproxy import FaultProxy
from tests.fieldbus.servers import ModbusServer

PLC = "panel"
POLL_MS = 150
TIMEOUT_MS = 300
BOUND_S = (POLL_MS + 2 * TIMEOUT_MS) / 1000  # the PLC's report bound: poll + 2 x timeout
SLACK_S = 1.5  # two shared cores: a thread may wait its turn
START_S = 15.0
WAIT_S = 5.0
PASSWORD = "correct horse battery"

HEAD = f"""\
[site]
name = "Alarm station test"
timezone = "Asia/Shanghai"

[[building]]
id = "B1"
name = "Pump house"

[[plc]]
id = "{PLC}"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {{port}}
poll_ms = {POLL_MS}
timeout_ms = {TIMEOUT_MS}
"""


def pressure(alarms: str, point_id: str = "b1.pressure", address: int = 1) -> str:
    return f"""
[[point]]
id = "{point_id}"
plc = "{PLC}"
address = "hr:{address}"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
building = "B1"
range = [0.0, 1.6]
alarms = [{alarms}]
"""


def contact(point_id: str, address: int, kind: str, alarms: str = "") -> str:
    entry = f"alarms = [{alarms}]\n" if alarms else ""
    return f"""
[[point]]
id = "{point_id}"
plc = "{PLC}"
address = "co:{address}"
type = "bool"
kind = "{kind}"
building = "B1"
{entry}"""


def raw(mpa: float) -> int:
    """The register value of a pressure (scale 0.001)."""
    return round(mpa * 1000)


# ------------------------------------------------------------------------------ what the bus says


class AlarmLog:
    """Every AlarmChanged (checked journaled at publication) and every point reading, timestamped."""

    def __init__(self, bus: EventBus, db: Database) -> None:
        self.db = db
        self.alarms: list[tuple[float, AlarmChanged]] = []
        self.readings: list[tuple[float, str, object, str]] = []  # (at, point, value, quality)
        self.links: list[LinkStateChanged] = []
        self.unjournaled: list[AlarmChanged] = []
        self._cond = threading.Condition()
        self._unsubscribe = [
            bus.subscribe(AlarmChanged, self._on_alarm),
            bus.subscribe(PointValueChanged, self._on_reading),
            bus.subscribe(PointQualityChanged, self._on_reading),
            bus.subscribe(LinkStateChanged, self._on_link),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def _on_alarm(self, event: AlarmChanged) -> None:
        if not journaled(self.db, event):  # journal first: committed before anyone hears of it
            self.unjournaled.append(event)
        with self._cond:
            self.alarms.append((time.monotonic(), event))
            self._cond.notify_all()

    def _on_reading(self, event: PointValueChanged | PointQualityChanged) -> None:
        r = event.reading
        with self._cond:
            self.readings.append((time.monotonic(), r.point_id, r.value, r.quality))
            self._cond.notify_all()

    def _on_link(self, event: LinkStateChanged) -> None:
        with self._cond:
            self.links.append(event)
            self._cond.notify_all()

    def wait(self, predicate: Callable[[], object], timeout_s: float, what: str) -> float:
        """Wait (bounded) until ``predicate()`` is truthy; return the monotonic time it became so."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout_s:g} s waiting for {what}:\n{self.dump()}"
                    )
                self._cond.wait(min(left, 0.05))
        return time.monotonic()

    def events(self, key: str) -> list[tuple[float, AlarmChanged]]:
        with self._cond:
            return [(t, e) for t, e in self.alarms if e.view.key == key]

    def moves(self, key: str) -> list[tuple[str, str]]:
        return [
            (e.transition.from_state, e.transition.to_state)
            for _, e in self.events(key)
            if e.transition is not None
        ]

    def moved_at(self, key: str, to_state: str) -> float | None:
        for t, e in self.events(key):
            if e.transition is not None and e.transition.to_state == to_state:
                return t
        return None

    def alarm_keys(self) -> set[str]:
        with self._cond:
            return {e.view.key for _, e in self.alarms}

    def read_at(
        self, point_id: str, check: Callable[[object, str], bool], after: float = 0.0
    ) -> float | None:
        """When the first reading of the point with ``check(value, quality)`` arrived, after ``after``."""
        with self._cond:
            for t, pid, value, quality in self.readings:
                if pid == point_id and t >= after and check(value, quality):
                    return t
        return None

    def dump(self) -> str:
        with self._cond:
            lines = [f"  {e.describe()}" for _, e in self.alarms[-20:]]
            lines += [f"  {pid} = {value!r} ({quality})" for _, pid, value, quality in self.readings[-10:]]
        return "\n".join(lines) or "  (nothing)"


# ------------------------------------------------------------------------------ the rig


@dataclass
class Rig:
    server: ModbusServer
    proxy: FaultProxy | None
    station: Station
    db: Database
    log: AlarmLog
    tmp_path: Path

    @property
    def engine(self) -> AlarmEngine:
        engine = self.station.alarms
        assert engine is not None, "the station runs no alarm engine"
        return engine

    @property
    def fieldbus(self) -> FieldbusManager:
        fieldbus = self.station.fieldbus
        assert fieldbus is not None
        return fieldbus

    last_set: float = 0.0  # monotonic time of the test's last change on the PLC

    def set_pressure(self, mpa: float, address: int = 1) -> None:
        self.last_set = time.monotonic()
        self.server.set_registers(address, [raw(mpa)])

    def set_bit(self, address: int, on: bool) -> None:
        self.last_set = time.monotonic()
        self.server.set_bits(address, [on])

    def wait_read(
        self, point_id: str, value: float | bool, after: float | None = None, timeout_s: float = WAIT_S
    ) -> float:
        """Until the pollers published a good reading of ``value`` (after ``after``, by default the
        test's last change on the PLC); when it arrived."""
        if after is None:
            after = self.last_set

        def matches(v: object, q: str) -> bool:
            if q != "good" or v is None:
                return False
            if isinstance(value, bool):
                return bool(v) is value
            return abs(float(v) - value) < 1e-6  # type: ignore[arg-type]

        self.log.wait(
            lambda: self.log.read_at(point_id, matches, after), timeout_s, f"{point_id} read as {value}"
        )
        at = self.log.read_at(point_id, matches, after)
        assert at is not None
        return at

    def settle(self) -> None:
        """Everything queued to the engine so far is handled (the bus delivers synchronously)."""
        assert self.engine.drain(WAIT_S), "the alarm engine did not drain"

    def open_views(self) -> list[AlarmView]:
        with self.db.session() as session:
            return journal.open_alarms(session)

    def open_view(self, key: str) -> AlarmView | None:
        found = [v for v in self.open_views() if v.key == key]
        assert len(found) <= 1, found
        return found[0] if found else None

    def occurrences(self, key: str) -> list[AlarmView]:
        with self.db.session() as session:
            ids = session.scalars(
                select(AlarmOccurrence.id)
                .where(AlarmOccurrence.alarm_key == key)
                .order_by(AlarmOccurrence.id)
            ).all()
            views = [journal.get(session, i) for i in ids]
        return [v for v in views if v is not None]

    def transitions(self, occurrence_id: int) -> list[TransitionView]:
        with self.db.session() as session:
            return journal.occurrence_transitions(session, occurrence_id)

    def journaled_moves(self, key: str) -> list[tuple[str, str]]:
        return [
            (t.from_state, t.to_state) for v in self.occurrences(key) for t in self.transitions(v.id or 0)
        ]

    def wait_state(self, key: str, state: str, timeout_s: float = WAIT_S) -> float:
        """Until an AlarmChanged says ``key`` is in ``state``; the journal must agree."""
        at = self.log.wait(
            lambda: any(e.view.state == state for _, e in self.log.events(key)), timeout_s, f"{key} {state}"
        )
        view = self.open_view(key)
        journaled = view.state if view is not None else "normal"
        latest = self.log.events(key)[-1][1].view.state
        assert journaled == latest, f"journal says {journaled}, the last event {latest}"
        return at

    def user(self, name: str = "sam") -> UserInfo:
        return UserService(self.db).add(name, SUPERVISOR, PASSWORD, actor="test")


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(
        points: str, *, via_proxy: bool = False, before: Callable[[ModbusServer], None] | None = None
    ) -> Rig:
        server = ModbusServer(size=100)
        server.start()
        proxy: FaultProxy | None = None
        port = server.port
        if via_proxy:
            proxy = FaultProxy(server.port)
            port = proxy.start()
        if before is not None:
            before(server)  # the PLC's values before the station first reads it
        path = tmp_path / "site.toml"
        path.write_text(HEAD.format(port=port) + points, encoding="utf-8")
        loaded = load_site(path)
        db = Database(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
        db.upgrade()
        bus = EventBus()
        log = AlarmLog(bus, db)
        station = Station(loaded, db, bus)
        rig = Rig(server, proxy, station, db, log, tmp_path)
        made.append(rig)
        station.start()
        assert station.alarms is not None and station.fieldbus is not None
        log.wait(
            lambda: any(e.kind == "plc" and e.status == "connected" for e in log.links),
            START_S,
            "PLC connected",
        )
        ids = [p.id for p in loaded.site.point]

        def all_read() -> bool:  # every point read once, good
            return all(log.read_at(p, lambda _v, q: q == "good") is not None for p in ids)

        log.wait(all_read, START_S, "every point read")
        rig.settle()
        return rig

    yield make
    for rig in made:
        started = time.monotonic()
        rig.station.stop()
        assert time.monotonic() - started < 6.0
        rig.log.close()
        if rig.proxy is not None:
            rig.proxy.stop()
        rig.server.stop()
        assert not rig.log.unjournaled, [e.describe() for e in rig.log.unjournaled]
        rig.db.close()


# ------------------------------------------------------------------------------ the tests


def test_off_delay_holds_the_alarm_until_the_value_stayed_back_long_enough(
    make_rig: Callable[..., Rig],
) -> None:
    off_delay = 1.2
    rig = make_rig(
        pressure(f'{{ limit = "low", value = 0.10, priority = "high", off_delay_s = {off_delay} }}'),
        before=lambda s: s.set_registers(1, [raw(0.50)]),
    )
    key = "b1.pressure/low"
    rig.set_pressure(0.05)
    rig.wait_state(key, "unacknowledged")

    # A short return (well under the off-delay) clears nothing.
    rig.set_pressure(0.30)
    back = rig.wait_read("b1.pressure", 0.30)
    rig.set_pressure(0.05)
    low_again = rig.wait_read("b1.pressure", 0.05, after=back)
    assert low_again - back < off_delay, f"the dip lasted {low_again - back:.2f} s, not a short return"
    rig.settle()
    assert rig.log.moves(key) == [("normal", "unacknowledged")]
    # ... and once the dip is over, an off-delay's worth later, still nothing (the delay restarted).
    rig.log.wait(
        lambda: time.monotonic() - back > off_delay + 0.3, off_delay + 1.0, "the first off-delay to pass"
    )
    rig.settle()
    assert rig.log.moves(key) == [("normal", "unacknowledged")], "a dip shorter than off_delay_s cleared it"

    # A return that lasts: rtn-unacknowledged, but not before the off-delay ran out.
    rig.set_pressure(0.30)
    back = rig.wait_read("b1.pressure", 0.30, after=low_again)
    returned = rig.wait_state(key, "rtn-unacknowledged", timeout_s=off_delay + SLACK_S + 1.0)
    waited = returned - back
    print(f"off-delay {off_delay} s: cleared {waited:.2f} s after the value returned")
    assert off_delay - 0.05 <= waited <= off_delay + SLACK_S, (
        f"cleared {waited:.2f} s after the value returned"
    )
    assert rig.journaled_moves(key) == [
        ("normal", "unacknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
    ]
    occurrence = rig.occurrences(key)
    assert len(occurrence) == 1 and occurrence[0].returned_at is not None


def test_deadband_keeps_a_low_alarm_until_the_value_is_clear_of_it(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(
        pressure('{ limit = "low", value = 0.10, priority = "high", deadband = 0.05 }'),
        before=lambda s: s.set_registers(1, [raw(0.50)]),
    )
    key = "b1.pressure/low"
    # Inside the deadband but not beyond the limit: no alarm yet (the deadband only holds an active one).
    rig.set_pressure(0.12)
    rig.wait_read("b1.pressure", 0.12)
    rig.settle()
    assert rig.log.moves(key) == [] and rig.open_view(key) is None

    rig.set_pressure(0.09)
    rig.wait_state(key, "unacknowledged")
    # Back above the limit but within limit + deadband (0.10 .. 0.15): still active, several polls on.
    for value in (0.11, 0.14, 0.15):
        rig.set_pressure(value)
        polled = rig.wait_read("b1.pressure", value) + 2 * POLL_MS / 1000
        rig.log.wait(lambda: time.monotonic() > polled, 2.0, "two more polls")  # noqa: B023
        rig.settle()
        view = rig.open_view(key)
        assert view is not None and view.state == "unacknowledged", (value, view)
    assert rig.log.moves(key) == [("normal", "unacknowledged")]

    # Clear of the deadband: returned to normal (unacknowledged), one occurrence throughout.
    rig.set_pressure(0.16)
    rig.wait_state(key, "rtn-unacknowledged")
    assert rig.journaled_moves(key) == [
        ("normal", "unacknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
    ]
    assert len(rig.occurrences(key)) == 1


def test_re_alarm_announces_a_still_unacknowledged_alarm_again(make_rig: Callable[..., Rig]) -> None:
    realarm_min = 0.02  # 1.2 s
    period = realarm_min * 60
    rig = make_rig(
        pressure(f'{{ limit = "low", value = 0.10, priority = "high", realarm_min = {realarm_min} }}'),
        before=lambda s: s.set_registers(1, [raw(0.50)]),
    )
    key = "b1.pressure/low"
    rig.set_pressure(0.05)
    raised = rig.wait_state(key, "unacknowledged")

    def reannounced() -> list[tuple[float, AlarmChanged]]:
        return [(t, e) for t, e in rig.log.events(key) if e.reannounce]

    first = rig.log.wait(lambda: len(reannounced()) >= 1, period + SLACK_S + 1.0, "a re-announcement")
    print(f"re-alarm every {period:g} s: first re-announced {first - raised:.2f} s after the raise")
    assert period - 0.1 <= first - raised <= period + SLACK_S, (
        f"re-announced {first - raised:.2f} s after the raise"
    )
    rig.log.wait(lambda: len(reannounced()) >= 2, period + SLACK_S + 1.0, "a second re-announcement")
    for _, event in reannounced():
        assert event.transition is None and event.view.state == "unacknowledged" and event.view.id is not None
    # A re-announcement is not a transition and not a new occurrence.
    occurrences = rig.occurrences(key)
    assert len(occurrences) == 1 and rig.journaled_moves(key) == [("normal", "unacknowledged")]
    assert {e.view.id for _, e in reannounced()} == {occurrences[0].id}

    # Acknowledged: no more re-announcements.
    assert occurrences[0].id is not None
    AlarmActions(rig.db, position="test").acknowledge(rig.user(), occurrences[0].id)
    acked = rig.wait_state(key, "acknowledged")
    count = len(reannounced())
    rig.log.wait(
        lambda: time.monotonic() - acked > 2 * period + 0.3, 2 * period + 1.0, "two re-alarm periods"
    )
    rig.settle()
    late = [t for t, _ in reannounced() if t > acked + 0.1]
    assert not late and len(reannounced()) == count, "an acknowledged alarm was re-announced"


def test_suppress_when_a_zone_under_test_switch_is_on(make_rig: Callable[..., Rig]) -> None:
    points = contact("b1.zone-test", 2, "other") + contact(
        "b1.door", 3, "door", '{ limit = "on", priority = "high", suppress_when = "b1.zone-test" }'
    )
    rig = make_rig(points)
    key = "b1.door/on"
    # Zone under test: the door opens, the alarm is suppressed by design (recorded, never announced).
    rig.set_bit(2, True)
    rig.wait_read("b1.zone-test", True)
    rig.settle()
    rig.set_bit(3, True)
    rig.wait_read("b1.door", True)
    rig.wait_state(key, "suppressed")
    rig.settle()
    assert all(e.view.state == "suppressed" for _, e in rig.log.events(key)), rig.log.dump()
    assert rig.journaled_moves(key) == [("normal", "suppressed")]

    # The switch goes off while the door is still open: the alarm comes back as its condition is.
    rig.set_bit(2, False)
    rig.wait_state(key, "unacknowledged")
    assert rig.journaled_moves(key) == [("normal", "suppressed"), ("suppressed", "unacknowledged")]

    # On again during an unacknowledged alarm: suppressed again; the door closes meanwhile; off: normal.
    rig.set_bit(2, True)
    rig.log.wait(
        lambda: rig.log.moves(key)[-1:] == [("unacknowledged", "suppressed")], WAIT_S, "suppressed again"
    )
    rig.set_bit(3, False)
    rig.wait_read("b1.door", False)
    rig.settle()
    assert rig.open_view(key) is not None and rig.open_view(key).state == "suppressed"  # type: ignore[union-attr]
    rig.set_bit(2, False)
    rig.log.wait(lambda: rig.log.moves(key)[-1:] == [("suppressed", "normal")], WAIT_S, "back to normal")
    assert rig.open_view(key) is None
    assert len(rig.occurrences(key)) == 1


def test_chattering_is_marked_after_three_transitions_within_a_minute(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(
        pressure('{ limit = "low", value = 0.10, priority = "high" }'),
        before=lambda s: s.set_registers(1, [raw(0.50)]),
    )
    key = "b1.pressure/low"
    rig.set_pressure(0.05)
    rig.wait_state(key, "unacknowledged")
    (occurrence,) = rig.occurrences(key)
    assert not occurrence.chattering, "one transition is not chattering"
    rig.set_pressure(0.50)
    rig.wait_state(key, "rtn-unacknowledged")
    assert not rig.occurrences(key)[0].chattering, "two transitions are not chattering"
    rig.set_pressure(0.05)
    rig.log.wait(lambda: len(rig.log.moves(key)) >= 3, WAIT_S, "the third transition")
    assert rig.log.moves(key) == [
        ("normal", "unacknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
        ("rtn-unacknowledged", "unacknowledged"),
    ]
    (occurrence,) = rig.occurrences(key)  # one occurrence: the alarm came back before acknowledgement
    assert occurrence.chattering, "three transitions in 60 s: the occurrence is marked chattering"
    assert rig.log.events(key)[-1][1].view.chattering, "and the console hears of it"


def test_a_point_out_of_range_longer_than_the_report_bound_is_a_fault_alarm(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(pressure(""), before=lambda s: s.set_registers(1, [raw(0.50)]))
    key = "point:b1.pressure/fault"
    out = 2.0  # range is [0, 1.6]

    # Out of range briefly (shorter than the bound): no fault alarm.
    rig.server.set_registers(1, [raw(out)])
    went = rig.log.wait(
        lambda: rig.log.read_at("b1.pressure", lambda _v, q: q == "out-of-range"), WAIT_S, "out-of-range"
    )
    rig.set_pressure(0.50)
    good = rig.wait_read("b1.pressure", 0.50, after=went)
    assert good - went < BOUND_S, f"the excursion lasted {good - went:.2f} s, longer than the bound"
    rig.log.wait(lambda: time.monotonic() - went > BOUND_S + 0.3, BOUND_S + 1.0, "the bound to pass")
    rig.settle()
    assert rig.log.events(key) == [] and rig.occurrences(key) == []

    # Out of range for longer than poll_ms + 2 x timeout_ms: point:<id>/fault, fault, medium.
    start = time.monotonic()
    rig.server.set_registers(1, [raw(out)])
    went = rig.log.wait(
        lambda: rig.log.read_at("b1.pressure", lambda _v, q: q == "out-of-range", after=start),
        WAIT_S,
        "out-of-range again",
    )
    raised = rig.wait_state(key, "unacknowledged", timeout_s=BOUND_S + SLACK_S + 1.0)
    print(f"point fault: raised {raised - went:.2f} s after out-of-range (bound {BOUND_S:g} s)")
    assert BOUND_S - 0.05 <= raised - went <= BOUND_S + SLACK_S, (
        f"raised {raised - went:.2f} s after the fault"
    )
    view = rig.open_view(key)
    assert view is not None
    assert (view.source, view.category, view.priority, view.building) == (
        "point:b1.pressure",
        "fault",
        "medium",
        "B1",
    )
    assert "b1.pressure" in view.message and "out-of-range" in view.message, view.message

    # Good again: the fault alarm clears (returned, waiting for acknowledgement), once.
    rig.set_pressure(0.50)
    rig.wait_state(key, "rtn-unacknowledged")
    assert rig.journaled_moves(key) == [
        ("normal", "unacknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
    ]
    assert len(rig.occurrences(key)) == 1


def test_a_smoke_alarm_without_a_category_is_a_latching_fire_alarm(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(contact("b1.smoke", 4, "smoke", '{ limit = "on" }'))
    spec = rig.station.site.point[0].alarms[0]
    assert (spec.category, spec.priority, spec.latch) == ("fire", "fire", True)
    key = "b1.smoke/on"
    rig.set_bit(4, True)
    rig.wait_state(key, "unacknowledged")
    view = rig.open_view(key)
    assert view is not None
    assert (view.category, view.priority, view.source, view.value) == ("fire", "fire", "point:b1.smoke", True)

    # The detector restores before anyone acknowledged: returned; acknowledging latches it (fire).
    rig.set_bit(4, False)
    rig.wait_state(key, "rtn-unacknowledged")
    assert view.id is not None
    sam = rig.user()
    actions = AlarmActions(rig.db, position="test")
    after = actions.acknowledge(sam, view.id)
    assert after.state == "latched", "a fire alarm stays until reset after its condition is gone"
    rig.wait_state(key, "latched")
    rig.settle()
    assert rig.open_view(key) is not None
    actions.reset(sam, view.id)
    rig.log.wait(lambda: rig.log.moves(key)[-1:] == [("latched", "normal")], WAIT_S, "reset to normal")
    assert rig.open_view(key) is None
    assert rig.journaled_moves(key) == [
        ("normal", "unacknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
        ("rtn-unacknowledged", "latched"),
        ("latched", "normal"),
    ]


def test_a_black_holed_plc_gives_one_fault_alarm_and_keeps_the_pressure_alarm(
    make_rig: Callable[..., Rig],
) -> None:
    """The quality acceptance, through the fault proxy."""
    rig = make_rig(
        pressure('{ limit = "low", value = 0.10, priority = "high", category = "supervisory" }')
        + contact("b1.smoke", 4, "smoke", '{ limit = "on" }'),
        via_proxy=True,
        before=lambda s: s.set_registers(1, [raw(0.50)]),
    )
    assert rig.proxy is not None
    key, plc_key = "b1.pressure/low", f"plc:{PLC}"
    rig.set_pressure(0.05)
    rig.wait_state(key, "unacknowledged")
    before = rig.open_view(key)
    assert before is not None and before.value == pytest.approx(0.05)

    # Black hole: requests swallowed, never an answer.
    blackholed = time.monotonic()
    rig.proxy.set_mode("blackhole")
    raised = rig.wait_state(plc_key, "unacknowledged", timeout_s=BOUND_S + SLACK_S + 2.0)
    print(f"black hole: {plc_key} raised {raised - blackholed:.2f} s after (bound {BOUND_S:g} s)")
    assert raised - blackholed <= BOUND_S + SLACK_S + 1.0, (
        f"PLC fault raised {raised - blackholed:.2f} s late"
    )
    rig.log.wait(
        lambda: rig.log.read_at("b1.pressure", lambda _v, q: q == "comm-fail", after=blackholed),
        WAIT_S,
        "the pressure point comm-fail",
    )
    # Hold the outage a while: more polls time out, nothing new may be raised.
    rig.log.wait(lambda: time.monotonic() - raised > 2 * BOUND_S, 2 * BOUND_S + 1.0, "the outage to last")
    rig.settle()
    plc = rig.occurrences(plc_key)
    assert len(plc) == 1, f"one fault alarm per PLC outage, got {len(plc)}"
    assert (plc[0].category, plc[0].priority, plc[0].source, plc[0].state) == (
        "fault", "high", plc_key, "unacknowledged"
    )  # fmt: skip
    assert rig.log.moves(plc_key) == [("normal", "unacknowledged")]
    faults = sorted(
        k for k in rig.log.alarm_keys() if k.startswith("point:") or (k.startswith("plc:") and k != plc_key)
    )
    assert faults == [], f"a PLC outage is one alarm, not one per point: {faults}"
    # The pressure alarm: neither cleared nor duplicated, same occurrence, same state.
    assert rig.occurrences(key) == [rig.open_view(key)]
    during = rig.open_view(key)
    assert during is not None and (during.id, during.state) == (before.id, "unacknowledged")
    assert rig.log.moves(key) == [("normal", "unacknowledged")]
    assert rig.log.moves("b1.smoke/on") == [], "a comm-fail smoke detector is not a fire"

    # Heal: the PLC alarm returns to normal (rtn-unacknowledged); the pressure alarm follows the value.
    rig.proxy.heal()
    rig.wait_state(plc_key, "rtn-unacknowledged", timeout_s=BOUND_S + SLACK_S + 5.0)
    rig.wait_read("b1.pressure", 0.05, after=raised)  # read again, still low: still the same alarm
    rig.settle()
    after = rig.open_view(key)
    assert after is not None and (after.id, after.state) == (before.id, "unacknowledged")
    rig.set_pressure(0.50)
    rig.wait_state(key, "rtn-unacknowledged")
    assert rig.journaled_moves(key) == [
        ("normal", "unacknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
    ]
    assert len(rig.occurrences(key)) == 1
    assert rig.journaled_moves(plc_key) == [
        ("normal", "unacknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
    ]
    assert len(rig.occurrences(plc_key)) == 1

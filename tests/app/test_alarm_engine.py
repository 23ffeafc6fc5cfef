"""The alarm engine on a real SQLite journal: limits, qualities, latching, restore, links, delays."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.alarms import journal
from app.events import EventBus
from app.site.loader import LoadedSite
from app.storage.database import Database
from models.alarms import AlarmOccurrence
from tests.app.alarm_support import Recorder, link, open_db, reading, running_engine, write_site


@pytest.fixture
def site(tmp_path: Path) -> LoadedSite:
    return write_site(tmp_path)


@pytest.fixture
def db(tmp_path: Path, site: LoadedSite) -> Iterator[Database]:
    database = open_db(tmp_path, site)
    yield database
    database.close()


def wait_until(predicate: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def open_states(db: Database) -> dict[str, str]:
    with db.session() as session:
        return {v.key: v.state for v in journal.open_alarms(session)}


def test_a_pressure_below_low_low_has_both_alarms_each_journaled_before_it_is_shown(
    site: LoadedSite, db: Database
) -> None:
    bus = EventBus()
    rec = Recorder(bus, db)
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.pressure", 0.5))
        bus.publish(reading("b3.pressure", 0.03))
        assert engine.drain()
    assert open_states(db) == {"b3.pressure/low": "unacknowledged", "b3.pressure/low-low": "unacknowledged"}
    assert rec.moves("b3.pressure/low") == [("normal", "unacknowledged")]
    assert not rec.unjournaled
    view = next(e.view for e in rec.events if e.view.key == "b3.pressure/low-low")
    assert view.point == "b3.pressure" and view.limit == "low-low" and view.building == "B3"
    assert view.priority == "urgent" and view.category == "fault" and view.value == pytest.approx(0.03)
    assert "below its low-low limit" in view.message


def test_a_value_that_is_not_good_neither_raises_nor_clears(site: LoadedSite, db: Database) -> None:
    bus = EventBus()
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.pressure", 0.0, "never-read"))
        bus.publish(reading("b3.pressure", 0.02, "comm-fail"))
        assert engine.drain()
        assert open_states(db) == {}
        bus.publish(reading("b3.pressure", 0.08))
        bus.publish(reading("b3.pressure", 0.5, "stale"))
        bus.publish(reading("b3.pressure", 0.5, "out-of-range"))
        assert engine.drain()
        assert open_states(db) == {"b3.pressure/low": "unacknowledged"}
        bus.publish(reading("b3.pressure", 0.105))  # inside the deadband: still low
        assert engine.drain()
        assert open_states(db) == {"b3.pressure/low": "unacknowledged"}
        bus.publish(reading("b3.pressure", 0.2))
        assert engine.drain()
    assert open_states(db) == {"b3.pressure/low": "rtn-unacknowledged"}


def test_a_fire_alarm_latches_until_reset_after_ack_and_clear(site: LoadedSite, db: Database) -> None:
    bus = EventBus()
    rec = Recorder(bus, db)
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.smoke", True))
        assert engine.drain()
        (view,) = [v for v in engine.snapshot() if v.key == "b3.smoke/on"]
        assert view.category == "fire" and view.priority == "fire" and view.value is True
        assert view.id is not None
        now = datetime.now(UTC)
        moved = db.write(lambda s: journal.move(s, view.id, "unacknowledged", "acknowledged", now))
        assert moved is not None
        wait_until(lambda: ("unacknowledged", "acknowledged") in rec.moves("b3.smoke/on"))
        bus.publish(reading("b3.smoke", False))
        assert engine.drain()
        assert open_states(db) == {"b3.smoke/on": "latched"}
        db.write(lambda s: journal.move(s, view.id, "latched", "normal", datetime.now(UTC)))
        wait_until(lambda: open_states(db) == {} and ("latched", "normal") in rec.moves("b3.smoke/on"))
        bus.publish(reading("b3.smoke", True))  # a new fire is a new occurrence
        assert engine.drain()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AlarmOccurrence)) == 2


def test_an_engine_restarted_restores_open_alarms_and_raises_none_twice(
    site: LoadedSite, db: Database
) -> None:
    bus = EventBus()
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.pressure", 0.08))
        bus.publish(reading("b3.smoke", True))
        assert engine.drain()
    bus2 = EventBus()
    rec = Recorder(bus2, db)
    with running_engine(site, db, bus2) as engine:
        restored = {e.view.key for e in rec.events if e.transition is None}
        assert restored == {"b3.pressure/low", "b3.smoke/on"}
        bus2.publish(reading("b3.pressure", 0.08))
        bus2.publish(reading("b3.smoke", True))
        assert engine.drain()
        bus2.publish(reading("b3.pressure", 0.5))  # the restored alarm still follows its value
        assert engine.drain()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AlarmOccurrence)) == 2
    assert open_states(db) == {"b3.pressure/low": "rtn-unacknowledged", "b3.smoke/on": "unacknowledged"}


def test_a_lost_plc_is_one_fault_alarm_and_does_not_clear_the_pressure_alarm(
    site: LoadedSite, db: Database
) -> None:
    bus = EventBus()
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.pressure", 0.08))
        bus.publish(link("panel", up=False))
        for pid in ("b3.pressure", "b3.smoke", "b3.heat", "b3.temp"):
            bus.publish(reading(pid, None, "comm-fail"))
        bus.publish(link("panel", up=False))
        assert engine.drain()
        states = open_states(db)
        assert states == {"b3.pressure/low": "unacknowledged", "plc:panel": "unacknowledged"}
        (plc,) = [v for v in engine.snapshot() if v.key == "plc:panel"]
        assert plc.category == "fault" and plc.priority == "high" and plc.source == "plc:panel"
        bus.publish(link("panel", up=True))
        bus.publish(reading("b3.pressure", 0.5))
        assert engine.drain()
    assert open_states(db) == {"b3.pressure/low": "rtn-unacknowledged", "plc:panel": "rtn-unacknowledged"}


def test_suppress_when_records_the_alarm_without_announcing_it(site: LoadedSite, db: Database) -> None:
    bus = EventBus()
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.zone-test", True))
        bus.publish(reading("b3.heat", False))
        assert engine.drain()
        assert open_states(db) == {}  # a quiet suppressed alarm opens nothing
        bus.publish(reading("b3.heat", True))
        assert engine.drain()
        assert open_states(db) == {"b3.heat/on": "suppressed"}
        bus.publish(reading("b3.zone-test", False))  # the test ends with the heat still on
        assert engine.drain()
    assert open_states(db) == {"b3.heat/on": "unacknowledged"}


def test_off_delay_and_realarm(site: LoadedSite, db: Database) -> None:
    bus = EventBus()
    rec = Recorder(bus, db)
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.temp", 45.0))
        assert engine.drain()
        # realarm_min = 0.01 (0.6 s): the unacknowledged alarm is announced again
        wait_until(lambda: any(e.reannounce for e in rec.events), timeout_s=3)
        bus.publish(reading("b3.temp", 20.0))
        assert engine.drain()
        assert open_states(db) == {"b3.temp/high": "unacknowledged"}  # off-delay 0.6 s holds it
        wait_until(lambda: open_states(db) == {"b3.temp/high": "rtn-unacknowledged"}, timeout_s=3)


def test_chattering_is_marked_on_the_occurrence(site: LoadedSite, db: Database) -> None:
    bus = EventBus()
    with running_engine(site, db, bus) as engine:
        for value in (0.08, 0.5, 0.08, 0.5):
            bus.publish(reading("b3.pressure", value))
        assert engine.drain()
    with db.session() as session:
        query = select(AlarmOccurrence).where(AlarmOccurrence.alarm_key == "b3.pressure/low")
        occ = session.scalars(query).all()
    assert any(o.chattering for o in occ)


def test_an_operator_action_from_another_writer_is_never_overwritten(site: LoadedSite, db: Database) -> None:
    bus = EventBus()
    rec = Recorder(bus, db)
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.pressure", 0.08))
        assert engine.drain()
        (view,) = [v for v in engine.snapshot() if v.key == "b3.pressure/low"]
        assert view.id is not None
        # Acknowledged by someone else; the engine does not know yet when the value returns.
        db.write(lambda s: journal.move(s, view.id, "unacknowledged", "acknowledged", datetime.now(UTC)))
        bus.publish(reading("b3.pressure", 0.5))
        assert engine.drain()
        wait_until(lambda: open_states(db) == {})  # acknowledged + clear = normal, not rtn-unack
        # the other writer's acknowledgement is published too (within the 1 s the console is promised)
        wait_until(lambda: ("unacknowledged", "acknowledged") in rec.moves("b3.pressure/low"), timeout_s=1)
    moves = rec.moves("b3.pressure/low")
    assert ("unacknowledged", "acknowledged") in moves and ("acknowledged", "normal") in moves
    assert ("unacknowledged", "rtn-unacknowledged") not in moves


def test_a_shelf_ends_by_itself(site: LoadedSite, db: Database) -> None:
    bus = EventBus()
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.pressure", 0.08))
        assert engine.drain()
        (view,) = [v for v in engine.snapshot() if v.key == "b3.pressure/low"]
        until = datetime.now(UTC) + timedelta(seconds=1)
        db.write(
            lambda s: journal.move(
                s, view.id, "unacknowledged", "shelved", datetime.now(UTC), fields={"shelved_until": until}
            )
        )
        wait_until(lambda: open_states(db) == {"b3.pressure/low": "shelved"})
        wait_until(lambda: open_states(db) == {"b3.pressure/low": "unacknowledged"}, timeout_s=4)


def test_an_alarm_returned_to_service_while_its_condition_holds_is_raised_again(
    site: LoadedSite, db: Database
) -> None:
    """Out of service by key before maintenance; the detector trips meanwhile; on return it alarms."""
    from app.alarms.actions import AlarmActions
    from app.auth.users import UserService

    boss = UserService(db).add("boss", "supervisor", "a long passphrase 1")
    actions = AlarmActions(db)
    bus = EventBus()
    with running_engine(site, db, bus) as engine:
        actions.out_of_service(boss, "b3.smoke/on", "detector replacement")
        taken_out = [("b3.smoke/on", "out-of-service")]
        wait_until(lambda: [(v.key, v.state) for v in engine.snapshot()] == taken_out)
        bus.publish(reading("b3.smoke", True))  # followed, not announced
        assert engine.drain()
        assert open_states(db) == {"b3.smoke/on": "out-of-service"}
        actions.return_to_service(boss, "b3.smoke/on")
        wait_until(lambda: open_states(db) == {"b3.smoke/on": "unacknowledged"}, timeout_s=3)


@pytest.mark.postgres
def test_the_engine_journals_on_postgresql_and_the_first_commit_wins(tmp_path: Path) -> None:
    """The same engine on a PostgreSQL journal (several workstations' store): raise, race, restore."""
    from app.site.sync import sync_site
    from tests.models.support import fresh_pg_database

    site = write_site(tmp_path)
    with fresh_pg_database() as url:
        db = Database(url)
        try:
            db.upgrade()
            sync_site(db, site)
            bus = EventBus()
            rec = Recorder(bus, db)
            with running_engine(site, db, bus) as engine:
                bus.publish(reading("b3.pressure", 0.03))
                assert engine.drain()
                assert open_states(db) == {
                    "b3.pressure/low": "unacknowledged",
                    "b3.pressure/low-low": "unacknowledged",
                }
                (view,) = [v for v in engine.snapshot() if v.key == "b3.pressure/low"]
                first = db.write(
                    lambda s: journal.move(s, view.id, "unacknowledged", "acknowledged", datetime.now(UTC))
                )
                assert first is not None
                second = db.write(
                    lambda s: journal.move(s, view.id, "unacknowledged", "acknowledged", datetime.now(UTC))
                )
                assert second is None  # the conditional update lost: someone acknowledged first
            assert not rec.unjournaled
            bus2 = EventBus()
            rec2 = Recorder(bus2, db)
            with running_engine(site, db, bus2) as engine:
                bus2.publish(reading("b3.pressure", 0.03))
                assert engine.drain()
            assert {e.view.key for e in rec2.events if e.transition is None} == {
                "b3.pressure/low",
                "b3.pressure/low-low",
            }
            with db.session() as session:
                assert session.scalar(select(func.count()).select_from(AlarmOccurrence)) == 2
        finally:
            db.close()


def test_a_camera_lost_for_video_lost_s_is_one_fault_alarm(tmp_path: Path) -> None:
    """A camera whose video is lost continuously for [alarms] video_lost_s; a short drop is nothing."""
    from tests.app.alarm_support import SITE

    text = SITE + """
[alarms]
video_lost_s = 0.5

[[camera]]
id = "gate"
name = "North gate"
url = "rtsp://127.0.0.1:8554/gate"
building = "B3"
"""
    site = write_site(tmp_path, text)
    db = open_db(tmp_path, site)
    bus = EventBus()
    try:
        with running_engine(site, db, bus) as engine:
            bus.publish(link("gate", up=False, kind="camera"))
            bus.publish(link("gate", up=True, kind="camera"))  # a drop shorter than video_lost_s
            assert engine.drain()
            bus.publish(link("gate", up=False, kind="camera"))
            assert engine.drain()
            assert open_states(db) == {}
            wait_until(lambda: open_states(db) == {"camera:gate": "unacknowledged"}, timeout_s=3)
            (view,) = engine.snapshot()
            assert (view.category, view.priority, view.building) == ("fault", "medium", "B3")
            assert "North gate" in view.message and "video lost" in view.message
            bus.publish(link("gate", up=True, kind="camera"))
            assert engine.drain()
        assert open_states(db) == {"camera:gate": "rtn-unacknowledged"}
    finally:
        db.close()

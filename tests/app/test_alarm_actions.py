"""Operator actions on alarms through the service, on a real SQLite journal of a synced site.

Every action is allowed or refused by the permissions table (refusals audited), fits the alarm's state
or is refused with the lifecycle's reason, and writes its state change, its operator_actions row and
its audit row in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.alarms import journal
from app.alarms.actions import ActionRefused, AlarmActions
from app.alarms.journal import NewAlarm
from app.alarms.queries import TimelineEntry, kpi, records, timeline
from app.alarms.views import AlarmView
from app.auth.permissions import Action, allowed
from app.auth.users import UserInfo, UserService
from app.storage.database import Database
from models.alarms import AlarmOccurrence, AlarmTransition, OperatorAction
from models.audit import AuditEntry
from models.users import ROLES
from tests.app.alarm_support import open_db, write_site

PASSWORD = "long-enough-pw"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

# definition key -> (category, priority) as the test site gives them
DEFS = {
    "b3.pressure/low": ("supervisory", "high"),
    "b3.pressure/low-low": ("fault", "urgent"),
    "b3.smoke/on": ("fire", "fire"),
    "b3.heat/on": ("fire", "fire"),
    "b3.temp/high": ("fault", "medium"),
}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    yield database
    database.close()


@pytest.fixture
def users(db: Database) -> dict[str, UserInfo]:
    service = UserService(db, hasher=FAST)
    return {role: service.add(f"u-{role}", role, PASSWORD) for role in ROLES}


@pytest.fixture
def actions(db: Database) -> AlarmActions:
    return AlarmActions(db, position="console-1")


def raise_alarm(db: Database, key: str, state: str = "unacknowledged") -> int:
    category, priority = DEFS[key]
    point = key.split("/")[0]
    new = NewAlarm(
        key=key,
        source=f"point:{point}",
        category=category,
        priority=priority,
        message=f"{key} test",
        state=state,
        building="B3",
        definition_key=key,
        value=1.0,
    )
    view, _ = db.write(lambda s: journal.raise_alarm(s, new, datetime.now(UTC)))
    assert view.id is not None
    return view.id


def engine_move(db: Database, occ_id: int, expected: str, to: str) -> None:
    """A condition change as the engine journals it."""
    assert db.write(lambda s: journal.move(s, occ_id, expected, to, datetime.now(UTC))) is not None


def latched(db: Database) -> int:
    occ = raise_alarm(db, "b3.smoke/on")
    engine_move(db, occ, "unacknowledged", "acknowledged")
    engine_move(db, occ, "acknowledged", "latched")
    return occ


def audit_rows(db: Database) -> list[tuple[str, str, str, dict[str, object]]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.details).order_by(
                AuditEntry.id
            )
        ).all()
    return [(a, b, c, json.loads(d)) for a, b, c, d in rows if b.startswith("alarm.")]


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(AlarmTransition)) or 0,
            s.scalar(select(func.count()).select_from(OperatorAction)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def timeline_of(db: Database, occ_id: int) -> list[TimelineEntry]:
    with db.session() as s:
        return timeline(s, occ_id)


def state_of(db: Database, occ_id: int) -> AlarmView:
    with db.session() as s:
        view = journal.get(s, occ_id)
    assert view is not None
    return view


# ------------------------------------------------------------------------------ roles

PERMISSION = {
    "ack": Action.ALARM_ACKNOWLEDGE,
    "silence": Action.ALARM_SILENCE,
    "reset": Action.ALARM_RESET,
    "note": Action.ALARM_NOTE,
    "shelve": Action.ALARM_SHELVE,
    "unshelve": Action.ALARM_SHELVE,
    "out-of-service": Action.OUT_OF_SERVICE,
    "return": Action.OUT_OF_SERVICE,
}


def prepare(verb: str, db: Database, a: AlarmActions, admin: UserInfo) -> Callable[[UserInfo], object]:
    """An alarm in a state ``verb`` fits, and the call doing ``verb`` to it as a given user."""
    key = "b3.temp/high"
    if verb == "ack":
        occ = raise_alarm(db, key)
        return lambda u: a.acknowledge(u, occ, "seen")
    if verb == "silence":
        return lambda u: a.silence(u)
    if verb == "reset":
        occ = latched(db)
        return lambda u: a.reset(u, occ)
    if verb == "note":
        occ = raise_alarm(db, key)
        return lambda u: a.note(u, occ, "called the engineer")
    if verb == "shelve":
        occ = raise_alarm(db, key)
        return lambda u: a.shelve(u, occ, 30, "sensor swap")
    if verb == "unshelve":
        a.shelve(admin, key, 30, "sensor swap")
        return lambda u: a.unshelve(u, key)
    if verb == "out-of-service":
        return lambda u: a.out_of_service(u, key, "maintenance job 17")
    assert verb == "return"
    a.out_of_service(admin, key, "maintenance job 17")
    return lambda u: a.return_to_service(u, key)


def _end_open(db: Database) -> None:
    """End every open occurrence so the next case starts from a quiet site."""
    with db.session() as s:
        open_ids = [(v.id, v.state) for v in journal.open_alarms(s)]
    for occ_id, state in open_ids:
        assert occ_id is not None
        engine_move(db, occ_id, state, "normal")


@pytest.mark.parametrize("role", ROLES)
def test_every_action_is_allowed_or_refused_by_the_permissions_table(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo], role: str
) -> None:
    user = users[role]
    admin = users["administrator"]
    for verb, permission in PERMISSION.items():
        _end_open(db)
        call = prepare(verb, db, actions, admin)
        before = counts(db)
        if allowed(role, permission):
            call(user)
            rows = audit_rows(db)
            assert rows[-1][:2] == (user.name, f"alarm.{verb}"), verb
            assert counts(db)[1] == before[1] + 1, verb  # one operator_actions row
        else:
            with pytest.raises(ActionRefused) as refused:
                call(user)
            assert "needs one of" in refused.value.reason
            rows = audit_rows(db)
            assert rows[-1][:2] == (user.name, f"alarm.{verb}-refused"), verb
            assert rows[-1][3]["reason"] == refused.value.reason
            transitions, operator_actions, audit_count = counts(db)
            assert (transitions, operator_actions) == before[:2], verb
            assert audit_count == before[2] + 1


# ------------------------------------------------------------------------------ shelving


def test_shelving_by_a_duty_officer_is_refused_and_audited_by_a_supervisor_it_works(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    occ = raise_alarm(db, "b3.pressure/low")
    with pytest.raises(ActionRefused, match="supervisor, administrator"):
        actions.shelve(users["duty-officer"], occ, 60, "pump overhaul")
    assert audit_rows(db)[-1][1] == "alarm.shelve-refused"
    assert state_of(db, occ).state == "unacknowledged"

    before = datetime.now(UTC)
    view = actions.shelve(users["supervisor"], occ, 60, "pump overhaul")
    assert view.state == "shelved"
    assert view.shelved_until is not None
    assert before + timedelta(minutes=59) < view.shelved_until < datetime.now(UTC) + timedelta(minutes=61)
    with db.session() as s:
        listed = {v.id: v for v in journal.open_alarms(s)}
    assert listed[occ].state == "shelved" and listed[occ].shelved_until == view.shelved_until
    actor, action, target, details = audit_rows(db)[-1]
    assert (actor, action, target) == ("u-supervisor", "alarm.shelve", "b3.pressure/low")
    assert details["reason"] == "pump overhaul" and details["occurrence"] == occ
    transitions = [(t.from_state, t.to_state, t.by, t.text) for t in timeline_of(db, occ)]
    assert ("unacknowledged", "shelved", "u-supervisor", "pump overhaul") in transitions

    # unshelving an alarm that was active announces it again
    back = actions.unshelve(users["supervisor"], occ)
    assert back.state == "unacknowledged" and back.shelved_until is None


def test_a_shelf_needs_a_reason_and_at_most_shelve_max_h(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    occ = raise_alarm(db, "b3.pressure/low")
    boss = users["supervisor"]
    with pytest.raises(ActionRefused, match="at most 8 hours"):
        actions.shelve(boss, occ, 8 * 60 + 1, "long job")
    with pytest.raises(ActionRefused, match="needs a reason"):
        actions.shelve(boss, occ, 30, "  ")
    with pytest.raises(ActionRefused, match="needs a reason"):
        actions.out_of_service(boss, occ, "")
    assert [r[1] for r in audit_rows(db)] == [
        "alarm.shelve-refused",
        "alarm.shelve-refused",
        "alarm.out-of-service-refused",
    ]
    assert state_of(db, occ).state == "unacknowledged"
    assert actions.shelve(boss, occ, 8 * 60, "long job").state == "shelved"
    with pytest.raises(ActionRefused, match="already shelved"):
        actions.shelve(boss, occ, 30, "again")


def test_shelve_and_out_of_service_by_key_open_the_alarm_before_it_is_raised(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    boss = users["supervisor"]
    oos = actions.out_of_service(boss, "b3.smoke/on", "detector replaced Tuesday")
    assert oos.state == "out-of-service"
    assert (oos.definition_key, oos.category, oos.priority, oos.building, oos.point, oos.limit) == (
        "b3.smoke/on",
        "fire",
        "fire",
        "B3",
        "b3.smoke",
        "on",
    )
    shelved = actions.shelve(boss, "b3.temp/high", 45, "calibration")
    assert shelved.state == "shelved" and shelved.shelved_until is not None
    assert oos.id is not None
    entries = timeline_of(db, oos.id)
    assert [(e.kind, e.what, e.by) for e in entries] == [
        ("transition", "out-of-service", "u-supervisor"),
        ("action", "out-of-service", "u-supervisor"),
    ]
    # the engine raising the alarm meanwhile finds it open: never a second occurrence
    again, transition = db.write(
        lambda s: journal.raise_alarm(
            s,
            NewAlarm("b3.smoke/on", "point:b3.smoke", "fire", "fire", "smoke", "unacknowledged"),
            datetime.now(UTC),
        )
    )
    assert transition is None and again.id == oos.id
    # returning one opened by key with no condition known ends it
    back = actions.return_to_service(boss, "b3.smoke/on")
    assert back.state == "normal"
    with pytest.raises(ActionRefused, match="no alarm definition"):
        actions.out_of_service(boss, "b3.nothing/on", "typo")
    with pytest.raises(ActionRefused, match="not open"):
        actions.return_to_service(boss, "b3.smoke/on")
    assert audit_rows(db)[-1][1] == "alarm.return-refused"


# ------------------------------------------------------------------------------ acknowledge, reset


def test_acknowledging_an_acknowledged_alarm_names_who_did_it_and_when(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    officer = users["duty-officer"]
    boss = users["supervisor"]
    occ = raise_alarm(db, "b3.pressure/low")
    view = actions.acknowledge(officer, occ, note="pump room checked")
    assert view.state == "acknowledged" and view.acknowledged_by == officer.name
    with db.session() as s:
        row = s.get(AlarmOccurrence, occ)
        assert row is not None and row.acknowledged_by_id == officer.id and row.acknowledged_at is not None
        site_time = row.acknowledged_at.astimezone(actions.rules().zone).strftime("%Y-%m-%d %H:%M:%S")
    with pytest.raises(ActionRefused) as refused:
        actions.acknowledge(boss, occ)
    assert refused.value.reason == f"already acknowledged by {officer.name} at {site_time} (site time)"
    actor, action, target, details = audit_rows(db)[-1]
    assert (actor, action, target) == (boss.name, "alarm.ack-refused", "b3.pressure/low")
    assert details["reason"] == refused.value.reason
    with db.session() as s:
        history = journal.occurrence_transitions(s, occ)
    assert [(t.to_state, t.by, t.note) for t in history] == [
        ("unacknowledged", None, ""),
        ("acknowledged", officer.name, "pump room checked"),
    ]


def test_reset_is_refused_while_the_condition_is_present_and_ends_a_latched_alarm(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    officer = users["duty-officer"]
    occ = raise_alarm(db, "b3.smoke/on")
    actions.acknowledge(officer, occ)
    with pytest.raises(ActionRefused, match="condition is still present"):
        actions.reset(officer, occ)
    assert audit_rows(db)[-1][1] == "alarm.reset-refused"
    engine_move(db, occ, "acknowledged", "latched")
    view = actions.reset(officer, occ)
    assert view.state == "normal"
    with db.session() as s:
        row = s.get(AlarmOccurrence, occ)
        assert row is not None and row.cleared_at is not None
    with pytest.raises(ActionRefused, match=f"made normal by {officer.name}"):
        actions.reset(users["supervisor"], occ)


def test_acknowledging_a_returned_alarm_ends_it_unless_it_latches(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    officer = users["duty-officer"]
    plain = raise_alarm(db, "b3.temp/high")
    fire = raise_alarm(db, "b3.smoke/on")
    for occ in (plain, fire):
        engine_move(db, occ, "unacknowledged", "rtn-unacknowledged")
    assert actions.acknowledge(officer, plain).state == "normal"
    assert actions.acknowledge(officer, fire).state == "latched"


def test_acknowledge_all_acknowledges_those_that_still_need_it(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    officer = users["duty-officer"]
    a = raise_alarm(db, "b3.temp/high")
    b = raise_alarm(db, "b3.smoke/on")
    c = raise_alarm(db, "b3.pressure/low")
    actions.acknowledge(users["supervisor"], c)
    done = actions.acknowledge_all(officer, [a, b, c, 999])
    assert sorted(v.id for v in done if v.id is not None) == sorted([a, b])
    assert [r[1] for r in audit_rows(db)[-2:]] == ["alarm.ack", "alarm.ack"]
    with pytest.raises(ActionRefused):
        actions.acknowledge_all(users["records-clerk"], [a])


def test_unknown_alarm_and_ended_alarm_are_refused(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    officer = users["duty-officer"]
    with pytest.raises(ActionRefused, match="there is no alarm 42"):
        actions.acknowledge(officer, 42)
    occ = raise_alarm(db, "b3.temp/high")
    engine_move(db, occ, "unacknowledged", "rtn-unacknowledged")
    actions.acknowledge(officer, occ)
    with pytest.raises(ActionRefused, match="has ended"):
        actions.shelve(users["supervisor"], occ, 10, "x")
    # a note may go on an ended alarm
    assert actions.note(officer, occ, "false alarm: steam from the kitchen").state == "normal"


# ------------------------------------------------------------------------------ one transaction


def test_state_change_operator_action_and_audit_row_are_one_transaction(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo], tmp_path: Path
) -> None:
    occ = raise_alarm(db, "b3.pressure/low")
    before = counts(db)
    con = sqlite3.connect(tmp_path / "journal.sqlite3")
    con.execute(
        "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit storage broken'); END"
    )
    con.commit()
    try:
        with pytest.raises(Exception, match="audit storage broken"):
            actions.acknowledge(users["duty-officer"], occ, note="x")
        with pytest.raises(Exception, match="audit storage broken"):
            actions.out_of_service(users["supervisor"], "b3.heat/on", "job")
    finally:
        con.execute("DROP TRIGGER audit_broken")
        con.commit()
        con.close()
    assert counts(db) == before
    view = state_of(db, occ)
    assert (view.state, view.acknowledged_by, view.acknowledged_at) == ("unacknowledged", None, None)
    with db.session() as s:
        assert journal.find_open(s, "b3.heat/on") is None
    # and once the audit works again, all three are written
    actions.acknowledge(users["duty-officer"], occ)
    transitions, operator_actions, audit_count = counts(db)
    assert (transitions, operator_actions, audit_count) == (before[0] + 1, before[1] + 1, before[2] + 1)


# ------------------------------------------------------------------------------ notes, timeline, KPI


def test_notes_and_silence_are_journaled_and_audited(
    db: Database, actions: AlarmActions, users: dict[str, UserInfo]
) -> None:
    officer = users["duty-officer"]
    occ = raise_alarm(db, "b3.temp/high")
    actions.acknowledge(officer, occ, note="on my way")
    actions.note(officer, occ, "fan belt broken")
    actions.silence(officer)
    with pytest.raises(ActionRefused, match="empty"):
        actions.note(officer, occ, " ")
    with db.session() as s:
        rows = s.execute(select(OperatorAction).order_by(OperatorAction.id)).scalars().all()
        got = [(r.action, r.position, r.occurrence_id, json.loads(r.details)) for r in rows]
    assert got[1] == ("note", "console-1", occ, {"text": "fan belt broken"})
    assert got[2] == ("silence", "console-1", None, {})
    assert [r[1] for r in audit_rows(db)] == [
        "alarm.ack",
        "alarm.note",
        "alarm.silence",
        "alarm.note-refused",
    ]
    entries = timeline_of(db, occ)
    assert [(e.kind, e.what, e.text) for e in entries] == [
        ("transition", "unacknowledged", ""),
        ("transition", "acknowledged", "on my way"),
        ("action", "ack", "on my way"),
        ("action", "note", "fan belt broken"),
    ]
    assert entries == sorted(entries, key=lambda e: e.at)


def test_kpi_over_the_journal_counts_shelved_and_out_of_service_at_the_end_of_the_period(
    db: Database, users: dict[str, UserInfo]
) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(minutes=1)
    later = AlarmActions(db, clock=lambda: now + timedelta(hours=1))  # the shelf comes an hour later
    a = raise_alarm(db, "b3.temp/high")
    raise_alarm(db, "b3.pressure/low")
    later.shelve(users["supervisor"], a, 30, "noisy")
    AlarmActions(db).out_of_service(users["supervisor"], "b3.smoke/on", "job")
    end = now + timedelta(hours=2)
    with db.session() as s:
        recs = records(s, start, end)
        figures = {k.kpi: k.value for k in kpi(s, start, end)}
        before_shelf = records(s, start, now + timedelta(minutes=30))
    assert len(recs) == 3
    assert figures["alarms"] == 3
    assert figures["shelved"] == 1 and figures["out of service"] == 1
    assert figures["alarms per 10 min (peak)"] == 3
    # the state at the end of a period is the state then, not now
    assert [r.shelved for r in before_shelf if r.key == "b3.temp/high"] == [False]

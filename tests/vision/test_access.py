"""Access events on a real SQLite file (and PostgreSQL where the test server runs): matching against
the registered vehicles (one confusable character forgiven, expired and withdrawn registrations not
registered and saying so), the purge, and ``wardroom access list`` end to end (fields, time range,
refusal and audit)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, select

from app.auth.permissions import PermissionRefused
from app.auth.users import UserInfo, UserService
from app.storage.database import Database
from app.vision.access import list_access, match_registration, purge_access_events, record_access
from models.audit import AuditEntry
from models.vehicles import RegisteredVehicle
from models.video import Snapshot
from models.vision import AccessEvent
from tests.app.alarm_support import open_db, write_site
from tests.app.test_cli import wardroom
from tests.models.support import fresh_pg_database

PASSWORD = "long-enough-pw"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
TODAY = date(2026, 12, 7)
SEEN = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)  # 10:30 in Asia/Shanghai
ZEROS = "0" * 64
FIELDS = {"time", "camera", "plate", "registered", "vehicle_id", "snapshot"}


def register(db: Database, plate: str, *, expires: date | None = None, active: bool = True) -> int:
    def add(session: object) -> int:
        row = RegisteredVehicle(kind="car", plate=plate, expires_on=expires, active=active)
        session.add(row)  # type: ignore[attr-defined]
        session.flush()  # type: ignore[attr-defined]
        return int(row.id)

    return db.write(add)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    yield database
    database.close()


def audit_rows(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as s:
        return [(a.actor, a.action, a.target) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_matching_exact_confusable_expired_withdrawn_and_unknown(db: Database) -> None:
    current = register(db, "京A12D45")
    expired = register(db, "沪B88888", expires=TODAY - timedelta(days=1))
    last_day = register(db, "粤C12345", expires=TODAY)
    withdrawn = register(db, "浙D54321", active=False)
    register(db, "苏E0000B")  # with 苏E00008 below: two registrations one confusion away
    register(db, "苏E00008")
    with db.session() as s:
        exact = match_registration(s, "京A12D45", TODAY)
        assert (exact.status, exact.vehicle_id, exact.matched_plate) == ("registered", current, None)
        near = match_registration(s, "京A12045", TODAY)  # 0 read for D: forgiven, and said so
        assert (near.status, near.vehicle_id, near.matched_plate) == ("registered", current, "京A12D45")
        two_off = match_registration(s, "京A1ZO45", TODAY)  # two confusions: not the same plate
        assert two_off.status == "unregistered" and two_off.vehicle_id is None
        old = match_registration(s, "沪B·88888", TODAY)
        assert (old.status, old.vehicle_id, old.registered) == ("expired", expired, False)
        assert "expired on 2026-12-06" in old.words()
        assert match_registration(s, "粤C12345", TODAY).registered  # valid through its last day
        gone = match_registration(s, "浙D54321", TODAY)
        assert (gone.status, gone.vehicle_id, gone.registered) == ("inactive", withdrawn, False)
        assert "withdrawn" in gone.words()
        assert match_registration(s, "苏E00008", TODAY).vehicle_id is not None  # exact wins
        assert match_registration(s, "苏E0000S", TODAY).status == "unregistered"  # no such plate
        assert match_registration(s, "新F99999", TODAY).words() == "not registered"
    assert last_day


def test_record_stores_the_match_and_a_snapshot_link_that_outlives_the_snapshot(db: Database) -> None:
    vehicle = register(db, "京A12D45", expires=TODAY - timedelta(days=3))

    def snapshot(session: object) -> int:
        row = Snapshot(
            camera="gate-north",
            taken_at=SEEN,
            source="vision",
            path="x.jpg",
            width=4,
            height=4,
            sha256=ZEROS,
        )
        session.add(row)  # type: ignore[attr-defined]
        session.flush()  # type: ignore[attr-defined]
        return int(row.id)

    snap = db.write(snapshot)
    info = record_access(db, "gate-north", "京a 12d45", SEEN, timezone="Asia/Shanghai", snapshot_id=snap)
    assert (info.plate, info.status, info.vehicle_id, info.snapshot, info.registered) == (
        "京A12D45",
        "expired",
        vehicle,
        snap,
        False,
    )
    assert ("system", "access.record", "gate-north") in audit_rows(db)
    # The snapshot's own (shorter) retention removes it: the event stays, its link becomes NULL.
    db.write(lambda s: s.execute(delete(Snapshot)))
    with db.session() as s:
        row = s.scalars(select(AccessEvent)).one()
        assert row.snapshot_id is None and row.plate == "京A12D45"


def test_purge_removes_only_events_past_retention(db: Database) -> None:
    now = datetime(2027, 3, 1, tzinfo=UTC)
    for days in (200, 91, 89, 1):
        record_access(db, "gate-north", "京A12345", now - timedelta(days=days))
    assert purge_access_events(db, 90, now=now) == 2
    with db.session() as s:
        left = sorted((now - t).days for t in s.scalars(select(AccessEvent.seen_at)))
    assert left == [1, 89]
    assert purge_access_events(db, 90, now=now) == 0
    purges = [a for a in audit_rows(db) if a[1] == "access.purge"]
    assert purges == [("system", "access.purge", "access_events")]
    with pytest.raises(ValueError):
        purge_access_events(db, 0)


def test_listing_is_refused_to_a_records_clerk_and_audited(db: Database) -> None:
    clerk = UserInfo(1, "clerk", "records-clerk", None, datetime.now(UTC))
    with pytest.raises(PermissionRefused):
        list_access(db, clerk)
    assert ("clerk", "access.list-refused", "all cameras") in audit_rows(db)


def test_access_list_cli_fields_range_and_audit(db: Database, tmp_path: Path) -> None:
    service = UserService(db, hasher=FAST)
    service.add("li.wei", "duty-officer", PASSWORD)
    service.add("clerk", "records-clerk", PASSWORD)
    car = register(db, "京A12D45")
    record_access(db, "gate-north", "京A12045", SEEN, track_id=1)  # read with a confusion
    record_access(db, "gate-north", "沪C99999", SEEN + timedelta(hours=2), track_id=2)
    record_access(db, "gate-south", "京A12D45", SEEN + timedelta(days=1), track_id=3)
    env = {"WARDROOM_HOME": str(tmp_path / "home")}

    def access(*args: str, user: str = "li.wei", password: str = PASSWORD) -> tuple[int, str, str]:
        line = ("access", "list", *args, "--user", user, "--database", db.url)
        done = wardroom(*line, stdin=f"{password}\n", env=env)
        return done.returncode, done.stdout, done.stderr

    code, out, err = access("--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [set(r) >= FIELDS for r in rows] == [True, True, True]
    assert [(r["plate"], r["registered"], r["vehicle_id"], r["camera"]) for r in rows] == [
        ("京A12045", True, car, "gate-north"),
        ("沪C99999", False, None, "gate-north"),
        ("京A12D45", True, car, "gate-south"),
    ]
    assert rows[0]["time"] == "2026-12-07T02:30:00+00:00" and rows[0]["snapshot"] is None
    # The site's time zone (Asia/Shanghai) reads bare times; [from, to).
    code, out, err = access("--from", "2026-12-07T10:30", "--to", "2026-12-07T12:30", "--json")
    assert code == 0, err
    assert [r["plate"] for r in json.loads(out)] == ["京A12045"]
    code, out, err = access("--from", "2026-12-07")
    assert code == 0, err
    assert "NOT REGISTERED" in out and "registered as 京A12D45" in out and len(out.splitlines()) == 3
    # Refusals: a wrong password, a role that may not see access events, backwards range.
    code, _out, err = access(password="wrong-password-x")
    assert code == 2 and "refused" in err
    code, out, err = access(user="clerk")
    assert code == 2 and "refused" in err and out == ""
    code, _out, err = access("--from", "2026-12-08", "--to", "2026-12-07")
    assert code == 2 and "--to must be after --from" in err
    code, _out, err = access("--from", "yesterday")
    assert code == 2 and "not an ISO date" in err
    actions = [a[1] for a in audit_rows(db) if a[0] in ("li.wei", "clerk")]
    assert actions.count("access.list") == 3 and "access.list-refused" in actions


def test_record_and_purge_on_postgresql() -> None:
    with fresh_pg_database() as url, Database(url) as db:
        db.upgrade()
        register(db, "京A12D45")
        now = datetime(2027, 1, 1, tzinfo=UTC)
        assert record_access(db, "gate", "京A12045", now - timedelta(days=100)).registered
        assert not record_access(db, "gate", "京A99999", now).registered
        assert purge_access_events(db, 90, now=now) == 1

"""The tables hold together: UTC timestamps, real foreign keys with the chosen on-delete rules, and
check constraints on enumerated columns (all on a real, migrated SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from app.storage.database import Database
from models.alarms import AlarmDefinition, AlarmOccurrence, AlarmTransition, OperatorAction
from models.incidents import Incident, IncidentAlarm, IncidentNote
from models.people import (
    DutyTeam,
    DutyTeamMember,
    ElderlyCareRecord,
    EmploymentRecord,
    Household,
    Resident,
    RosterShift,
    ServiceHours,
    Volunteer,
)
from models.site import Building, Camera, CameraZone, Floor, Plc, Point, Site, Zone
from models.users import User
from models.vehicles import RegisteredVehicle
from tests.models.support import sqlite_url


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path))
    database.upgrade()
    yield database
    database.close()


def _site(session: Session) -> dict[str, int]:
    site = Site(key="site", name="Shadun Village", timezone="Asia/Shanghai")
    building = Building(key="B3", name="Building 3", site=site)
    plc = Plc(key="fire-panel-a", protocol="modbus-tcp", host="127.0.0.1", port=5020)
    point = Point(key="b3.p", plc=plc, address="hr:100", type="uint16", kind="pressure", building=building)
    definition = AlarmDefinition(
        key="b3.p/low", point=point, limit="low", value=0.1, priority="high", category="supervisory"
    )
    camera = Camera(key="gate", name="Gate", url="rtsp://127.0.0.1:8554/gate", building=building)
    camera.zones.append(
        CameraZone(key="gate/lobby", name="lobby", polygon="[[0,0],[1,0],[1,1]]", rule="no-ebike")
    )
    user = User(name="alice", role="duty-officer", password_hash="x")
    session.add_all([site, building, plc, point, definition, camera, user])
    session.flush()
    return {
        "building": building.id,
        "plc": plc.id,
        "point": point.id,
        "definition": definition.id,
        "camera": camera.id,
        "user": user.id,
    }


def test_timestamps_come_back_as_aware_utc(db: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    written = datetime(2025, 3, 1, 20, 30, 15, 123456, tzinfo=shanghai)

    def add(session: Session) -> int:
        user = User(name="bob", role="supervisor", password_hash="x", locked_until=written)
        session.add(user)
        session.flush()
        return user.id

    user_id = db.write(add)
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None and user.locked_until is not None
        assert user.locked_until.tzinfo is UTC
        assert user.locked_until == written
        assert user.created_at.tzinfo is UTC


def test_a_naive_timestamp_is_refused(db: Database) -> None:
    def add(session: Session) -> None:
        session.add(User(name="bob", role="supervisor", password_hash="x", created_at=datetime(2025, 1, 1)))
        session.flush()

    with pytest.raises(StatementError, match="naive datetime"):
        db.write(add)


def test_foreign_keys_are_enforced(db: Database) -> None:
    def orphan(session: Session) -> None:
        session.add(Point(key="p", plc_id=999, address="hr:1", type="uint16", kind="other"))
        session.flush()

    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        db.write(orphan)


def test_on_delete_rules(db: Database) -> None:
    ids = db.write(_site)

    # A camera's zones go with it (CASCADE).
    db.write(lambda s: s.execute(delete(Camera).where(Camera.id == ids["camera"])))
    # A point's building is optional (SET NULL).
    db.write(lambda s: s.execute(delete(Building).where(Building.id == ids["building"])))
    with db.session() as session:
        assert session.scalars(select(CameraZone)).all() == []
        point = session.get(Point, ids["point"])
        assert point is not None and point.building_id is None
    # A PLC with points, and a point with alarm definitions, cannot vanish (RESTRICT).
    with pytest.raises(IntegrityError):
        db.write(lambda s: s.execute(delete(Plc).where(Plc.id == ids["plc"])))
    with pytest.raises(IntegrityError):
        db.write(lambda s: s.execute(delete(Point).where(Point.id == ids["point"])))


def test_alarm_history_keeps_its_subject(db: Database) -> None:
    ids = db.write(_site)

    def raise_alarm(session: Session) -> int:
        occurrence = AlarmOccurrence(
            definition_id=ids["definition"],
            source="point:b3.p",
            state="unacknowledged",
            priority="high",
            category="supervisory",
            value=0.05,
        )
        occurrence.transitions.append(
            AlarmTransition(from_state="normal", to_state="unacknowledged", by_user_id=None)
        )
        occurrence.transitions.append(
            AlarmTransition(from_state="unacknowledged", to_state="acknowledged", by_user_id=ids["user"])
        )
        session.add(occurrence)
        session.add(OperatorAction(user_id=ids["user"], action="acknowledge", occurrence=occurrence))
        incident = Incident(title="Low sprinkler pressure", opened_by_id=ids["user"])
        incident.notes.append(IncidentNote(author_id=ids["user"], text="checked the valve"))
        incident.alarm_links.append(IncidentAlarm(occurrence=occurrence))
        session.add(incident)
        session.flush()
        return occurrence.id

    occurrence_id = db.write(raise_alarm)
    with db.session() as session:
        occurrence = session.get(AlarmOccurrence, occurrence_id)
        assert occurrence is not None
        assert [t.to_state for t in occurrence.transitions] == ["unacknowledged", "acknowledged"]
        assert occurrence.transitions[1].by_user is not None
        assert occurrence.definition is not None and occurrence.definition.point.key == "b3.p"
    with pytest.raises(IntegrityError):
        db.write(lambda s: s.execute(delete(AlarmDefinition)))
    with pytest.raises(IntegrityError):
        db.write(lambda s: s.execute(delete(AlarmOccurrence)))  # linked from an incident
    # Deleting the incident takes its notes and links, not the occurrence.
    db.write(lambda s: s.execute(delete(Incident)))
    with db.session() as session:
        assert session.scalars(select(IncidentNote)).all() == []
        assert session.get(AlarmOccurrence, occurrence_id) is not None


def test_enumerated_columns_are_checked(db: Database) -> None:
    with pytest.raises(IntegrityError, match="CHECK"):
        db.write(lambda s: s.add(User(name="eve", role="root", password_hash="x")))
    with pytest.raises(IntegrityError, match="CHECK"):
        db.write(lambda s: s.add(RegisteredVehicle(kind="tank", plate="X1")))
    with pytest.raises(IntegrityError, match="CHECK"):
        db.write(lambda s: s.add(DutyTeamMember(team=DutyTeam(name="A"))))  # neither user nor volunteer


def test_people_and_vehicles(db: Database) -> None:
    ids = db.write(_site)
    now = datetime.now(UTC)

    def records(session: Session) -> int:
        household = Household(building_id=ids["building"], unit="3-201")
        resident = Resident(name="Wang Fang", household=household, birth_date=date(1941, 5, 2))
        volunteer = Volunteer(name="Li Lei", resident=resident)
        session.add_all(
            [
                resident,
                ServiceHours(volunteer=volunteer, served_on=date(2025, 3, 1), minutes=90, activity="meals"),
                ElderlyCareRecord(resident=resident, kind="visit", volunteer=volunteer),
                EmploymentRecord(resident=resident, status="seeking"),
                RegisteredVehicle(kind="e-bike", plate="SH12345", owner=resident),
                RegisteredVehicle(kind="bicycle", plate=None, owner=resident),
                RegisteredVehicle(kind="bicycle", plate=None, owner=resident),
            ]
        )
        team = DutyTeam(name="Night A")
        team.members.append(DutyTeamMember(user_id=ids["user"], role="leader"))
        team.members.append(DutyTeamMember(volunteer=volunteer))
        session.add(RosterShift(team=team, starts_at=now, ends_at=now + timedelta(hours=8)))
        floor = Floor(key="B3-1", name="Ground", building_id=ids["building"])
        session.add(Zone(key="B3-lobby", name="Lobby", building_id=ids["building"], floor=floor))
        session.flush()
        return resident.id

    resident_id = db.write(records)
    with db.session() as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None and resident.household is not None
        assert sorted(v.kind for v in resident.vehicles) == ["bicycle", "bicycle", "e-bike"]
        assert [c.kind for c in resident.care_records] == ["visit"]
    with pytest.raises(IntegrityError, match="UNIQUE"):
        db.write(lambda s: s.add(RegisteredVehicle(kind="car", plate="SH12345")))
    with pytest.raises(IntegrityError, match="CHECK"):
        db.write(lambda s: s.add(RosterShift(team_id=1, starts_at=now, ends_at=now)))

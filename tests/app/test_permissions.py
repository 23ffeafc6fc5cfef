"""The one permissions table, read by the tests: its rows as the issue gives them, and
each row checked in a service where one exists today (allowed, and refused with the refusal audited).
Rows whose services come later (alarms, records, incidents) are checked in the table itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.auth.permissions import TABLE, Action, PermissionRefused, allowed, require, roles_for
from app.auth.users import AuthError, UserInfo, UserService
from app.fieldbus.writes import PlantWriter, WriteRefused
from app.sim.drill import DrillRefused, DrillService, NoSimulatorError
from app.site.loader import LoadedSite, load_site
from app.site.schema import SiteFile
from app.storage.database import Database, open_database
from models.users import ROLES
from tests.app.test_points_cli import SITE
from tests.ui.sites import write_tiny_site

PASSWORD = "long-enough-pw"
OFFICER, SUPERVISOR, CLERK, ADMIN = ROLES

# The issue's table, transcribed: (row, roles allowed).
EXPECTED = {
    "acknowledge, silence, reset, note alarms; snapshots": {OFFICER, SUPERVISOR, ADMIN},
    "shelve / out of service; drills on a real site; print unmasked": {SUPERVISOR, ADMIN},
    "plant write (points marked writable)": {OFFICER, SUPERVISOR, ADMIN},
    "see residents (ID number and phone masked)": {OFFICER, SUPERVISOR, CLERK, ADMIN},
    "see unmasked ID numbers, phones and health tags; edit, import, export records": {CLERK, ADMIN},
    "approve volunteer hours": {SUPERVISOR, ADMIN},
    "incidents: create, note, change status": {OFFICER, SUPERVISOR, ADMIN},
    "reopen a closed incident": {SUPERVISOR, ADMIN},
    "users and settings": {ADMIN},
    "see the audit log": {SUPERVISOR, ADMIN},
    # issue #10: access events (plates at the gates) are personal data seen by those on duty
    "see vehicle access events at the gates (plates, times)": {OFFICER, SUPERVISOR, ADMIN},
}


def test_the_table_has_exactly_the_issues_rows() -> None:
    assert {row.text: set(row.roles) for row in TABLE} == EXPECTED
    assert ROLES == ("duty-officer", "supervisor", "records-clerk", "administrator")


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.text)
def test_every_action_of_a_row_is_allowed_to_exactly_its_roles(row: object) -> None:
    from app.auth.permissions import Row

    assert isinstance(row, Row)
    for action in row.actions:
        assert set(roles_for(action)) == set(row.roles)
        for role in ROLES:
            assert allowed(role, action) is (role in row.roles), (role, action)


def test_rows_without_a_service_yet() -> None:
    """Alarms, records, incidents: their services come with their issues; the table already decides."""
    assert allowed(OFFICER, Action.ALARM_ACKNOWLEDGE) and not allowed(CLERK, Action.ALARM_SILENCE)
    assert allowed(SUPERVISOR, Action.ALARM_SHELVE) and not allowed(OFFICER, Action.OUT_OF_SERVICE)
    assert not allowed(OFFICER, Action.PRINT_UNMASKED) and allowed(ADMIN, Action.PRINT_UNMASKED)
    assert all(allowed(role, Action.RESIDENTS_VIEW) for role in ROLES)
    assert allowed(CLERK, Action.RECORDS_EXPORT) and not allowed(SUPERVISOR, Action.RECORDS_UNMASKED)
    assert not allowed(OFFICER, Action.VOLUNTEER_HOURS_APPROVE)
    assert allowed(OFFICER, Action.INCIDENT_CREATE) and not allowed(CLERK, Action.INCIDENT_STATUS)
    assert not allowed(SUPERVISOR, Action.SETTINGS_EDIT) and allowed(ADMIN, Action.SETTINGS_EDIT)


def test_demo_mode_opens_drills_only() -> None:
    assert allowed(OFFICER, Action.DRILL, demo=True) and not allowed(OFFICER, Action.DRILL)
    assert not allowed(OFFICER, Action.USERS_MANAGE, demo=True)


def test_require_refuses_in_words() -> None:
    user = UserInfo(1, "olga", OFFICER, None, datetime.now(UTC))
    with pytest.raises(PermissionRefused, match=r"olga is a duty-officer.*supervisor, administrator"):
        require(user, Action.DRILL)


# ------------------------------------------------------------------ rows checked in today's services
@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'perm.sqlite3'}")
    try:
        users = UserService(database)
        for name, role in (("olga", OFFICER), ("sam", SUPERVISOR), ("clerk", CLERK), ("root", ADMIN)):
            users.add(name, role, PASSWORD)
        yield database
    finally:
        database.close()


def login(db: Database, name: str) -> UserInfo:
    return UserService(db).authenticate(name, PASSWORD)


def audited(db: Database) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(str(db.engine.url.database))
    try:
        return [tuple(r) for r in con.execute("SELECT actor, action, target FROM audit_log ORDER BY id")]
    finally:
        con.close()


def test_plant_write_row_in_the_write_service(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(port=1), encoding="utf-8")
    written: list[tuple[str, float | bool]] = []

    def write(part: SiteFile, point_id: str, value: float | bool, timeout_s: float) -> None:
        written.append((point_id, value))

    writer = PlantWriter(db, load_site(path), write)
    for name in ("olga", "sam", "root"):
        writer.write(login(db, name), "pump.setpoint", "1.5")
    assert written == [("pump.setpoint", 1.5)] * 3
    with pytest.raises(WriteRefused, match="records-clerk"):
        writer.write(login(db, "clerk"), "pump.setpoint", "1.5")
    assert len(written) == 3
    assert ("clerk", "point.write-refused", "pump.setpoint") in audited(db)


def test_drill_row_in_the_drill_service(tmp_path: Path, db: Database) -> None:
    loaded: LoadedSite = load_site(write_tiny_site(tmp_path))  # port 0: no simulator runs for it
    point = "p.pressure"
    real = DrillService(db, loaded, demo=False)
    with pytest.raises(DrillRefused, match="duty-officer"):
        real.trip(login(db, "olga"), point)
    with pytest.raises(DrillRefused):
        real.restore(login(db, "clerk"), point)
    for name in ("sam", "root"):  # allowed: the service goes on to look for the simulator
        with pytest.raises(NoSimulatorError):
            real.trip(login(db, name), point, timeout_s=0.2)
    with pytest.raises(NoSimulatorError):
        DrillService(db, loaded, demo=True).trip(login(db, "olga"), point, timeout_s=0.2)
    rows = audited(db)
    assert ("olga", "drill.trip-refused", point) in rows and ("clerk", "drill.restore-refused", point) in rows
    assert ("sam", "drill.trip-failed", point) in rows and ("olga", "drill.trip-failed", point) in rows


@pytest.mark.parametrize(
    ("action", "refused_action", "allowed_names"),
    [
        (Action.USERS_MANAGE, "user.add-refused", ("root",)),
        (Action.AUDIT_VIEW, "audit.list-refused", ("sam", "root")),
    ],
)
def test_users_and_audit_rows_in_the_user_service(
    db: Database, action: Action, refused_action: str, allowed_names: tuple[str, ...]
) -> None:
    users = UserService(db)
    for name in ("olga", "sam", "clerk", "root"):
        if name in allowed_names:
            assert users.authorize(name, PASSWORD, action, refused_action, "t").name == name
        else:
            with pytest.raises(PermissionRefused):
                users.authorize(name, PASSWORD, action, refused_action, "t")
            assert (name, refused_action, "t") in audited(db)
    with pytest.raises(AuthError):
        users.authorize("root", "wrong-password", action, refused_action, "t")

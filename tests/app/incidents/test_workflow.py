"""The incident status workflow through the service on a real SQLite database of a synced site.

Every legal move works (with who and when recorded), every illegal one is refused with words, and
every transition and refusal is in the audit chain.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app.audit.chain import verify
from app.auth.users import UserInfo, UserService
from app.incidents.service import IncidentRefused, IncidentService
from app.incidents.workflow import MOVES, next_statuses
from app.storage.database import Database
from models.audit import AuditEntry
from models.incidents import INCIDENT_STATUSES, IncidentStatusChange
from models.users import ROLES
from tests.app.alarm_support import open_db, write_site

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
LEGAL = {
    ("new", "in-progress"),
    ("new", "closed"),
    ("in-progress", "on-hold"),
    ("on-hold", "in-progress"),
    ("in-progress", "closed"),
    ("on-hold", "closed"),
    ("closed", "in-progress"),
}
# a path from "new" to each status, through legal moves
PATH_TO = {
    "new": [],
    "in-progress": ["in-progress"],
    "on-hold": ["in-progress", "on-hold"],
    "closed": ["in-progress", "closed"],
}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    yield database
    database.close()


@pytest.fixture
def users(db: Database) -> dict[str, UserInfo]:
    service = UserService(db, hasher=FAST)
    return {role: service.add(f"u-{role}", role, "long-enough-pw") for role in ROLES}


def audit_rows(db: Database) -> list[tuple[str, str, str, dict[str, object]]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.details).order_by(
                AuditEntry.id
            )
        ).all()
    return [(a, b, c, json.loads(d)) for a, b, c, d in rows if b.startswith("incident.")]


def at_status(service: IncidentService, user: UserInfo, status: str) -> int:
    row = service.create(user, f"drill to {status}", building="B3")
    for step in PATH_TO[status]:
        service.set_status(user, row.id, step, reason="test")
    return row.id


def test_the_table_is_the_issues_moves() -> None:
    assert set(MOVES) == LEGAL
    assert next_statuses("new") == ["in-progress", "closed"]
    assert next_statuses("closed") == ["in-progress"]


@pytest.mark.parametrize("move", sorted(LEGAL))
def test_every_legal_move_works_and_is_recorded_and_audited(
    db: Database, users: dict[str, UserInfo], move: tuple[str, str]
) -> None:
    service = IncidentService(db)
    supervisor = users["supervisor"]
    incident = at_status(service, supervisor, move[0])
    before = len(audit_rows(db))
    row = service.set_status(supervisor, incident, move[1], reason="false alarm: a test of the panel")
    assert row.status == move[1]
    assert (row.closed_at is not None) is (move[1] == "closed")
    with db.session() as s:
        last = s.scalars(
            select(IncidentStatusChange)
            .where(IncidentStatusChange.incident_id == incident)
            .order_by(IncidentStatusChange.id.desc())
        ).first()
    assert last is not None and (last.from_status, last.to_status, last.by_name) == (*move, supervisor.name)
    rows = audit_rows(db)[before:]
    assert rows == [
        (
            supervisor.name,
            "incident.status",
            f"incident:{incident}",
            {"from": move[0], "to": move[1], "reason": "false alarm: a test of the panel"},
        )
    ]


ILLEGAL = [(a, b) for a, b in itertools.product(INCIDENT_STATUSES, INCIDENT_STATUSES) if (a, b) not in LEGAL]


@pytest.mark.parametrize("move", ILLEGAL)
def test_every_illegal_move_is_refused_and_audited(
    db: Database, users: dict[str, UserInfo], move: tuple[str, str]
) -> None:
    service = IncidentService(db)
    supervisor = users["supervisor"]
    incident = at_status(service, supervisor, move[0])
    before = len(audit_rows(db))
    with pytest.raises(IncidentRefused, match=r"cannot become|already") as refused:
        service.set_status(supervisor, incident, move[1], reason="x")
    with db.session() as s:
        statuses = [
            c.to_status
            for c in s.scalars(
                select(IncidentStatusChange).where(IncidentStatusChange.incident_id == incident)
            )
        ]
    assert statuses[-1] == move[0]  # nothing changed
    assert audit_rows(db)[before:] == [
        (
            supervisor.name,
            "incident.status-refused",
            f"incident:{incident}",
            {"reason": refused.value.reason, "to": move[1]},
        )
    ]


def test_closing_a_new_incident_needs_a_reason(db: Database, users: dict[str, UserInfo]) -> None:
    service = IncidentService(db)
    officer = users["duty-officer"]
    incident = service.create(officer, "smoke in hall", building="B3").id
    with pytest.raises(IncidentRefused, match="needs a reason"):
        service.set_status(officer, incident, "closed")
    assert service.set_status(officer, incident, "closed", reason="false alarm: cooking").status == "closed"


def test_only_a_supervisor_or_administrator_reopens(db: Database, users: dict[str, UserInfo]) -> None:
    service = IncidentService(db)
    officer = users["duty-officer"]
    incident = at_status(service, officer, "closed")
    with pytest.raises(IncidentRefused, match="supervisor, administrator"):
        service.set_status(officer, incident, "in-progress")
    assert audit_rows(db)[-1][1] == "incident.status-refused"
    row = service.set_status(users["administrator"], incident, "in-progress", reason="smoke again")
    assert row.status == "in-progress" and row.closed_at is None


def test_a_records_clerk_may_not_touch_incidents(db: Database, users: dict[str, UserInfo]) -> None:
    service = IncidentService(db)
    clerk = users["records-clerk"]
    with pytest.raises(IncidentRefused, match="records-clerk"):
        service.create(clerk, "fall in lift", building="B3")
    incident = service.create(users["duty-officer"], "fall in lift", building="B3").id
    with pytest.raises(IncidentRefused, match="records-clerk"):
        service.note(clerk, incident, "seen")
    with pytest.raises(IncidentRefused, match="records-clerk"):
        service.set_status(clerk, incident, "in-progress")
    refused = [r[1] for r in audit_rows(db) if r[0] == clerk.name]
    assert refused == ["incident.create-refused", "incident.note-refused", "incident.status-refused"]


def test_unknown_ids_and_bad_input_are_refused_in_words(db: Database, users: dict[str, UserInfo]) -> None:
    service = IncidentService(db)
    officer = users["duty-officer"]
    with pytest.raises(IncidentRefused, match="alarm 999 does not exist"):
        service.create(officer, "x", alarm_ids=[999])
    with pytest.raises(IncidentRefused, match="building 'B9' is not in the site file"):
        service.create(officer, "x", building="B9")
    with pytest.raises(IncidentRefused, match="needs a title"):
        service.create(officer, "  ")
    with pytest.raises(IncidentRefused, match="incident 42 does not exist"):
        service.set_status(officer, 42, "in-progress")
    with pytest.raises(IncidentRefused, match="'done' is not an incident status"):
        service.set_status(officer, service.create(officer, "y").id, "done")
    with db.session() as s:
        assert verify(s).ok


@pytest.mark.postgres
def test_the_workflow_on_postgresql(tmp_path: Path) -> None:
    from app.site.sync import sync_site
    from tests.models.support import fresh_pg_database

    with fresh_pg_database() as url, Database(url) as database:
        database.upgrade()
        sync_site(database, write_site(tmp_path))
        officer = UserService(database, hasher=FAST).add("u-officer", "duty-officer", "long-enough-pw")
        service = IncidentService(database)
        incident = service.create(officer, "烟感报警", building="B3").id
        assert service.set_status(officer, incident, "in-progress").status == "in-progress"
        with pytest.raises(IncidentRefused, match="cannot become"):
            service.set_status(officer, incident, "new")
        service.note(officer, incident, "note on PostgreSQL")
        assert [r[1] for r in audit_rows(database)] == [
            "incident.create",
            "incident.status",
            "incident.status-refused",
            "incident.note",
        ]
        with database.session() as s:
            assert verify(s).ok

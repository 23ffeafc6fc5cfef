"""``wardroom incidents`` end to end: the real console script on a real SQLite file of a synced site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app.alarms import journal
from app.alarms.journal import NewAlarm
from app.auth.users import UserService
from app.storage.database import Database
from models.audit import AuditEntry
from tests.app.alarm_support import open_db, write_site
from tests.app.test_cli import wardroom

PASSWORD = "long-enough-pw"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
FIELDS = {"id", "title", "status", "priority", "building", "opened_at", "opened_by", "closed_at", "alarm_ids"}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    service = UserService(database, hasher=FAST)
    service.add("li.wei", "duty-officer", PASSWORD)
    service.add("boss", "supervisor", PASSWORD)
    yield database
    database.close()


def raise_fire(db: Database) -> int:
    new = NewAlarm(
        key="b3.smoke/on",
        source="point:b3.smoke",
        category="fire",
        priority="fire",
        message="smoke",
        state="unacknowledged",
        building="B3",
        definition_key="b3.smoke/on",
        value=1.0,
    )
    view, _ = db.write(lambda s: journal.raise_alarm(s, new, datetime.now(UTC)))
    assert view.id is not None
    return view.id


def test_create_status_note_and_list_json_carry_every_field(db: Database) -> None:
    alarm = raise_fire(db)
    url = ("--database", db.url)
    made = wardroom(
        "incidents",
        "create",
        "--title",
        "烟感报警 B3 大堂",
        "--alarm",
        str(alarm),
        "--user",
        "li.wei",
        *url,
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    incident = int(made.stdout.strip())
    as_json = wardroom(
        "incidents",
        "create",
        "--title",
        "by hand",
        "--building",
        "B3",
        "--json",
        "--user",
        "li.wei",
        *url,
        stdin=PASSWORD + "\n",
    )
    assert as_json.returncode == 0, as_json.stderr
    (by_hand,) = json.loads(as_json.stdout)
    assert by_hand["status"] == "new" and by_hand["building"] == "B3" and by_hand["alarm_ids"] == []

    assert (
        wardroom(
            "incidents",
            "status",
            str(incident),
            "in-progress",
            "--user",
            "li.wei",
            *url,
            stdin=PASSWORD + "\n",
        ).returncode
        == 0
    )
    noted = wardroom(
        "incidents",
        "note",
        str(incident),
        "fire brigade called",
        "--user",
        "li.wei",
        *url,
        stdin=PASSWORD + "\n",
    )
    assert noted.returncode == 0, noted.stderr
    closed = wardroom(
        "incidents", "status", str(incident), "closed", "--user", "li.wei", *url, stdin=PASSWORD + "\n"
    )
    assert closed.returncode == 0 and "closed" in closed.stdout
    reopen = wardroom(
        "incidents", "status", str(incident), "in-progress", "--user", "li.wei", *url, stdin=PASSWORD + "\n"
    )
    assert reopen.returncode == 2 and "supervisor" in reopen.stderr and "Traceback" not in reopen.stderr
    bad = wardroom(
        "incidents", "status", str(incident), "open", "--user", "li.wei", *url, stdin=PASSWORD + "\n"
    )
    assert bad.returncode == 2 and "not an incident status" in bad.stderr
    wrong_pw = wardroom("incidents", "note", str(incident), "x", "--user", "li.wei", *url, stdin="nope\n")
    assert wrong_pw.returncode == 2

    def add_team(session: object) -> None:
        from sqlalchemy.orm import Session

        from models.people import DutyTeam

        assert isinstance(session, Session)
        session.add(DutyTeam(name="红队"))

    db.write(add_team)
    assigned = wardroom(
        "incidents", "assign", str(incident), "红队", "--user", "li.wei", *url, stdin=PASSWORD + "\n"
    )
    assert assigned.returncode == 0 and "红队" in assigned.stdout, assigned.stderr
    no_team = wardroom(
        "incidents", "assign", str(incident), "蓝队", "--user", "li.wei", *url, stdin=PASSWORD + "\n"
    )
    assert no_team.returncode == 2 and "no duty team named" in no_team.stderr

    listed = wardroom("incidents", "list", "--json", *url)
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    row = rows[incident]
    assert set(row) >= FIELDS
    assert row["title"] == "烟感报警 B3 大堂" and row["status"] == "closed" and row["priority"] == "fire"
    assert row["building"] == "B3" and row["opened_by"] == "li.wei" and row["alarm_ids"] == [alarm]
    assert row["opened_at"].endswith("+00:00") and row["closed_at"].endswith("+00:00")
    assert row["duty_team"] == "红队"
    with db.session() as s:
        actions = [
            a
            for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.id))
            if a.startswith("incident")
        ]
    assert actions == [
        "incident.create",
        "incident.create",
        "incident.status",
        "incident.note",
        "incident.status",
        "incident.status-refused",
        "incident.status-refused",
        "incident.note-refused",
        "incident.assign",
        "incident.assign-refused",
    ]

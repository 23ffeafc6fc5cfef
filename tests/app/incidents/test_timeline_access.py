"""An incident's timeline holds the gate access events of its own building's cameras while it was
open (and shortly before), and none from other buildings or other times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from app.auth.users import UserService
from app.incidents.service import IncidentService
from app.incidents.timeline import ACCESS_LEAD, assemble
from app.vision.access import record_access
from models.incidents import Incident
from tests.app.alarm_support import SITE, open_db, write_site

CAMERAS = """
[[building]]
id = "B1"
name = "Building 1"

[[camera]]
id = "gate-b3"
url = "http://127.0.0.1:9/gate"
building = "B3"

[[camera]]
id = "gate-b1"
url = "http://127.0.0.1:9/gate1"
building = "B1"
"""


def test_access_events_of_the_buildings_cameras_join_the_timeline(tmp_path: Path) -> None:
    db = open_db(tmp_path, write_site(tmp_path, SITE + CAMERAS))
    try:
        user = UserService(db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add(
            "li", "duty-officer", "long-enough-pw"
        )
        service = IncidentService(db)
        row = service.create(user, "car in the lobby", building="B3")
        with db.session() as s:
            incident = s.get(Incident, row.id)
            assert incident is not None
            opened = incident.opened_at
        before = opened - ACCESS_LEAD / 2
        too_early = opened - ACCESS_LEAD * 2
        during = opened + timedelta(milliseconds=1)  # before the close below
        record_access(db, "gate-b3", "京A12345", before)
        record_access(db, "gate-b3", "京B00001", too_early)
        record_access(db, "gate-b1", "京C00002", during)  # another building
        record_access(db, "gate-b3", "沪D12345", during)
        with db.session() as s:
            entries = [e for e in assemble(s, row.id) if e.kind == "access"]
        assert [(e.what, e.text) for e in entries] == [
            ("gate-b3: 京A12345", "unregistered"),
            ("gate-b3: 沪D12345", "unregistered"),
        ]
        service.set_status(user, row.id, "closed", reason="false alarm")
        record_access(db, "gate-b3", "京E55555", datetime.now(UTC) + timedelta(minutes=1))  # after closing
        with db.session() as s:
            assert len([e for e in assemble(s, row.id) if e.kind == "access"]) == 2
    finally:
        db.close()

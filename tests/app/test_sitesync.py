"""Site sync: the file's records become rows (created, updated, retired, un-retired), history that
points at a retired row survives, and every sync is audited with the file's SHA-256."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.site.schema import SiteFile
from app.site.sync import SyncResult, sync_site
from app.storage.database import Database
from models.alarms import AlarmDefinition, AlarmOccurrence
from models.audit import AuditEntry
from models.site import Building, Camera, CameraZone, Plc, Point, Site
from tests.models.support import sqlite_url

SITE: dict[str, Any] = {
    "site": {"name": "Shadun Village", "timezone": "Asia/Shanghai"},
    "building": [{"id": "B3", "name": "Building 3"}, {"id": "B4", "name": "Building 4"}],
    "plc": [{"id": "fire-panel-a", "protocol": "modbus-tcp", "host": "127.0.0.1", "port": 5020}],
    "point": [
        {
            "id": "b3.sprinkler.pressure",
            "plc": "fire-panel-a",
            "address": "hr:100",
            "type": "uint16",
            "scale": 0.001,
            "unit": "MPa",
            "kind": "pressure",
            "building": "B3",
            "range": [0.0, 1.6],
            "alarms": [
                {"limit": "low", "value": 0.1, "priority": "high", "category": "supervisory", "delay_s": 2},
                {"limit": "low-low", "value": 0.05, "priority": "urgent", "category": "fault"},
            ],
        },
        {
            "id": "b4.smoke",
            "plc": "fire-panel-a",
            "address": "co:1",
            "type": "bool",
            "kind": "smoke",
            "building": "B4",
            "alarms": [{"limit": "on", "priority": "fire", "category": "fire"}],
        },
    ],
    "camera": [
        {
            "id": "gate-north",
            "url": "rtsp://127.0.0.1:8554/gate",
            "building": "B3",
            "detect": ["person", "bicycle"],
            "zones": [{"name": "lobby", "polygon": [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0]], "rule": "no-ebike"}],
        }
    ],
}


@dataclass(frozen=True)
class StandInLoaded:
    """Just what ``sync_site`` uses of ``app.site.loader.LoadedSite``."""

    path: Path
    sha256: str
    site: SiteFile
    text: str


def _loaded(tmp_path: Path, data: dict[str, Any]) -> StandInLoaded:
    text = json.dumps(data, sort_keys=True)  # stands in for the file's bytes
    return StandInLoaded(
        path=tmp_path / "site.toml",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        site=SiteFile.model_validate(data),
        text=text,
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path))
    database.upgrade()
    yield database
    database.close()


def _sync(db: Database, loaded: StandInLoaded) -> SyncResult:
    return sync_site(db, loaded, actor="tester")  # type: ignore[arg-type]


def _keys(db: Database, model: type[Any], retired: bool = False) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(model.key).where(model.retired.is_(retired))))


def test_first_sync_creates_the_rows_and_audits_the_file(db: Database, tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, SITE)
    result = _sync(db, loaded)
    assert result.changed
    assert result.created == {
        "sites": 1,
        "buildings": 2,
        "plcs": 1,
        "points": 2,
        "alarm_definitions": 3,
        "cameras": 1,
        "camera_zones": 1,
    }
    assert result.updated == {} and result.retired == {}
    assert _keys(db, Building) == ["B3", "B4"]
    assert _keys(db, AlarmDefinition) == [
        "b3.sprinkler.pressure/low",
        "b3.sprinkler.pressure/low-low",
        "b4.smoke/on",
    ]
    assert _keys(db, CameraZone) == ["gate-north/lobby"]
    with db.session() as session:
        point = session.scalars(select(Point).where(Point.key == "b3.sprinkler.pressure")).one()
        assert (point.plc.key, point.building.key if point.building else None) == ("fire-panel-a", "B3")
        assert (point.scale, point.range_min, point.range_max, point.unit) == (0.001, 0.0, 1.6, "MPa")
        low = session.scalars(select(AlarmDefinition).where(AlarmDefinition.key.endswith("/low"))).one()
        assert (low.limit, low.value, low.priority, low.category, low.delay_s) == (
            "low",
            0.1,
            "high",
            "supervisory",
            2.0,
        )
        camera = session.scalars(select(Camera)).one()
        assert (camera.name, json.loads(camera.detect)) == ("gate-north", ["person", "bicycle"])
        site = session.scalars(select(Site)).one()
        assert (site.name, site.source_sha256, site.source_path) == (
            "Shadun Village",
            loaded.sha256,
            str(loaded.path),
        )
        entry = session.get(AuditEntry, result.audit_id)
        assert entry is not None and (entry.actor, entry.action) == ("tester", "site.sync")
        details = json.loads(entry.details)
        assert details["file"] == str(loaded.path)
        assert (details["sha256"], details["changed"]) == (loaded.sha256, True)
        assert audit.verify(session).ok


def test_an_unchanged_file_changes_nothing_but_is_still_audited(db: Database, tmp_path: Path) -> None:
    first = _sync(db, _loaded(tmp_path, SITE))
    again = _sync(db, _loaded(tmp_path, SITE))
    assert (again.changed, again.created, again.updated, again.retired) == (False, {}, {}, {})
    assert again.audit_id == first.audit_id + 1
    with db.session() as session:
        syncs = session.scalars(select(AuditEntry).where(AuditEntry.action == "site.sync")).all()
        assert [json.loads(e.details)["sha256"] for e in syncs] == [first.sha256, first.sha256]


def test_a_changed_file_updates_and_retires_rows_and_keeps_history(db: Database, tmp_path: Path) -> None:
    _sync(db, _loaded(tmp_path, SITE))

    # An alarm was raised on the smoke detector: history that must survive its removal.
    def raise_alarm(session: Session) -> None:
        query = select(AlarmDefinition).where(AlarmDefinition.key == "b4.smoke/on")
        definition = session.scalars(query).one()
        session.add(
            AlarmOccurrence(
                definition=definition,
                source="point:b4.smoke",
                state="unacknowledged",
                priority="fire",
                category="fire",
            )
        )

    db.write(raise_alarm)

    changed = copy.deepcopy(SITE)
    changed["building"] = [{"id": "B3", "name": "Building Three"}]
    changed["point"] = [changed["point"][0]]
    changed["point"][0]["alarms"] = [changed["point"][0]["alarms"][0]]
    changed["camera"][0]["name"] = "North gate"
    changed["camera"][0]["zones"] = []
    result = _sync(db, _loaded(tmp_path, changed))

    assert result.changed
    assert result.created == {}
    assert result.updated == {"sites": 1, "buildings": 1, "cameras": 1}
    assert result.retired == {"buildings": 1, "points": 1, "alarm_definitions": 2, "camera_zones": 1}
    assert _keys(db, Point, retired=True) == ["b4.smoke"]
    assert _keys(db, Building, retired=True) == ["B4"]
    with db.session() as session:
        occurrence = session.scalars(select(AlarmOccurrence)).one()
        assert occurrence.definition is not None and occurrence.definition.retired
        assert session.scalars(select(Plc.retired)).all() == [False]

    # Put the file back: retired rows return (un-retired, same ids), nothing is duplicated.
    with db.session() as session:
        old_ids = {p.key: p.id for p in session.scalars(select(Point))}
    back = _sync(db, _loaded(tmp_path, SITE))
    assert back.created == {} and back.retired == {}
    assert back.updated["points"] == 1 and back.updated["buildings"] == 2
    assert _keys(db, Point) == ["b3.sprinkler.pressure", "b4.smoke"]
    with db.session() as session:
        assert {p.key: p.id for p in session.scalars(select(Point))} == old_ids
        assert audit.verify(session).ok


def test_stations_syncing_a_new_postgresql_database_at_once_all_succeed(tmp_path: Path) -> None:
    """Several stations start together on an empty database: every sync succeeds, one site row."""
    import threading

    from tests.models.support import fresh_pg_database

    with fresh_pg_database() as url:
        first = Database(url)
        first.upgrade()
        first.close()
        loaded = _loaded(tmp_path, copy.deepcopy(SITE))
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def station() -> None:
            db = Database(url)
            try:
                start.wait(5)
                _sync(db, loaded)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.close()

        threads = [threading.Thread(target=station) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        check = Database(url)
        try:
            with check.session() as session:
                assert len(session.scalars(select(Site)).all()) == 1
        finally:
            check.close()

"""rev0009: an incident left ``open`` by an earlier version becomes ``in-progress``, with a history row."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from app.storage.database import Database
from models.migrations import alembic_config
from tests.models.support import sqlite_url


def test_open_incidents_migrate_to_in_progress(tmp_path: Path) -> None:
    with Database(sqlite_url(tmp_path)) as db:
        config = alembic_config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0008")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO incidents (id, title, description, status, priority, opened_at) VALUES "
                    "(1, 'old open', '', 'open', 'high', '2026-01-01 00:00:00'), "
                    "(2, 'old closed', '', 'closed', 'low', '2026-01-02 00:00:00')"
                )
            )
        db.upgrade()
        with db.engine.connect() as conn:
            statuses: dict[int, str] = dict(conn.execute(text("SELECT id, status FROM incidents")).all())
            history = conn.execute(
                text("SELECT incident_id, from_status, to_status, by_name FROM incident_status_changes")
            ).all()
        assert statuses == {1: "in-progress", 2: "closed"}
        assert [tuple(r) for r in history] == [(1, "open", "in-progress", "migration")]
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0008")
        with db.engine.connect() as conn:
            assert dict(conn.execute(text("SELECT id, status FROM incidents")).all()) == {
                1: "open",
                2: "closed",
            }

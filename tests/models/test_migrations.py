"""Migrations: a fresh database reaches head, upgrading is idempotent, and the migrated schema is
exactly ``Base.metadata`` (no autogenerate diff) on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

import models
from app.audit import chain as audit
from app.storage.database import Database
from models.audit import GENESIS_HASH, AuditHead
from models.migrations import alembic_config
from tests.models.support import fresh_pg_database, sqlite_url


def _head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"the migrations must have a single head, found {heads}"
    return heads[0]


def _current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _diff(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, models.Base.metadata))


def test_fresh_sqlite_database_upgrades_to_head(tmp_path: Path) -> None:
    with Database(sqlite_url(tmp_path)) as db:
        assert _current(db) is None
        db.upgrade()
        assert _current(db) == _head()
        tables = set(inspect(db.engine).get_table_names())
        assert set(models.Base.metadata.tables) <= tables
        with db.session() as session:
            head = session.get(AuditHead, 1)
            assert head is not None and (head.head_hash, head.row_count, head.last_id) == (GENESIS_HASH, 0, 0)


def test_upgrade_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with Database(url) as db:
        db.upgrade()
        db.write(lambda s: audit.append(s, "tester", "test.mark"))
    with Database(url) as db:  # an existing database, opened again as at the next start
        db.upgrade()
        db.upgrade()
        assert _current(db) == _head()
        with db.session() as session:
            assert session.scalar(select(AuditHead.row_count)) == 1
            assert audit.verify(session).ok


def test_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    with Database(sqlite_url(tmp_path)) as db:
        db.upgrade()
        assert _diff(db) == []


def test_the_comparison_would_notice_drift(tmp_path: Path) -> None:
    """Guard for the test above: a schema that differs from the models does produce a diff."""
    with Database(sqlite_url(tmp_path)) as db:
        db.upgrade()
        db.write(lambda s: s.execute(text("DROP INDEX ix_audit_log_action")))
        db.write(lambda s: s.execute(text("ALTER TABLE users ADD COLUMN nickname VARCHAR(20)")))
        kinds = {entry[0] if isinstance(entry, tuple) else entry[0][0] for entry in _diff(db)}
        assert {"add_index", "remove_column"} <= kinds


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    with Database(sqlite_url(tmp_path)) as db:
        db.upgrade()
        config = alembic_config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        db.upgrade()
        assert _diff(db) == []


@pytest.mark.postgres
def test_postgresql_schema_matches_the_models() -> None:
    with fresh_pg_database() as url, Database(url) as db:
        db.upgrade()
        db.upgrade()
        assert _current(db) == _head()
        assert _diff(db) == []

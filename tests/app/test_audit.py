"""The audit chain detects tampering at the first affected row: an edited row, a deleted row in the
middle or at the start, deleted newest rows, and reordered rows. Tampering is done the way an
intruder would, with the sqlite3 module straight on the file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.storage.database import Database
from models.audit import AuditEntry, AuditHead
from tests.models.support import fresh_pg_database, sqlite_url

ROWS = 6


def _details(i: int) -> dict[str, object]:
    return {"n": i, "名": "值"}



@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path))
    database.upgrade()
    for i in range(1, ROWS + 1):
        details = _details(i)
        append = partial(audit.append, actor=f"user{i}", action="test.act", target=f"t{i}", details=details)
        database.write(append)
    yield database
    database.close()


def _verdict(db: Database) -> audit.AuditVerdict:
    with db.session() as session:
        return audit.verify(session)


def _tamper(tmp_path: Path, *statements: str) -> None:
    conn = sqlite3.connect(tmp_path / "wardroom.sqlite3")
    try:
        with conn:
            for statement in statements:
                conn.execute(statement)
    finally:
        conn.close()


def test_an_intact_chain_verifies(db: Database) -> None:
    verdict = _verdict(db)
    assert verdict == audit.AuditVerdict(True, ROWS, None, f"{ROWS} rows verified")
    with db.session() as session:
        head = session.get(AuditHead, 1)
        last = session.get(AuditEntry, ROWS)
        assert head is not None and last is not None
        assert (head.row_count, head.last_id, head.head_hash) == (ROWS, ROWS, last.hash)
        ids = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
        assert ids == list(range(1, ROWS + 1))
        first = session.get(AuditEntry, 1)
        assert first is not None and first.prev_hash == "0" * 64


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    with Database(sqlite_url(tmp_path, "empty.sqlite3")) as db:
        db.upgrade()
        assert _verdict(db).ok and _verdict(db).rows == 0


@pytest.mark.parametrize("column", ["actor", "action", "target", "details", "at"])
def test_an_edited_row_is_named(db: Database, tmp_path: Path, column: str) -> None:
    value = {"details": '{"n":99}', "at": "2020-01-01 00:00:00.000000"}.get(column, "mallory")
    _tamper(tmp_path, f"UPDATE audit_log SET {column} = '{value}' WHERE id = 3")
    verdict = _verdict(db)
    assert not verdict.ok
    assert verdict.first_bad_id == 3
    assert "altered" in verdict.reason


def test_an_edited_row_with_a_recomputed_hash_is_caught_at_the_next_row(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        row = session.get(AuditEntry, 3)
        assert row is not None
        forged = audit.row_hash(3, row.at, "mallory", row.action, row.target, _details(3), row.prev_hash)
    _tamper(tmp_path, f"UPDATE audit_log SET actor = 'mallory', hash = '{forged}' WHERE id = 3")
    verdict = _verdict(db)
    assert (verdict.ok, verdict.first_bad_id) == (False, 4)


def test_a_deleted_middle_row_is_named(db: Database, tmp_path: Path) -> None:
    _tamper(tmp_path, "DELETE FROM audit_log WHERE id = 3")
    verdict = _verdict(db)
    assert (verdict.ok, verdict.first_bad_id, verdict.rows) == (False, 3, 2)
    assert "row 3 deleted" in verdict.reason


def test_a_deleted_first_row_is_named(db: Database, tmp_path: Path) -> None:
    _tamper(tmp_path, "DELETE FROM audit_log WHERE id = 1")
    assert _verdict(db).first_bad_id == 1


def test_a_deleted_and_renumbered_middle_row_is_named(db: Database, tmp_path: Path) -> None:
    _tamper(
        tmp_path,
        "DELETE FROM audit_log WHERE id = 3",
        *(f"UPDATE audit_log SET id = {i - 1} WHERE id = {i}" for i in range(4, ROWS + 1)),
        f"UPDATE audit_head SET row_count = {ROWS - 1}, last_id = {ROWS - 1}",
    )
    assert _verdict(db).first_bad_id == 3


@pytest.mark.parametrize(("deleted", "first_bad"), [((6,), 6), ((5, 6), 5), ((1, 2, 3, 4, 5, 6), 1)])
def test_deleted_newest_rows_are_named(
    db: Database, tmp_path: Path, deleted: tuple[int, ...], first_bad: int
) -> None:
    _tamper(tmp_path, f"DELETE FROM audit_log WHERE id IN ({', '.join(map(str, deleted))})")
    verdict = _verdict(db)
    assert (verdict.ok, verdict.first_bad_id) == (False, first_bad)
    assert "deleted" in verdict.reason


def test_a_deleted_head_record_is_reported(db: Database, tmp_path: Path) -> None:
    _tamper(tmp_path, "DELETE FROM audit_head")
    verdict = _verdict(db)
    assert not verdict.ok and "head record is missing" in verdict.reason


@pytest.mark.parametrize("with_hashes", [False, True])
def test_reordered_rows_are_named(db: Database, tmp_path: Path, with_hashes: bool) -> None:
    """Swap the contents of rows 2 and 5 (with or without their hash columns)."""
    columns = ["at", "actor", "action", "target", "details"] + (["prev_hash", "hash"] if with_hashes else [])
    conn = sqlite3.connect(tmp_path / "wardroom.sqlite3")
    try:
        with conn:
            listed = ", ".join(columns)
            row2 = conn.execute(f"SELECT {listed} FROM audit_log WHERE id = 2").fetchone()
            row5 = conn.execute(f"SELECT {listed} FROM audit_log WHERE id = 5").fetchone()
            assignments = ", ".join(f"{c} = ?" for c in columns)
            conn.execute(f"UPDATE audit_log SET {assignments} WHERE id = 2", row5)
            conn.execute(f"UPDATE audit_log SET {assignments} WHERE id = 5", row2)
    finally:
        conn.close()
    verdict = _verdict(db)
    assert (verdict.ok, verdict.first_bad_id) == (False, 2)


def test_a_rolled_back_append_leaves_no_trace(db: Database) -> None:
    def append_then_fail(session: Session) -> None:
        audit.append(session, "alice", "test.fail")
        raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        db.write(append_then_fail)
    verdict = _verdict(db)
    assert verdict.ok and verdict.rows == ROWS
    assert db.write(lambda s: audit.append(s, "alice", "test.next")) == ROWS + 1


def test_details_must_be_json(db: Database) -> None:
    with pytest.raises(TypeError):
        db.write(lambda s: audit.append(s, "alice", "test.bad", details={"x": object()}))
    with pytest.raises(ValueError, match="actor"):
        db.write(lambda s: audit.append(s, "", "test.bad"))


@pytest.mark.postgres
def test_concurrent_appends_on_postgresql_keep_one_chain() -> None:
    with fresh_pg_database() as url, Database(url) as db:
        db.upgrade()
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                for i in range(15):
                    append = partial(audit.append, actor=f"ws{n}", action="test.concurrent", details={"i": i})
                    db.write(append)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
            assert not t.is_alive()
        assert errors == []
        verdict = _verdict(db)
        assert (verdict.ok, verdict.rows) == (True, 90), verdict.reason

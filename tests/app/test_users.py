"""Users: argon2id hashes, plain-word refusals, and the lock after repeated wrong passwords
(configurable, audited, lifted when its time is up)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app.audit import chain as audit
from app.auth.users import AuthError, UserInfo, UserService, duration_in_words
from app.storage.database import Database
from models.audit import AuditEntry
from models.users import User
from tests.models.support import sqlite_url

PASSWORD = "correct horse battery"
LOCKOUT_S = 0.5
ONLY_WRONG = r"^wrong user name or password$"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path))
    database.upgrade()
    yield database
    database.close()


@pytest.fixture
def users(db: Database) -> UserService:
    return UserService(db, max_attempts=5, lockout_s=LOCKOUT_S)


def _audit_actions(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.actor, r.action, r.target) for r in rows]


def _stored_hash(db: Database, name: str) -> str:
    with db.session() as session:
        value = session.scalar(select(User.password_hash).where(User.name == name))
        assert value is not None
        return value


def test_password_is_stored_as_argon2id(db: Database, users: UserService) -> None:
    info = users.add("alice", "duty-officer", PASSWORD, actor="admin")
    assert isinstance(info, UserInfo) and (info.name, info.role) == ("alice", "duty-officer")
    stored = _stored_hash(db, "alice")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert ("admin", "user.add", "alice") in _audit_actions(db)


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("", "duty-officer", PASSWORD, "empty"),
        ("al ice", "duty-officer", PASSWORD, "space"),
        ("x" * 65, "duty-officer", PASSWORD, "longer"),
        ("bob", "root", PASSWORD, "unknown role 'root'; choose one of: duty-officer"),
        ("bob", "supervisor", "short", "too short"),
    ],
)
def test_bad_input_is_refused_in_plain_words(
    users: UserService, name: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        users.add(name, role, password)
    assert users.list() == []


def test_a_name_is_taken_once(users: UserService) -> None:
    users.add("alice", "duty-officer", PASSWORD)
    with pytest.raises(ValueError, match="already exists"):
        users.add("alice", "supervisor", PASSWORD)


def test_right_password_logs_in_and_is_audited(db: Database, users: UserService) -> None:
    users.add("alice", "supervisor", PASSWORD)
    info = users.authenticate("alice", PASSWORD)
    assert (info.name, info.role, info.locked_until) == ("alice", "supervisor", None)
    assert ("alice", "user.login", "alice") in _audit_actions(db)


def test_wrong_password_and_unknown_user_are_refused_alike(db: Database, users: UserService) -> None:
    users.add("alice", "supervisor", PASSWORD)
    with pytest.raises(AuthError, match=ONLY_WRONG):
        users.authenticate("alice", "not the password")
    with pytest.raises(AuthError, match=ONLY_WRONG):
        users.authenticate("nobody", PASSWORD)
    with db.session() as session:
        assert session.scalar(select(User.failed_attempts).where(User.name == "alice")) == 1
    failures = [a for a in _audit_actions(db) if a[1] == "user.login-failed"]
    assert [target for _, _, target in failures] == ["alice", "nobody"]


def test_five_wrong_passwords_lock_the_account_for_the_configured_time(
    db: Database, users: UserService
) -> None:
    users.add("alice", "duty-officer", PASSWORD)
    for attempt in range(1, 5):
        with pytest.raises(AuthError, match=ONLY_WRONG):
            users.authenticate("alice", f"guess {attempt}")
    with pytest.raises(AuthError, match="locked for 1 second"):
        users.authenticate("alice", "guess 5")
    locked = users.get("alice")
    assert locked is not None and locked.locked_until is not None

    # While locked even the right password is refused, with the time left in words.
    with pytest.raises(AuthError, match=r"locked .* try again in 1 second"):
        users.authenticate("alice", PASSWORD)

    actions = _audit_actions(db)
    assert ("system", "user.locked", "alice") in actions
    with db.session() as session:
        row = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.locked")).one()
        assert json.loads(row.details)["attempts"] == 5

    # After the lockout the right password works (wait for the condition, bounded).
    deadline = time.monotonic() + 10
    info = None
    while info is None and time.monotonic() < deadline:
        try:
            info = users.authenticate("alice", PASSWORD)
        except AuthError as exc:
            assert "locked" in str(exc)
            threading.Event().wait(0.05)
    assert info is not None and info.locked_until is None
    with db.session() as session:
        assert session.scalar(select(User.failed_attempts).where(User.name == "alice")) == 0
        assert audit.verify(session).ok


def test_lockout_is_configurable(db: Database) -> None:
    users = UserService(db, max_attempts=2, lockout_s=3600)
    users.add("bob", "records-clerk", PASSWORD)
    with pytest.raises(AuthError, match=ONLY_WRONG):
        users.authenticate("bob", "nope")
    with pytest.raises(AuthError, match="locked for 1 hour"):
        users.authenticate("bob", "nope")
    with pytest.raises(AuthError, match=r"try again in 59 minutes \d+ seconds|try again in 1 hour"):
        users.authenticate("bob", PASSWORD)


def test_an_old_hash_is_upgraded_at_login(db: Database) -> None:
    weak = UserService(db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    weak.add("carol", "administrator", PASSWORD)
    old = _stored_hash(db, "carol")
    strong = UserService(db)
    assert strong.hasher.check_needs_rehash(old)
    strong.authenticate("carol", PASSWORD)
    new = _stored_hash(db, "carol")
    assert new != old and new.startswith("$argon2id$")
    assert not strong.hasher.check_needs_rehash(new)
    assert strong.authenticate("carol", PASSWORD).name == "carol"


def test_ensure_user_list_administrator_and_record_login(db: Database, users: UserService) -> None:
    assert not users.has_administrator()
    demo = users.ensure_user("demo", "duty-officer")
    assert users.ensure_user("demo", "duty-officer").id == demo.id
    users.add("admin", "administrator", PASSWORD)
    assert users.has_administrator()
    assert [u.name for u in users.list()] == ["admin", "demo"]
    users.record_login(demo, "demo")
    with db.session() as session:
        row = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.login")).one()
        assert (row.actor, json.loads(row.details)) == ("demo", {"how": "demo"})
        assert audit.verify(session).ok


def test_duration_in_words() -> None:
    assert duration_in_words(0.2) == "1 second"
    assert duration_in_words(299.5) == "5 minutes"
    assert duration_in_words(61) == "1 minute 1 second"
    assert duration_in_words(7322) == "2 hours 2 minutes 2 seconds"

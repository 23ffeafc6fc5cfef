"""Storage: the engine's SQLite settings are really in force, writes go through one writer thread
in order, errors come back to the caller, and an unusable location is reported in plain words."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.storage.database import Database, open_database
from app.storage.engine import (
    CONNECT_TIMEOUT_S,
    StorageError,
    default_database_url,
    demo_database_url,
    make_engine,
    normalize_url,
    resolve_database_url,
    shown_url,
)
from models.audit import AuditHead
from models.users import User
from tests.models.support import fresh_pg_database, sqlite_url

WAIT_S = 10.0


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path))
    database.upgrade()
    yield database
    database.close()


def _pragmas(session_or_conn: Session) -> dict[str, object]:
    return {
        name: session_or_conn.execute(text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


def test_sqlite_pragmas_are_set_for_readers_and_the_writer(db: Database) -> None:
    expected = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 10_000}
    with db.session() as session:
        assert _pragmas(session) == expected  # synchronous 2 = FULL
    assert db.write(_pragmas) == expected


def test_writes_begin_immediate(db: Database, tmp_path: Path) -> None:
    """The writer holds the write lock from BEGIN on, before it has written anything."""
    inside = threading.Event()
    release = threading.Event()

    def hold(session: Session) -> None:
        session.execute(select(func.count()).select_from(User))  # a read only
        inside.set()
        assert release.wait(WAIT_S)

    holder = threading.Thread(target=db.write, args=(hold,))
    holder.start()
    try:
        assert inside.wait(WAIT_S)
        other = sqlite3.connect(tmp_path / "wardroom.sqlite3", timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # Readers are not blocked (WAL, deferred BEGIN).
            assert other.execute("SELECT count(*) FROM users").fetchone() == (0,)
        finally:
            other.close()
    finally:
        release.set()
        holder.join(WAIT_S)


def test_write_commits_and_returns_the_result(db: Database) -> None:
    def add(session: Session) -> int:
        user = User(name="alice", role="duty-officer", password_hash="x")
        session.add(user)
        session.flush()
        return user.id

    user_id = db.write(add)
    with db.session() as session:
        assert session.get(User, user_id) is not None


def test_write_rolls_back_and_reraises(db: Database) -> None:
    class Boom(Exception):
        pass

    def fail(session: Session) -> None:
        session.add(User(name="alice", role="duty-officer", password_hash="x"))
        session.flush()
        raise Boom("nope")

    with pytest.raises(Boom, match="nope"):
        db.write(fail)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    assert db.write(lambda s: 7) == 7  # the writer survives a failed job


def test_one_writer_thread_serialises_writes(db: Database) -> None:
    """Many callers doing read-modify-write: with one writer no update is lost or overlapped."""
    threads_seen: set[str] = set()
    active = 0
    max_active = 0
    guard = threading.Lock()

    def bump(session: Session) -> None:
        nonlocal active, max_active
        with guard:
            active += 1
            max_active = max(max_active, active)
            threads_seen.add(threading.current_thread().name)
        head = session.get(AuditHead, 1)
        assert head is not None
        value = head.row_count
        head.row_count = value + 1
        session.flush()
        with guard:
            active -= 1

    callers = [threading.Thread(target=lambda: [db.write(bump) for _ in range(20)]) for _ in range(6)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(60)
        assert not t.is_alive()
    with db.session() as session:
        assert session.scalar(select(AuditHead.row_count)) == 120
    assert max_active == 1
    assert threads_seen == {"wardroom-db-writer"}


def test_write_inside_write_is_refused(db: Database) -> None:
    with pytest.raises(RuntimeError, match="inside a write"):
        db.write(lambda s: db.write(lambda s2: None))


def test_a_queued_write_times_out_without_running(db: Database) -> None:
    inside = threading.Event()
    release = threading.Event()
    ran = threading.Event()

    def hold(session: Session) -> None:
        inside.set()
        assert release.wait(WAIT_S)

    holder = threading.Thread(target=db.write, args=(hold,))
    holder.start()
    try:
        assert inside.wait(WAIT_S)
        with pytest.raises(StorageError, match="nothing was written"):
            db.write(lambda s: ran.set(), timeout_s=0.2)
    finally:
        release.set()
        holder.join(WAIT_S)
    db.write(lambda s: None)  # the writer has moved past the cancelled job
    assert not ran.is_set()


def test_close_stops_the_writer_and_refuses_more_writes(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path))
    db.write(lambda s: None)
    writers = [t for t in threading.enumerate() if t.name == "wardroom-db-writer"]
    assert writers
    db.close()
    for t in writers:
        t.join(WAIT_S)
        assert not t.is_alive()
    with pytest.raises(StorageError, match="closed"):
        db.write(lambda s: None)


def test_missing_folder_is_reported_in_plain_words(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "w.sqlite3"
    with pytest.raises(StorageError, match=r"folder .*no-such-folder does not exist"):
        Database(f"sqlite:///{missing}")


def test_folder_that_is_a_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("x")
    with pytest.raises(StorageError, match="is not a folder"):
        Database(f"sqlite:///{tmp_path / 'plain-file' / 'w.sqlite3'}")


def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StorageError, match="not a Wardroom database or is damaged"):
        Database(sqlite_url(tmp_path, "junk.sqlite3"))


def test_a_full_disk_is_reported_in_plain_words(db: Database) -> None:
    """SQLite's own "database or disk is full" (reached here through max_page_count)."""

    def fill(session: Session) -> None:
        pages = session.execute(text("PRAGMA page_count")).scalar()
        session.execute(text(f"PRAGMA max_page_count = {pages}"))
        for i in range(200):
            session.add(User(name=f"user{i}", role="duty-officer", password_hash="x" * 250))
        session.flush()

    try:
        with pytest.raises(StorageError, match="is full"):
            db.write(fill)
    finally:
        db.write(lambda s: s.execute(text("PRAGMA max_page_count = 1073741823")))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WARDROOM_HOME", str(tmp_path))
    monkeypatch.delenv("WARDROOM_DATABASE_URL", raising=False)
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    assert default_database_url() == f"sqlite:///{tmp_path / 'data' / 'wardroom.sqlite3'}"
    assert demo_database_url() == f"sqlite:///{tmp_path / 'data' / 'demo.sqlite3'}"
    assert resolve_database_url(None) == default_database_url()
    monkeypatch.setenv("WARDROOM_DATABASE_URL", "postgresql://env/db")
    assert resolve_database_url(None) == "postgresql+psycopg://env/db"
    assert resolve_database_url("sqlite:///cli.db") == "sqlite:///cli.db"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://ward:s3cret@127.0.0.1:5432/wardroom",  # parses
        "postgresql+psycopg://ward:s3cret@db.example:notaport/wardroom",  # a port that is not a number
        "postgresql+psycopg://ward:s3cret@[::1/wardroom",  # a broken host
        "not a url ward:s3cret@host",  # not a URL at all
    ],
)
def test_shown_urls_never_carry_the_password(url: str) -> None:
    shown = shown_url(url)
    assert "s3cret" not in shown
    assert "ward" in shown


def test_an_unparsable_url_is_refused_without_its_password() -> None:
    """SQLAlchemy's own error repeats the URL: the message hides it and does not chain that error."""
    with pytest.raises(StorageError) as caught:
        make_engine("postgresql://ward:s3cret@db.example:notaport/wardroom")
    assert "s3cret" not in str(caught.value)
    assert "ward:***@db.example:notaport" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_open_database_creates_and_migrates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WARDROOM_HOME", str(tmp_path))
    monkeypatch.delenv("WARDROOM_DATABASE_URL", raising=False)
    db = open_database(None)
    try:
        assert db.url == default_database_url()
        with db.session() as session:
            assert session.get(AuditHead, 1) is not None
    finally:
        db.close()
    assert (tmp_path / "data" / "wardroom.sqlite3").is_file()


@pytest.mark.postgres
def test_postgresql_write_and_read() -> None:
    with fresh_pg_database() as url, Database(url) as db:
        db.upgrade()
        db.write(lambda s: s.add(User(name="alice", role="supervisor", password_hash="x")))

        def add_then_fail(session: Session) -> None:
            session.add(User(name="bob", role="supervisor", password_hash="x"))
            session.flush()
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            db.write(add_then_fail)
        with db.session() as session:
            assert session.scalars(select(User.name)).all() == ["alice"]


def test_an_in_memory_database_is_refused() -> None:
    with pytest.raises(StorageError, match="in-memory"):
        Database("sqlite://")


# ------------------------------------------------------------------ bounded waits
class _WatchedLock:
    """A re-entrant lock that tells when another thread starts waiting for it.

    Swapped in for ``Database._lock`` to stage one exact interleaving: a write that is already under
    way when ``close()`` runs.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.contended = threading.Event()

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            self.contended.set()
            self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_a_write_racing_close_is_refused_at_once(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path))
    db.write(lambda s: None)  # the writer thread is running
    lock = _WatchedLock()
    db._lock = lock  # type: ignore[assignment]
    ran = threading.Event()
    outcome: list[BaseException | None] = []

    def racer() -> None:
        try:
            db.write(lambda s: ran.set(), timeout_s=WAIT_S)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    racing = threading.Thread(target=racer, name="racing-write")
    with lock:
        racing.start()
        assert lock.contended.wait(WAIT_S), "the write never reached the writer's lock"
        started = time.monotonic()
        db.close()  # runs while the write waits for the lock (the lock is re-entrant for this thread)
    racing.join(WAIT_S + 5)
    assert not racing.is_alive()
    assert time.monotonic() - started < WAIT_S / 2, "the write waited out its timeout"
    assert len(outcome) == 1 and isinstance(outcome[0], StorageError), outcome
    assert "closed" in str(outcome[0])
    assert not ran.is_set()
    assert not [t for t in threading.enumerate() if t.name == "wardroom-db-writer"]


def _open_bounded(url: str, limit_s: float) -> tuple[BaseException | None, float]:
    """Try ``Database(url)`` on a worker thread; (what it raised, seconds taken) or fail past the limit."""
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            Database(url).close()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=attempt, name="pg-connect-attempt", daemon=True)
    worker.start()
    worker.join(limit_s)
    if worker.is_alive():
        pytest.fail(f"opening {url} was still blocked after {limit_s:g} s")
    return outcome[0], time.monotonic() - started


def test_an_unreachable_postgresql_server_is_reported_at_once_with_its_address() -> None:
    with socket.socket() as probe:  # a free port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error, took = _open_bounded(f"postgresql://wardroom@127.0.0.1:{port}/site", limit_s=CONNECT_TIMEOUT_S)
    assert isinstance(error, StorageError), error
    assert f"127.0.0.1:{port}" in str(error) and "refused" in str(error)
    assert took < CONNECT_TIMEOUT_S


def test_a_silent_postgresql_server_is_given_up_after_the_connect_timeout() -> None:
    """A host that accepts the connection and never answers must not block start-up for ever."""
    with socket.create_server(("127.0.0.1", 0), backlog=4) as black_hole:  # never accepted, never answered
        port = black_hole.getsockname()[1]
        error, took = _open_bounded(
            f"postgresql://wardroom@127.0.0.1:{port}/site", limit_s=CONNECT_TIMEOUT_S + 10
        )
    assert isinstance(error, StorageError), error
    assert f"127.0.0.1:{port}" in str(error)
    assert f"did not answer within {CONNECT_TIMEOUT_S} s" in str(error)
    assert CONNECT_TIMEOUT_S - 1 <= took < CONNECT_TIMEOUT_S + 5

"""The application's handle on its database: migrations, reads, and the single writer.

Why a single writer thread for SQLite: SQLite allows one writer at a time; several threads writing
through their own connections would queue on the file lock and fail with "database is locked" under
load. Funnelling every write through one thread, one transaction at a time, makes writes strictly
ordered and lock errors impossible within the process (other processes still wait on
``busy_timeout``). Reads use their own sessions in the caller's thread (WAL lets them run alongside
the writer). PostgreSQL handles concurrent writers itself, so there a write runs in the caller's
thread with its own session.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import TypeVar

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.storage.engine import (
    CONNECT_TIMEOUT_S,
    StorageError,
    is_sqlite,
    make_engine,
    normalize_url,
    resolve_database_url,
    shown_url,
    sqlite_path,
    write_engine,
)
from app.workers import CancelToken, Worker
from models.migrations import alembic_config

log = logging.getLogger("wardroom.storage")

T = TypeVar("T")

UPGRADE_TIMEOUT_S = 600  # a migration may rebuild big tables
UPGRADE_LOCK_ID = 0x57415244  # "WARD": one migrator at a time across PostgreSQL workstations


def plain_storage_error(exc: DBAPIError, url: str) -> StorageError | None:
    """Turn the driver's wording for a broken store into plain words, or None if it is not one."""
    message = str(exc.orig).lower()
    where = _describe(url)
    if "disk is full" in message or "no space left" in message:
        return StorageError(f"the disk holding {where} is full: free some space and try again")
    if "unable to open database" in message:
        return StorageError(f"cannot open {where}: check that the folder exists and is writable")
    if "readonly database" in message:
        return StorageError(f"{where} is read-only: check the file's permissions")
    if "disk i/o error" in message:
        return StorageError(f"the disk holding {where} reported an input/output error")
    if "not a database" in message or "malformed" in message:
        return StorageError(f"{where} is not a Wardroom database or is damaged")
    if isinstance(exc, OperationalError) and not is_sqlite(url):
        return StorageError(_unreachable(url, exc))
    return None


def _unreachable(url: str, exc: DBAPIError) -> str:
    """Why a database server could not be used, naming it as host:port (what an installer checks)."""
    parsed = make_url(url)
    server = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    message = str(exc.orig)
    lowered = message.lower()
    if "timeout" in lowered or "timed out" in lowered:
        reason = (
            f"it did not answer within {CONNECT_TIMEOUT_S} s; check the address, the network and any "
            "firewall between here and the server"
        )
    elif "refused" in lowered:
        reason = "the connection was refused; is PostgreSQL running and listening on that address and port?"
    else:
        reason = message.strip().splitlines()[0] if message.strip() else type(exc.orig).__name__
    return f"cannot reach the database server at {server} (database {parsed.database or '?'}): {reason}"


def _describe(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the database file {parsed.database}"
    return f"the database {shown_url(parsed)}"


class _Stop:
    """Sentinel telling the writer thread to finish."""


class Database:
    """One database: ``upgrade()`` it, read with ``session()``, write with ``write(fn)``."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        if is_sqlite(self.url) and sqlite_path(self.url) is None:
            raise StorageError(
                "an in-memory SQLite database cannot be shared by the reader and writer threads; "
                "use a database file"
            )
        self.engine = make_engine(self.url)
        self._sqlite = is_sqlite(self.url)
        self._write_engine = write_engine(self.engine) if self._sqlite else self.engine
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        self._jobs: queue.Queue[tuple[Callable[[], object], Future[object]] | _Stop] = queue.Queue()
        self._writer: Worker | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._check_connect()

    # ------------------------------------------------------------------ set-up
    def _check_connect(self) -> None:
        """Open one connection now, so a bad location or a dead server is reported at start."""
        try:
            with self.engine.connect() as conn:
                if self._sqlite:
                    mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                    if str(mode).lower() != "wal":
                        raise StorageError(
                            f"{_describe(self.url)} cannot use write-ahead logging (journal mode "
                            f"{mode}); is it on a network drive? Use a local disk or PostgreSQL."
                        )
                else:
                    conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            self.engine.dispose()
            raise plain_storage_error(exc, self.url) or StorageError(
                f"cannot open {_describe(self.url)}: {exc.orig}"
            ) from exc

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (does nothing if it is already there)."""
        self._run_write(self._upgrade, timeout_s=UPGRADE_TIMEOUT_S)

    def _upgrade(self) -> None:
        config = alembic_config()  # env.py uses the connection handed over below
        with self._write_engine.connect() as conn:
            if self._sqlite:
                # SQLite's recipe for table rebuilds (batch migrations): FKs off outside the
                # transaction, checked afterwards, on again.
                conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    if not self._sqlite:
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_LOCK_ID})
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
                    if self._sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise StorageError(f"a migration left broken references: {broken[:5]}")
            finally:
                if self._sqlite:
                    conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]

    # ------------------------------------------------------------------ use
    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading (its transaction is rolled back at the end: never write here)."""
        with self._read_sessions() as session:
            yield session

    def write(self, fn: Callable[[Session], T], timeout_s: float = 30) -> T:
        """Run ``fn(session)`` in one write transaction and return its result.

        Commits when ``fn`` returns; rolls back and re-raises what ``fn`` raised. On SQLite the work
        runs on the single writer thread and this call waits for it (at most ``timeout_s``).
        """

        def job() -> T:
            with self._write_sessions() as session, session.begin():
                return fn(session)

        return self._run_write(job, timeout_s)

    def _run_write(self, job: Callable[[], T], timeout_s: float = 60) -> T:
        if not self._sqlite:
            if self._closed:
                raise StorageError("the database has been closed")
            return self._translate(job)
        if self._writer is not None and self._writer.is_current():
            raise RuntimeError("Database.write called from inside a write: pass the session along instead")
        future: Future[object] = Future()
        with self._lock:
            # Checked under the lock that close() takes: a job queued behind the writer's stop sentinel
            # would never run, and its caller would wait out its whole timeout.
            if self._closed:
                raise StorageError("the database has been closed")
            self._ensure_writer()
            self._jobs.put((job, future))
        try:
            return future.result(timeout=timeout_s)  # type: ignore[return-value]
        except FutureTimeout:
            if future.cancel():
                raise StorageError(
                    f"the database writer was busy for more than {timeout_s:g} s; nothing was written"
                ) from None
            raise StorageError(
                f"the database write did not finish within {timeout_s:g} s (it may still complete)"
            ) from None

    def _translate(self, job: Callable[[], T]) -> T:
        try:
            return job()
        except DBAPIError as exc:
            plain = plain_storage_error(exc, self.url)
            if plain is None:
                raise
            raise plain from exc

    def _ensure_writer(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            self._writer = Worker("wardroom-db-writer", self._writer_loop).start()

    def _writer_loop(self, token: CancelToken) -> None:
        del token  # the queue is drained up to the _Stop that close() puts behind the last job
        while True:
            item = self._jobs.get()
            if isinstance(item, _Stop):
                return
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._translate(job))
            except BaseException as exc:
                future.set_exception(exc)

    def close(self, timeout_s: float = 10) -> None:
        """Finish queued writes, stop the writer thread and release all connections."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            writer = self._writer
            if writer is not None:
                self._jobs.put(_Stop())
        if writer is not None:
            writer.stop(timeout_s)
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_database(url: str | None = None) -> Database:
    """The database the user asked for (CLI value, env, default), migrated to the newest schema."""
    db = Database(resolve_database_url(url))
    try:
        db.upgrade()
    except BaseException:
        db.close()
        raise
    return db

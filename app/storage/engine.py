"""The one engine factory: which database, and how a connection to it is set up.

SQLite is the default (one workstation, a file in the user data directory). Every connection gets
``journal_mode=WAL`` (readers never block the writer), ``synchronous=FULL`` (a committed alarm
survives a power cut), ``foreign_keys=ON`` (SQLite ignores FKs otherwise) and a ``busy_timeout``.
Write transactions start with ``BEGIN IMMEDIATE`` so a writer takes the write lock up front instead
of failing half-way with "database is locked"; reads use a plain deferred ``BEGIN``. This follows
SQLAlchemy's documented recipe: turn off the sqlite3 driver's own transaction handling
(``isolation_level = None``) and emit BEGIN from the ``begin`` event.

PostgreSQL is chosen by URL (several workstations); ``postgresql://`` is mapped to psycopg 3. Its
connections give up after ``CONNECT_TIMEOUT_S`` so a dead or silent server is reported, not waited on.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from app import paths

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for a lock before giving up (the writer's commit is short)."""

CONNECT_TIMEOUT_S = 5
"""How long opening a PostgreSQL connection may take (TCP connect and the server's first answer).

Without it, an unreachable or silent server blocks start-up for minutes (the kernel's TCP retries)
or for ever (a host that accepts the connection and never answers)."""

POOL_TIMEOUT_S = 10
"""How long a thread waits for a free pooled PostgreSQL connection before giving up."""

WRITE_OPTION = "wardroom_write"
"""Execution option marking an engine whose transactions are writes (``BEGIN IMMEDIATE``)."""


application_name = "wardroom"
"""How this process's PostgreSQL sessions are named in ``pg_stat_activity`` (see :func:`name_sessions`)."""


def name_sessions(name: str) -> None:
    """Name the PostgreSQL sessions opened from now on (``wardroom station alpha``): an administrator
    can then see, and a test can find, which process holds which session."""
    global application_name
    application_name = name[:63]  # PostgreSQL keeps 63 bytes


class StorageError(Exception):
    """The database cannot be used; the message says why in plain words and what to check."""


def default_database_url() -> str:
    """The normal database: ``wardroom.sqlite3`` in the user data directory."""
    return f"sqlite:///{paths.data_dir() / 'wardroom.sqlite3'}"


def demo_database_url() -> str:
    """The demo's own database, so trying the demo never touches real records."""
    return f"sqlite:///{paths.data_dir() / 'demo.sqlite3'}"


def normalize_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver; leave others as given."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def shown_url(url: str | URL) -> str:
    """The database URL as shown to people and written to logs: never with its password.

    The one place URLs are rendered. One that does not even parse is still shown without what stands
    between ``user:`` and the last ``@`` (a typo elsewhere must not put the password on screen).
    """
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        pass
    scheme_end = url.find("://")
    start = scheme_end + 3 if scheme_end >= 0 else 0
    at = url.rfind("@")
    colon = url.find(":", start, at) if at > start else -1
    if colon < 0:
        return url
    return f"{url[: colon + 1]}***{url[at:]}"


def resolve_database_url(cli_value: str | None) -> str:
    """The URL to use: the ``--database`` value, else ``WARDROOM_DATABASE_URL``, else the default."""
    if cli_value:
        return normalize_url(cli_value)
    env = os.environ.get("WARDROOM_DATABASE_URL")
    if env:
        return normalize_url(env)
    return default_database_url()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names, or None for an in-memory database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database)


def check_sqlite_location(path: Path) -> None:
    """Refuse early, in plain words, a file that SQLite could only report as "unable to open"."""
    folder = path.parent
    if not folder.exists():
        raise StorageError(f"cannot open the database {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise StorageError(f"cannot open the database {path}: {folder} is not a folder")
    if path.exists() and path.is_dir():
        raise StorageError(f"cannot open the database {path}: it is a folder, not a file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(
            f"cannot open the database {path}: the folder {folder} is not writable "
            "(SQLite needs to create its journal files next to the database)"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StorageError(f"cannot open the database {path}: the file is not readable and writable")


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" event, not the driver, decide when a transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``, set up for Wardroom (pragmas and transaction start on SQLite).

    For writes on SQLite use ``write_engine(engine)``, whose transactions begin IMMEDIATE.
    """
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # Not chained: SQLAlchemy's own message repeats the URL, password and all.
        raise StorageError(
            f"the database URL {shown_url(url)!r} is not valid; expected e.g. "
            "postgresql://USER:PASSWORD@HOST:5432/DATABASE or sqlite:///PATH"
        ) from None
    if parsed.get_backend_name() != "sqlite":
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {
                "connect_timeout": CONNECT_TIMEOUT_S,
                "application_name": application_name,
                **kwargs.get("connect_args", {}),
            }
            kwargs.setdefault("pool_timeout", POOL_TIMEOUT_S)
        try:
            return create_engine(url, pool_pre_ping=True, **kwargs)
        except (ArgumentError, ImportError) as exc:
            raise StorageError(f"cannot use the database URL {shown_url(parsed)!r}: {exc}") from exc
    path = sqlite_path(url)
    if path is not None:
        check_sqlite_location(path)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **kwargs)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def write_engine(engine: Engine) -> Engine:
    """The same engine (same pool), marked so its transactions begin with ``BEGIN IMMEDIATE``."""
    return engine.execution_options(**{WRITE_OPTION: True})

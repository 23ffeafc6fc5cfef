"""Helpers shared by the storage, model and service tests (plain functions, not fixtures).

PostgreSQL tests run against the server named by ``WARDROOM_TEST_PG_URL`` (``.ci/run`` starts a
real one on loopback and sets it); each test gets a brand-new database that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

PG_ENV = "WARDROOM_TEST_PG_URL"


def sqlite_url(folder: Path, name: str = "wardroom.sqlite3") -> str:
    return f"sqlite:///{folder / name}"


def pg_base_url() -> str:
    """The test server's URL (psycopg driver), or skip the test saying why."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL server to test against (.ci/run sets it)")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


@contextmanager
def fresh_pg_database(base: str | None = None, prefix: str = "wardroom_test") -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (on ``base``, a psycopg URL; else the test
    server's); yields its URL and drops it afterwards."""
    base = base or pg_base_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(base).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()

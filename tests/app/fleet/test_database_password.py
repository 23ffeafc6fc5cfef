"""Database passwords stay off command lines and out of output, and libpq's own ways of giving one work.

A command line is visible to every user of the machine (``ps``, ``/proc``) for as long as a station
runs, so a ``--database`` URL with a password draws a warning; the password itself is never printed.
The ways the README recommends instead are checked against the real PostgreSQL server: a URL without
a password plus a password file (``PGPASSFILE``), and ``WARDROOM_DATABASE_URL`` (an environment is
readable by its owner only).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.commands.common import url_has_password
from app.storage.database import Database
from tests.app.test_cli import wardroom
from tests.models.support import fresh_pg_database, sqlite_url

SECRET = "s3cret-Pw-4711"


def with_password(url: str, password: str = SECRET) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def without_password(url: str) -> str:
    return make_url(url).set(password=None).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("url", "has"),
    [
        ("postgresql://ward:pw@db.local/wardroom", True),
        ("postgresql+psycopg://ward:p%40ss@127.0.0.1:5432/wardroom", True),
        ("postgresql://ward@db.local/wardroom?password=pw", True),
        ("postgresql://ward@db.local/wardroom", False),
        ("postgresql:///?service=wardroom", False),
        ("sqlite:////var/lib/wardroom/a:b@c.sqlite3", False),
        ("not a url ward:pw@host", True),
    ],
)
def test_url_has_password(url: str, has: bool) -> None:
    assert url_has_password(url) is has


def test_a_password_on_the_command_line_draws_a_warning_and_is_never_printed() -> None:
    with fresh_pg_database() as url:
        result = wardroom("stations", "--database", with_password(url), "--json")
    assert result.returncode == 0, result.stderr  # the dev server trusts loopback: it still connects
    assert json.loads(result.stdout) == []
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1
    assert "password" in warning[0] and "ps" in warning[0]
    assert "WARDROOM_DATABASE_URL" in warning[0] and "pgpass" in warning[0]
    assert SECRET not in result.stdout + result.stderr


def test_a_failing_connection_does_not_print_the_password_either() -> None:
    result = wardroom("stations", "--database", f"postgresql://ward:{SECRET}@127.0.0.1:1/nowhere")
    assert result.returncode == 1
    assert "cannot reach the database server" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_no_warning_without_a_password_or_from_the_environment(tmp_path: Path) -> None:
    quiet = wardroom("stations", "--database", sqlite_url(tmp_path))
    assert quiet.returncode == 0 and quiet.stderr == ""
    with fresh_pg_database() as url:
        from_env = wardroom("stations", "--json", env={"WARDROOM_DATABASE_URL": with_password(url)})
    assert from_env.returncode == 0, from_env.stderr
    assert from_env.stderr == ""


def test_a_password_file_gives_the_password_to_a_url_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq reads PGPASSFILE (like ~/.pgpass) for the app's connections and the CLI's."""
    with fresh_pg_database() as url:
        parsed = make_url(url)
        passfile = tmp_path / "pgpass"
        passfile.write_text(
            f"{parsed.host}:{parsed.port or 5432}:{parsed.database}:{parsed.username}:from-the-file\n",
            encoding="utf-8",
        )
        passfile.chmod(0o600)  # libpq ignores a password file others can read
        monkeypatch.setenv("PGPASSFILE", str(passfile))
        with Database(without_password(url)) as db, db.engine.connect() as conn:
            info = conn.connection.dbapi_connection.info  # type: ignore[union-attr]
            assert info.password == "from-the-file"
        result = wardroom("stations", "--database", without_password(url), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "from-the-file" not in result.stdout

"""Site-file agreement: the synced file's text is kept, and a different local copy is told apart from
the one in force, whose version is parsed from the database (SQLite file and real PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.fleet.siteagree import check, parse_site_text
from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import Database, open_database
from models.site import SITE_KEY, Site
from tests.models.support import fresh_pg_database, sqlite_url

FIRST = """\
[site]
name = "Agreement Ward"
timezone = "Asia/Shanghai"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 5020

[[point]]
id = "pump.pressure"
plc = "panel"
address = "hr:10"
type = "uint16"
kind = "pressure"
"""

SECOND = (
    FIRST
    + """
[[plc]]
id = "fire"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 5021
"""
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        with open_database(sqlite_url(tmp_path)) as opened:
            yield opened
        return
    with fresh_pg_database() as url, open_database(url) as opened:
        yield opened


def site_file(folder: Path, text: str, name: str = "site.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def set_mtime(path: Path, db: Database, offset_s: float) -> None:
    """Put the file's modification time ``offset_s`` after (or before) the database's sync time."""
    with db.session() as session:
        synced = session.scalar(select(Site.synced_at).where(Site.key == SITE_KEY))
    assert synced is not None
    at = (synced + timedelta(seconds=offset_s)).timestamp()
    os.utime(path, (at, at))


def test_sync_keeps_the_file_text(db: Database, tmp_path: Path) -> None:
    loaded = load_site(site_file(tmp_path / "station", FIRST))
    sync_site(db, loaded)
    with db.session() as session:
        assert session.scalar(select(Site.source_text).where(Site.key == SITE_KEY)) == FIRST


def test_the_same_file_agrees(db: Database, tmp_path: Path) -> None:
    loaded = load_site(site_file(tmp_path / "station", FIRST))
    sync_site(db, loaded)
    found = check(db, load_site(site_file(tmp_path / "console", FIRST)))  # a copy elsewhere, same bytes
    assert found.same and found.in_database
    assert found.file_sha256 == found.db_sha256 == loaded.sha256
    assert found.db_site is None  # nothing to show instead
    assert found.db_source_path == str(loaded.path)
    assert "is the one in force" in found.message


def test_a_different_file_is_told_apart_and_the_database_version_is_parsed(
    db: Database, tmp_path: Path
) -> None:
    in_force = load_site(site_file(tmp_path / "station", FIRST))
    sync_site(db, in_force)
    mine = load_site(site_file(tmp_path / "console", SECOND))
    set_mtime(mine.path, db, -3600)  # an old copy

    found = check(db, mine)
    assert not found.same and not found.newer_file
    assert found.file_sha256 == mine.sha256 and found.db_sha256 == in_force.sha256
    assert found.db_synced_at is not None and found.db_synced_at.utcoffset() == timedelta(0)
    assert found.db_source_path == str(in_force.path)
    assert found.db_site is not None
    assert [p.id for p in found.db_site.site.plc] == ["panel"]  # the database's version, not mine
    assert found.db_site.sha256 == in_force.sha256 and found.db_site.text == FIRST
    assert found.db_site.path == mine.path  # stands in for this file on this machine
    assert not list(mine.path.parent.glob(".wardroom-in-force-*"))  # its temporary copy is gone
    message = found.message
    assert f"this site file {mine.path} (sha256 {mine.sha256[:12]}…)" in message
    assert (
        f"differs from the one in force (sha256 {in_force.sha256[:12]}…, synced from {in_force.path} at"
        in message
    )
    assert message.endswith("showing the database's version")
    assert "newer" not in message


def test_a_file_edited_after_the_sync_is_newer(db: Database, tmp_path: Path) -> None:
    sync_site(db, load_site(site_file(tmp_path / "station", FIRST)))
    mine = load_site(site_file(tmp_path / "console", SECOND))
    set_mtime(mine.path, db, 60)
    found = check(db, mine)
    assert not found.same and found.newer_file
    assert "this file is newer" in found.message


def test_an_empty_database_holds_no_site(db: Database, tmp_path: Path) -> None:
    mine = load_site(site_file(tmp_path, FIRST))
    found = check(db, mine)
    assert not found.same and not found.in_database and found.newer_file
    assert found.db_site is None and found.db_sha256 == "" and found.db_synced_at is None
    assert "no site has been synced into the database yet" in found.message


def test_a_database_version_that_no_longer_loads_is_said_and_this_file_shown(
    db: Database, tmp_path: Path
) -> None:
    sync_site(db, load_site(site_file(tmp_path / "station", FIRST)))
    db.write(
        lambda s: s.execute(update(Site).values(source_text=FIRST.replace('kind = "pressure"', "kind = 7")))
    )
    found = check(db, load_site(site_file(tmp_path / "console", SECOND)))
    assert not found.same and found.db_site is None and found.db_errors
    assert "kind" in found.db_errors[0]
    assert "the database's version cannot be shown" in found.message


def test_a_database_synced_before_the_text_was_kept(db: Database, tmp_path: Path) -> None:
    sync_site(db, load_site(site_file(tmp_path / "station", FIRST)))
    db.write(lambda s: s.execute(update(Site).values(source_text=None)))
    found = check(db, load_site(site_file(tmp_path / "console", SECOND)))
    assert found.db_site is None and not found.db_errors
    assert "the database holds no copy of its text" in found.message


def test_parse_site_text_without_a_folder_beside_the_file(tmp_path: Path) -> None:
    """No usable folder beside the file (here: gone): the temporary copy goes to the temp folder."""
    gone = tmp_path / "gone" / "site.toml"
    parsed = parse_site_text(FIRST, gone, "abc")
    assert [p.id for p in parsed.site.plc] == ["panel"] and parsed.path == gone and parsed.sha256 == "abc"

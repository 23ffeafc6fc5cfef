"""``wardroom points list`` beside stations: a PLC a live station owns is read from its live table.

The station is not run: its rows (station, lease, live_points, live_links) are written as a station
writes them, with ``app.fleet.leases`` and ``app.fleet.live.LiveWriter``, while both PLCs are real
pymodbus servers that count client connections, so "read from the table" is proved by the owned
PLC's server never seeing the CLI connect, and "polled directly" by a good read from the other one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import paths
from app.events import EventBus
from app.fieldbus.quality import PointReading
from app.fleet.clock import db_now
from app.fleet.live import LiveWriter, take_seqs
from app.storage.database import Database, open_database
from models.fleet import LiveLink
from tests.app.fleet.test_stations_cli import add_station
from tests.app.test_cli import wardroom
from tests.fieldbus.servers import ModbusServer
from tests.models.support import fresh_pg_database, sqlite_url

SITE = """\
[site]
name = "Live Ward"
timezone = "UTC"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {owned}
timeout_ms = 1000

[[plc]]
id = "pumps"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {free}
timeout_ms = 1000

[[point]]
id = "fire.pressure"
plc = "panel"
address = "hr:10"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"

[[point]]
id = "fire.alarm"
plc = "panel"
address = "co:1"
type = "bool"
kind = "other"

[[point]]
id = "fire.unwritten"
plc = "panel"
address = "hr:12"
type = "uint16"
kind = "other"

[[point]]
id = "pump.level"
plc = "pumps"
address = "hr:20"
type = "uint16"
scale = 0.01
unit = "m"
kind = "level"
"""


def start_server() -> ModbusServer:
    server = ModbusServer(size=100)
    server.start()
    return server


@pytest.fixture
def servers() -> Iterator[tuple[ModbusServer, ModbusServer]]:
    """The station's PLC and a PLC no station owns, both real."""
    owned, free = start_server(), start_server()
    try:
        owned.set_registers(10, [999])  # what a second poller would read: not what the station wrote
        free.set_registers(20, [250])
        yield owned, free
    finally:
        owned.stop()
        free.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with fresh_pg_database() as url:
        yield url


def write_site(tmp_path: Path, owned: ModbusServer, free: ModbusServer) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(owned=owned.port, free=free.port), encoding="utf-8")
    return path


def station_wrote(db: Database, owned: ModbusServer, *, age_s: float = 0.0, seen_ago_s: float = 1.0) -> float:
    """Station ``alpha`` holds the panel's connection and wrote two of its points and its link.

    The points' last good read is 100 s old (steady values are not rewritten); the PLC's ``seen_at``
    is ``seen_ago_s`` old. Returns the points' ``last_good_at``.
    """
    add_station(db, "alpha", {f"tcp:127.0.0.1:{owned.port}": ["plc:panel"]}, age_s=age_s)
    last_good = time.time() - 100
    writer = LiveWriter(db, EventBus(), "alpha")
    writer.put_points(
        "panel",
        [
            PointReading("fire.pressure", 0.42, 420, "good", last_good, ""),
            PointReading("fire.alarm", True, 1, "good", last_good, ""),
        ],
    )
    writer.flush()

    def link(session: Session) -> None:
        (seq,) = take_seqs(session, 1)
        session.add(
            LiveLink(
                key="plc:panel",
                kind="plc",
                device="panel",
                status="up",
                reason="",
                station="alpha",
                endpoint=f"127.0.0.1:{owned.port}",
                changed_at=db_now(session),
                seen_at=time.time() - seen_ago_s,
                seq=seq,
            )
        )

    db.write(link)
    return last_good


def points_list(site: Path, *args: str) -> tuple[dict[str, dict[str, Any]], str]:
    result = wardroom("points", "list", "--site", str(site), "--json", *args)
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.stdout)}, result.stderr


def test_an_owned_plc_is_read_from_the_station_live_table(
    db_url: str, tmp_path: Path, servers: tuple[ModbusServer, ModbusServer]
) -> None:
    owned, free = servers
    with open_database(db_url) as db:
        station_wrote(db, owned)
    site = write_site(tmp_path, owned, free)

    rows, stderr = points_list(site, "--database", db_url)
    assert "reading PLC panel from station alpha's live table" in stderr
    pressure, alarm = rows["fire.pressure"], rows["fire.alarm"]
    assert pressure["from"] == "station:alpha" and pressure["quality"] == "good"
    assert pressure["value"] == pytest.approx(0.42)  # the station's value, not the 999 a poll would read
    assert 1000 <= pressure["age_ms"] < 30_000  # from the PLC's seen_at, not the 100 s old row
    assert "error" not in pressure
    assert alarm["from"] == "station:alpha" and alarm["value"] is True
    unwritten = rows["fire.unwritten"]
    assert unwritten["from"] == "station:alpha" and unwritten["quality"] == "never-read"
    assert unwritten["error"] == "station alpha has not written it yet"
    level = rows["pump.level"]
    assert level["from"] == "direct" and level["quality"] == "good" and level["value"] == pytest.approx(2.5)
    assert owned.connections == 0  # no second connection beside the station
    assert free.connections == 1


def test_a_silent_station_plc_is_polled_directly(
    tmp_path: Path, servers: tuple[ModbusServer, ModbusServer]
) -> None:
    owned, free = servers
    url = sqlite_url(tmp_path)
    with open_database(url) as db:
        station_wrote(db, owned, age_s=60)
    rows, stderr = points_list(write_site(tmp_path, owned, free), "--database", url)
    assert "live table" not in stderr
    assert {row["from"] for row in rows.values()} == {"direct"}
    assert rows["fire.pressure"]["value"] == pytest.approx(0.999)
    assert owned.connections == 1


def test_direct_polls_every_plc_even_beside_a_live_station(
    tmp_path: Path, servers: tuple[ModbusServer, ModbusServer]
) -> None:
    owned, free = servers
    url = sqlite_url(tmp_path)
    with open_database(url) as db:
        station_wrote(db, owned)
    rows, stderr = points_list(write_site(tmp_path, owned, free), "--database", url, "--direct")
    assert stderr == ""
    assert {row["from"] for row in rows.values()} == {"direct"}
    assert rows["fire.pressure"]["value"] == pytest.approx(0.999)
    assert owned.connections == 1 and free.connections == 1


def test_without_any_station_it_polls_directly_and_creates_no_database(
    tmp_path: Path, servers: tuple[ModbusServer, ModbusServer]
) -> None:
    owned, free = servers
    rows, stderr = points_list(write_site(tmp_path, owned, free))  # the default database: none yet
    assert stderr == ""
    assert {row["from"] for row in rows.values()} == {"direct"}
    assert rows["pump.level"]["quality"] == "good" and rows["pump.level"]["value"] == pytest.approx(2.5)
    assert rows["fire.pressure"]["value"] == pytest.approx(0.999)
    assert not (paths.data_dir() / "wardroom.sqlite3").exists()


def test_an_unreachable_database_is_said_and_every_plc_polled(
    tmp_path: Path, servers: tuple[ModbusServer, ModbusServer]
) -> None:
    owned, free = servers
    rows, stderr = points_list(
        write_site(tmp_path, owned, free), "--database", "postgresql://ward@127.0.0.1:1/x"
    )
    assert "polling every PLC directly" in stderr
    assert {row["from"] for row in rows.values()} == {"direct"}
    assert rows["pump.level"]["quality"] == "good"

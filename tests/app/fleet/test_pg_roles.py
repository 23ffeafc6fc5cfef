"""The README's PostgreSQL roles are enough, and no more: a station and a console each run as theirs.

The grants are ``installer/postgres-grants.sql``, which the README shows verbatim (checked here too).
A real station (pollers over a real Modbus server, engine, historian, leases, live tables, request
executor) runs as ``wardroom_station``; a console (the feed, an acknowledgement, a sign-in, a device
request) as ``wardroom_console``, which must not be able to write what only stations write.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

from app.alarms import journal
from app.alarms.actions import AlarmActions
from app.alarms.views import AlarmView
from app.auth.users import UserService
from app.events import EventBus
from app.fleet import requests
from app.fleet.feed import SiteFeed
from app.fleet.leases import StationIdentity
from app.station import Station
from app.storage.database import Database
from tests.app.fleet.test_station_leases import site_for, wait_for
from tests.fieldbus.servers import ModbusServer
from tests.models.support import fresh_pg_database

ROOT = Path(__file__).resolve().parents[3]
GRANTS = ROOT / "installer" / "postgres-grants.sql"
ROLES = ("wardroom_station", "wardroom_console")


def test_the_readme_shows_the_grants_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", readme, flags=re.S)
    assert any(GRANTS.read_text(encoding="utf-8").strip() in block for block in blocks)


@pytest.fixture
def owner_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            for role in ROLES:  # roles belong to the cluster: other tests may have made them
                conn.exec_driver_sql(
                    f"DO $$ BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                )
        db = Database(url)
        db.upgrade()
        db.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(GRANTS.read_text(encoding="utf-8"))
        admin.dispose()
        yield url


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def test_a_station_and_a_console_each_run_with_only_their_grants(tmp_path: Path, owner_url: str) -> None:
    plc = ModbusServer()
    plc.start()
    plc.set_registers(1, [500])
    loaded = site_for(tmp_path, plc)
    owner = Database(owner_url)
    UserService(owner).add("li.wei", "duty-officer", "a long passphrase", actor="test")
    owner.close()
    station_db = Database(as_role(owner_url, "wardroom_station"))
    console_db = Database(as_role(owner_url, "wardroom_console"))
    runtime = Station(loaded, station_db, EventBus(), identity=StationIdentity("alpha", "testhost", 1000))
    feed = SiteFeed(loaded.site, console_db, EventBus(), name="console-1")
    try:
        station_db.upgrade()  # at head: only reads the version, as every start does
        runtime.start()
        assert runtime.owned == ["plc:panel"]
        plc.set_registers(1, [50])
        wait_for(lambda: _open(console_db) == ["b1.pressure/low"], 5, "the station journals the alarm")
        assert feed.start(), "the console reads the whole site"
        wait_for(
            lambda: (r := feed.reading("b1.pressure")) is not None and r.value == pytest.approx(0.05),
            5,
            "the console sees the live value",
        )
        user = UserService(console_db).authenticate("li.wei", "a long passphrase")
        (view,) = [v for v in _views(console_db) if v.key == "b1.pressure/low"]
        assert view.id is not None
        acked = AlarmActions(console_db, position="console-1").acknowledge(user, view.id)
        assert acked.state == "acknowledged"
        outcome = requests.submit_and_wait(
            console_db,
            kind="point.write",
            target="b1.pressure",
            lease=f"tcp:127.0.0.1:{plc.port}",
            value=0.3,
            user=user,
            origin="console-1",
            timeout_s=5,
        )
        assert outcome.status == "refused"  # the point is not writable: the station said so, in the table
        assert "writable" in outcome.reason
        with pytest.raises(ProgrammingError, match="permission denied"), console_db.session() as session:
            session.execute(text("UPDATE live_points SET value = 0"))
        runtime.stop()
        time.sleep(0.1)
        with console_db.session() as session:
            assert session.execute(text("SELECT count(*) FROM leases")).scalar_one() == 0, "released at stop"
    finally:
        feed.stop()
        runtime.stop()
        station_db.close()
        console_db.close()
        plc.stop()


def _open(db: Database) -> list[str]:
    return sorted(v.key for v in _views(db))


def _views(db: Database) -> list[AlarmView]:
    with db.session() as session:
        return journal.open_alarms(session)

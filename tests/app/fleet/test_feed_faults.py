"""A console's feed loses nothing when its database session is killed in the middle of a read.

Each step of a read advances its cursor as it collects events; if a later step of the same read
fails (the session terminated by PostgreSQL, as ``pg_terminate_backend`` or a server restart does),
the events already collected must still be published, since the next read starts after them. This
happened on CI: a console whose sessions were killed mid-burst printed 99 of 100 alarms.

The fault is real (the feed's own backend terminated through an admin connection); only its moment
is chosen, by terminating the session just after the alarms of a read were collected.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.alarms.events import AlarmChanged
from app.events import Event, EventBus
from app.fleet.feed import SiteFeed
from app.storage.database import Database
from tests.app.fleet.test_station_leases import site_for, station, wait_for
from tests.fieldbus.servers import ModbusServer
from tests.models.support import fresh_pg_database


class SessionKillingFeed(SiteFeed):
    """Terminates its own session once, right after a read collected a new alarm transition."""

    def __init__(self, *args: object, admin_url: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.admin_url = admin_url
        self.armed = threading.Event()
        self.killed = threading.Event()

    def _read_points(self, session: Session, events: list[Event]) -> None:
        collected = any(isinstance(e, AlarmChanged) and e.transition is not None for e in events)
        if self.armed.is_set() and collected and not self.killed.is_set():
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.dispose()
            self.killed.set()
        super()._read_points(session, events)


@pytest.fixture
def plc() -> Iterator[ModbusServer]:
    server = ModbusServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


def test_alarms_collected_before_the_session_died_are_still_shown(
    tmp_path: Path, pg_url: str, plc: ModbusServer
) -> None:
    plc.set_registers(1, [500])  # 0.5 MPa: normal
    loaded = site_for(tmp_path, plc)
    with station(loaded, pg_url, "alpha"):
        console_db = Database(pg_url)
        bus = EventBus()
        seen: list[AlarmChanged] = []
        bus.subscribe(AlarmChanged, seen.append)
        feed = SessionKillingFeed(loaded.site, console_db, bus, name="console-k", admin_url=pg_url)
        try:
            assert feed.start(), "the console reads the whole site"
            feed.armed.set()
            plc.set_registers(1, [50])  # 0.05 MPa: below the low limit
            wait_for(feed.killed.is_set, 10, "the feed's session terminated mid-read")
            wait_for(
                lambda: any(e.view.key == "b1.pressure/low" and e.transition is not None for e in seen),
                10,
                "the alarm read just before the session died is shown",
            )
            wait_for(lambda: feed.reconnects >= 1, 10, "the feed reconnects")
            raised = [e for e in seen if e.view.key == "b1.pressure/low" and e.transition is not None]
            assert len({e.transition.id for e in raised if e.transition}) == len(raised) == 1, raised
        finally:
            feed.stop()
            console_db.close()

"""The station's daily access-event purge: events past ``[vision] access_retention_days`` go, newer stay."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.storage.database import Database
from app.vision.retention import AccessKeeper
from models.vision import AccessEvent


def test_old_access_events_are_purged_and_recent_ones_kept(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'access.sqlite3'}")
    try:
        db.upgrade()
        now = datetime.now(UTC)

        def add(session: Session) -> None:
            for days, plate in ((120, "京A12345"), (91, "京B12345"), (10, "京C12345")):
                session.add(
                    AccessEvent(
                        camera="gate", seen_at=now - timedelta(days=days), plate=plate, status="unregistered"
                    )
                )

        db.write(add)
        keeper = AccessKeeper(db, 90)
        assert keeper.purge_now() == 2
        with db.session() as session:
            assert [e.plate for e in session.scalars(select(AccessEvent))] == ["京C12345"]
        assert keeper.purge_now() == 0 and keeper.runs == 2
    finally:
        db.close()


def test_the_keeper_runs_on_its_own_thread_and_stops(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'access.sqlite3'}")
    try:
        db.upgrade()
        keeper = AccessKeeper(db, 90, first_run_s=0.05, every_s=3600)
        keeper.start()
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while keeper.runs == 0 and datetime.now(UTC) < deadline:
            time.sleep(0.02)
        keeper.stop(2.0)
        assert keeper.runs == 1
    finally:
        db.close()

"""The daily snapshot purge, run by every station (each keeps its snapshots on its own disk).

Every station sweeps: the rows are shared, but the files of a workstation live on its own disk, and
:func:`app.video.snapshots.purge` also removes files no row names any more (those another station's
purge released). The first run is shortly after start, then once a day.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from app.storage.engine import StorageError
from app.workers import DailyJob

if TYPE_CHECKING:
    from app.storage.database import Database

log = logging.getLogger("wardroom.video")


class SnapshotKeeper(DailyJob):
    """Purges snapshots past ``[cameras] snapshot_retention_days`` (incident snapshots are kept)."""

    thread_name = "wardroom-snapshot-purge"

    def __init__(self, db: Database, retention_days: float, **timing: float) -> None:
        super().__init__(**timing)
        self.db = db
        self.retention_days = retention_days

    def run_once(self) -> None:
        self.purge_now()

    def purge_now(self) -> None:
        from app.video.snapshots import purge

        try:
            result = purge(self.db, self.retention_days)
        except (SQLAlchemyError, StorageError, OSError) as exc:  # tried again tomorrow; say why today
            log.warning("snapshot purge failed: %s", exc)
            return
        finally:
            self.runs += 1
        log.info("snapshot purge: %s", result)

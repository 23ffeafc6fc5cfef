"""The daily purge of gate access events past ``[vision] access_retention_days`` (default 90).

Access events name a vehicle at a moment: personal data, kept no longer than the site says. The
station runs this beside the snapshot purge, whether or not detection itself is running (a station
whose models are missing still holds old events). The first run is shortly after start, then daily.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from app.storage.engine import StorageError
from app.workers import DailyJob

if TYPE_CHECKING:
    from app.storage.database import Database

log = logging.getLogger("wardroom.vision")


class AccessKeeper(DailyJob):
    """Purges access events older than ``retention_days`` once a day."""

    thread_name = "wardroom-access-purge"

    def __init__(self, db: Database, retention_days: float, **timing: float) -> None:
        super().__init__(**timing)
        self.db = db
        self.retention_days = retention_days
        self.removed = 0

    def run_once(self) -> int:
        return self.purge_now()

    def purge_now(self) -> int:
        """Purge now; how many events went (0 when the database failed: tried again tomorrow)."""
        from app.vision.access import purge_access_events

        try:
            removed = purge_access_events(self.db, self.retention_days)
        except (SQLAlchemyError, StorageError) as exc:
            log.warning("access event purge failed: %s", exc)
            return 0
        finally:
            self.runs += 1
        self.removed += removed
        return removed

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
from app.workers import CancelToken, Worker

if TYPE_CHECKING:
    from app.storage.database import Database

log = logging.getLogger("wardroom.vision")

FIRST_RUN_S = 60.0  # after start-up has settled
EVERY_S = 86_400.0


class AccessKeeper:
    """Purges access events older than ``retention_days`` once a day."""

    def __init__(
        self,
        db: Database,
        retention_days: float,
        *,
        first_run_s: float = FIRST_RUN_S,
        every_s: float = EVERY_S,
    ) -> None:
        self.db = db
        self.retention_days = retention_days
        self.first_run_s = first_run_s
        self.every_s = every_s
        self._worker: Worker | None = None
        self.runs = 0
        self.removed = 0

    def start(self) -> None:
        self._worker = Worker("wardroom-access-purge", self._run).start()

    def stop(self, timeout_s: float = 2.0) -> None:
        if self._worker is not None:
            self._worker.stop(timeout_s)
            self._worker = None

    def _run(self, token: CancelToken) -> None:
        wait = self.first_run_s
        while not token.wait(wait):
            self.purge_now()
            wait = self.every_s

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

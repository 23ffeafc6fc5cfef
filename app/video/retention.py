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
from app.workers import CancelToken, Worker

if TYPE_CHECKING:
    from app.storage.database import Database

log = logging.getLogger("wardroom.video")

FIRST_RUN_S = 60.0  # after start-up has settled
EVERY_S = 86_400.0


class SnapshotKeeper:
    """Purges snapshots past ``[cameras] snapshot_retention_days`` (incident snapshots are kept)."""

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

    def start(self) -> None:
        self._worker = Worker("wardroom-snapshot-purge", self._run).start()

    def stop(self, timeout_s: float = 2.0) -> None:
        if self._worker is not None:
            self._worker.stop(timeout_s)
            self._worker = None

    def _run(self, token: CancelToken) -> None:
        wait = self.first_run_s
        while not token.wait(wait):
            self.purge_now()
            wait = self.every_s

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

"""Retention: delete samples older than the retention period, a batch at a time.

Why batches, one point at a time: one ``DELETE`` of a day's worth of samples for every point would
hold SQLite's only write lock for seconds, and everything else that writes (alarms, the audit
chain, the historian's own flushes) would queue behind it. Each batch is its own short transaction
through the single writer, so other writes interleave; walking one point at a time keeps every
batch a range scan on the ``(point_id, ts)`` index.

The rule is exact: a sample is removed if and only if ``ts < cutoff``; one stamped exactly at the
cutoff is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.storage.database import Database
from models.history import PointSample
from models.site import Point

log = logging.getLogger("wardroom.historian")

PURGE_BATCH = 5_000
MAX_BATCHES = 1_000_000
"""Safety bound on batches per purge (5 billion rows): a loop that can never run forever."""


def _delete_batch(point_id: int, cutoff: datetime, batch: int) -> Callable[[Session], int]:
    def run(session: Session) -> int:
        oldest = (
            select(PointSample.id)
            .where(PointSample.point_id == point_id, PointSample.ts < cutoff)
            .order_by(PointSample.ts)
            .limit(batch)
        )
        result = session.execute(delete(PointSample).where(PointSample.id.in_(oldest.scalar_subquery())))
        return int(result.rowcount)  # type: ignore[attr-defined]

    return run


def purge_before(db: Database, cutoff: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete every sample with ``ts < cutoff``; returns how many rows went."""
    with db.session() as session:
        point_ids = list(session.scalars(select(Point.id).order_by(Point.id)))
    total = 0
    batches = 0
    for point_id in point_ids:
        while batches < MAX_BATCHES:
            batches += 1
            removed = db.write(_delete_batch(point_id, cutoff, batch))
            total += removed
            if removed < batch:
                break
    log.info("historian purge: removed %d samples older than %s", total, cutoff.isoformat())
    return total

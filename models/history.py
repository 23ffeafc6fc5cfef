"""Point history: the historian's samples, one row per stored value or quality transition.

Why this shape:

- ``point_id`` references ``points.id`` (an integer) rather than repeating the site-file key in
  every row: at one row per point per second or minute, the key would be most of the table's size.
  Callers still speak in site-file ids; ``app.historian`` maps them.
- The only index is ``(point_id, ts)``: every read (a trend for one point over a window) and every
  purge batch (one point's oldest rows) is a range scan on it, and a second index would slow the
  insert path that runs all day.
- ``value`` is NULL on a quality transition to a state without a trustworthy value (comm-fail,
  stale, bad-config): that row is what lets a trend draw a gap instead of a line through the outage.
  Booleans are stored as 0/1.
- ``quality`` is a plain short string without a CHECK: the pollers own the list of qualities, and a
  new one must never make the historian lose samples.
- ``id`` is 64-bit on PostgreSQL (10,000 points at 1 Hz pass 2**31 rows in days); on SQLite it stays
  ``INTEGER`` so it is the rowid itself and costs nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Double, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

QUALITY_LENGTH = 16


class PointSample(Base):
    """One stored sample of one point (see the module docstring for what is stored and why)."""

    __tablename__ = "point_samples"
    __table_args__ = (Index("ix_point_samples_point_id_ts", "point_id", "ts"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id", ondelete="RESTRICT"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float | None] = mapped_column(Double)
    quality: Mapped[str] = mapped_column(String(QUALITY_LENGTH))

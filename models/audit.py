"""The audit log: an append-only chain of rows, each sealed by SHA-256 over (content, previous hash).

Ids are assigned by ``app.audit.chain`` (last id + 1 under the head lock), not by a sequence, so the chain
has no gaps unless a row was deleted. ``AuditHead`` is a single row (id 1) updated in the same
transaction as every append: it remembers the newest hash, the row count and the last id, which is
what reveals deleting the newest rows (the chain alone would still look intact). The initial
migration creates the head row so concurrent first appends on PostgreSQL have a row to lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first row and the head hash of an empty log."""


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[str] = mapped_column(Text, default="{}", doc="canonical JSON object")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int] = mapped_column(Integer)

"""What the camera wall keeps: operators' named wall layouts and the snapshots they took.

A layout belongs to one user (another operator's wall is theirs); its tiles are camera ids from the
site file. A snapshot row points at a masked image file in the data folder; it is purged after
``[cameras] snapshot_retention_days`` unless an incident holds it (``incident_id``), because an
incident's evidence must outlive the retention of everyday pictures.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import KEY_LENGTH, Base, UTCDateTime, one_of

WALL_GRIDS: tuple[str, ...] = ("1", "2x2", "3x3", "4x4", "1+5", "1+7")
SNAPSHOT_SOURCES: tuple[str, ...] = ("operator", "vision")


class WallLayout(Base):
    __tablename__ = "wall_layouts"
    __table_args__ = (UniqueConstraint("user_id", "name"), one_of("grid", WALL_GRIDS))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    grid: Mapped[str] = mapped_column(String(8))
    tiles: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list: camera id or null per tile")
    tour_s: Mapped[int] = mapped_column(Integer, default=0, doc="0: no tour; else seconds per page")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Snapshot(Base):
    __tablename__ = "snapshots"
    __table_args__ = (one_of("source", SNAPSHOT_SOURCES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True, doc="the camera's site-file id")
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    frame_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="when the frame was captured")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    user_name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(16), default="operator")
    path: Mapped[str] = mapped_column(Text, doc="relative to the data folder's snapshots/")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True, doc="kept past retention while set"
    )

"""Vehicles registered to residents: the only plates the vision layer may match against.

Plates are matched only against this table (privacy rule in DESIGN.md §6). The plate is stored
normalised (upper case, no spaces) by the records service so one plate cannot be registered twice;
bicycles usually have none, hence nullable (NULLs do not collide in a unique constraint on either
back-end).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from models.people import Resident

VEHICLE_KINDS: tuple[str, ...] = ("car", "motorcycle", "e-bike", "bicycle")


class RegisteredVehicle(Base):
    __tablename__ = "registered_vehicles"
    __table_args__ = (one_of("kind", VEHICLE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    plate: Mapped[str | None] = mapped_column(String(32), unique=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True, doc="None: a ward vehicle"
    )
    description: Mapped[str] = mapped_column(String(200), default="", doc="make, colour")
    registered_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Resident | None] = relationship(back_populates="vehicles")

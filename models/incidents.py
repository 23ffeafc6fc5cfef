"""Incidents: what the duty officer opens when alarms or camera events need handling and a report.

An incident gathers alarm occurrences (a link table, since one fire may raise many alarms and one
alarm may be reviewed in a later incident), a running log of notes, where it happened, the duty team
assigned, and every status change with who made it and when (``incident_status_changes``: the
incident report prints them, so they are rows, not only audit entries). Notes, links and changes
belong to their incident (``CASCADE``); the occurrences themselves are history and cannot be deleted
from under an incident (``RESTRICT``).

Which status moves are legal is decided in one place, :mod:`app.incidents.workflow`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.alarms import PRIORITIES, AlarmOccurrence
from models.base import Base, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from models.people import DutyTeam
    from models.site import Building, Zone
    from models.users import User

INCIDENT_STATUSES: tuple[str, ...] = ("new", "in-progress", "on-hold", "closed")
"""In workflow order; the legal moves between them are in ``app.incidents.workflow``."""


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        one_of("status", INCIDENT_STATUSES),
        one_of("priority", PRIORITIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    priority: Mapped[str] = mapped_column(String(16), default="medium")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"), index=True
    )
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    duty_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("duty_teams.id", ondelete="SET NULL"), index=True, doc="the duty team assigned"
    )

    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    building: Mapped[Building | None] = relationship()
    zone: Mapped[Zone | None] = relationship()
    duty_team: Mapped[DutyTeam | None] = relationship()
    notes: Mapped[list[IncidentNote]] = relationship(
        back_populates="incident",
        order_by="IncidentNote.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    alarm_links: Mapped[list[IncidentAlarm]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )
    status_changes: Mapped[list[IncidentStatusChange]] = relationship(
        back_populates="incident",
        order_by="IncidentStatusChange.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class IncidentStatusChange(Base):
    """One status change of an incident: from, to, who, when and why (creation has no ``from``)."""

    __tablename__ = "incident_status_changes"
    __table_args__ = (one_of("to_status", INCIDENT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    by_name: Mapped[str] = mapped_column(String(64), default="", doc="kept as shown when it was made")
    reason: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship(back_populates="status_changes")
    by_user: Mapped[User | None] = relationship()


class IncidentNote(Base):
    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class IncidentAlarm(Base):
    """Links an alarm occurrence to an incident (many to many)."""

    __tablename__ = "incident_alarms"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("alarm_occurrences.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="alarm_links")
    occurrence: Mapped[AlarmOccurrence] = relationship()

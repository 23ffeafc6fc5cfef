"""Residents and the ward's services to them: households, volunteers and their hours, elderly care,
employment support, and the duty teams and rosters that staff the control room.

These are personal data: keep only what a service needs (no identity-document numbers here), and
every view or export of them is audited by the services (``app.audit.chain``). Records hang off a person
with ``RESTRICT`` so a careless delete cannot silently erase a care history; a link that may
legitimately end (a resident moving out of a household, a carer leaving) is ``SET NULL``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from models.site import Building
    from models.users import User
    from models.vehicles import RegisteredVehicle

CARE_KINDS: tuple[str, ...] = ("visit", "call", "meal", "health-check", "escort", "other")
EMPLOYMENT_STATUSES: tuple[str, ...] = ("seeking", "training", "placed", "ended")


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"), index=True
    )
    unit: Mapped[str] = mapped_column(String(64), default="", doc="flat / room within the building")
    phone: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    building: Mapped[Building | None] = relationship()
    residents: Mapped[list[Resident]] = relationship(back_populates="household")


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(64), default="")
    emergency_contact: Mapped[str] = mapped_column(Text, default="")
    moved_in: Mapped[date | None] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="residents")
    vehicles: Mapped[list[RegisteredVehicle]] = relationship(back_populates="owner")
    care_records: Mapped[list[ElderlyCareRecord]] = relationship(back_populates="resident")
    employment_records: Mapped[list[EmploymentRecord]] = relationship(back_populates="resident")


class Volunteer(Base):
    """A volunteer; may also be a resident of the ward (``resident_id``)."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), index=True)
    phone: Mapped[str] = mapped_column(String(64), default="")
    skills: Mapped[str] = mapped_column(Text, default="")
    joined_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    resident: Mapped[Resident | None] = relationship()
    service_hours: Mapped[list[ServiceHours]] = relationship(back_populates="volunteer")


class ServiceHours(Base):
    """Time a volunteer gave, in whole minutes (integers add up exactly in reports)."""

    __tablename__ = "service_hours"
    __table_args__ = (CheckConstraint("minutes > 0", name="minutes_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="RESTRICT"), index=True)
    served_on: Mapped[date] = mapped_column(Date, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[Volunteer] = relationship(back_populates="service_hours")
    recorded_by: Mapped[User | None] = relationship()


class ElderlyCareRecord(Base):
    """One care contact with an elderly resident (a visit, a call, a delivered meal...)."""

    __tablename__ = "elderly_care_records"
    __table_args__ = (one_of("kind", CARE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )

    resident: Mapped[Resident] = relationship(back_populates="care_records")
    volunteer: Mapped[Volunteer | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class EmploymentRecord(Base):
    """Employment support for a resident: a search, a training course or a placement."""

    __tablename__ = "employment_records"
    __table_args__ = (one_of("status", EMPLOYMENT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    employer: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="employment_records")
    recorded_by: Mapped[User | None] = relationship()


class DutyTeam(Base):
    __tablename__ = "duty_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    members: Mapped[list[DutyTeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )
    shifts: Mapped[list[RosterShift]] = relationship(back_populates="team")


class DutyTeamMember(Base):
    """A member of a duty team: a Wardroom user (staff) or a volunteer, at least one of the two."""

    __tablename__ = "duty_team_members"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR volunteer_id IS NOT NULL", name="who"),
        UniqueConstraint("team_id", "user_id"),
        UniqueConstraint("team_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("duty_teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteers.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(64), default="", doc="role within the team, e.g. leader")

    team: Mapped[DutyTeam] = relationship(back_populates="members")
    user: Mapped[User | None] = relationship()
    volunteer: Mapped[Volunteer | None] = relationship()


class RosterShift(Base):
    """A team on duty at a console position for a time span."""

    __tablename__ = "roster_shifts"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("duty_teams.id", ondelete="RESTRICT"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    team: Mapped[DutyTeam] = relationship(back_populates="shifts")

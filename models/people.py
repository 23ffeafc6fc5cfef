"""Residents and the ward's services to them: households, volunteers and their hours, elderly care,
employment support, and the duty teams and rosters that staff the control room.

These are personal data: keep only what a service needs, and every view or export of them is audited
by the services (``app.audit.chain``). The resident's national ID number *is* kept (a deliberate
reversal of an earlier rule): de-duplicating residents and matching household registrations need it.
It is shown masked except to roles the permissions table allows, and every unmasked view is audited.
Records hang off a person with ``RESTRICT`` so a careless delete cannot silently erase a care
history; a link that may legitimately end (a resident moving out of a household, a carer leaving)
is ``SET NULL``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from models.site import Building
    from models.users import User
    from models.vehicles import RegisteredVehicle

CARE_KINDS: tuple[str, ...] = ("visit", "call", "meal", "health-check", "escort", "other")
EMPLOYMENT_STATUSES: tuple[str, ...] = ("seeking", "training", "placed", "ended")
GENDERS: tuple[str, ...] = ("M", "F")
REGISTRATIONS: tuple[str, ...] = ("registered", "migrant")
DUTY_TEAM_KINDS: tuple[str, ...] = ("grid", "joint-patrol", "emergency-rescue", "volunteer-patrol", "other")
REFERRAL_OUTCOMES: tuple[str, ...] = ("pending", "interview", "hired", "declined")

# Pinyin keys hold ASCII only; on PostgreSQL they compare byte-wise ("C"), so a prefix search is a
# plain B-tree range scan whatever the database's default collation is.
PinyinKey = String(200).with_variant(String(200, collation="C"), "postgresql")


class Household(Base):
    """A household (户) in a unit of a building; ``number`` (户号) is unique within its building."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_building_number", "building_id", "number", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(64), doc="户号, unique within the building")
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
    """A resident. ``name_pinyin``/``name_initials`` are written with the name (``app.records.names``)
    so a search by pinyin is an indexed range query; ``tags`` is ``;id;id;`` so a tag filter is one
    ``LIKE '%;id;%'``."""

    __tablename__ = "residents"
    __table_args__ = (
        one_of("gender", GENDERS),
        one_of("registration", REGISTRATIONS),
        Index("ix_residents_same_person", "name", "birth_date", "household_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_pinyin: Mapped[str] = mapped_column(PinyinKey, default="", server_default="", index=True)
    name_initials: Mapped[str] = mapped_column(PinyinKey, default="", server_default="", index=True)
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date, index=True)
    id_number: Mapped[str | None] = mapped_column(
        String(18), unique=True, doc="national ID, 18 characters, check digit validated"
    )
    registration: Mapped[str] = mapped_column(
        String(16), default="registered", server_default="registered", doc="户籍 or 流动"
    )
    tags: Mapped[str] = mapped_column(Text, default="", server_default="", doc="';lives-alone;mobility;'")
    phone: Mapped[str] = mapped_column(String(64), default="")
    emergency_contact: Mapped[str] = mapped_column(Text, default="")
    moved_in: Mapped[date | None] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household | None] = relationship(back_populates="residents")
    vehicles: Mapped[list[RegisteredVehicle]] = relationship(back_populates="owner")
    care_plan: Mapped[CarePlan | None] = relationship(back_populates="resident")
    care_records: Mapped[list[ElderlyCareRecord]] = relationship(back_populates="resident")
    employment_records: Mapped[list[EmploymentRecord]] = relationship(back_populates="resident")


NAME_PART_MAX = 4
"""Longest part of a name kept in ``resident_name_parts`` (Chinese names have 2-4 characters)."""


class ResidentNamePart(Base):
    """Every part (substring) of a resident's name up to :data:`NAME_PART_MAX` characters, lower-cased.

    Why: "part of a name" (``伟`` finds 张伟 and 王伟华) would otherwise be ``LIKE '%伟%'``, a scan of
    every resident. With the parts written beside the name, it is an equality lookup on an index.
    """

    __tablename__ = "resident_name_parts"
    __table_args__ = (Index("ix_resident_name_parts_part", "part", "resident_id"),)

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    part: Mapped[str] = mapped_column(String(4 * NAME_PART_MAX), primary_key=True)


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


class VolunteerProject(Base):
    """A volunteer project (the ward's "Second Life" retirees' project, patrols, tutoring ...)."""

    __tablename__ = "volunteer_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class VolunteerActivity(Base):
    """One activity of a project on a day (a clean-up, a visit round); hours may name it."""

    __tablename__ = "volunteer_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_projects.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date | None] = mapped_column(Date)


class ServiceHours(Base):
    """Time a volunteer gave, in whole minutes (integers add up exactly in reports).

    Totals count approved entries only (``approved``, set with who approved and when); the covering
    index ``ix_service_hours_totals`` lets a year's totals be read from the index alone.
    """

    __tablename__ = "service_hours"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index("ix_service_hours_totals", "approved", "served_on", "volunteer_id", "project_id", "minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="RESTRICT"), index=True)
    served_on: Mapped[date] = mapped_column(Date, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(200), default="")
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_projects.id", ondelete="RESTRICT"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_activities.id", ondelete="SET NULL"), index=True
    )
    approved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped[Volunteer] = relationship(back_populates="service_hours")
    project: Mapped[VolunteerProject | None] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class ServiceHoursMonthly(Base):
    """Approved minutes per month, volunteer and project (``project_key`` 0: no project).

    Why: a year's totals would otherwise sum every entry of the year (hundreds of thousands at
    scale); with this table they sum at most twelve rows per volunteer and project, plus the raw
    entries of a partial first or last month. ``app.records.hours_summary`` rewrites a month's rows
    whenever an approved entry of that month is written or approved, in the same transaction.
    """

    __tablename__ = "service_hours_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True, doc="the month's first day")
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    project_key: Mapped[int] = mapped_column(Integer, primary_key=True, doc="project id, 0 for none")
    minutes: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)


class CarePlan(Base):
    """A resident's care plan: how often someone should visit (the overdue list counts from it)."""

    __tablename__ = "care_plans"
    __table_args__ = (CheckConstraint("visit_interval_days > 0", name="interval_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"), unique=True)
    visit_interval_days: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="care_plan")


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
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(200), default="", server_default="", doc="who came")
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
    position: Mapped[str] = mapped_column(String(200), default="", doc="the job, or the course")
    skills: Mapped[str] = mapped_column(Text, default="", server_default="")
    posting_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_postings.id", ondelete="SET NULL"), index=True, doc="the posting placed into"
    )
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="employment_records")
    recorded_by: Mapped[User | None] = relationship()


class JobPosting(Base):
    """A job offered to the ward's job seekers (referrals point at it, placements may)."""

    __tablename__ = "job_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200))
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")


class JobReferral(Base):
    """A job seeker sent to a posting, and how it went."""

    __tablename__ = "job_referrals"
    __table_args__ = (one_of("outcome", REFERRAL_OUTCOMES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"), index=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id", ondelete="RESTRICT"), index=True)
    referred_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")


class DutyTeam(Base):
    __tablename__ = "duty_teams"
    __table_args__ = (one_of("kind", DUTY_TEAM_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="other", server_default="other")
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
    phone: Mapped[str] = mapped_column(
        String(64), default="", server_default="", doc="duty phone; else the volunteer's own"
    )

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
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    position: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    team: Mapped[DutyTeam] = relationship(back_populates="shifts")

"""Alarm definitions, occurrences, their state transitions, and operator actions (the journal).

Definitions are config (synced from each point's ``alarms`` list, key ``"<point id>/<limit>"``).
Occurrences and transitions are history: one occurrence per time an alarm is raised, with every
state change recorded as a transition, so a shift report and an investigation can replay exactly who
did what and when. States follow ISA-18.2 / IEC 62682; the categories are the fire panel's.

History rows ``RESTRICT`` deletion of what they point at (a definition, a user) so the journal cannot
lose its subject; transitions belong to their occurrence and go with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Double, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import KEY_LENGTH, Base, SyncedMixin, UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from models.site import Point
    from models.users import User

ALARM_STATES: tuple[str, ...] = (
    "normal",
    "unacknowledged",
    "acknowledged",
    "rtn-unacknowledged",
    "latched",
    "shelved",
    "suppressed",
    "out-of-service",
)
PRIORITIES: tuple[str, ...] = ("fire", "urgent", "high", "medium", "low")
"""Highest first: fire always sorts, sounds and forwards first."""
CATEGORIES: tuple[str, ...] = ("fire", "pre-alarm", "supervisory", "fault")
LIMITS: tuple[str, ...] = ("high-high", "high", "low", "low-low", "on", "off")


class AlarmDefinition(SyncedMixin, Base):
    """One limit on one point, as the site file gives it."""

    __tablename__ = "alarm_definitions"
    __table_args__ = (
        one_of("limit_kind", LIMITS),
        one_of("priority", PRIORITIES),
        one_of("category", CATEGORIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id", ondelete="RESTRICT"), index=True)
    # "limit" is an SQL keyword; the attribute keeps the site file's name.
    limit: Mapped[str] = mapped_column("limit_kind", String(16))
    value: Mapped[float | None] = mapped_column(Double)
    priority: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    delay_s: Mapped[float] = mapped_column(Double, default=0.0)
    deadband: Mapped[float] = mapped_column(Double, default=0.0)
    off_delay_s: Mapped[float] = mapped_column(Double, default=0.0, server_default=text("0"))
    latch: Mapped[bool] = mapped_column(default=False, server_default=false())
    realarm_min: Mapped[float] = mapped_column(Double, default=0.0, server_default=text("0"))
    message: Mapped[str | None] = mapped_column(Text)
    suppress_when: Mapped[str | None] = mapped_column(String(KEY_LENGTH), doc="a switch point's site id")

    point: Mapped[Point] = relationship(back_populates="alarm_definitions")


class AlarmOccurrence(Base):
    """One raising of an alarm and its current state.

    ``source`` names what raised it (``"point:<id>"``, ``"plc:<id>"``, ``"camera:<id>"``) because a
    lost PLC or camera is itself a fault alarm without a configured definition. ``alarm_key`` names
    the alarm itself (``"<point>/<limit>"``, ``"point:<id>/fault"``, ``"plc:<id>"``,
    ``"camera:<id>/zone:<name>"``, ``"system:storage"`` ...): at most one occurrence per key is open
    (not ``normal``) at a time, which the database enforces, so no alarm is ever raised twice.
    """

    __tablename__ = "alarm_occurrences"
    __table_args__ = (
        one_of("state", ALARM_STATES),
        one_of("priority", PRIORITIES),
        one_of("category", CATEGORIES),
        Index("ix_alarm_occurrences_state_raised_at", "state", "raised_at"),
        Index(
            "ux_alarm_occurrences_open_key",
            "alarm_key",
            unique=True,
            sqlite_where=text("state <> 'normal'"),
            postgresql_where=text("state <> 'normal'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("alarm_definitions.id", ondelete="RESTRICT"), index=True
    )
    source: Mapped[str] = mapped_column(String(KEY_LENGTH + 16))
    alarm_key: Mapped[str] = mapped_column(String(2 * KEY_LENGTH + 16), server_default="")
    building: Mapped[str | None] = mapped_column(String(KEY_LENGTH), doc="the building's site id")
    state: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Double)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="returned to normal")
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, doc="back to normal and acknowledged")
    shelved_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), doc="who acknowledged it (None: not yet, or the system)"
    )
    chattering: Mapped[bool] = mapped_column(default=False, server_default=false())
    snapshot: Mapped[str | None] = mapped_column(String(KEY_LENGTH), doc="a snapshot's reference")

    definition: Mapped[AlarmDefinition | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()
    transitions: Mapped[list[AlarmTransition]] = relationship(
        back_populates="occurrence",
        order_by="AlarmTransition.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class AlarmTransition(Base):
    """One state change of an occurrence; ``by_user`` is None when the system made it."""

    __tablename__ = "alarm_transitions"
    __table_args__ = (
        one_of("from_state", ALARM_STATES),
        one_of("to_state", ALARM_STATES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("alarm_occurrences.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    held: Mapped[bool] = mapped_column(
        default=False, server_default=false(), doc="made while storage was down; written when it returned"
    )

    occurrence: Mapped[AlarmOccurrence] = relationship(back_populates="transitions")
    by_user: Mapped[User | None] = relationship()


class OperatorAction(Base):
    """Something an operator did at a console (acknowledge, silence, reset, shelve, write a PLC...).

    Kept apart from the audit chain because it is the printable operations journal (GB 25506 asks
    for 10,000 of them); the audit chain records the same act tamper-evidently.
    """

    __tablename__ = "operator_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    position: Mapped[str] = mapped_column(String(64), default="", doc="which console / workstation")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(KEY_LENGTH + 16), default="")
    occurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("alarm_occurrences.id", ondelete="RESTRICT"), index=True
    )
    details: Mapped[str] = mapped_column(Text, default="{}", doc="JSON object")

    user: Mapped[User | None] = relationship()
    occurrence: Mapped[AlarmOccurrence | None] = relationship()

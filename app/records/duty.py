"""Duty teams and rosters: who is on duty at a time T (shifts are ``[start, end)``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.records.fields import mask_phone
from models.people import DutyTeam, DutyTeamMember, RosterShift


@dataclass(frozen=True)
class OnDuty:
    team: str
    member: str
    role: str
    phone: str
    start: datetime
    end: datetime

    def json_row(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "member": self.member,
            "role": self.role,
            "phone": self.phone,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
        }


def member_name(member: DutyTeamMember) -> str:
    if member.volunteer is not None:
        return member.volunteer.name
    if member.user is not None:
        return member.user.name
    return ""


def on_duty(session: Session, at: datetime, *, unmasked: bool) -> list[OnDuty]:
    """Every member of every team with a shift ``starts_at <= at < ends_at``."""
    query = (
        select(RosterShift)
        .where(RosterShift.starts_at <= at, RosterShift.ends_at > at)
        .options(
            selectinload(RosterShift.team)
            .selectinload(DutyTeam.members)
            .selectinload(DutyTeamMember.volunteer),
            selectinload(RosterShift.team).selectinload(DutyTeam.members).selectinload(DutyTeamMember.user),
        )
        .order_by(RosterShift.starts_at, RosterShift.team_id)
    )
    out: list[OnDuty] = []
    for shift in session.scalars(query):
        for member in sorted(shift.team.members, key=lambda m: (m.role != "leader", m.id)):
            phone = member.phone or (member.volunteer.phone if member.volunteer is not None else "")
            out.append(
                OnDuty(
                    shift.team.name,
                    member_name(member),
                    member.role,
                    phone if unmasked else mask_phone(phone),
                    shift.starts_at,
                    shift.ends_at,
                )
            )
    return out

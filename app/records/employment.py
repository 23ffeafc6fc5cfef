"""The employment rate of the ward's working-age residents at the end of a period.

    rate = employed / (employed + seeking)

*employed*: a resident with an employment record ``placed`` that started before the period's end and
had not ended by then; *seeking*: one who is not employed and has a ``seeking`` or ``training`` record
open at the period's end. Only residents of working age (``[records] working_age``, default
``[16, 60]``: from the 16th birthday up to, not including, the 60th) on the period's last day count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.records.care import born_by
from app.records.settings import RecordsRules, load_rules
from models.people import EmploymentRecord, Resident

FORMULA = "rate = employed / (employed + seeking); seeking includes training; working age only"


@dataclass(frozen=True)
class EmploymentRate:
    start: date
    end: date
    employed: int
    seeking: int

    @property
    def rate(self) -> float | None:
        total = self.employed + self.seeking
        return round(self.employed / total, 4) if total else None

    def json_row(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "employed": self.employed,
            "seeking": self.seeking,
            "rate": self.rate,
            "formula": FORMULA,
        }


def employment_rate(
    session: Session, start: date, end: date, rules: RecordsRules | None = None
) -> EmploymentRate:
    """The rate at the end of ``[start, end)``: records open on ``end``'s eve count."""
    rules = rules or load_rules(session)
    last_day = end - timedelta(days=1)
    youngest, oldest = rules.working_age
    open_at_end = (
        select(EmploymentRecord.resident_id, EmploymentRecord.status)
        .join(Resident, Resident.id == EmploymentRecord.resident_id)
        .where(
            EmploymentRecord.status.in_(("placed", "seeking", "training")),
            or_(EmploymentRecord.started_on.is_(None), EmploymentRecord.started_on < end),
            or_(EmploymentRecord.ended_on.is_(None), EmploymentRecord.ended_on >= end),
            Resident.birth_date <= born_by(last_day, youngest),
            Resident.birth_date > born_by(last_day, oldest),
            or_(Resident.moved_out.is_(None), Resident.moved_out >= end),
        )
    )
    employed: set[int] = set()
    seeking: set[int] = set()
    for resident_id, status in session.execute(open_at_end):
        (employed if status == "placed" else seeking).add(resident_id)
    return EmploymentRate(start, end, len(employed), len(seeking - employed))

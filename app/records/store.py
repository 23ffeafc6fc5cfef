"""Writing residents in bulk together with their search keys (pinyin, initials, name parts).

Every path that adds residents (import, demo, benchmarks) goes through :func:`insert_residents`, and an
edit of a name through :func:`replace_name_parts`, so the indexed search keys can never be missing for
a name that is stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, inspect
from sqlalchemy.orm import Session

from app.records.names import name_keys, name_parts
from models.people import NAME_PART_MAX, Resident, ResidentNamePart


def bulk_insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` in batches of multi-row ``INSERT ... VALUES`` (SQLAlchemy's "insertmanyvalues").

    Why ``RETURNING``: it is what makes SQLAlchemy render a batch from one compiled row (fast) on
    both back-ends. A plain executemany is one statement per row on PostgreSQL (~0.1 ms each), and
    ``insert().values(rows)`` compiles every bind parameter anew (2.5 s for 5,000 residents' parts).
    """
    if not rows:
        return
    key = inspect(model).primary_key[0]
    session.execute(insert(model).returning(key), rows).all()


def insert_residents(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert resident rows (pinyin keys filled in when missing) and their name parts; their ids."""
    for row in rows:
        if "name_pinyin" not in row or "name_initials" not in row:
            row["name_pinyin"], row["name_initials"] = name_keys(row["name"])
    if not rows:
        return []
    result = session.execute(insert(Resident).returning(Resident.id, sort_by_parameter_order=True), rows)
    ids = [int(i) for i in result.scalars()]
    parts = [
        {"resident_id": rid, "part": part}
        for rid, row in zip(ids, rows, strict=True)
        for part in name_parts(row["name"], NAME_PART_MAX)
    ]
    bulk_insert(session, ResidentNamePart, parts)
    return ids


def replace_name_parts(session: Session, resident_id: int, name: str) -> None:
    session.execute(delete(ResidentNamePart).where(ResidentNamePart.resident_id == resident_id))
    bulk_insert(
        session,
        ResidentNamePart,
        [{"resident_id": resident_id, "part": part} for part in name_parts(name, NAME_PART_MAX)],
    )

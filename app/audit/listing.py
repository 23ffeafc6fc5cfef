"""Reading the audit log back: rows filtered by action (a glob) and a time range ``[start, end)``."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEntry


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


def list_entries(
    session: Session,
    action_glob: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[AuditRow]:
    """Rows in id order with ``start <= at < end`` whose action matches ``action_glob`` (``user.*``)."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    if action_glob and not any(ch in action_glob for ch in "*?["):
        query = query.where(AuditEntry.action == action_glob)
    rows: list[AuditRow] = []
    for entry in session.scalars(query):
        if action_glob and not fnmatch.fnmatchcase(entry.action, action_glob):
            continue
        try:
            details = json.loads(entry.details)
        except (TypeError, ValueError):
            details = {"unreadable": entry.details}
        rows.append(AuditRow(entry.id, entry.at, entry.actor, entry.action, entry.target, details))
    return rows

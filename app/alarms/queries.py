"""Read-only questions about the alarm journal that the console and ``wardroom alarms`` share.

- :func:`timeline`: everything that happened to one occurrence (its transitions and the operator
  actions on it, notes included), oldest first, for the console's detail pane;
- :func:`actions_history`: the operations journal (operator actions) of a time range, keyset-paged
  like :func:`app.alarms.journal.history`, for the console's History tab (GB 25506);
- :func:`kpi`: the ISA-18.2 / EEMUA 191 figures of a period, computed by :func:`app.alarms.kpi.compute`
  over the journal's occurrences with the synced site's flood threshold.

Functions take a read ``Session`` (``Database.session()``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alarms import journal
from app.alarms.actions import site_rules
from app.alarms.kpi import AlarmRecord, Kpi, compute
from models.alarms import AlarmOccurrence, AlarmTransition, OperatorAction
from models.users import User


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an occurrence's story: a state change or an operator action (``kind``)."""

    at: datetime
    kind: str  # "transition" or "action"
    what: str  # the new state of a transition; the action's name ("ack", "note", "shelve" ...)
    by: str | None  # the operator, None for the system
    text: str = ""  # the transition's note; a note's text; an action's reason
    from_state: str | None = None
    to_state: str | None = None
    position: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def json_row(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "what": self.what,
            "by": self.by,
            "text": self.text,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "position": self.position,
        }


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One row of the operations journal: what an operator did, where, to what."""

    id: int
    at: datetime
    user: str | None  # None: the user is gone or it was the system
    position: str
    action: str
    target: str
    occurrence_id: int | None
    details: str  # the note text or reason, else the details as "key: value; ..."

    def json_row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user": self.user,
            "position": self.position,
            "action": self.action,
            "target": self.target,
            "occurrence_id": self.occurrence_id,
            "details": self.details,
        }


def _details(raw: str | None) -> dict[str, Any]:
    try:
        details = json.loads(raw or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _details_main(details: dict[str, Any]) -> str:
    return str(details.get("text") or details.get("reason") or details.get("note") or "")


def details_text(raw: str | None) -> str:
    """An action's JSON details as one short line of plain text."""
    details = _details(raw)
    main = _details_main(details)
    if main:
        return main
    return "; ".join(f"{k}: {v}" for k, v in details.items() if v not in (None, "", [], {}))


_A = OperatorAction
_ACTION_COLUMNS = (
    _A.id,
    _A.at,
    User.name,
    _A.position,
    _A.action,
    _A.target,
    _A.occurrence_id,
    _A.details,
)


def actions_history(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    limit: int | None = None,
    after: tuple[datetime, int] | None = None,
) -> list[ActionRow]:
    """Operator actions with ``start <= at < end``, oldest first; ``after`` = the (at, id) of the last
    row of the previous page (keyset paging, as :func:`app.alarms.journal.history`)."""
    query = (
        select(*_ACTION_COLUMNS)
        .outerjoin(User, User.id == _A.user_id)
        .where(_A.at >= start, _A.at < end)
        .order_by(_A.at, _A.id)
    )
    if after is not None:
        query = query.where(journal.after_key(_A.at, _A.id, after))
    if limit is not None:
        query = query.limit(limit)
    # A Core select on the connection, rows built positionally (no ORM objects, no lookups by name).
    rows = session.connection().execute(query).all()
    return [ActionRow(*row[:7], details_text(row[7])) for row in rows]


def timeline(session: Session, occurrence_id: int) -> list[TimelineEntry]:
    """Transitions and operator actions of one occurrence, oldest first (a transition before the
    action that made it when both carry the same time)."""
    entries: list[tuple[datetime, int, int, TimelineEntry]] = []
    for t in journal.occurrence_transitions(session, occurrence_id):
        entry = TimelineEntry(
            at=t.at,
            kind="transition",
            what=t.to_state,
            by=t.by,
            text=t.note,
            from_state=t.from_state,
            to_state=t.to_state,
        )
        entries.append((t.at, 0, t.id or 0, entry))
    rows = session.execute(
        select(OperatorAction, User.name)
        .outerjoin(User, User.id == OperatorAction.user_id)
        .where(OperatorAction.occurrence_id == occurrence_id)
        .order_by(OperatorAction.id)
    ).all()
    for action, name in rows:
        details = _details(action.details)
        text = _details_main(details)
        entry = TimelineEntry(
            at=action.at,
            kind="action",
            what=action.action,
            by=name,
            text=text,
            position=action.position,
            details=details,
        )
        entries.append((action.at, 1, action.id, entry))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    return [e[3] for e in entries]


def records(session: Session, start: datetime, end: datetime) -> list[AlarmRecord]:
    """The occurrences raised in ``[start, end)`` as KPI records.

    ``ended_at`` is when the occurrence went back to normal (None if not within the period);
    ``shelved`` / ``out_of_service``: its state at the end of the period; ``chattering``: marked.
    """
    occs = session.execute(
        select(
            AlarmOccurrence.id,
            AlarmOccurrence.alarm_key,
            AlarmOccurrence.raised_at,
            AlarmOccurrence.cleared_at,
            AlarmOccurrence.chattering,
        )
        .where(AlarmOccurrence.raised_at >= start, AlarmOccurrence.raised_at < end)
        .order_by(AlarmOccurrence.raised_at)
    ).all()
    if not occs:
        return []
    last_ids = (
        select(func.max(AlarmTransition.id).label("id"))
        .join(AlarmOccurrence, AlarmOccurrence.id == AlarmTransition.occurrence_id)
        .where(
            AlarmOccurrence.raised_at >= start,
            AlarmOccurrence.raised_at < end,
            AlarmTransition.at < end,
        )
        .group_by(AlarmTransition.occurrence_id)
        .subquery()
    )
    state_at_end = dict(
        session.execute(
            select(AlarmTransition.occurrence_id, AlarmTransition.to_state).where(
                AlarmTransition.id.in_(select(last_ids.c.id))
            )
        ).all()
    )
    out = []
    for occ_id, key, raised_at, cleared_at, chattering in occs:
        state = state_at_end.get(occ_id)
        out.append(
            AlarmRecord(
                key=key,
                raised_at=raised_at,
                ended_at=cleared_at if cleared_at is not None and cleared_at < end else None,
                shelved=state == "shelved",
                out_of_service=state == "out-of-service",
                chattering=bool(chattering),
            )
        )
    return out


def kpi(session: Session, start: datetime, end: datetime) -> list[Kpi]:
    """The alarm-system figures of ``[start, end)`` from the journal, beside their targets."""
    rules = site_rules(session)
    return compute(records(session, start, end), start, end, flood_per_10min=rules.flood_per_10min)

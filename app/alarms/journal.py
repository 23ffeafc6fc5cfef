"""The alarm journal: occurrences and their transitions in the database, written conditionally.

Every state change of an occurrence is an ``UPDATE ... WHERE id = :id AND state = :expected`` plus
one ``alarm_transitions`` row, in the caller's transaction. When another writer (an operator at a
second console, the CLI, another station) changed the state first, the update matches no row and the
caller is told (``None``): nobody's change is ever overwritten, and the first commit wins.

An alarm is raised by inserting its occurrence; the partial unique index on open occurrences per
``alarm_key`` makes the database refuse a second open occurrence of one alarm, so a raise that finds
one already open returns that one instead (after a restart, or when two stations race).

Functions take a ``Session`` and run inside ``Database.write`` (or ``session()`` for reads).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.alarms.lifecycle import OPEN_STATES as ALARM_STATES_OPEN
from app.alarms.views import AlarmView, TransitionView, console_rank
from models.alarms import AlarmDefinition, AlarmOccurrence, AlarmTransition
from models.site import Point
from models.users import User

NEWEST_LIMIT = 500
OPEN_STATES = sorted(ALARM_STATES_OPEN)
"""Listed by name, so the (state, raised_at) index finds the few open ones among a million."""


@dataclass(frozen=True, slots=True)
class NewAlarm:
    """What raising an alarm writes: who it is, how it looks, and the state it opens in."""

    key: str
    source: str
    category: str
    priority: str
    message: str
    state: str
    value: float | bool | None = None
    building: str | None = None
    definition_key: str | None = None
    snapshot: str | None = None


def _number(value: float | bool | None) -> float | None:
    return None if value is None else float(value)


def _point_of(occ: AlarmOccurrence) -> str | None:
    if occ.definition is not None:
        return occ.definition.point.key
    if occ.source.startswith("point:"):
        return occ.source.removeprefix("point:")
    return None


def to_view(occ: AlarmOccurrence, *, boolean: bool | None = None) -> AlarmView:
    """The view of a loaded occurrence (relationships: definition.point, acknowledged_by)."""
    definition = occ.definition
    if boolean is None:
        boolean = definition is not None and definition.point.type == "bool"
    value: float | bool | None = occ.value
    if boolean and value is not None:
        value = bool(value)
    return AlarmView(
        id=occ.id,
        key=occ.alarm_key,
        definition_key=definition.key if definition is not None else None,
        source=occ.source,
        point=_point_of(occ),
        limit=definition.limit if definition is not None else None,
        building=occ.building,
        category=occ.category,
        priority=occ.priority,
        state=occ.state,
        value=value,
        message=occ.message,
        raised_at=occ.raised_at,
        acknowledged_at=occ.acknowledged_at,
        acknowledged_by=occ.acknowledged_by.name if occ.acknowledged_by is not None else None,
        returned_at=occ.returned_at,
        shelved_until=occ.shelved_until,
        chattering=occ.chattering,
        snapshot=occ.snapshot,
    )


def _loaded() -> Any:
    return (
        selectinload(AlarmOccurrence.definition).selectinload(AlarmDefinition.point),
        selectinload(AlarmOccurrence.acknowledged_by),
    )


def get(session: Session, occurrence_id: int) -> AlarmView | None:
    query = select(AlarmOccurrence).where(AlarmOccurrence.id == occurrence_id).options(*_loaded())
    occ = session.scalar(query)
    return None if occ is None else to_view(occ)


def open_alarms(session: Session) -> list[AlarmView]:
    """Every occurrence not back to ``normal`` (shelved and out of service included), console order."""
    rows = session.scalars(
        select(AlarmOccurrence).where(AlarmOccurrence.state.in_(OPEN_STATES)).options(*_loaded())
    ).all()
    views = [to_view(o) for o in rows]
    return sorted(views, key=lambda v: console_rank(v.category, v.priority, v.raised_at))


def newest(session: Session, limit: int = NEWEST_LIMIT) -> list[AlarmView]:
    """The newest ``limit`` occurrences in any state, in console order."""
    rows = session.scalars(
        select(AlarmOccurrence).order_by(AlarmOccurrence.id.desc()).limit(limit).options(*_loaded())
    ).all()
    views = [to_view(o) for o in rows]
    return sorted(views, key=lambda v: console_rank(v.category, v.priority, v.raised_at))


def find_open(session: Session, key: str) -> AlarmView | None:
    occ = session.scalar(
        select(AlarmOccurrence)
        .where(AlarmOccurrence.alarm_key == key, AlarmOccurrence.state != "normal")
        .options(*_loaded())
    )
    return None if occ is None else to_view(occ)


def _definition_id(session: Session, key: str | None) -> int | None:
    if key is None:
        return None
    return session.scalar(select(AlarmDefinition.id).where(AlarmDefinition.key == key))


def _transition_row(
    session: Session,
    occurrence_id: int,
    from_state: str,
    to_state: str,
    at: datetime,
    by_user_id: int | None,
    note: str,
    held: bool,
) -> AlarmTransition:
    row = AlarmTransition(
        occurrence_id=occurrence_id,
        from_state=from_state,
        to_state=to_state,
        at=at,
        by_user_id=by_user_id,
        note=note,
        held=held,
    )
    session.add(row)
    session.flush()
    return row


def raise_alarm(
    session: Session,
    new: NewAlarm,
    at: datetime,
    *,
    held: bool = False,
    note: str = "",
    by_user_id: int | None = None,
    by_name: str | None = None,
) -> tuple[AlarmView, TransitionView | None]:
    """Open an occurrence in ``new.state``; if one is already open for the key, return it untouched.

    The second element is the journaled transition (None when the open one was returned).
    ``by_user_id``: the operator who opened it (shelving or taking out of service by key), else the
    system.
    """
    occ = AlarmOccurrence(
        definition_id=_definition_id(session, new.definition_key),
        source=new.source,
        alarm_key=new.key,
        building=new.building,
        state=new.state,
        priority=new.priority,
        category=new.category,
        message=new.message,
        value=_number(new.value),
        raised_at=at,
        snapshot=new.snapshot,
    )
    try:
        with session.begin_nested():
            session.add(occ)
            session.flush()
    except IntegrityError:
        existing = find_open(session, new.key)
        if existing is None:
            raise
        return existing, None
    row = _transition_row(session, occ.id, "normal", new.state, at, by_user_id, note, held)
    view = get(session, occ.id)
    assert view is not None
    return view, _transition_view(row, new.key, by_name)


def _transition_view(row: AlarmTransition, key: str, by: str | None) -> TransitionView:
    return TransitionView(
        id=row.id,
        occurrence_id=row.occurrence_id,
        key=key,
        at=row.at,
        from_state=row.from_state,
        to_state=row.to_state,
        by=by,
        note=row.note,
        held=row.held,
    )


def move(
    session: Session,
    occurrence_id: int,
    expected: str,
    to_state: str,
    at: datetime,
    *,
    by_user_id: int | None = None,
    by_name: str | None = None,
    note: str = "",
    held: bool = False,
    fields: dict[str, Any] | None = None,
) -> tuple[AlarmView, TransitionView] | None:
    """Move an occurrence from ``expected`` to ``to_state`` if it is still in ``expected``.

    ``fields`` are further columns to set in the same update (``acknowledged_at``, ``value`` ...).
    Returns None when the occurrence was no longer in ``expected`` (someone else moved it first).
    """
    values: dict[str, Any] = {"state": to_state, **(fields or {})}
    result = session.execute(
        update(AlarmOccurrence)
        .where(AlarmOccurrence.id == occurrence_id, AlarmOccurrence.state == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = _transition_row(session, occurrence_id, expected, to_state, at, by_user_id, note, held)
    session.expire_all()
    view = get(session, occurrence_id)
    assert view is not None
    return view, _transition_view(row, view.key, by_name)


def set_fields(session: Session, occurrence_id: int, **fields: Any) -> None:
    """Columns that are not a state change (chattering mark, latest value)."""
    session.execute(
        update(AlarmOccurrence)
        .where(AlarmOccurrence.id == occurrence_id)
        .values(**fields)
        .execution_options(synchronize_session=False)
    )


def transitions_after(
    session: Session, last_id: int, limit: int = 1000
) -> list[tuple[TransitionView, AlarmView]]:
    """Transitions journaled after ``last_id`` (oldest first), each with its occurrence as it is now."""
    rows = session.execute(
        select(AlarmTransition, User.name)
        .outerjoin(User, User.id == AlarmTransition.by_user_id)
        .where(AlarmTransition.id > last_id)
        .order_by(AlarmTransition.id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    ids = {t.occurrence_id for t, _ in rows}
    query = select(AlarmOccurrence).where(AlarmOccurrence.id.in_(ids)).options(*_loaded())
    occs = session.scalars(query).all()
    views = {o.id: to_view(o) for o in occs}
    out = []
    for t, name in rows:
        view = views[t.occurrence_id]
        out.append((_transition_view(t, view.key, name), view))
    return out


def last_transition_id(session: Session) -> int:
    return session.scalar(select(AlarmTransition.id).order_by(AlarmTransition.id.desc()).limit(1)) or 0


def history(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    limit: int | None = None,
    after: tuple[datetime, int] | None = None,
) -> list[TransitionView]:
    """Transitions with ``start <= at < end``, oldest first; ``after`` = the (at, id) of the last row
    of the previous page (keyset paging in the same order, so a row written late, with an earlier
    time, is never skipped between pages).
    """
    t = AlarmTransition
    query = (
        select(t, User.name, AlarmOccurrence.alarm_key)
        .join(AlarmOccurrence, AlarmOccurrence.id == t.occurrence_id)
        .outerjoin(User, User.id == t.by_user_id)
        .where(t.at >= start, t.at < end)
        .order_by(t.at, t.id)
    )
    if after is not None:
        at, last_id = after
        query = query.where(or_(t.at > at, and_(t.at == at, t.id > last_id)))
    if limit is not None:
        query = query.limit(limit)
    return [_transition_view(row, key, name) for row, name, key in session.execute(query).all()]


def occurrence_transitions(session: Session, occurrence_id: int) -> list[TransitionView]:
    rows = session.execute(
        select(AlarmTransition, User.name, AlarmOccurrence.alarm_key)
        .join(AlarmOccurrence, AlarmOccurrence.id == AlarmTransition.occurrence_id)
        .outerjoin(User, User.id == AlarmTransition.by_user_id)
        .where(AlarmTransition.occurrence_id == occurrence_id)
        .order_by(AlarmTransition.id)
    ).all()
    return [_transition_view(t, key, name) for t, name, key in rows]


def bool_points(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these point ids are contacts (their alarm values print as true/false)."""
    return set(session.scalars(select(Point.key).where(Point.key.in_(list(keys)), Point.type == "bool")))


def views_by_id(views: Sequence[AlarmView]) -> dict[int, AlarmView]:
    return {v.id: v for v in views if v.id is not None}

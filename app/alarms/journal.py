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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
    shelved_until: datetime | None = None  # an alarm opened shelved by an operator


def _number(value: float | bool | None) -> float | None:
    return None if value is None else float(value)


_O = AlarmOccurrence
_D = AlarmDefinition
_VIEW_COLUMNS = (
    _O.id,
    _O.alarm_key,
    _D.key.label("definition_key"),
    _O.source,
    Point.key.label("point_key"),
    Point.type.label("point_type"),
    _D.limit.label("limit_name"),
    _O.building,
    _O.category,
    _O.priority,
    _O.state,
    _O.value,
    _O.message,
    _O.raised_at,
    _O.acknowledged_at,
    User.name.label("acknowledged_by"),
    _O.returned_at,
    _O.shelved_until,
    _O.chattering,
    _O.snapshot,
)


def _view_query() -> Any:
    """One joined select of every field a view needs: a single round trip however many rows."""
    return (
        select(*_VIEW_COLUMNS)
        .outerjoin(_D, _D.id == _O.definition_id)
        .outerjoin(Point, Point.id == _D.point_id)
        .outerjoin(User, User.id == _O.acknowledged_by_id)
    )


def _row_view(row: Any) -> AlarmView:
    value: float | bool | None = row.value
    if row.point_type == "bool" and value is not None:
        value = bool(value)
    point = row.point_key
    if point is None and row.source.startswith("point:"):
        point = row.source.removeprefix("point:")
    return AlarmView(
        id=row.id,
        key=row.alarm_key,
        definition_key=row.definition_key,
        source=row.source,
        point=point,
        limit=row.limit_name,
        building=row.building,
        category=row.category,
        priority=row.priority,
        state=row.state,
        value=value,
        message=row.message,
        raised_at=row.raised_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        returned_at=row.returned_at,
        shelved_until=row.shelved_until,
        chattering=row.chattering,
        snapshot=row.snapshot,
    )


def _views(session: Session, query: Any) -> list[AlarmView]:
    return [_row_view(row) for row in session.connection().execute(query).all()]


def get(session: Session, occurrence_id: int) -> AlarmView | None:
    views = _views(session, _view_query().where(_O.id == occurrence_id))
    return views[0] if views else None


def open_alarms(session: Session) -> list[AlarmView]:
    """Every occurrence not back to ``normal`` (shelved and out of service included), console order."""
    views = _views(session, _view_query().where(_O.state.in_(OPEN_STATES)))
    return sorted(views, key=lambda v: console_rank(v.category, v.priority, v.raised_at))


def newest(session: Session, limit: int = NEWEST_LIMIT) -> list[AlarmView]:
    """The newest ``limit`` occurrences in any state, in console order."""
    views = _views(session, _view_query().order_by(_O.id.desc()).limit(limit))
    return sorted(views, key=lambda v: console_rank(v.category, v.priority, v.raised_at))


def find_open(session: Session, key: str) -> AlarmView | None:
    views = _views(session, _view_query().where(_O.alarm_key == key, _O.state != "normal"))
    return views[0] if views else None


def definition_ids(session: Session) -> dict[str, int]:
    """Every alarm definition's id by its key (the engine reads them once, not per raise)."""
    return {key: id_ for key, id_ in session.execute(select(_D.key, _D.id)).all()}


def definition_id(session: Session, key: str | None) -> int | None:
    if key is None:
        return None
    return session.scalar(select(AlarmDefinition.id).where(AlarmDefinition.key == key))


def insert_transition(
    session: Session,
    occurrence_id: int,
    from_state: str,
    to_state: str,
    at: datetime,
    *,
    by_user_id: int | None = None,
    note: str = "",
    held: bool = False,
) -> int:
    """One journal row for a state change; returns its id."""
    return int(
        session.execute(
            insert(AlarmTransition)
            .values(
                occurrence_id=occurrence_id,
                from_state=from_state,
                to_state=to_state,
                at=at,
                by_user_id=by_user_id,
                note=note,
                held=held,
            )
            .returning(AlarmTransition.id)
        ).scalar_one()
    )


def insert_transitions(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Many journal rows in one statement (a batch of the engine); their ids, in the rows' order."""
    if not rows:
        return []
    result = session.execute(
        insert(AlarmTransition).returning(AlarmTransition.id, sort_by_parameter_order=True), rows
    )
    return [int(tid) for tid in result.scalars().all()]


def insert_occurrence(
    session: Session,
    new: NewAlarm,
    at: datetime,
    definition_id: int | None,
    *,
    chattering: bool = False,
    savepoint: bool = True,
) -> int | None:
    """Open an occurrence in ``new.state``; None when one is already open for the key.

    The database's partial unique index decides. With ``savepoint`` a refusal leaves the caller's
    transaction usable; without it (a writer that knows no occurrence is open, and retries with
    savepoints if it was wrong) the insert costs two statements less.
    """
    statement = (
        insert(AlarmOccurrence)
        .values(
            definition_id=definition_id,
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
            shelved_until=new.shelved_until,
            chattering=chattering,
        )
        .returning(AlarmOccurrence.id)
    )
    if not savepoint:
        return int(session.execute(statement).scalar_one())
    try:
        with session.begin_nested():
            return int(session.execute(statement).scalar_one())
    except IntegrityError:
        if find_open(session, new.key) is None:
            raise  # not the one-open-occurrence rule: a real error
        return None


def update_state(
    session: Session, occurrence_id: int, expected: str, to_state: str, fields: dict[str, Any] | None = None
) -> bool:
    """The conditional update itself: True if the occurrence was still in ``expected``."""
    result = session.execute(
        update(AlarmOccurrence)
        .where(AlarmOccurrence.id == occurrence_id, AlarmOccurrence.state == expected)
        .values(state=to_state, **(fields or {}))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


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
    occ_id = insert_occurrence(session, new, at, definition_id(session, new.definition_key))
    if occ_id is None:
        existing = find_open(session, new.key)
        assert existing is not None
        return existing, None
    tid = insert_transition(
        session, occ_id, "normal", new.state, at, by_user_id=by_user_id, note=note, held=held
    )
    view = get(session, occ_id)
    assert view is not None
    transition = TransitionView(tid, occ_id, new.key, at, "normal", new.state, by_name, note, held)
    return view, transition


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
    if not update_state(session, occurrence_id, expected, to_state, fields):
        return None
    tid = insert_transition(
        session, occurrence_id, expected, to_state, at, by_user_id=by_user_id, note=note, held=held
    )
    view = get(session, occurrence_id)
    assert view is not None
    return view, TransitionView(tid, occurrence_id, view.key, at, expected, to_state, by_name, note, held)


_T = AlarmTransition
_TRANSITION_COLUMNS = (
    _T.id,
    _T.occurrence_id,
    _O.alarm_key,
    _T.at,
    _T.from_state,
    _T.to_state,
    User.name.label("by_name"),
    _T.note,
    _T.held,
)


def _transition_query() -> Any:
    return (
        select(*_TRANSITION_COLUMNS)
        .join(_O, _O.id == _T.occurrence_id)
        .outerjoin(User, User.id == _T.by_user_id)
    )


def _row_transition(row: Any) -> TransitionView:
    # Positional, in _TRANSITION_COLUMNS' order: a Row's attribute lookup by name costs more than
    # the rest of building the view (it showed in the 1M-row benchmark's history page).
    return TransitionView(*row)


def _rows(session: Session, query: Any) -> Any:
    """Rows of a Core select on the session's connection (no ORM result processing)."""
    return session.connection().execute(query).all()


def transitions_after(
    session: Session, last_id: int, limit: int = 1000
) -> list[tuple[TransitionView, AlarmView]]:
    """Transitions journaled after ``last_id`` (oldest first), each with its occurrence as it is now."""
    rows = _rows(session, _transition_query().where(_T.id > last_id).order_by(_T.id).limit(limit))
    if not rows:
        return []
    ids = {r.occurrence_id for r in rows}
    views = {v.id: v for v in _views(session, _view_query().where(_O.id.in_(ids)))}
    return [(_row_transition(r), views[r.occurrence_id]) for r in rows]


def last_transition_id(session: Session) -> int:
    return session.scalar(select(AlarmTransition.id).order_by(AlarmTransition.id.desc()).limit(1)) or 0


def after_key(at_column: Any, id_column: Any, after: tuple[datetime, int]) -> Any:
    """The keyset condition "after (at, id)" for pages ordered by (at, id)."""
    at, last_id = after
    return or_(at_column > at, and_(at_column == at, id_column > last_id))


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
    query = _transition_query().where(_T.at >= start, _T.at < end).order_by(_T.at, _T.id)
    if after is not None:
        query = query.where(after_key(_T.at, _T.id, after))
    if limit is not None:
        query = query.limit(limit)
    return [_row_transition(r) for r in _rows(session, query)]


def occurrence_transitions(session: Session, occurrence_id: int) -> list[TransitionView]:
    query = _transition_query().where(_T.occurrence_id == occurrence_id).order_by(_T.id)
    return [_row_transition(r) for r in _rows(session, query)]

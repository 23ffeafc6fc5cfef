"""GB 25506 capacity: the journal pages through 10,000 alarm rows and 10,000 operator-action rows.

A real SQLite journal gets 10,000 transitions over 2,000 occurrences and 10,000 operator actions,
written in bulk (Core executemany) in an order that is not their time order, three rows to each
timestamp so that a page boundary falls between rows of the same time, plus rows just outside the
range. Paging with ``journal.history`` and ``queries.actions_history`` at 500 a page (as the
console's History tab does) must return every row of the range exactly once, in (at, id) order.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.alarms import journal, queries
from app.storage.database import Database
from models.alarms import AlarmOccurrence, AlarmTransition, OperatorAction
from models.users import User
from tests.app.alarm_support import open_db

ROWS = 10_000
OCCURRENCES = 2_000
PAGE = 500
SAME_TIME = 3  # rows to a timestamp: 500 is not a multiple of 3, so boundaries split a group
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
END = START + timedelta(seconds=ROWS // SAME_TIME + 1)
STATES = [("normal", "unacknowledged"), ("unacknowledged", "acknowledged"), ("acknowledged", "normal")]


def _times(seed: int) -> list[datetime]:
    """ROWS timestamps inside [START, END), SAME_TIME to each, shuffled (ids do not follow time)."""
    times = [START + timedelta(seconds=i // SAME_TIME) for i in range(ROWS)]
    random.Random(seed).shuffle(times)
    return times


def _outside() -> list[datetime]:
    return [START - timedelta(microseconds=1), END, END + timedelta(hours=1)]


def _fill(session: Session) -> None:
    conn = session.connection()
    conn.execute(
        insert(User),
        [
            {"id": 1, "name": "sam", "role": "duty-officer", "password_hash": "x"},
            {"id": 2, "name": "lee", "role": "supervisor", "password_hash": "x"},
        ],
    )
    conn.execute(
        insert(AlarmOccurrence),
        [
            {
                "id": n + 1,
                "source": f"point:p{n}",
                "alarm_key": f"p{n}/high",
                "state": "normal",
                "priority": "high",
                "category": "supervisory",
                "message": f"Point {n} high",
                "raised_at": START,
            }
            for n in range(OCCURRENCES)
        ],
    )
    transitions = [
        {
            "occurrence_id": i % OCCURRENCES + 1,
            "at": at,
            "from_state": STATES[i % 3][0],
            "to_state": STATES[i % 3][1],
            "by_user_id": (1 if i % 2 else None),
            "note": f"t{i}",
        }
        for i, at in enumerate(_times(1) + _outside())
    ]
    conn.execute(insert(AlarmTransition), transitions)
    actions = [
        {
            "at": at,
            "user_id": (i % 2) + 1,
            "position": f"console-{i % 4}",
            "action": ("ack", "note", "shelve", "silence")[i % 4],
            "target": f"p{i % OCCURRENCES}/high",
            "occurrence_id": (None if i % 4 == 3 else i % OCCURRENCES + 1),
            "details": json.dumps({"text": f"a{i}"} if i % 4 == 1 else {"reason": f"a{i}", "minutes": 30}),
        }
        for i, at in enumerate(_times(2) + _outside())
    ]
    conn.execute(insert(OperatorAction), actions)


def _page_all(
    db: Database,
    read: Callable[..., Sequence[Any]],
) -> list[Any]:
    seen: list[Any] = []
    after: tuple[datetime, int] | None = None
    pages = 0
    while True:
        with db.session() as session:
            page = read(session, START, END, limit=PAGE, after=after)
        pages += 1
        seen.extend(page)
        if len(page) < PAGE:
            break
        last = page[-1]
        after = (last.at, last.id)
    assert pages == ROWS // PAGE + 1, pages  # the 21st page is the empty one that ends the range
    return seen


def _check(rows: list[Any]) -> None:
    keys = [(r.at, r.id) for r in rows]
    assert len(rows) == ROWS, len(rows)
    assert len({r.id for r in rows}) == ROWS, "every row exactly once"
    assert keys == sorted(keys), "in (at, id) order"
    assert all(START <= r.at < END for r in rows), "only the range"
    boundary = [i for i in range(PAGE, ROWS, PAGE) if rows[i - 1].at == rows[i].at]
    assert boundary, "some page boundary falls between rows of the same time"


def test_the_journal_pages_through_ten_thousand_of_each(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    try:
        began = time.monotonic()
        db.write(_fill)

        transitions = _page_all(db, journal.history)
        _check(transitions)
        assert {t.key for t in transitions} == {f"p{n}/high" for n in range(OCCURRENCES)}
        assert {t.by for t in transitions} == {"sam", None}

        actions = _page_all(db, queries.actions_history)
        _check(actions)
        first = actions[0]
        assert isinstance(first, queries.ActionRow)
        assert {a.user for a in actions} == {"sam", "lee"}
        assert {a.details for a in actions} == {f"a{i}" for i in range(ROWS)}, "the note or reason"
        assert sum(a.occurrence_id is None for a in actions) == ROWS // 4
        assert time.monotonic() - began < 30, "paging 2 x 10,000 rows stays quick"
    finally:
        db.close()

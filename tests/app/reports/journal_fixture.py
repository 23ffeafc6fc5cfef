"""A journal of N alarm transitions written fast (bulk Core inserts), for the journal report's test
and benchmark: occurrences of the test site's alarms, each raised, acknowledged, returned and cleared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from app.storage.database import Database
from models.alarms import AlarmDefinition, AlarmOccurrence, AlarmTransition

START = datetime(2026, 11, 1, tzinfo=UTC)
MOVES = (
    ("normal", "unacknowledged"),
    ("unacknowledged", "acknowledged"),
    ("acknowledged", "normal"),
    ("normal", "normal"),
)


def fill_journal(db: Database, transitions: int, start: datetime = START) -> tuple[datetime, datetime]:
    """Write ``transitions`` transitions (4 per occurrence), one a second from ``start``; returns the
    period that covers them."""
    occurrences = (transitions + len(MOVES) - 1) // len(MOVES)

    def write(session: object) -> None:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        defs = session.execute(
            select(
                AlarmDefinition.id, AlarmDefinition.key, AlarmDefinition.category, AlarmDefinition.priority
            )
        ).all()
        occ_rows: list[dict[str, object]] = []
        tr_rows: list[dict[str, object]] = []
        t = 0
        for n in range(occurrences):
            def_id, key, category, priority = defs[n % len(defs)]
            raised = start + timedelta(seconds=t)
            occ_rows.append(
                {
                    "id": n + 1,
                    "definition_id": def_id,
                    "source": f"point:{key.split('/')[0]}",
                    "alarm_key": key,
                    "building": "B3",
                    "state": "normal",
                    "priority": priority,
                    "category": category,
                    "message": f"{key} drill {n}",
                    "raised_at": raised,
                    "cleared_at": raised + timedelta(seconds=3),
                    "chattering": False,
                }
            )
            for from_state, to_state in MOVES:
                if len(tr_rows) >= transitions:
                    break
                tr_rows.append(
                    {
                        "occurrence_id": n + 1,
                        "from_state": from_state,
                        "to_state": to_state,
                        "at": start + timedelta(seconds=t),
                        "note": "",
                        "held": False,
                    }
                )
                t += 1
        for i in range(0, len(occ_rows), 2000):
            session.execute(insert(AlarmOccurrence), occ_rows[i : i + 2000])
        for i in range(0, len(tr_rows), 5000):
            session.execute(insert(AlarmTransition), tr_rows[i : i + 5000])

    db.write(write, timeout_s=300)
    return start, start + timedelta(seconds=transitions + 1)

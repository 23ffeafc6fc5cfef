"""The database as the bus between processes: wake-ups (NOTIFY) and ordered writes.

The tables are the truth; a NOTIFY only tells PostgreSQL listeners to read them now, and is delivered
when the writing transaction commits (never for one rolled back). A reader asks for rows "newer than
the last it saw" by id; on PostgreSQL ids are handed out before commit, so two writers could commit
out of id order and a reader would skip the later-committing lower id. Writers of such a table take
:func:`serialize` first, which makes their commits follow their ids. SQLite writes are serialized by
the database itself.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

CHANNEL = "wardroom"
"""The one NOTIFY channel; the payload names what changed: ``live``, ``alarms``, ``requests``."""

JOURNAL_LOCK = 0x57415244_0001  # "WARD" + 1: writers of alarm transitions


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def notify(session: Session, what: str) -> None:
    """Wake the listeners when this transaction commits (PostgreSQL; SQLite readers poll)."""
    if is_postgres(session):
        session.execute(text("SELECT pg_notify(:channel, :what)"), {"channel": CHANNEL, "what": what})


def serialize(session: Session, lock: int = JOURNAL_LOCK) -> None:
    """Hold ``lock`` until this transaction ends (PostgreSQL): call it before taking any row lock."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})

"""One clock for times that several machines compare (heartbeats, lease expiry, request deadlines).

With PostgreSQL the server's clock is used, so a workstation whose own clock drifts cannot make a
live station look silent or execute a request past its deadline. SQLite is only ever shared by
processes on one machine, whose clock is the same for all of them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.events import utcnow
from app.storage.bus import is_postgres


def db_now(session: Session) -> datetime:
    """The current time as the database sees it (aware UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
        return value.astimezone(UTC)  # type: ignore[no-any-return, unused-ignore]
    return utcnow()


def age_ms(now: datetime, then: datetime | None) -> int | None:
    if then is None:
        return None
    return max(0, round((now - then).total_seconds() * 1000))


__all__ = ["age_ms", "datetime", "db_now", "is_postgres"]

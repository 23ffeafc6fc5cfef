"""Users of Wardroom and their roles.

Passwords are argon2id hashes (``app.auth.users`` hashes and verifies; the table only stores). A user is
disabled rather than deleted: alarm transitions, notes and operator actions keep pointing at them.
``failed_attempts`` and ``locked_until`` implement the lock after repeated wrong passwords.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, one_of, utcnow

ROLES: tuple[str, ...] = ("duty-officer", "supervisor", "records-clerk", "administrator")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())

"""The declarative base shared by every table, and the column types they have in common.

Why a naming convention: Alembic can only drop or alter a constraint it can name, and SQLite and
PostgreSQL invent different names for anonymous ones. Naming every constraint the same way on both
back-ends keeps migrations portable and autogenerate diffs empty.

Why ``UTCDateTime``: SQLite has no time-zone-aware timestamp type and silently drops ``tzinfo``,
while PostgreSQL's ``timestamptz`` converts to the session time zone. Storing UTC everywhere and
handing back aware UTC datetimes means the same code compares times correctly on both back-ends
(and a naive datetime, which is always a bug here, is refused at write time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Dialect, MetaData, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only kind stored)."""
    return datetime.now(UTC)


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A check constraint named after ``column`` that keeps it within ``values``.

    Plain strings with a CHECK rather than ``sa.Enum``: PostgreSQL enum types need their own
    migrations to gain a value, a CHECK is just re-created.
    """
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned time-zone aware (UTC).

    PostgreSQL gets ``timestamp with time zone``; SQLite gets its text timestamp holding UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a naive datetime cannot be stored (give it a time zone): {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite's DATETIME text drops the offset anyway; make the stored text plainly UTC.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers always give datetimes
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every Wardroom table; its metadata is what Alembic compares against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


KEY_LENGTH = 200
"""Longest id a site file may give a building, PLC, point, camera or alarm definition."""


class SyncedMixin:
    """Columns every site-file-synced table has: the file's id and a retired flag."""

    @declared_attr
    def key(cls) -> Mapped[str]:
        return mapped_column(String(KEY_LENGTH), unique=True, doc="the id in the site file")

    @declared_attr
    def retired(cls) -> Mapped[bool]:
        return mapped_column(
            default=False, server_default=false(), doc="no longer in the site file; kept for history"
        )

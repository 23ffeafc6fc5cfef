"""Several workstations on one site: who runs, who owns which device, the live values, the requests.

These tables are the bus between processes (``app.fleet``): the tables are the truth, a PostgreSQL
NOTIFY only wakes the readers, and with SQLite the readers poll them.

- ``stations``: one row per station name, with its heartbeat. A station that stops heartbeating is
  *silent*; one that stopped cleanly has ``stopped_at``.
- ``leases``: one row per *connection* (a TCP endpoint, a serial port, a simulator, a camera), held
  by one station and renewed with its heartbeat; an expired lease may be taken over. Its ``members``
  (JSON list of ``plc:<id>`` / ``camera:<id>``) are the devices behind that connection.
- ``live_points`` / ``live_links``: the latest value, quality and age of every point and the link
  state of every PLC and camera, written by the owning station. ``seq`` comes from the single row of
  ``bus_counters``, taken in the writing transaction: its row lock orders the writers, so a reader
  asking for ``seq > last`` never skips a row that commits late.
- ``device_requests``: what only a device's owner may do (a plant write, a drill), asked by a console
  or the CLI and executed by the owner before its ``deadline`` or never.

Times that compare across machines (heartbeats, deadlines) are written with the database's clock
where the database has one (``app.fleet.clock``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Double, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import KEY_LENGTH, Base, UTCDateTime, one_of

LEASE_KEY_LENGTH = 300
REQUEST_STATUSES: tuple[str, ...] = ("pending", "running", "done", "refused", "failed", "expired")
REQUEST_KINDS: tuple[str, ...] = ("point.write", "drill.trip", "drill.restore")
LIVE_COUNTER = "live"
"""The ``bus_counters`` row that numbers ``live_points`` and ``live_links`` changes."""


class StationRow(Base):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    standby: Mapped[bool] = mapped_column(default=False, server_default=false())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    site_sha256: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="", doc="what it says of itself (idle, waiting ...)")


class Lease(Base):
    __tablename__ = "leases"

    key: Mapped[str] = mapped_column(String(LEASE_KEY_LENGTH), primary_key=True)
    members: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of plc:<id> / camera:<id>")
    station: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    endpoint: Mapped[str] = mapped_column(Text, default="", doc="where the owner really connects")


class BusCounter(Base):
    __tablename__ = "bus_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class LivePoint(Base):
    __tablename__ = "live_points"

    point: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    plc: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[float | None] = mapped_column(Double)
    is_bool: Mapped[bool] = mapped_column(default=False, server_default=false())
    quality: Mapped[str] = mapped_column(String(16))
    last_good_at: Mapped[float | None] = mapped_column(Double, doc="station's wall clock, epoch seconds")
    error: Mapped[str] = mapped_column(Text, default="")
    station: Mapped[str] = mapped_column(String(KEY_LENGTH))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class LiveLink(Base):
    __tablename__ = "live_links"

    key: Mapped[str] = mapped_column(String(LEASE_KEY_LENGTH), primary_key=True, doc="plc:<id> / camera:<id>")
    kind: Mapped[str] = mapped_column(String(10))
    device: Mapped[str] = mapped_column(String(KEY_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    endpoint: Mapped[str] = mapped_column(Text, default="")
    station: Mapped[str] = mapped_column(String(KEY_LENGTH))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[float | None] = mapped_column(Double, doc="last good contact, epoch seconds")
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class DeviceRequest(Base):
    __tablename__ = "device_requests"
    __table_args__ = (
        one_of("status", REQUEST_STATUSES),
        one_of("kind", REQUEST_KINDS),
        Index("ix_device_requests_status_lease", "status", "lease"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(KEY_LENGTH), doc="the point id")
    lease: Mapped[str] = mapped_column(String(LEASE_KEY_LENGTH), doc="the connection that must do it")
    value: Mapped[str] = mapped_column(Text, default="null", doc="JSON")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    user_name: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(255), default="", doc="which console or CLI asked")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default=text("'pending'"))
    reason: Mapped[str] = mapped_column(Text, default="")
    station: Mapped[str] = mapped_column(String(KEY_LENGTH), default="", doc="who executed or refused it")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

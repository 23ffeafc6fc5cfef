"""The site's configuration tables: buildings, floors, zones, cameras, PLCs and points.

The site file is the source of truth for these rows (``app.site.sync`` writes them on every start).
Each synced table carries the file's id as ``key`` (unique per table) next to an integer primary
key, so history tables can reference a row cheaply and a renamed label does not break the link. A row
that leaves the file is marked ``retired`` instead of being deleted: alarms, incidents and operator
actions recorded against it must keep pointing at something real.

On-delete rules: a parent that history hangs off (a PLC under its points, a point under its alarm
definitions) is ``RESTRICT``, so nothing is lost by accident; an optional placement (a point's
building, a camera's building) is ``SET NULL``; a part that only exists inside its owner (a camera's
detection zones) is ``CASCADE``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Double, ForeignKey, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, SyncedMixin, UTCDateTime

if TYPE_CHECKING:
    from models.alarms import AlarmDefinition

SITE_KEY = "site"
"""A database serves one site: its single ``sites`` row always has this key."""


class Site(SyncedMixin, Base):
    """The site itself, with the file it was last synced from (path and SHA-256)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(Text, default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The file itself, so a console or station holding a different file can show the one in force.
    source_text: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The site file's [security] table, so commands run without the file log in by the same rules.
    lockout_attempts: Mapped[int] = mapped_column(Integer, default=5, server_default=text("5"))
    lockout_minutes: Mapped[float] = mapped_column(Double, default=15.0, server_default=text("15"))
    # The site file's [alarms] table, so the alarm commands apply the same limits without the file.
    video_lost_s: Mapped[float] = mapped_column(Double, default=30.0, server_default=text("30"))
    shelve_max_h: Mapped[float] = mapped_column(Double, default=8.0, server_default=text("8"))
    flood_per_10min: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))
    # The site file's [records] table as JSON (extra tags, working age, visit interval), so the
    # records commands apply the same rules without the file.
    records_settings: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")

    buildings: Mapped[list[Building]] = relationship(back_populates="site")


class Building(SyncedMixin, Base):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    site: Mapped[Site] = relationship(back_populates="buildings")
    floors: Mapped[list[Floor]] = relationship(back_populates="building")


class Floor(SyncedMixin, Base):
    """A floor of a building, with its plan image for the map page (a later issue fills it)."""

    __tablename__ = "floors"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer, default=0)
    plan_image: Mapped[str | None] = mapped_column(Text)

    building: Mapped[Building] = relationship(back_populates="floors")
    zones: Mapped[list[Zone]] = relationship(back_populates="floor")


class Zone(SyncedMixin, Base):
    """A physical area of the site (a fire zone, a courtyard) that points and cameras belong to."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"), index=True
    )
    floor_id: Mapped[int | None] = mapped_column(ForeignKey("floors.id", ondelete="SET NULL"), index=True)

    building: Mapped[Building | None] = relationship()
    floor: Mapped[Floor | None] = relationship(back_populates="zones")


class Plc(SyncedMixin, Base):
    """A PLC or fire panel as the site file describes it (connection settings only)."""

    __tablename__ = "plcs"

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol: Mapped[str] = mapped_column(String(20))
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    serial_port: Mapped[str | None] = mapped_column(String(255))
    baudrate: Mapped[int] = mapped_column(Integer, default=9600)
    parity: Mapped[str] = mapped_column(String(1), default="N")
    unit: Mapped[int] = mapped_column(Integer, default=1)
    rack: Mapped[int] = mapped_column(Integer, default=0)
    slot: Mapped[int] = mapped_column(Integer, default=1)
    poll_ms: Mapped[int] = mapped_column(Integer, default=1000)
    timeout_ms: Mapped[int] = mapped_column(Integer, default=1000)
    word_order: Mapped[str] = mapped_column(String(10), default="big")
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false())

    points: Mapped[list[Point]] = relationship(back_populates="plc")


class Point(SyncedMixin, Base):
    """One value read from a PLC, with its scaling and its place in the site."""

    __tablename__ = "points"

    id: Mapped[int] = mapped_column(primary_key=True)
    plc_id: Mapped[int] = mapped_column(ForeignKey("plcs.id", ondelete="RESTRICT"), index=True)
    address: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    scale: Mapped[float] = mapped_column(Double, default=1.0)
    offset: Mapped[float] = mapped_column(Double, default=0.0)
    unit: Mapped[str] = mapped_column(String(32), default="")
    range_min: Mapped[float | None] = mapped_column(Double)
    range_max: Mapped[float | None] = mapped_column(Double)
    value_deadband: Mapped[float] = mapped_column(Double, default=0.0)
    writable: Mapped[bool] = mapped_column(default=False, server_default=false())
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"), index=True
    )
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)

    plc: Mapped[Plc] = relationship(back_populates="points")
    building: Mapped[Building | None] = relationship()
    zone: Mapped[Zone | None] = relationship()
    alarm_definitions: Mapped[list[AlarmDefinition]] = relationship(back_populates="point")


class Camera(SyncedMixin, Base):
    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    substream_url: Mapped[str | None] = mapped_column(Text)
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"), index=True
    )
    detect: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of detector classes")
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false())
    media: Mapped[str | None] = mapped_column(Text)
    detect_fps: Mapped[float] = mapped_column(Double, default=5.0, server_default=text("5"))

    building: Mapped[Building | None] = relationship()
    zones: Mapped[list[CameraZone]] = relationship(
        back_populates="camera", cascade="all, delete-orphan", passive_deletes=True
    )


class CameraZone(SyncedMixin, Base):
    """A rule polygon drawn on one camera's image; its key is ``"<camera id>/<zone name>"``."""

    __tablename__ = "camera_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    polygon: Mapped[str] = mapped_column(Text, doc="JSON list of [x, y] in the unit square")
    rule: Mapped[str] = mapped_column(String(32))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    # The rule's own keys as the site file wrote them (NULL: left out, the rule's default applies).
    line: Mapped[str | None] = mapped_column(Text, doc="line-crossing: JSON [[x, y], [x, y]], unit square")
    direction: Mapped[str | None] = mapped_column(String(8), doc="line-crossing: in, out or both")
    dwell_s: Mapped[float | None] = mapped_column(Double)
    schedule: Mapped[str | None] = mapped_column(String(32), doc='"HH:MM-HH:MM" in the site time zone')
    priority: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(16))
    alarm: Mapped[bool | None] = mapped_column()

    camera: Mapped[Camera] = relationship(back_populates="zones")
    zone: Mapped[Zone | None] = relationship()

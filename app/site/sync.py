"""Sync the site file into the site tables, and audit that it happened.

The site file is the source of truth for configuration; the database holds what happens at run time
and must be able to point at the configuration it happened under. So on every start the file's
records are upserted by their id (the ``key`` column), rows whose id left the file are *retired*
rather than deleted (alarms and incidents may reference them; a returning id is simply un-retired),
and one ``site.sync`` audit row records which file (path and SHA-256) the station ran with, even when
nothing changed: the audit log then shows the configuration in force at any time. The file's text is
kept in the ``sites`` row too, so a console or station holding a different file can show the one in
force (``app.fleet.siteagree``) without access to the machine it was synced from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.storage import bus
from app.storage.database import Database
from models.alarms import AlarmDefinition
from models.base import Base, utcnow
from models.site import SITE_KEY, Building, Camera, CameraZone, Plc, Point, Site

if TYPE_CHECKING:
    from app.site.loader import LoadedSite
    from app.site.schema import SiteFile

_Row = TypeVar("_Row", bound=Base)


@dataclass(frozen=True)
class SyncResult:
    """What one sync did, per table name: rows created, changed and retired."""

    path: str
    sha256: str
    changed: bool
    """True when the file's SHA-256 differs from the one synced last time (or on the first sync)."""
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    retired: dict[str, int] = field(default_factory=dict)
    audit_id: int = 0

    @property
    def summary(self) -> str:
        def fmt(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {table}" for table, n in sorted(counts.items())) or "nothing"

        return (
            f"site synced from {self.path} (sha256 {self.sha256[:12]}): created {fmt(self.created)}; "
            f"updated {fmt(self.updated)}; retired {fmt(self.retired)}"
        )


class _Counts:
    def __init__(self) -> None:
        self.created: dict[str, int] = {}
        self.updated: dict[str, int] = {}
        self.retired: dict[str, int] = {}

    @staticmethod
    def bump(counts: dict[str, int], table: str) -> None:
        counts[table] = counts.get(table, 0) + 1


def sync_site(db: Database, loaded: LoadedSite, actor: str = "system") -> SyncResult:
    """Bring the site tables in line with ``loaded`` in one transaction, audited as ``site.sync``."""
    return db.write(lambda session: _sync(session, loaded, actor))


SYNC_LOCK = 0x57415244_0002  # "WARD" + 2: one site sync at a time (several stations start together)


def _sync(session: Session, loaded: LoadedSite, actor: str) -> SyncResult:
    # Two stations starting at once on a new database would both insert the site row; the second
    # waits here and then finds it (SQLite's BEGIN IMMEDIATE serializes the syncs already).
    bus.serialize(session, SYNC_LOCK)
    site_file: SiteFile = loaded.site
    path = str(loaded.path)
    counts = _Counts()
    previous_sha = session.scalar(select(Site.source_sha256).where(Site.key == SITE_KEY))

    sites = _sync_rows(
        session,
        Site,
        {
            SITE_KEY: {
                "name": site_file.site.name,
                "timezone": site_file.site.timezone,
                "source_path": path,
                "source_sha256": loaded.sha256,
                "source_text": loaded.text,
                "lockout_attempts": site_file.security.lockout_attempts,
                "lockout_minutes": site_file.security.lockout_minutes,
                "video_lost_s": site_file.alarms.video_lost_s,
                "shelve_max_h": site_file.alarms.shelve_max_h,
                "flood_per_10min": site_file.alarms.flood_per_10min,
                "records_settings": json.dumps(site_file.records.model_dump(mode="json"), sort_keys=True),
            }
        },
        counts,
    )
    site = sites[SITE_KEY]
    site.synced_at = utcnow()

    buildings = _sync_rows(
        session,
        Building,
        {b.id: {"name": b.name, "site_id": site.id} for b in site_file.building},
        counts,
    )

    def building_id(key: str | None) -> int | None:
        row = buildings.get(key) if key else None
        return row.id if row is not None else None

    plcs = _sync_rows(
        session,
        Plc,
        {
            p.id: {
                "protocol": p.protocol,
                "host": p.host,
                "port": p.port,
                "serial_port": p.serial_port,
                "baudrate": p.baudrate,
                "parity": p.parity,
                "unit": p.unit,
                "rack": p.rack,
                "slot": p.slot,
                "poll_ms": p.poll_ms,
                "timeout_ms": p.timeout_ms,
                "word_order": p.word_order,
                "simulated": p.simulated,
            }
            for p in site_file.plc
        },
        counts,
    )
    points = _sync_rows(
        session,
        Point,
        {
            p.id: {
                "plc_id": _ref(plcs, p.plc, f"point {p.id!r} refers to PLC").id,
                "address": p.address,
                "type": p.type,
                "kind": p.kind,
                "scale": p.scale,
                "offset": p.offset,
                "unit": p.unit,
                "range_min": p.range[0] if p.range else None,
                "range_max": p.range[1] if p.range else None,
                "value_deadband": p.value_deadband,
                "writable": p.writable,
                "building_id": building_id(p.building),
            }
            for p in site_file.point
        },
        counts,
    )
    definitions: dict[str, dict[str, Any]] = {}
    for p in site_file.point:
        for limit in p.alarms:
            key = _unique(f"{p.id}/{limit.limit}", definitions)
            definitions[key] = {
                "point_id": points[p.id].id,
                "limit": limit.limit,
                "value": limit.value,
                "priority": limit.priority,
                "category": limit.category,
                "delay_s": limit.delay_s,
                "deadband": limit.deadband,
                "off_delay_s": limit.off_delay_s,
                "latch": limit.latch,
                "realarm_min": limit.realarm_min,
                "message": limit.message,
                "suppress_when": limit.suppress_when,
            }
    _sync_rows(session, AlarmDefinition, definitions, counts)

    cameras = _sync_rows(
        session,
        Camera,
        {
            c.id: {
                "name": c.display_name,
                "url": c.url,
                "substream_url": c.substream_url,
                "building_id": building_id(c.building),
                "detect": json.dumps(list(c.detect)),
                "simulated": c.simulated,
                "media": c.media,
                "detect_fps": c.detect_fps,
            }
            for c in site_file.camera
        },
        counts,
    )
    zones: dict[str, dict[str, Any]] = {}
    for c in site_file.camera:
        for zone in c.zones:
            key = _unique(f"{c.id}/{zone.name}", zones)
            zones[key] = {
                "camera_id": cameras[c.id].id,
                "name": zone.name,
                "polygon": json.dumps([list(pt) for pt in zone.polygon]),
                "rule": zone.rule,
                "line": json.dumps([list(pt) for pt in zone.line]) if zone.line is not None else None,
                "direction": zone.direction if zone.rule == "line-crossing" else None,
                "dwell_s": zone.dwell_s if "dwell_s" in zone.model_fields_set else None,
                "schedule": zone.schedule,
                "priority": zone.priority,
                "category": zone.category,
                "alarm": zone.alarm,
            }
    _sync_rows(session, CameraZone, zones, counts)

    changed = previous_sha != loaded.sha256
    details: dict[str, Any] = {
        "file": path,
        "sha256": loaded.sha256,
        "changed": changed,
        "created": counts.created,
        "updated": counts.updated,
        "retired": counts.retired,
    }
    audit_id = audit.append(session, actor, "site.sync", target=site_file.site.name, details=details)
    return SyncResult(
        path=path,
        sha256=loaded.sha256,
        changed=changed,
        created=counts.created,
        updated=counts.updated,
        retired=counts.retired,
        audit_id=audit_id,
    )


def _ref(rows: dict[str, _Row], key: str, what: str) -> _Row:
    """The row ``key`` refers to. The loader's checks make a dangling reference impossible; if one
    slips through, say plainly what is wrong rather than fail with a bare KeyError."""
    try:
        return rows[key]
    except KeyError:
        raise ValueError(f"{what} {key!r}, which is not in the site file") from None


def _unique(key: str, taken: dict[str, Any]) -> str:
    """``key``, or ``key#2``, ``key#3``... if the file repeats it (the checks normally forbid that)."""
    if key not in taken:
        return key
    n = 2
    while f"{key}#{n}" in taken:
        n += 1
    return f"{key}#{n}"


def _sync_rows(
    session: Session, model: type[_Row], wanted: dict[str, dict[str, Any]], counts: _Counts
) -> dict[str, _Row]:
    """Upsert ``wanted`` (key -> column values) into ``model``'s table and retire the rest.

    Returns every row by key (retired ones included), flushed so their ids are known.
    """
    table = model.__tablename__
    rows: dict[str, _Row] = {row.key: row for row in session.scalars(select(model))}  # type: ignore[attr-defined]
    for key, values in wanted.items():
        row = rows.get(key)
        if row is None:
            row = model(key=key, retired=False, **values)
            session.add(row)
            rows[key] = row
            counts.bump(counts.created, table)
            continue
        differs = [name for name, value in values.items() if getattr(row, name) != value]
        if differs or row.retired:  # type: ignore[attr-defined]
            for name in differs:
                setattr(row, name, values[name])
            row.retired = False  # type: ignore[attr-defined]
            counts.bump(counts.updated, table)
    for key, row in rows.items():
        if key not in wanted and not row.retired:  # type: ignore[attr-defined]
            row.retired = True  # type: ignore[attr-defined]
            counts.bump(counts.retired, table)
    session.flush()
    return rows

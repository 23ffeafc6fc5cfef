"""``wardroom stations``: which stations run on this site's database, what each owns, who is silent.

A report from the database alone (the ``stations`` and ``leases`` tables), so a technician can ask it
from any workstation without the site file and without touching a PLC: it imports neither Qt nor
OpenCV nor pymodbus. A silent station is a finding, not a failure: the command still exits 0; 1 only
when the database cannot be read.

``--site FILE`` (or ``--demo``) adds, in the text output, the devices of that site that no live
station owns, so "nobody polls the fire panel" is said, not left to be inferred.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.commands.common import (
    EXIT_STORAGE,
    DatabaseOpt,
    DemoOpt,
    JsonOpt,
    database_url,
    err,
    load_site_or_exit,
    open_db_or_exit,
    print_json,
    site_path,
)

if TYPE_CHECKING:
    from app.fleet.leases import StationInfo
    from app.storage.database import Database

stations_app = typer.Typer()


def station_row(info: StationInfo, now: datetime) -> dict[str, Any]:
    """One station as a JSON object: the issue's fields first, then what a script may also want."""
    row = info.json_row()
    row["heartbeat_at"] = info.heartbeat_at.isoformat()
    row["checked_at"] = now.isoformat()
    return row


def _when(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def state_text(info: StationInfo) -> str:
    """How the station is doing, in a duty officer's words (the column that matters most)."""
    if info.stopped_at is not None:
        return f"stopped at {_when(info.stopped_at)}"
    if info.silent():
        quiet = f"{info.heartbeat_age_ms / 1000:.0f} s without a heartbeat"
        return f"SILENT since {_when(info.heartbeat_at)} ({quiet})"
    role = "standby" if info.standby else "running"
    return f"{role}, heartbeat {info.heartbeat_age_ms / 1000:.1f} s ago"


def station_line(info: StationInfo) -> str:
    owns = ", ".join(info.owns) if info.owns else ("nothing" if info.stopped_at is None else "-")
    where = f"{info.host} pid {info.pid}"
    note = f"  ({info.note})" if info.note and info.note != "stopped" and info.stopped_at is None else ""
    return f"{info.name:<20} {where:<28} {state_text(info)}; owns {owns}{note}"


def _unowned(devices: list[str], found: list[StationInfo]) -> list[str]:
    """The site's devices that no live (heartbeating, not stopped) station owns."""
    owned = {member for s in found if s.stopped_at is None and not s.silent() for member in s.owns}
    return [d for d in devices if d not in owned]


def _read(db: Database) -> tuple[list[StationInfo], datetime]:
    from app.fleet.clock import db_now
    from app.fleet.leases import stations

    with db.session() as session:
        now = db_now(session)
        return stations(session, now), now


@stations_app.command("stations")
def stations_list(
    site: Annotated[
        Path | None, typer.Option("--site", help="Also name this site's devices that no live station owns.")
    ] = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the stations: name, host, pid, started, heartbeat age, standby, and the devices each owns.

    A station that stopped heartbeating is shown SILENT with the time of its last heartbeat; one that
    stopped cleanly is shown stopped. Exits 0 whatever their state (a report); 1 if the database
    cannot be read.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from app.storage.engine import StorageError

    devices: list[str] = []
    if site is not None or demo:
        loaded = load_site_or_exit(site_path(site, demo))
        devices = [f"plc:{p.id}" for p in loaded.site.plc] + [f"camera:{c.id}" for c in loaded.site.camera]
    db = open_db_or_exit(database_url(database, demo))
    try:
        found, now = _read(db)
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: the stations could not be read from the database: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()
    if as_json:
        print_json([station_row(info, now) for info in found])
        return
    if not found:
        typer.echo("no station has run on this database")
    for info in found:
        typer.echo(station_line(info))
    missing = _unowned(devices, found)
    if missing:
        typer.echo(f"owned by no live station: {', '.join(missing)}")

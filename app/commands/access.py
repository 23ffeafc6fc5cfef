"""``wardroom access list [--from ISO] [--to ISO] --user NAME [--json]``: who came through the gates.

Access events are personal data (a plate says who came and went), so the listing acts as an
operator: ``--user NAME`` with the password on the first line of stdin, the role checked against the
permissions table (``access.view``), and the listing itself audited (``access.list``; a refusal
``access.list-refused``). Input times without an offset are in the site's time zone; the range is
``[from, to)``. Rows (issue #10): ``time`` (ISO, UTC), ``camera``, ``plate``, ``registered`` (bool),
``vehicle_id``, ``snapshot`` (the snapshot's id), plus ``status`` saying why a known plate is not
registered (``expired``, ``inactive``). Exit 0 done; 2 refused or bad input; 1 storage failure.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands.common import (
    EXIT_STORAGE,
    EXIT_USAGE,
    DatabaseOpt,
    DemoOpt,
    JsonOpt,
    UserOpt,
    database_url,
    err,
    open_db_or_exit,
    operator_or_exit,
    parse_time_or_exit,
    print_json,
    site_timezone,
)

if TYPE_CHECKING:
    from app.vision.access import AccessInfo

access_app = typer.Typer(
    help="Vehicle access events at the gates (plates read by the cameras).", no_args_is_help=True
)

FromOpt = Annotated[
    str | None, typer.Option("--from", help="Start (ISO; without offset: site time), included.")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="End (ISO; without offset: site time), excluded.")]


def _line(info: AccessInfo, zone: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        shown = info.time.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        shown = info.time
    status = {
        "registered": f"registered (vehicle {info.vehicle_id})",
        "unregistered": "NOT REGISTERED",
        "expired": f"NOT REGISTERED: registration expired (vehicle {info.vehicle_id})",
        "inactive": f"NOT REGISTERED: registration withdrawn (vehicle {info.vehicle_id})",
    }.get(info.status, info.status)
    read_as = f" (registered as {info.matched_plate})" if info.matched_plate else ""
    snapshot = f"  snapshot {info.snapshot}" if info.snapshot is not None else ""
    return f"{shown:%Y-%m-%d %H:%M:%S}  {info.camera}  {info.plate}{read_as}  {status}{snapshot}"


@access_app.command("list")
def access_list(
    user: UserOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Access events with --from <= time < --to, oldest first (audited: you are seeing personal data)."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.auth.permissions import PermissionRefused
    from app.storage.engine import StorageError
    from app.vision.access import list_access

    db = open_db_or_exit(database_url(database, demo))
    try:
        zone = site_timezone(db)
        t0: datetime | None = parse_time_or_exit(start, zone, "--from") if start else None
        t1: datetime | None = parse_time_or_exit(end, zone, "--to") if end else None
        if t0 is not None and t1 is not None and t1 <= t0:
            err("wardroom: --to must be after --from")
            raise typer.Exit(EXIT_USAGE)
        operator = operator_or_exit(db, user)
        try:
            events = list_access(db, operator, t0, t1)
        except PermissionRefused as exc:
            err(f"wardroom: refused: {exc}")
            raise typer.Exit(EXIT_USAGE) from exc
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: the access events could not be read: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()
    if as_json:
        print_json([event.row() for event in events])
        return
    if not events:
        typer.echo("no access events in that period")
    for event in events:
        typer.echo(_line(event, zone))

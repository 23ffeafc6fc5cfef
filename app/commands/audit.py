"""``wardroom audit``: the audit chain."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated

import typer

from app.commands.common import (
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
    require_or_exit,
    site_timezone,
)

audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False, demo: DemoOpt = False, database: DatabaseOpt = None) -> None:
    """Check the audit chain; exit 1 naming the first broken row."""
    from app.audit.chain import verify

    db = open_db_or_exit(database_url(database, demo))
    try:
        with db.session() as session:
            verdict = verify(session)
    finally:
        db.close()
    if as_json:
        print_json(
            [
                {
                    "ok": verdict.ok,
                    "rows": verdict.rows,
                    "first_bad_id": verdict.first_bad_id,
                    "reason": verdict.reason,
                }
            ]
        )
    elif verdict.ok:
        typer.echo(f"audit chain intact: {verdict.rows} rows")
    else:
        err(f"audit chain broken at row {verdict.first_bad_id}: {verdict.reason}")
    raise typer.Exit(0 if verdict.ok else 1)


@audit_app.command("list")
def audit_list(
    user: UserOpt,
    action: Annotated[
        str | None, typer.Option("--action", help="Only actions matching this glob (user.*).")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="From this ISO time (site time without an offset), included.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Up to this ISO time, excluded.")] = None,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Show audit rows (id, at, actor, action, target, details) as --user: supervisors and administrators."""
    from app.audit.listing import list_entries
    from app.auth.permissions import Action

    db = open_db_or_exit(database_url(database, demo))
    try:
        operator = operator_or_exit(db, user)
        require_or_exit(db, operator, Action.AUDIT_VIEW, "audit.list-refused", "audit_log")
        zone = site_timezone(db)
        since = parse_time_or_exit(start, zone, "--from") if start else None
        until = parse_time_or_exit(end, zone, "--to") if end else None
        with db.session() as session:
            entries = list_entries(session, action, since, until)
    finally:
        db.close()
    rows = [
        {
            "id": e.id,
            "at": e.at.astimezone(UTC).isoformat(),
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "details": e.details,
        }
        for e in entries
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        details = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        typer.echo(
            f"{row['id']:>6} {row['at']} {row['actor']:<16} {row['action']:<24} {row['target']} {details}"
        )

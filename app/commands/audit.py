"""``wardroom audit``: the audit chain."""

from __future__ import annotations

import typer

from app.commands.common import DatabaseOpt, JsonOpt, err, open_db_or_exit, print_json

audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Check the audit chain; exit 1 naming the first broken row."""
    from app.audit.chain import verify

    db = open_db_or_exit(database)
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

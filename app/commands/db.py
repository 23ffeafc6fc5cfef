"""``wardroom db``: the database itself (schema migrations)."""

from __future__ import annotations

import typer

from app.commands.common import DatabaseOpt, DemoOpt, database_url, open_db_or_exit
from app.storage.engine import shown_url

db_app = typer.Typer(help="The database.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(demo: DemoOpt = False, database: DatabaseOpt = None) -> None:
    """Apply every pending schema migration."""
    db = open_db_or_exit(database_url(database, demo))
    try:
        typer.echo(f"database {shown_url(db.engine.url)} is at the newest schema")
    finally:
        db.close()

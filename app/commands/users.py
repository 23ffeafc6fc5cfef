"""``wardroom users``: operator accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from app.commands.common import EXIT_USAGE, DatabaseOpt, JsonOpt, err, open_db_or_exit, print_json

users_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[
        str, typer.Option("--role", help="duty-officer | supervisor | records-clerk | administrator")
    ],
    database: DatabaseOpt = None,
) -> None:
    """Create an account; the password is read from standard input (first line)."""
    from app.auth.users import UserService
    from models.users import ROLES

    if role not in ROLES:
        err(f"wardroom: unknown role {role!r}; expected one of {', '.join(ROLES)}")
        raise typer.Exit(EXIT_USAGE)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        err(
            "wardroom: no password on standard input "
            "(type it, or pipe it: echo SECRET | wardroom users add ...)"
        )
        raise typer.Exit(EXIT_USAGE)
    db = open_db_or_exit(database)
    try:
        user = UserService(db).add(name, role, password, actor="cli")
    except ValueError as exc:
        err(f"wardroom: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    finally:
        db.close()
    typer.echo(f"user {user.name} added as {user.role}")


@users_app.command("list")
def users_list(as_json: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """List accounts (never their passwords)."""
    from app.auth.users import UserService

    db = open_db_or_exit(database)
    try:
        users = UserService(db).list()
    finally:
        db.close()
    rows = [
        {
            "name": u.name,
            "role": u.role,
            "locked_until": u.locked_until.isoformat() if u.locked_until else None,
            "created_at": u.created_at.isoformat(),
        }
        for u in users
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("no users yet (add one: wardroom users add NAME --role administrator)")
    for row in rows:
        locked = f"  locked until {row['locked_until']}" if row["locked_until"] else ""
        typer.echo(f"{row['name']:<20} {row['role']}{locked}")

"""``wardroom users``: operator accounts, changed only by an administrator who proves who they are.

The commands act on the account named by their argument, so the acting administrator is named with
``--by ADMIN``: stdin line 1 is the administrator's password, line 2 the new password where one is
set (asked without echo on a terminal). With no administrator in the database (first set-up),
``users add`` needs neither. ``users passwd NAME`` without ``--by`` changes one's own password (old
on line 1, new on line 2). Every change and every refusal is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands.common import (
    EXIT_USAGE,
    DatabaseOpt,
    DemoOpt,
    JsonOpt,
    database_url,
    err,
    login_or_exit,
    open_db_or_exit,
    print_json,
    read_secrets,
    require_or_exit,
)

if TYPE_CHECKING:
    from app.auth.users import UserInfo, UserService
    from app.storage.database import Database

users_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="User name.")]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="Acting administrator; their password is the first line of stdin."),
]


def _as_administrator(db: Database, by: str | None, password: str, verb: str, target: str) -> UserInfo:
    """Log ``by`` in and require the users right (refusals audited as ``user.<verb>-refused``)."""
    from app.auth.permissions import Action
    from app.auth.users import UserService

    if not by:
        err(f"wardroom: --by ADMIN is required: an administrator must {verb} accounts")
        raise typer.Exit(EXIT_USAGE)
    admin = login_or_exit(
        db,
        by,
        password,
        on_refused=lambda why: UserService(db).audit(by, f"user.{verb}-refused", target, {"reason": why}),
    )
    require_or_exit(db, admin, Action.USERS_MANAGE, f"user.{verb}-refused", target)
    return admin


def _new_password_or_exit(password: str) -> str:
    if not password:
        err(
            "wardroom: no new password on standard input "
            "(type it, or pipe it: printf 'ADMIN-PASSWORD\\nNEW-PASSWORD\\n' | wardroom users ...)"
        )
        raise typer.Exit(EXIT_USAGE)
    return password


def _service_call(db: Database, call: Callable[[UserService], UserInfo]) -> UserInfo:
    """Run ``call`` on a ``UserService``; a ``ValueError`` in plain words exits 2."""
    from app.auth.users import UserService

    try:
        return call(UserService(db))
    except ValueError as exc:
        err(f"wardroom: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


@users_app.command("add")
def users_add(
    name: NameArg,
    role: Annotated[
        str, typer.Option("--role", help="duty-officer | supervisor | records-clerk | administrator")
    ],
    by: ByOpt = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Create an account. Stdin: --by's password, then the new password (only the latter at set-up)."""
    from app.auth.users import UserService
    from models.users import ROLES

    if role not in ROLES:
        err(f"wardroom: unknown role {role!r}; expected one of {', '.join(ROLES)}")
        raise typer.Exit(EXIT_USAGE)
    db = open_db_or_exit(database_url(database, demo))
    try:
        first_setup = not UserService(db).has_administrator()
        if first_setup and by is None:
            (password,) = read_secrets([f"New password for {name}: "])
            actor = "first-setup"
        else:
            admin_password, password = read_secrets([f"Password for {by}: ", f"New password for {name}: "])
            actor = _as_administrator(db, by, admin_password, "add", name).name
        if not password:
            err(
                "wardroom: no password on standard input "
                "(type it, or pipe it: echo SECRET | wardroom users add ...)"
            )
            raise typer.Exit(EXIT_USAGE)
        user = _service_call(db, lambda users: users.add(name, role, password, actor=actor))
    finally:
        db.close()
    typer.echo(f"user {user.name} added as {user.role}")


@users_app.command("passwd")
def users_passwd(
    name: NameArg,
    by: ByOpt = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Change a password: one's own (stdin: old, then new) or, with --by, an administrator's reset."""
    db = open_db_or_exit(database_url(database, demo))
    try:
        if by is None:
            old, new = read_secrets([f"Current password for {name}: ", f"New password for {name}: "])
            actor = login_or_exit(db, name, old).name
        else:
            admin_password, new = read_secrets([f"Password for {by}: ", f"New password for {name}: "])
            actor = _as_administrator(db, by, admin_password, "passwd", name).name
        new = _new_password_or_exit(new)
        user = _service_call(db, lambda users: users.set_password(name, new, actor))
    finally:
        db.close()
    typer.echo(f"password of {user.name} changed")


def _admin_change(name: str, by: str | None, demo: bool, database: str | None, verb: str, done: str) -> None:
    db = open_db_or_exit(database_url(database, demo))
    try:
        (admin_password,) = read_secrets([f"Password for {by}: "])
        actor = _as_administrator(db, by, admin_password, verb, name).name
        if verb == "disable" and name == actor:
            err("wardroom: an administrator cannot disable their own account")
            raise typer.Exit(EXIT_USAGE)

        def change(users: UserService) -> UserInfo:
            if verb == "unlock":
                return users.unlock(name, actor)
            return users.set_disabled(name, verb == "disable", actor)

        _service_call(db, change)
    finally:
        db.close()
    typer.echo(f"user {name} {done}")


@users_app.command("disable")
def users_disable(
    name: NameArg, by: ByOpt = None, demo: DemoOpt = False, database: DatabaseOpt = None
) -> None:
    """Disable an account (nobody can log in as it; its history stays). Stdin: --by's password."""
    _admin_change(name, by, demo, database, "disable", "disabled")


@users_app.command("enable")
def users_enable(
    name: NameArg, by: ByOpt = None, demo: DemoOpt = False, database: DatabaseOpt = None
) -> None:
    """Enable a disabled account again. Stdin: --by's password."""
    _admin_change(name, by, demo, database, "enable", "enabled")


@users_app.command("unlock")
def users_unlock(
    name: NameArg, by: ByOpt = None, demo: DemoOpt = False, database: DatabaseOpt = None
) -> None:
    """End a lockout after wrong passwords now. Stdin: --by's password."""
    _admin_change(name, by, demo, database, "unlock", "unlocked")


@users_app.command("list")
def users_list(as_json: JsonOpt = False, demo: DemoOpt = False, database: DatabaseOpt = None) -> None:
    """List accounts (never their passwords)."""
    from app.auth.users import UserService

    db = open_db_or_exit(database_url(database, demo))
    try:
        users = UserService(db).list()
    finally:
        db.close()
    rows = [
        {
            "name": u.name,
            "role": u.role,
            "disabled": u.disabled,
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
        disabled = "  disabled" if row["disabled"] else ""
        typer.echo(f"{row['name']:<20} {row['role']}{disabled}{locked}")

"""What every ``wardroom`` command does the same way: errors on stderr, site files, the database.

One place, so that every command reports a broken site file identically (every error as
``FILE:LINE: message``, exit 2) and a storage failure identically (one plain line, exit 1). Imports of
the site loader and the storage layer happen inside the helpers, so ``wardroom --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.auth.permissions import Action
    from app.auth.users import UserInfo
    from app.site.loader import LoadedSite
    from app.storage.database import Database

EXIT_STORAGE = 1
"""Exit status when the database cannot be opened or used."""
EXIT_USAGE = 2
"""Exit status for a refused request: a bad site file, an unknown id, a refused write."""


PASSWORD_WARNING = (
    "wardroom: warning: the --database URL holds a password, which every user of this computer can "
    "read (ps, /proc); leave it out of the URL and put it in WARDROOM_DATABASE_URL, in libpq's "
    "password file (~/.pgpass, or the file PGPASSFILE names) or in a service file (PGSERVICEFILE)"
)


def url_has_password(url: str) -> bool:
    """Whether a database URL carries a password (``user:secret@host`` or ``?password=...``).

    Read without printing anything of the URL; one that does not even parse is judged by its shape,
    a colon between the user and the last ``@``, as :func:`app.storage.engine.shown_url` masks it.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        start = url.find("://") + 3 if "://" in url else 0
        at = url.rfind("@")
        return at > start and ":" in url[start:at]
    return bool(parsed.password) or "password" in parsed.query


def warn_password_on_command_line(value: str | None) -> str | None:
    """``--database`` callback: a password on the command line draws one warning line on stderr.

    A command line is visible to every user of the machine for as long as the process runs, and a
    station runs for months; the password itself is never printed, here or anywhere else.
    """
    if value and url_has_password(value):
        err(PASSWORD_WARNING)
    return value


DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL (sqlite:///FILE or postgresql://user@host/db). Keep passwords out of it "
        "(everyone sees a command line): use libpq's ~/.pgpass or $WARDROOM_DATABASE_URL. "
        "Default: $WARDROOM_DATABASE_URL, else a SQLite file in the user data folder.",
        callback=warn_password_on_command_line,
    ),
]
"""The one ``--database`` option every command that opens the database takes (and its warning)."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")]
"""The one ``--json`` option: output is always a top-level array of objects."""


def print_json(rows: list[dict[str, Any]]) -> None:
    """Rows as one top-level JSON array (the shape every ``--json`` promises)."""
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


@contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, for as long as the ``with`` block runs.

    Installed before a long-running command starts its services, so a signal during start-up is not
    lost (nor kills the process half-started); the handlers only set the event, and the command's
    ``finally`` stops its services in order, so Ctrl+C and a service manager's TERM end it alike.
    """
    import signal

    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def wait_until_stopped(stop: threading.Event, poll_s: float = 0.2) -> None:
    """The one wait loop of every long-running command (short waits, so signals are seen at once)."""
    while not stop.wait(poll_s):
        pass


_say_lock = threading.Lock()


def say(line: str) -> None:
    """One whole line on stdout, safe to call from any thread.

    Event lines come from poller, simulator and monitor threads at once; ``print`` writes the text
    and the newline separately, so two threads could splice their lines together.
    """
    with _say_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def say_err(line: str) -> None:
    """:func:`say` on stderr (when stdout carries machine-read lines only)."""
    with _say_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def err(message: str) -> None:
    """One line for the operator on stderr (our own words; never a traceback)."""
    typer.echo(message, err=True)


def start_logged_command(stderr_level: str | None = None) -> None:
    """Start-up of a long-running command: the shared bootstrap, a previous crash told on stderr.

    Uncaught errors are logged with their traceback (and Python prints them as usual); a report left
    by a hard crash of the previous run is named in one line, its text being in the log folder.
    """
    from app.bootstrap import start_entry_point

    previous_crash, _restore = start_entry_point(None, stderr_level=stderr_level)
    if previous_crash:
        first = previous_crash.strip().splitlines()[0] if previous_crash.strip() else "(empty)"
        err("wardroom: the previous run crashed; its report is in the log folder:")
        err(first)


def load_site_or_exit(path: Path) -> LoadedSite:
    """The validated site file, or every error on stderr as ``FILE:LINE: message`` and exit 2."""
    from app.site.loader import SiteFileError, load_site

    try:
        return load_site(path)
    except SiteFileError as exc:
        for error in exc.errors:
            err(str(error))
        raise typer.Exit(EXIT_USAGE) from exc


def open_db_or_exit(url: str | None) -> Database:
    """Open (and migrate) the database, turning storage failures into one plain line and exit 1."""
    from app.storage.database import open_database
    from app.storage.engine import StorageError

    try:
        return open_database(url)
    except StorageError as exc:
        err(f"wardroom: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc


# ---------------------------------------------------------------------- demo mode and operator login
DemoOpt = Annotated[bool, typer.Option("--demo", help="Use the bundled demo site and the demo database.")]
"""The one ``--demo`` option: demo mode is a mode (demo site + demo database), not a site file."""

UserOpt = Annotated[
    str,
    typer.Option("--user", help="Operator acting; the password is read from the first line of stdin."),
]
"""The one ``--user`` option of every command that acts as an operator."""


def database_url(database: str | None, demo: bool) -> str | None:
    """``--database`` if given; in demo mode the demo database; else None (env, then data folder)."""
    if database is None and demo:
        from app.storage.engine import demo_database_url

        return demo_database_url()
    return database


def site_path(site: Path | None, demo: bool, command: str = "wardroom") -> Path:
    """The site file: ``--site``, else the bundled demo with ``--demo``; exit 2 when neither."""
    if site is not None:
        return site
    if demo:
        from app.site.demo import demo_site_path

        return demo_site_path()
    err(f"{command}: --site FILE (or --demo) is required")
    raise typer.Exit(EXIT_USAGE)


def read_secrets(prompts: list[str]) -> list[str]:
    """One line of stdin per prompt (asked without echo on a terminal); '' where none was given."""
    import getpass

    if sys.stdin is not None and sys.stdin.isatty():
        return [getpass.getpass(prompt) for prompt in prompts]
    lines: list[str] = []
    for _ in prompts:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        lines.append(line.rstrip("\r\n"))
    return lines


def login_or_exit(
    db: Database,
    name: str,
    password: str,
    *,
    site: LoadedSite | None = None,
    on_refused: Callable[[str], None] | None = None,
) -> UserInfo:
    """Log the operator in before anything happens, or say why not on stderr and exit 2.

    ``password`` comes from :func:`read_secrets`; an empty one is a refusal like a wrong one (and is
    audited as ``user.login-failed``). The lockout rules are the site file's when one is given, else
    those last synced into the database. ``on_refused(reason)`` lets a command audit its own refusal
    (e.g. ``point.write-refused``) before the exit.
    """
    from app.auth.users import ANONYMOUS, WRONG, AuthError, LoginPolicy, UserService

    policy = None
    if site is not None:
        security = site.site.security
        policy = LoginPolicy(security.lockout_attempts, security.lockout_minutes, site.site.site.timezone)
    users = UserService(db, policy=policy)
    try:
        if not password:
            users.audit(ANONYMOUS, "user.login-failed", name, {"reason": "no password given"})
            raise AuthError(f"{WRONG} (no password on standard input)")
        return users.authenticate(name, password)
    except AuthError as exc:
        if on_refused is not None:
            on_refused(str(exc))
        err(f"wardroom: refused: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


def audit_row(db: Database, actor: str, action: str, target: str, details: dict[str, object]) -> None:
    """One audit entry written now, by ``actor`` (``anonymous`` when no name was given)."""
    from app.audit import chain as audit
    from app.auth.users import MAX_AUDIT_TARGET

    db.write(
        lambda s: audit.append(
            s, actor or "anonymous", action, target=target[:MAX_AUDIT_TARGET], details=details
        )
    )


def audit_refusal(db: Database, name: str, action: str, target: str) -> Callable[[str], None]:
    """An ``on_refused`` for :func:`operator_or_exit`: audits ``action`` (``incident.create-refused``,
    ``report.generate-refused`` ...) by ``name`` with the reason, so a refused login is on record."""
    return lambda why: audit_row(db, name, action, target, {"reason": why})


def operator_or_exit(
    db: Database,
    name: str,
    *,
    site: LoadedSite | None = None,
    on_refused: Callable[[str], None] | None = None,
) -> UserInfo:
    """:func:`login_or_exit` with the password from the first line of stdin."""
    (password,) = read_secrets([f"Password for {name}: "])
    return login_or_exit(db, name, password, site=site, on_refused=on_refused)


def require_or_exit(db: Database, operator: UserInfo, action: Action, refused: str, target: str) -> None:
    """Exit 2 unless ``operator``'s role may do ``action``; the refusal is audited as ``refused``."""
    from app.auth.permissions import PermissionRefused, require
    from app.auth.users import UserService

    try:
        require(operator, action)
    except PermissionRefused as exc:
        UserService(db).audit(operator.name, refused, target, {"reason": str(exc)})
        err(f"wardroom: refused: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


def parse_time_or_exit(text: str, timezone: str, option: str) -> datetime:
    """An ISO time as an aware UTC datetime; without an offset (or a bare date) in the site's zone."""
    from datetime import UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        parsed = datetime.fromisoformat(text.strip())  # a bare date is its midnight
    except ValueError as exc:
        err(f"wardroom: {option} {text!r} is not an ISO date or time (e.g. 2026-12-07 or 2026-12-07T14:05)")
        raise typer.Exit(EXIT_USAGE) from exc
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def site_timezone(db: Database, site: LoadedSite | None = None) -> str:
    """The site's time zone: the site file's when given, else the synced site's, else UTC."""
    if site is not None:
        return site.site.site.timezone
    from app.auth.users import stored_policy

    return stored_policy(db).timezone


T = TypeVar("T")


def read_station_tables(
    url: str | None, read: Callable[[Session], T], *, about: str, otherwise: str
) -> T | None:
    """What the stations wrote (``read`` in one session), or None when that cannot be known.

    A database that cannot be opened or read is said on stderr (``about`` what, and ``otherwise``
    what the command does instead): the command still gives the answer asked for, directly. A SQLite
    file that does not exist yet has had no station, and is not created just to find that out.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from app.storage.database import open_database
    from app.storage.engine import StorageError, is_sqlite, resolve_database_url, sqlite_path

    resolved = resolve_database_url(url)
    if is_sqlite(resolved):
        file = sqlite_path(resolved)
        if file is None or not file.exists():
            return None
    try:
        db = open_database(resolved)
    except StorageError as exc:
        err(f"wardroom: cannot see {about} ({exc}); {otherwise}")
        return None
    try:
        with db.session() as session:
            return read(session)
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: cannot read the stations' live tables ({exc}); {otherwise}")
        return None
    finally:
        db.close()

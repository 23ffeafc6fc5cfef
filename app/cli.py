"""The ``wardroom`` command line: every capability's headless face.

Commands import only what they use (inside the command functions), so ``wardroom site check`` and
``wardroom users list`` answer in about a second: torch, OpenCV and Qt load only where needed. The GUI
command is the one place where ``app`` reaches ``ui`` (a lazy import, declared in the import-linter
contract as the single exception).

JSON output (``--json``) is always a top-level array of objects, so programs can rely on one shape.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from app.commands.common import EXIT_USAGE, err, load_site_or_exit, open_db_or_exit, say
from app.commands.points import points_app
from app.commands.simulate import simulate_app

app = typer.Typer(
    name="wardroom",
    help="Wardroom: control room for a ward's safety and service centre.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
site_app = typer.Typer(help="Validate site files.", no_args_is_help=True)
demo_app = typer.Typer(help="The built-in demo site.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
users_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)
app.add_typer(site_app, name="site")
app.add_typer(demo_app, name="demo")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(simulate_app, name="simulate")
app.add_typer(points_app, name="points")

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL (sqlite:///FILE or postgresql://...). "
        "Default: $WARDROOM_DATABASE_URL, else a SQLite file in the user data folder.",
    ),
]
# Point qualities that `wardroom station` reports one line each (comm-fail is reported per PLC).
POINT_FAULTS = frozenset({"stale", "bad-config", "out-of-range"})
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")]


def _print_json(rows: list[dict[str, Any]]) -> None:
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


def _launch_gui(site: Path | None, demo: bool, database: str | None) -> None:
    if site is not None and demo:
        err("wardroom: choose either --demo or --site FILE, not both.")
        raise typer.Exit(EXIT_USAGE)
    if site is not None:
        load_site_or_exit(site)  # refuse a broken file before any window opens
    from ui.main import run_gui  # the single app -> ui import (lazy; see pyproject import-linter)

    raise typer.Exit(run_gui(site_path=site, demo=demo, database_url=database))


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    demo: Annotated[bool, typer.Option("--demo", help="Open the GUI on the built-in demo site.")] = False,
    site: Annotated[Path | None, typer.Option("--site", help="Open the GUI on this site file.")] = None,
    database: DatabaseOpt = None,
) -> None:
    """With no command: the GUI on the last-used site, or the demo site on first run."""
    if ctx.invoked_subcommand is None:
        _launch_gui(site, demo, database)


@app.command()
def gui(
    demo: Annotated[bool, typer.Option("--demo", help="Run the built-in demo site.")] = False,
    site: Annotated[Path | None, typer.Option("--site", help="Site file (TOML).")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Open the control-room GUI."""
    _launch_gui(site, demo, database)


@site_app.command("check")
def site_check(file: Annotated[Path, typer.Argument(help="Site file (TOML).")]) -> None:
    """Validate a site file without starting anything; report every error as FILE:LINE: message."""
    from app.site.checks import check_site_file

    code, errors, summary = check_site_file(file)
    for line in errors:
        err(line)
    if summary:
        typer.echo(summary)
    raise typer.Exit(code)


@demo_app.command("export")
def demo_export(directory: Annotated[Path, typer.Argument(help="Target folder.")]) -> None:
    """Write DIR/demo.toml and its media under DIR/media/, to copy from when writing a real site."""
    from app.site.demo import export_demo

    try:
        written = export_demo(directory)
    except OSError as exc:
        err(f"wardroom: could not write the demo site to {directory}: {exc.strerror or exc}")
        raise typer.Exit(1) from exc
    typer.echo(f"demo site written to {written}")


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None) -> None:
    """Apply every pending schema migration."""
    db = open_db_or_exit(database)
    try:
        typer.echo(f"database {db.engine.url.render_as_string(hide_password=True)} is at the newest schema")
    finally:
        db.close()


@app.command()
def station(
    site: Annotated[Path, typer.Option("--site", help="Site file (TOML).")],
    database: DatabaseOpt = None,
) -> None:
    """Run the site's services headless; print one line per state change until SIGINT/SIGTERM."""
    import signal
    import threading

    from app.bootstrap import install_crash_handlers, install_excepthook, setup_logging
    from app.events import EventBus, LinkStateChanged, ServiceStateChanged
    from app.fieldbus.events import PointQualityChanged
    from app.runtime import Station

    loaded = load_site_or_exit(site)
    setup_logging()
    previous_crash = install_crash_handlers()
    if previous_crash:
        err("wardroom: the previous run crashed; its report is in the log folder:")
        err(previous_crash.strip().splitlines()[0] if previous_crash.strip() else "(empty)")
    install_excepthook(None)

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    db = open_db_or_exit(database)
    bus = EventBus()

    def show(event: LinkStateChanged | ServiceStateChanged | PointQualityChanged) -> None:
        stamp = event.at.strftime("%Y-%m-%dT%H:%M:%SZ")
        say(f"{stamp} {event.describe()}")

    def show_quality(event: PointQualityChanged) -> None:
        # Comm-fail is already one PLC line, and start-up "never-read -> good" would flood the
        # terminal: print only the point-level faults (stale, bad address, out of range) and their end.
        if event.reading.quality in POINT_FAULTS or event.previous in POINT_FAULTS:
            show(event)

    bus.subscribe(LinkStateChanged, show)
    bus.subscribe(ServiceStateChanged, show)
    bus.subscribe(PointQualityChanged, show_quality)
    runtime = Station(loaded, db, bus)
    say(f"station: site {loaded.site.site.name!r} from {loaded.path}")
    try:
        runtime.start()
        while not stop.wait(0.2):
            pass
        say("station: stopping")
    finally:
        runtime.stop()
        db.close()
    say("station: stopped")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[
        str, typer.Option("--role", help="duty-officer | supervisor | records-clerk | administrator")
    ],
    database: DatabaseOpt = None,
) -> None:
    """Create an account; the password is read from standard input (first line)."""
    from app.users import UserService
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
    from app.users import UserService

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
        _print_json(rows)
        return
    if not rows:
        typer.echo("no users yet (add one: wardroom users add NAME --role administrator)")
    for row in rows:
        locked = f"  locked until {row['locked_until']}" if row["locked_until"] else ""
        typer.echo(f"{row['name']:<20} {row['role']}{locked}")


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False, database: DatabaseOpt = None) -> None:
    """Check the audit chain; exit 1 naming the first broken row."""
    from app.audit import verify

    db = open_db_or_exit(database)
    try:
        with db.session() as session:
            verdict = verify(session)
    finally:
        db.close()
    if as_json:
        _print_json(
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


def quiet_library_logging() -> None:
    """Keep library log records off the operator's terminal; our commands speak for themselves.

    With no handler configured, Python prints every WARNING-or-worse record on stderr ("last
    resort"): a one-shot ``wardroom points list`` against a dead PLC would show pymodbus's "Failed to
    connect" and hex dumps of its requests between our own rows. So, before any command runs: the
    libraries get the levels ``app.bootstrap.QUIET_LIBRARIES`` gives them everywhere else (the one
    shared list), the root logger gets a do-nothing handler so the last resort never fires, and Python
    warnings become log records. Commands that keep a log (``station``, ``simulate``, the GUI) add
    their file and stderr handlers through ``app.bootstrap.setup_logging``; for them nothing changes.
    """
    import logging

    from app.bootstrap import QUIET_LIBRARIES

    for name, level in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())
    logging.captureWarnings(True)


def main() -> None:
    """Console-script entry point."""
    quiet_library_logging()
    app()


if __name__ == "__main__":
    main()

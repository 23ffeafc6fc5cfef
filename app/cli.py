"""The ``wardroom`` command line: assembles the command groups of ``app.commands``; nothing else.

Commands import only what they use (inside the command functions), so ``wardroom site check`` and
``wardroom users list`` answer in about a second: torch, OpenCV and Qt load only where needed.
JSON output (``--json``) is always a top-level array of objects, so programs can rely on one shape.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from app.commands.access import access_app
from app.commands.alarms import alarms_app
from app.commands.audit import audit_app
from app.commands.cameras import cameras_app
from app.commands.common import DatabaseOpt
from app.commands.console import console_app
from app.commands.db import db_app
from app.commands.detect import detect
from app.commands.gui import gui_app, launch_gui
from app.commands.incidents import incidents_app
from app.commands.points import points_app
from app.commands.records import records_app
from app.commands.report import report_app
from app.commands.simulate import simulate_app
from app.commands.site import demo_app, site_app
from app.commands.station import station_app
from app.commands.stations import stations_app
from app.commands.users import users_app

app = typer.Typer(
    name="wardroom",
    help="Wardroom: control room for a ward's safety and service centre.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(gui_app)
app.add_typer(station_app)
app.add_typer(stations_app)
app.add_typer(console_app)
app.add_typer(site_app, name="site")
app.add_typer(demo_app, name="demo")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(simulate_app, name="simulate")
app.add_typer(points_app, name="points")
app.add_typer(alarms_app, name="alarms")
app.add_typer(cameras_app, name="cameras")
app.add_typer(access_app, name="access")
app.command("detect")(detect)
app.add_typer(incidents_app, name="incidents")
app.add_typer(report_app, name="report")
app.add_typer(records_app, name="records")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"wardroom {version('wardroom')}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    demo: Annotated[bool, typer.Option("--demo", help="Open the GUI on the built-in demo site.")] = False,
    site: Annotated[Path | None, typer.Option("--site", help="Open the GUI on this site file.")] = None,
    database: DatabaseOpt = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """With no command: the GUI on the last-used site, or the demo site on first run."""
    if ctx.invoked_subcommand is None:
        launch_gui(site, demo, database)


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
    try:
        app()
    except SystemExit as done:
        # Only a command that opened cameras can have a reader left in FFmpeg; OpenCV is imported
        # only then, so this costs the other commands nothing.
        if "app.video.capture" in sys.modules:
            from app.video.capture import exit_past_blocked_readers

            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            exit_past_blocked_readers(code)
        raise


if __name__ == "__main__":
    main()

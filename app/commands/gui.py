"""``wardroom gui`` (and bare ``wardroom``): the control-room window.

The one place where ``app`` reaches ``ui``: a lazy import inside :func:`launch_gui`, declared in the
import-linter contract as the single exception, so every other command stays Qt-free and fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import EXIT_USAGE, DatabaseOpt, err, load_site_or_exit

gui_app = typer.Typer()


def launch_gui(site: Path | None, demo: bool, database: str | None, console: bool = False) -> None:
    if site is not None and demo:
        err("wardroom: choose either --demo or --site FILE, not both.")
        raise typer.Exit(EXIT_USAGE)
    if site is not None:
        load_site_or_exit(site)  # refuse a broken file before any window opens
    from ui.main import run_gui  # the single app -> ui import (lazy; see pyproject import-linter)

    raise typer.Exit(run_gui(site_path=site, demo=demo, database_url=database, console=console))


@gui_app.command()
def gui(
    demo: Annotated[bool, typer.Option("--demo", help="Run the built-in demo site.")] = False,
    site: Annotated[Path | None, typer.Option("--site", help="Site file (TOML).")] = None,
    database: DatabaseOpt = None,
    console: Annotated[
        bool,
        typer.Option(
            "--console",
            help="Attach to the stations through the database: no pollers, no alarm engine, no simulators.",
        ),
    ] = False,
) -> None:
    """Open the control-room GUI."""
    launch_gui(site, demo, database, console)

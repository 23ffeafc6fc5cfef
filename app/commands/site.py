"""``wardroom site`` and ``wardroom demo``: validate site files, export the built-in demo site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import (
    EXIT_STORAGE,
    EXIT_USAGE,
    DatabaseOpt,
    DemoOpt,
    database_url,
    err,
    load_site_or_exit,
    open_db_or_exit,
)

site_app = typer.Typer(help="Validate site files.", no_args_is_help=True)
demo_app = typer.Typer(help="The built-in demo site.", no_args_is_help=True)


def check_site_file(path: str | Path) -> tuple[int, list[str], str]:
    """``wardroom site check FILE``: (exit code, stderr lines, stdout summary line).

    Exit 0 with a one-line summary for a valid file, else 2 with every error as ``FILE:LINE: ...``.
    Starts nothing and imports no Qt, OpenCV or torch, so it answers in a fraction of a second.
    """
    from app.site.loader import SiteFileError, load_site
    from app.site.messages import q

    try:
        loaded = load_site(path)
    except SiteFileError as exc:
        return EXIT_USAGE, [str(e) for e in exc.errors], ""
    site = loaded.site
    summary = (
        f"{path}: site {q(site.site.name)} — {len(site.building)} building(s), {len(site.plc)} PLC(s), "
        f"{len(site.point)} point(s), {len(site.camera)} camera(s): OK"
    )
    return 0, [], summary


@site_app.command("check")
def site_check(file: Annotated[Path, typer.Argument(help="Site file (TOML).")]) -> None:
    """Validate a site file without starting anything; report every error as FILE:LINE: message."""
    code, errors, summary = check_site_file(file)
    for line in errors:
        err(line)
    if summary:
        typer.echo(summary)
    raise typer.Exit(code)


@site_app.command("sync")
def site_sync(
    file: Annotated[Path, typer.Argument(help="Site file (TOML).")],
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Write the site (buildings, PLCs, points, cameras, [records]) into the database; start nothing.

    The step every start does first, on its own: records can be imported before a station runs.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from app.site.sync import sync_site
    from app.storage.engine import StorageError

    loaded = load_site_or_exit(file)
    db = open_db_or_exit(database_url(database, demo))
    try:
        result = sync_site(db, loaded, actor="cli")
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: the site could not be written to the database: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()
    typer.echo(result.summary)


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

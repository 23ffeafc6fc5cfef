"""What every ``wardroom`` command does the same way: errors on stderr, site files, the database.

One place, so that every command reports a broken site file identically (every error as
``FILE:LINE: message``, exit 2) and a storage failure identically (one plain line, exit 1). Imports of
the site loader and the storage layer happen inside the helpers, so ``wardroom --help`` stays fast.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from app.site.loader import LoadedSite
    from app.storage.database import Database

EXIT_STORAGE = 1
"""Exit status when the database cannot be opened or used."""
EXIT_USAGE = 2
"""Exit status for a refused request: a bad site file, an unknown id, a refused write."""


_say_lock = threading.Lock()


def say(line: str) -> None:
    """One whole line on stdout, safe to call from any thread.

    Event lines come from poller, simulator and monitor threads at once; ``print`` writes the text
    and the newline separately, so two threads could splice their lines together.
    """
    with _say_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def err(message: str) -> None:
    """One line for the operator on stderr (our own words; never a traceback)."""
    typer.echo(message, err=True)


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

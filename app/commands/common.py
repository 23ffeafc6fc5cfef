"""What every ``wardroom`` command does the same way: errors on stderr, site files, the database.

One place, so that every command reports a broken site file identically (every error as
``FILE:LINE: message``, exit 2) and a storage failure identically (one plain line, exit 1). Imports of
the site loader and the storage layer happen inside the helpers, so ``wardroom --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from app.site.loader import LoadedSite
    from app.storage.database import Database

EXIT_STORAGE = 1
"""Exit status when the database cannot be opened or used."""
EXIT_USAGE = 2
"""Exit status for a refused request: a bad site file, an unknown id, a refused write."""


DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL (sqlite:///FILE or postgresql://...). "
        "Default: $WARDROOM_DATABASE_URL, else a SQLite file in the user data folder.",
    ),
]
"""The one ``--database`` option every command that opens the database takes."""

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

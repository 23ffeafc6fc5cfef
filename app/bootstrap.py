"""Start-up discipline shared by every entry point (GUI, ``wardroom station``, other commands).

Three things must be in place before any subsystem starts, in this order:

1. :func:`setup_logging` - one rotating log file in the user log folder. Every subsystem logs through
   its own named logger (``wardroom.<subsystem>``, see :func:`subsystem_logger`), so a technician can
   read one file and still tell the video layer from the PLC pollers.
2. :func:`install_crash_handlers` - ``faulthandler`` writes the Python stacks of a hard crash (segfault
   in a C extension, abort) to ``crash.log``: nothing else survives such a crash. The next start finds
   the non-empty file, archives it as ``crash-<time>.log`` and returns its text so the caller can tell
   the operator (a dialog in the GUI, a line on stderr in the CLI).
3. :func:`install_excepthook` - an uncaught exception (main thread or any other thread) is logged
   with its traceback and shown to the operator through the caller's ``show`` callback, instead of
   vanishing on a console nobody watches.

This module is Qt-free on purpose: the GUI passes a ``show`` that opens its dialog.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from app import paths

LOG_FILE_NAME = "wardroom.log"
CRASH_FILE_NAME = "crash.log"
LOG_MAX_BYTES = 5 * 1024 * 1024
LOG_BACKUPS = 5
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"

log = logging.getLogger("wardroom.bootstrap")

# Libraries that log every failed request or connection: during a PLC outage pymodbus would write an
# ERROR line per poll, drowning the one fault/restoration line our own pollers log.
QUIET_LIBRARIES: dict[str, int] = {
    "pymodbus": logging.CRITICAL,
    "snap7": logging.WARNING,
    "alembic": logging.WARNING,
}

# The handler this module installed on the root logger, so a second call replaces it instead of
# writing every line twice (tests call setup_logging with a different WARDROOM_HOME each time).
_file_handler: logging.Handler | None = None
_stderr_handler: logging.Handler | None = None
# faulthandler writes to the file descriptor of this object when the process dies: it must stay open
# (and referenced) for the life of the process, or the crash report goes to a closed descriptor.
_crash_file: IO[str] | None = None


class _UtcFormatter(logging.Formatter):
    """Log times in UTC with a ``Z``: logs from several workstations then sort and compare directly."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


def subsystem_logger(subsystem: str) -> logging.Logger:
    """The logger of one subsystem (``"video"``, ``"fieldbus"``, ``"storage"``...): ``wardroom.<name>``.

    Modules may equally call ``logging.getLogger("wardroom.<name>")`` directly; this helper only keeps
    the prefix in one place.
    """
    name = subsystem if subsystem.startswith("wardroom") else f"wardroom.{subsystem}"
    return logging.getLogger(name)


def setup_logging(level: str = "INFO", *, stderr_level: str | None = None) -> Path:
    """Send log records to ``paths.log_dir()/wardroom.log`` (rotating: 5 files of 5 MB); return its path.

    The handler sits on the root logger so that warnings from libraries (pymodbus, SQLAlchemy,
    OpenCV wrappers) land in the same file as ours. ``stderr_level`` additionally echoes records at
    that level or above to stderr (useful for headless commands). Calling it again replaces the
    handlers installed by the previous call.
    """
    global _file_handler, _stderr_handler
    path = paths.log_dir() / LOG_FILE_NAME
    shutdown_logging()
    root = logging.getLogger()

    formatter = _UtcFormatter(LOG_FORMAT)
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    file_handler.setLevel(level.upper())
    root.addHandler(file_handler)
    _file_handler = file_handler

    if stderr_level is not None:
        stderr_handler = logging.StreamHandler(sys.stderr)
        stderr_handler.setFormatter(formatter)
        stderr_handler.setLevel(stderr_level.upper())
        root.addHandler(stderr_handler)
        _stderr_handler = stderr_handler

    levels = [file_handler.level] + ([_stderr_handler.level] if _stderr_handler else [])
    root.setLevel(min(levels))
    for name, quiet_level in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(quiet_level)
    log.info("logging to %s at level %s", path, level.upper())
    return path


def shutdown_logging() -> None:
    """Remove and close the handlers :func:`setup_logging` installed (clean shutdown, tests)."""
    global _file_handler, _stderr_handler
    root = logging.getLogger()
    for handler in (_file_handler, _stderr_handler):
        if handler is not None:
            root.removeHandler(handler)
            handler.close()
    _file_handler = _stderr_handler = None


def _archive_name(directory: Path, crashed_at: float) -> Path:
    stamp = datetime.fromtimestamp(crashed_at, UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = directory / f"crash-{stamp}.log"
    counter = 1
    while candidate.exists() and counter < 1000:
        candidate = directory / f"crash-{stamp}-{counter}.log"
        counter += 1
    return candidate


def install_crash_handlers() -> str | None:
    """Arm ``faulthandler`` on ``log_dir()/crash.log``; return the report of a previous crash, if any.

    A non-empty ``crash.log`` at start means the previous run died hard: its text is returned (and
    logged) and the file is moved to ``crash-<UTC time of the crash>.log`` next to it, so the next
    start does not report it again. The file is then reopened empty for this run.
    """
    global _crash_file
    directory = paths.log_dir()
    crash_path = directory / CRASH_FILE_NAME
    previous: str | None = None
    if _crash_file is not None:  # a second call in the same process: re-arm on the current log dir
        faulthandler.disable()
        _crash_file.close()
        _crash_file = None
    if crash_path.exists() and crash_path.stat().st_size > 0:
        previous = crash_path.read_text(encoding="utf-8", errors="replace")
        archived = _archive_name(directory, crash_path.stat().st_mtime)
        crash_path.replace(archived)
        log.error("the previous run crashed; its report is kept in %s:\n%s", archived, previous.rstrip())
    _crash_file = open(crash_path, "w", encoding="utf-8")  # noqa: SIM115 - must outlive this call
    faulthandler.enable(file=_crash_file, all_threads=True)
    return previous


def uninstall_crash_handlers() -> None:
    """Disarm ``faulthandler`` and close the crash file (clean shutdown, tests).

    An empty ``crash.log`` is left behind on purpose: only a non-empty one means a crash.
    """
    global _crash_file
    if _crash_file is None:
        return
    faulthandler.disable()
    _crash_file.close()
    _crash_file = None


def install_excepthook(show: Callable[[str], None] | None) -> Callable[[], None]:
    """Log every uncaught exception, in the main thread and in other threads, and show it.

    ``show(text)`` receives the formatted traceback; it may be called from any thread, so a GUI
    implementation must hand the text to its own thread (a queued signal) before opening a dialog.
    The previous hooks still run afterwards (so a console user also sees the traceback).
    Returns a function that restores the previous hooks (for tests).
    """
    previous_hook = sys.excepthook
    previous_thread_hook = threading.excepthook
    crash_log = logging.getLogger("wardroom.crash")

    def report(text: str) -> None:
        if show is None:
            return
        try:
            show(text)
        except Exception:  # the reporter must never raise out of an excepthook
            crash_log.exception("could not show the error to the operator")

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous_hook(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        crash_log.critical("uncaught exception:\n%s", text.rstrip())
        report(text)
        previous_hook(exc_type, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "unknown"
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        crash_log.critical("uncaught exception in thread %s:\n%s", name, text.rstrip())
        report(f"In thread {name}:\n{text}")
        previous_thread_hook(args)

    sys.excepthook = hook
    threading.excepthook = thread_hook

    def restore() -> None:
        sys.excepthook = previous_hook
        threading.excepthook = previous_thread_hook

    return restore


def start_entry_point(
    show: Callable[[str], None] | None = None, *, stderr_level: str | None = None
) -> tuple[str | None, Callable[[], None]]:
    """The one start-up path of every entry point that runs for a while (GUI, station, simulate).

    Logging first (so the rest can log), then the crash file (whose previous report is returned for
    the caller to show in its own way), then the excepthook that logs and ``show``s uncaught errors.
    Returns (the previous crash report or None, a function that restores the previous hooks).
    """
    setup_logging(stderr_level=stderr_level)
    previous_crash = install_crash_handlers()
    restore_hooks = install_excepthook(show)
    return previous_crash, restore_hooks

"""Start-up discipline: the log file, the crash file reported on the next start, the excepthook.

Hard crashes are real: a child interpreter segfaults through ``faulthandler._sigsegv()`` (a genuine
SIGSEGV, as a broken C extension would raise). Crash handlers are only armed in child processes so
that pytest's own faulthandler in this process is left alone.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from app import bootstrap, paths

REPO_ROOT = Path(__file__).resolve().parents[2]

CRASHING_CHILD = """
from app import bootstrap
bootstrap.setup_logging()
assert bootstrap.install_crash_handlers() is None
import faulthandler
faulthandler._sigsegv()
"""

NEXT_START = """
from app import bootstrap
bootstrap.setup_logging()
previous = bootstrap.install_crash_handlers()
print("NO-CRASH" if previous is None else "PREVIOUS:" + previous)
"""


def _child(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo setup_logging's changes to the root logger so later tests log as before."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    bootstrap.shutdown_logging()
    root.setLevel(level)
    assert root.handlers == handlers


def test_segfault_leaves_a_crash_file_that_the_next_start_reports_once() -> None:
    crashed = _child(CRASHING_CHILD)
    assert crashed.returncode == -signal.SIGSEGV, crashed.stderr
    crash_file = paths.log_dir() / bootstrap.CRASH_FILE_NAME
    report = crash_file.read_text(encoding="utf-8")
    assert "Segmentation fault" in report
    assert "<string>" in report  # the Python stack of the crashing code is in it

    next_start = _child(NEXT_START)
    assert next_start.returncode == 0, next_start.stderr
    assert next_start.stdout.startswith("PREVIOUS:")
    assert "Segmentation fault" in next_start.stdout
    archived = sorted(paths.log_dir().glob("crash-*.log"))
    assert len(archived) == 1
    assert archived[0].read_text(encoding="utf-8") == report
    assert crash_file.read_text(encoding="utf-8") == ""  # re-armed, empty for the new run
    log_text = (paths.log_dir() / bootstrap.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "the previous run crashed" in log_text
    assert archived[0].name in log_text

    third_start = _child(NEXT_START)
    assert third_start.returncode == 0, third_start.stderr
    assert third_start.stdout.strip() == "NO-CRASH"


def test_a_clean_exit_reports_no_crash() -> None:
    first = _child(NEXT_START)
    second = _child(NEXT_START)
    assert (first.stdout.strip(), second.stdout.strip()) == ("NO-CRASH", "NO-CRASH")
    assert list(paths.log_dir().glob("crash-*.log")) == []


@pytest.mark.usefixtures("restore_logging")
def test_named_subsystem_loggers_write_to_the_rotating_log_file() -> None:
    path = bootstrap.setup_logging("DEBUG")
    assert path == paths.log_dir() / "wardroom.log"
    bootstrap.subsystem_logger("video").warning("camera gate-north lost: %s", "read timeout")
    logging.getLogger("wardroom.fieldbus").debug("polled %d points", 12)
    bootstrap.setup_logging("INFO")  # a second call replaces the handler instead of doubling lines
    bootstrap.subsystem_logger("storage").info("opened")
    logging.getLogger("wardroom.storage").debug("not at INFO")
    text = path.read_text(encoding="utf-8")
    assert "WARNING  wardroom.video [MainThread] camera gate-north lost: read timeout" in text
    assert "DEBUG    wardroom.fieldbus [MainThread] polled 12 points" in text
    assert text.count("wardroom.storage") == 1
    assert "not at INFO" not in text
    first_line = text.splitlines()[0]
    assert first_line[:4].isdigit() and first_line[19:24].startswith(".") and "Z " in first_line


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand-ins for the hooks that were installed before ours, to see that ours chains to them.

    They also keep pytest's own thread-exception hook from turning the deliberate error into a
    warning (the suite treats warnings as errors).
    """
    seen: list[str] = []

    def previous_hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        seen.append(f"previous sys hook: {exc}")

    def previous_thread_hook(args: threading.ExceptHookArgs) -> None:
        seen.append(f"previous thread hook: {args.exc_value}")

    monkeypatch.setattr(sys, "excepthook", previous_hook)
    monkeypatch.setattr(threading, "excepthook", previous_thread_hook)
    return seen


@pytest.mark.usefixtures("restore_logging")
def test_excepthook_logs_and_shows_uncaught_exceptions_from_any_thread(hooks: list[str]) -> None:
    log_path = bootstrap.setup_logging()
    shown: list[str] = []
    restore = bootstrap.install_excepthook(shown.append)
    try:
        try:
            raise ValueError("main thread boom")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)

        def worker() -> None:
            raise RuntimeError("worker boom")

        thread = threading.Thread(target=worker, name="capture-gate-north")
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive()
    finally:
        restore()
    assert sys.excepthook is not None and threading.excepthook is not None
    assert len(shown) == 2
    assert "ValueError: main thread boom" in shown[0]
    assert "In thread capture-gate-north" in shown[1] and "RuntimeError: worker boom" in shown[1]
    assert hooks == ["previous sys hook: main thread boom", "previous thread hook: worker boom"]
    text = log_path.read_text(encoding="utf-8")
    assert "CRITICAL wardroom.crash" in text
    assert "uncaught exception in thread capture-gate-north" in text
    assert 'raise RuntimeError("worker boom")' in text  # the traceback itself is logged


@pytest.mark.usefixtures("restore_logging")
def test_a_failing_show_is_logged_not_raised(hooks: list[str]) -> None:
    log_path = bootstrap.setup_logging()

    def broken_dialog(text: str) -> None:
        raise OSError("no display")

    restore = bootstrap.install_excepthook(broken_dialog)
    try:
        exc = KeyError("lost")
        sys.excepthook(KeyError, exc, None)
    finally:
        restore()
    assert hooks == ["previous sys hook: 'lost'"]
    assert "could not show the error to the operator" in log_path.read_text(encoding="utf-8")


def test_uncaught_exception_in_a_real_process_lands_in_the_log() -> None:
    code = (
        "from app import bootstrap\n"
        "bootstrap.setup_logging()\n"
        "bootstrap.install_excepthook(None)\n"
        "raise SystemError('unhandled at start-up')\n"
    )
    result = _child(code)
    assert result.returncode == 1
    assert "unhandled at start-up" in result.stderr  # the default hook still prints it
    text = (paths.log_dir() / bootstrap.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "uncaught exception:" in text and "SystemError: unhandled at start-up" in text

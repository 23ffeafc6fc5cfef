"""Suite-wide harness: isolation, a network guard and leak checks that apply to every test.

What every test gets without asking (autouse fixtures):

- **Isolation.** ``WARDROOM_HOME`` points at a fresh folder under the test's ``tmp_path`` (so data,
  logs and state never touch the developer's real folders) and ``WARDROOM_DATABASE_URL`` is unset.
  ``QT_QPA_PLATFORM=offscreen`` (unless set) and the ultralytics offline switches are set for the
  whole session, before anything imports Qt or ultralytics.
- **Network guard** (tests/netguard/). Any Python-level ``connect``/``connect_ex``/``sendto`` to an
  address outside 127.0.0.0/8 and ::1, and any name lookup other than ``localhost``/this host, raises
  :class:`NetworkBlockedError` *before* the system call, and the test fails at teardown even if the
  code under test swallowed the error. The same guard runs in every child Python the test starts
  (``PYTHONPATH`` gets tests/netguard, whose ``sitecustomize`` installs it; refusals are appended to
  ``netguard-children.log`` beside ``WARDROOM_HOME`` and fail the test). Unix sockets are allowed. C
  libraries that open their own sockets (libpq, FFmpeg inside OpenCV) are not seen; tests point them
  at loopback anyway.
- **Leaked threads.** A Python thread started during a test and still alive after a bounded grace
  period fails the test. Foreign threads (started by C++/Qt code that once called into Python) appear
  as ``_DummyThread`` entries that never go away and are ignored. A test that knowingly leaves a
  thread running may say so with ``@pytest.mark.allow_threads("regex", reason="...")``.
- **Leaked Qt timers and threads** (only for tests that use ``qtbot``/``qapp``): an active ``QTimer``
  or running ``QThread`` created during the test and still alive after teardown fails it.

Fixtures to ask for: ``network_guard`` (inspect or clear recorded violations), ``artifacts_dir``
(``<repo>/artifacts/<test name>/``; every file left there is printed at the end of the test).
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

REPO_ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ session environment
# Set at import time: Qt picks its platform plugin, and ultralytics reads its settings folder, once
# per process, so a fixture would be too late for whatever imports them first.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["YOLO_OFFLINE"] = "1"
os.environ["YOLO_AUTOINSTALL"] = "0"
_YOLO_DIR: Path | None = None
if not os.environ.get("YOLO_CONFIG_DIR"):
    _YOLO_DIR = Path(tempfile.mkdtemp(prefix="wardroom-test-yolo-"))
    os.environ["YOLO_CONFIG_DIR"] = str(_YOLO_DIR)
# Vision: the detector's 16:9 re-export (~5 s) is made once and shared (keyed by the model's sha256),
# not once per test's WARDROOM_HOME; and a station starts detection only in tests that ask for it
# (monkeypatch WARDROOM_VISION=on): on 2 cores the demo's four detecting cameras would otherwise load
# torch and keep a core busy in every GUI test that runs the demo site.
_VISION_CACHE = Path(tempfile.gettempdir()) / "wardroom-test-vision-cache"
os.environ.setdefault("WARDROOM_VISION_CACHE", str(_VISION_CACHE))
os.environ.setdefault("WARDROOM_VISION", "off")


# Hypothesis: no example database (it would write .hypothesis/ into the checkout) and no per-example
# deadline (a shared 2-core CI machine makes wall-clock deadlines flaky; speed belongs in bench/).
hypothesis_settings.register_profile("wardroom", database=None, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "wardroom"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow_threads(*name_regexes, reason): threads whose names match may outlive the test",
    )


SECOND_LANE = (
    "tests/app/test_alarm_crash.py",
    "tests/app/test_operator_login.py",
    "tests/app/test_alarms_cli.py",
    "tests/app/test_simulate_cli.py",
    "tests/app/test_points_cli.py",
    "tests/app/test_historian.py",
)
"""Modules installer/run-tests.sh runs in its second pytest, beside the soak tests, which mostly wait:
about five minutes of CLI subprocesses and kill -9 cycles that would otherwise make the main run the
whole of CI's 25-minute budget. Picked by their durations in artifacts/junit.xml; they need nothing
the main run sets up."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix() in SECOND_LANE:
            item.add_marker(pytest.mark.second_lane)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _YOLO_DIR is not None:
        shutil.rmtree(_YOLO_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _wardroom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own WARDROOM_HOME; subprocesses started by the test inherit it."""
    home = tmp_path / "wardroom-home"
    home.mkdir()
    monkeypatch.setenv("WARDROOM_HOME", str(home))
    monkeypatch.delenv("WARDROOM_DATABASE_URL", raising=False)
    return home


# ------------------------------------------------------------------ network guard
# The guard itself lives in tests/netguard/ (outside the package) because child interpreters load it
# at start-up through tests/netguard/sitecustomize.py. An inner pytest run (tests/test_harness.py)
# copies this file elsewhere and finds the folder through PYTHONPATH, which the fixture below sets.
NETGUARD_DIR = Path(__file__).resolve().parent / "netguard"
if NETGUARD_DIR.is_dir() and str(NETGUARD_DIR) not in sys.path:
    sys.path.insert(0, str(NETGUARD_DIR))

from wardroom_netguard import (  # noqa: E402
    LOG_ENV,
    NetworkBlockedError,
    NetworkGuard,
    _is_loopback,
    install,
    read_child_violations,
)

__all__ = ["NetworkBlockedError", "NetworkGuard", "_is_loopback"]


@pytest.fixture(autouse=True)
def _network_guard_autouse(monkeypatch: pytest.MonkeyPatch, _wardroom_home: Path) -> Iterator[NetworkGuard]:
    """Guard this process for the test, and every child Python it starts (through sitecustomize)."""
    import wardroom_netguard

    guard = NetworkGuard()
    install(guard, monkeypatch.setattr)
    guard_dir = str(Path(wardroom_netguard.__file__).resolve().parent)
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != guard_dir]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([guard_dir, *inherited]))
    guard.child_log = _wardroom_home.parent / "netguard-children.log"
    monkeypatch.setenv(LOG_ENV, str(guard.child_log))
    yield guard
    children = read_child_violations(guard.child_log)
    problems = guard.violations + [f"in a child process: {line}" for line in children]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def network_guard(_network_guard_autouse: NetworkGuard) -> NetworkGuard:
    """The active guard: a test of the guard itself checks and then clears ``violations``."""
    return _network_guard_autouse


# ------------------------------------------------------------------ leaked threads, Qt timers
# How long a test's threads get to finish after it (the code under test should join them itself).
THREAD_GRACE_S = float(os.environ.get("WARDROOM_TEST_THREAD_GRACE_S", "5"))
QT_GRACE_S = 1.0

# Long-lived library threads that a test may legitimately leave behind: (name pattern, why).
# Empty until a library needs it: prefer stopping the thread in the code under test.
KNOWN_LONG_LIVED_THREADS: tuple[tuple[str, str], ...] = ()


def _allowed_thread_patterns(item: pytest.Item) -> list[re.Pattern[str]]:
    patterns = [re.compile(p) for p, _why in KNOWN_LONG_LIVED_THREADS]
    for marker in item.iter_markers("allow_threads"):
        patterns.extend(re.compile(p) for p in marker.args)
    return patterns


def _new_threads(before: set[threading.Thread], allowed: list[re.Pattern[str]]) -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t not in before
        and t.is_alive()
        and not isinstance(t, threading._DummyThread)  # foreign (C++/Qt) threads never leave the table
        and not any(p.search(t.name) for p in allowed)
    ]


def _qt_running() -> bool:
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is None or "shiboken6" not in sys.modules:
        return False
    return qtcore.QCoreApplication.instance() is not None


def _qt_objects() -> list[Any]:
    """Python-owned QTimer/QThread wrappers that are alive and active.

    Read from shiboken's own table of live wrappers, not from a scan of every object the garbage
    collector tracks: the latter grows with the session (a full run holds millions of objects) and
    had come to cost seconds per Qt test.
    """
    if not _qt_running():
        return []
    qtcore = sys.modules["PySide6.QtCore"]
    shiboken = sys.modules["shiboken6"]
    found: list[Any] = []
    for obj in shiboken.getAllValidWrappers():
        if isinstance(obj, qtcore.QTimer):
            if obj.isActive():
                found.append(obj)
        elif isinstance(obj, qtcore.QThread) and obj.isRunning():
            found.append(obj)
    return found


def _settle_qt(deadline: float, still_leaking: Callable[[], bool]) -> None:
    """Let deferred deletes and queued stops run, for at most until ``deadline``."""
    qtcore = sys.modules["PySide6.QtCore"]
    while still_leaking() and time.monotonic() < deadline:
        qtcore.QCoreApplication.sendPostedEvents(None, qtcore.QEvent.Type.DeferredDelete)
        qtcore.QCoreApplication.processEvents(qtcore.QEventLoop.ProcessEventsFlag.AllEvents, 50)


@pytest.fixture(autouse=True)
def _leak_check(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves threads (or, for Qt tests, active timers/threads) running."""
    uses_qt = bool({"qtbot", "qapp"} & set(request.fixturenames))
    threads_before = set(threading.enumerate())
    qt_before = {id(o) for o in _qt_objects()} if uses_qt else set()
    yield
    allowed = _allowed_thread_patterns(request.node)
    deadline = time.monotonic() + THREAD_GRACE_S
    leaked = _new_threads(threads_before, allowed)
    for thread in leaked:  # bounded wait: each join gets what is left of one shared grace period
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    leaked = _new_threads(threads_before, allowed)
    problems = [
        f"thread {t.name!r} (daemon={t.daemon}, target={getattr(t, '_target', None)!r}) still running "
        f"{THREAD_GRACE_S:.0f} s after the test"
        for t in leaked
    ]
    if uses_qt and _qt_running():

        def qt_leaks() -> list[Any]:
            return [o for o in _qt_objects() if id(o) not in qt_before]

        _settle_qt(time.monotonic() + QT_GRACE_S, lambda: bool(qt_leaks()))
        problems += [
            f"Qt {type(o).__name__} {o.objectName()!r} still active after the test" for o in qt_leaks()
        ]
    if problems:
        pytest.fail("leaked after the test:\n  " + "\n  ".join(problems), pytrace=False)


# ------------------------------------------------------------------ X server for end-to-end tests
@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """A private Xvfb server for the session (``":N"``), for tests that run the real GUI entry point.

    Xvfb chooses a free display number itself (``-displayfd``), listens on no TCP port, and is
    stopped at the end of the session. Skips with the reason when Xvfb is not installed
    (installer/setup.sh --with-test-deps installs it; .ci/run always does).
    """
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (run: bash installer/setup.sh --with-test-deps)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"Xvfb did not start within 20 s: {err.decode(errors='replace')[-2000:]}")
        yield f":{number}"
    finally:
        os.close(read_fd)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


# ------------------------------------------------------------------ artifacts
@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """``<repo>/artifacts/<test name>/`` (emptied first); every file left there is printed at the end."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_") or "test"
    path = REPO_ROOT / "artifacts" / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    for saved in sorted(p for p in path.rglob("*") if p.is_file()):
        line = f"artifact saved: {saved}"
        if reporter is not None:
            reporter.write_line(line)  # shown even when output capture is on
        else:
            print(line)

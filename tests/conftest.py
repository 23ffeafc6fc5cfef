"""Suite-wide harness: isolation, a network guard and leak checks that apply to every test.

What every test gets without asking (autouse fixtures):

- **Isolation.** ``WARDROOM_HOME`` points at a fresh folder under the test's ``tmp_path`` (so data,
  logs and state never touch the developer's real folders) and ``WARDROOM_DATABASE_URL`` is unset.
  ``QT_QPA_PLATFORM=offscreen`` (unless set) and the ultralytics offline switches are set for the
  whole session, before anything imports Qt or ultralytics.
- **Network guard.** Any Python-level ``connect``/``connect_ex``/``sendto`` to an address outside
  127.0.0.0/8 and ::1, and any name lookup other than ``localhost``/this host, raises
  :class:`NetworkBlockedError` *before* the system call, and the test fails at teardown even if the
  code under test swallowed the error. Unix sockets are allowed. C libraries that open their own
  sockets (libpq, FFmpeg inside OpenCV) are not seen here; tests point them at loopback anyway.
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

import errno
import gc
import ipaddress
import os
import re
import select
import shutil
import socket
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


# Hypothesis: no example database (it would write .hypothesis/ into the checkout) and no per-example
# deadline (a shared 2-core CI machine makes wall-clock deadlines flaky; speed belongs in bench/).
hypothesis_settings.register_profile("wardroom", database=None, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "wardroom"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow_threads(*name_regexes, reason): threads whose names match may outlive the test",
    )


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
class NetworkBlockedError(PermissionError):
    """Raised instead of reaching anything beyond the loopback interface during tests.

    A PermissionError (an OSError), like a firewall's EPERM/EACCES, so code under test takes its
    ordinary "unreachable" path; the guard still fails the test because it records the attempt.
    """


_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_address("::1")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped in _LOOPBACK_V4
        return ip == _LOOPBACK_V6
    return ip in _LOOPBACK_V4


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class NetworkGuard:
    """Records and refuses every attempt to leave the loopback interface."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._own_names = {socket.gethostname().lower()}

    def refuse(self, what: str, target: object) -> NetworkBlockedError:
        message = (
            f"network access blocked in tests: {what} {target!r}. Tests may reach only 127.0.0.0/8 "
            "and ::1 (tests/conftest.py network guard)."
        )
        self.violations.append(message)
        return NetworkBlockedError(errno.EACCES, message)

    def check_address(self, family: int, address: Any, what: str) -> None:
        if family not in (socket.AF_INET, socket.AF_INET6):
            return  # unix sockets, netlink...: not the network
        host = address[0] if isinstance(address, tuple) and address else address
        if not _is_loopback(host):
            raise self.refuse(what, address)

    def check_lookup(self, host: object) -> None:
        if host is None or host in ("", b""):
            return
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
        if _is_loopback(name) or _is_ip_literal(name) or name.lower() in self._own_names:
            return  # literals are checked again at connect time
        raise self.refuse("name lookup of", name)


def _install_guard(guard: NetworkGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        guard.check_address(self.family, address, "connect to")
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard.check_address(self.family, address, "connect to")
        return original_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if args:
            guard.check_address(self.family, args[-1], "datagram to")
        return original_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        guard.check_lookup(host)
        return original_getaddrinfo(host, *args, **kwargs)

    # create_connection and asyncio go through getaddrinfo + socket.connect, so they are covered.
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def _network_guard_autouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    _install_guard(guard, monkeypatch)
    yield guard
    if guard.violations:
        pytest.fail("\n".join(guard.violations), pytrace=False)


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
    """Python-owned QTimer/QThread wrappers that are alive and active (a scan of the gc's objects)."""
    if not _qt_running():
        return []
    qtcore = sys.modules["PySide6.QtCore"]
    shiboken = sys.modules["shiboken6"]
    found: list[Any] = []
    for obj in gc.get_objects():
        if isinstance(obj, (qtcore.QTimer, qtcore.QThread)) and shiboken.isValid(obj):
            busy = obj.isActive() if isinstance(obj, qtcore.QTimer) else obj.isRunning()
            if busy:
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

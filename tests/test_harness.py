"""The suite's own harness (tests/conftest.py) must be able to fail: the network guard and leak checks."""

from __future__ import annotations

import errno
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import NetworkBlockedError, NetworkGuard, _is_loopback

REPO_ROOT = Path(__file__).resolve().parent.parent
# Addresses the guard must refuse. 0.0.0.0 is not loopback, so the guard refuses it like any outside
# address, yet if the guard were ever broken a connect to it would still only reach this machine:
# these tests can never send a packet off the host.
OUTSIDE = "0.0.0.0"
OUTSIDE_NAME = "wardroom-guard-test.invalid"


def test_guard_refuses_an_outside_connect_before_any_packet(network_guard: NetworkGuard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)  # unguarded, a real connect would fail or return at once, not our error
        with pytest.raises(NetworkBlockedError, match=r"0\.0\.0\.0"):
            sock.connect((OUTSIDE, 80))
        # Nothing was sent: the kernel never bound an ephemeral port nor got a peer for this socket.
        assert sock.getsockname() == ("0.0.0.0", 0)
        with pytest.raises(OSError) as not_connected:
            sock.getpeername()
        assert not_connected.value.errno == errno.ENOTCONN
    assert len(network_guard.violations) == 1
    network_guard.violations.clear()


def test_guard_covers_connect_ex_sendto_create_connection_and_lookups(network_guard: NetworkGuard) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlockedError):
        sock.connect_ex((OUTSIDE, 80))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with pytest.raises(NetworkBlockedError):
            udp.sendto(b"x", (OUTSIDE, 53))
        assert udp.getsockname() == ("0.0.0.0", 0)
    with pytest.raises(NetworkBlockedError):
        socket.create_connection((OUTSIDE, 80), timeout=1)
    with pytest.raises(NetworkBlockedError, match=r"wardroom-guard-test\.invalid"):
        socket.getaddrinfo(OUTSIDE_NAME, 80)
    assert len(network_guard.violations) == 4
    network_guard.violations.clear()


def test_guard_allows_loopback_tcp_and_unix_sockets(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            peer, _ = server.accept()
            with peer:
                client.sendall(b"ping")
                assert peer.recv(4) == b"ping"
        with socket.create_connection(("localhost", port), timeout=5):
            server.accept()[0].close()
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            listener.accept()[0].close()


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        (b"127.0.0.1", True),
        ("10.255.255.1", False),
        ("::ffff:10.0.0.1", False),
        ("0.0.0.0", False),
        ("fe80::1%eth0", False),
        ("example.com", False),
    ],
)
def test_loopback_classification(host: str | bytes, allowed: bool) -> None:
    assert _is_loopback(host) is allowed


INNER_SWALLOWS_ERROR = """
import socket
import subprocess

def test_swallows():
    try:
        socket.create_connection(("0.0.0.0", 80), timeout=1)
    except OSError:
        pass  # the code under test hides the failure; the guard must still fail the test
"""

INNER_CHILD_CONNECTS = '''
import subprocess
import sys

# What a misconfigured command would do: a connect beyond the loopback interface.
CHILD = """
import socket
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setblocking(False)  # unguarded, connect would return at once (refused locally)
try:
    sock.connect(("0.0.0.0", 80))
except PermissionError as exc:
    print("refused", type(exc).__name__, sock.getsockname())
else:
    print("connect went out")
"""

LOOPBACK_CHILD = """
import socket
with socket.create_server(("127.0.0.1", 0)) as server:
    with socket.create_connection(server.getsockname(), timeout=5):
        server.accept()[0].close()
print("loopback ok")
"""

def run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

def test_child_connects_outside():
    result = run(CHILD)  # the child swallows the refusal and exits 0: the guard must still fail the test
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["refused", "NetworkBlockedError"], result.stdout + result.stderr
    assert "('0.0.0.0', 0)" in result.stdout  # nothing was sent: the socket never got a local port

def test_child_stays_on_loopback():
    result = run(LOOPBACK_CHILD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loopback ok"
'''

INNER_LEAKS_THREAD = """
import threading

import pytest

STOP = threading.Event()

def test_leaks():
    threading.Thread(target=STOP.wait, name="leaky-worker", daemon=True).start()

@pytest.mark.allow_threads("^tolerated-")
def test_allowed():
    threading.Thread(target=STOP.wait, name="tolerated-worker", daemon=True).start()

def test_joined():
    t = threading.Thread(target=lambda: None, name="tidy")
    t.start()
    t.join()
"""


INNER_LEAKS_QT_TIMER = """
from PySide6.QtCore import QTimer

KEPT = []

def test_leaks_timer(qtbot):
    timer = QTimer()
    timer.setObjectName("forgotten-refresh")
    timer.start(1000)
    KEPT.append(timer)

def test_stops_timer(qtbot):
    timer = QTimer()
    timer.start(1000)
    KEPT.append(timer)
    timer.stop()
"""


INNER_BREAKS_THE_RULES = """
import warnings

import pytest
from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QLabel

def test_qt_warning(qtbot):
    qWarning("a Qt warning from the code under test")

def test_python_warning():
    warnings.warn("something deprecated", DeprecationWarning)

def test_offscreen_noise_is_ignored(qtbot):
    label = QLabel("shown")
    qtbot.addWidget(label)
    label.show()
    qtbot.waitExposed(label)

@pytest.mark.no_such_marker
def test_typo_in_marker():
    pass
"""


def _run_inner(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    *,
    qt: bool = False,
    project_config: bool = False,
) -> pytest.RunResult:
    """Run ``source`` as a test file in a fresh pytest process that uses this suite's conftest.

    With ``project_config`` the inner run also uses the project's own pyproject.toml (its pytest
    options: warnings as errors, strict markers, Qt warnings fail).
    """
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    if project_config:
        shutil.copy(REPO_ROOT / "pyproject.toml", pytester.path / "pyproject.toml")
    test_file = pytester.makepyfile(test_inner=source)
    monkeypatch.setenv("WARDROOM_TEST_THREAD_GRACE_S", "0.5")
    plugins = [] if qt else ["-p", "no:pytest-qt"]
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", *plugins, "-q", "--continue-on-collection-errors", str(test_file)
    )


def test_guard_fails_a_test_that_swallows_the_refusal(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_inner(pytester, monkeypatch, INNER_SWALLOWS_ERROR)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*network access blocked in tests*0.0.0.0*"])


def test_guard_covers_child_processes_and_fails_their_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests run ``wardroom`` as subprocesses: the guard is installed there too (sitecustomize)."""
    result = _run_inner(pytester, monkeypatch, INNER_CHILD_CONNECTS)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*in a child process: [[]pid *network access blocked in tests: connect to ('0.0.0.0', 80)*"]
    )
    errors = [line for line in result.stdout.lines if line.startswith("ERROR")]
    assert len(errors) == 1 and "test_child_connects_outside" in errors[0], errors


def test_leak_check_fails_a_test_that_leaves_a_thread_running(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_inner(pytester, monkeypatch, INNER_LEAKS_THREAD)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*thread 'leaky-worker'*still running*"])
    assert "tolerated-worker" not in result.stdout.str()


def test_leak_check_fails_a_qt_test_that_leaves_a_timer_running(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_inner(pytester, monkeypatch, INNER_LEAKS_QT_TIMER, qt=True)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*Qt QTimer 'forgotten-refresh' still active after the test*"])


def test_project_config_fails_qt_warnings_python_warnings_and_unknown_markers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_inner(pytester, monkeypatch, INNER_BREAKS_THE_RULES, qt=True, project_config=True)
    result.stdout.fnmatch_lines(["*'no_such_marker' not found in `markers` configuration option*"])
    result.assert_outcomes(errors=1)  # strict markers: the file does not even collect
    pytester.path.joinpath("test_inner.py").write_text(
        INNER_BREAKS_THE_RULES.split("@pytest.mark.no_such_marker")[0], encoding="utf-8"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "test_inner.py")
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_qt_warning*", "*FAILED*test_python_warning*"])


INNER_PASSES_UNEXPECTEDLY = """
import pytest

@pytest.mark.xfail(reason="known to fail")
def test_fixed_meanwhile():
    pass
"""


def test_project_config_fails_an_unexpected_pass_and_an_unknown_setting(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """xfail_strict: a fixed bug's xfail must be removed; --strict-config: a mistyped setting is no
    silent no-op."""
    result = _run_inner(pytester, monkeypatch, INNER_PASSES_UNEXPECTEDLY, qt=True, project_config=True)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*known to fail*"])
    config = pytester.path / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("[tool.pytest.ini_options]\n", "[tool.pytest.ini_options]\nxfail_strcit = true\n", 1),
        encoding="utf-8",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "test_inner.py")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*Unknown config option: xfail_strcit*"])


def test_xvfb_display_serves_x_clients(xvfb_display: str) -> None:
    assert re.fullmatch(r":\d+", xvfb_display)
    assert Path(f"/tmp/.X11-unix/X{xvfb_display[1:]}").is_socket()
    xdpyinfo = shutil.which("xdpyinfo")
    if xdpyinfo is not None:  # x11-utils, installed with the test dependencies
        info = subprocess.run(
            [xdpyinfo, "-display", xvfb_display], capture_output=True, text=True, timeout=30, check=False
        )
        assert info.returncode == 0, info.stderr
        assert "1600x1000 pixels" in info.stdout

"""The tests' network guard: refuse, before any packet leaves, every connect beyond the loopback interface.

Used twice, so that one rule covers every Python process a test runs:

- in the pytest process, per test, by ``tests/conftest.py`` (through ``monkeypatch``);
- in every child Python a test starts (``wardroom`` commands, helper scripts, inner pytest runs), by
  ``sitecustomize.py`` beside this file: the conftest's autouse fixture puts this folder on
  ``PYTHONPATH`` and names a log file in ``WARDROOM_TEST_NETGUARD_LOG``; a child's refusals are
  appended there, and the fixture fails the test at teardown if the file has lines, even when the
  child swallowed the error or exited 0.

A refusal is a PermissionError (an OSError, like a firewall's EACCES) raised *before* the system call,
so code under test takes its ordinary "unreachable" path and nothing is sent. Name lookups other than
``localhost`` and this host are refused too. C libraries that open their own sockets (libpq, FFmpeg
inside OpenCV) are not seen; tests point them at loopback anyway.

This file lives outside the ``tests`` package and imports nothing of the project: a child interpreter
loads it at start-up, before anything else, from wherever it runs.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_ENV = "WARDROOM_TEST_NETGUARD_LOG"
"""Environment variable naming the file where child processes append their refusals."""

_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_address("::1")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlockedError(PermissionError):
    """Raised instead of reaching anything beyond the loopback interface during tests.

    A PermissionError (an OSError), like a firewall's EPERM/EACCES, so code under test takes its
    ordinary "unreachable" path; the guard still fails the test because it records the attempt.
    """


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
    """Records and refuses every attempt to leave the loopback interface.

    With ``log_path`` (a child process) each refusal is also appended to that file as one line, where
    the parent test's fixture finds it.
    """

    def __init__(self, log_path: Path | None = None) -> None:
        self.violations: list[str] = []
        self.log_path = log_path
        # In the pytest process: the file this test's child processes report their refusals to.
        self.child_log: Path | None = None
        self._own_names = {socket.gethostname().lower()}

    def refuse(self, what: str, target: object) -> NetworkBlockedError:
        message = (
            f"network access blocked in tests: {what} {target!r}. Tests may reach only 127.0.0.0/8 "
            "and ::1 (tests/netguard network guard)."
        )
        self.violations.append(message)
        if self.log_path is not None:
            where = f"[pid {os.getpid()}: {' '.join(sys.argv)[:200]}] "
            try:
                with open(self.log_path, "a", encoding="utf-8") as log:
                    log.write(where + message.replace("\n", " ") + "\n")
            except OSError:
                pass  # the refusal itself still stands
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


def install(guard: NetworkGuard, set_attribute: Callable[[Any, str, Any], None] = setattr) -> None:
    """Route ``connect``/``connect_ex``/``sendto`` and ``getaddrinfo`` through ``guard``.

    ``set_attribute`` is ``monkeypatch.setattr`` in the pytest process (undone after each test) and
    plain ``setattr`` in a child (for the life of the process).
    """
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
    set_attribute(socket.socket, "connect", connect)
    set_attribute(socket.socket, "connect_ex", connect_ex)
    set_attribute(socket.socket, "sendto", sendto)
    set_attribute(socket, "getaddrinfo", getaddrinfo)


def install_in_child() -> NetworkGuard | None:
    """The child-process guard, when the parent test asked for one (``WARDROOM_TEST_NETGUARD_LOG``)."""
    log_path = os.environ.get(LOG_ENV)
    if not log_path:
        return None
    guard = NetworkGuard(Path(log_path))
    install(guard)
    return guard


def read_child_violations(log_path: Path) -> list[str]:
    """The refusals child processes appended to ``log_path`` (none if the file does not exist)."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.strip()]

"""The simulators registry: where each running simulated PLC actually listens, for other processes.

A simulated PLC with ``port = 0`` picks a free port at start, so ``wardroom simulate trip`` (another
process) cannot learn it from the site file. Every simulator started for a site file therefore adds an
entry to ``simulators.json`` in :func:`app.paths.state_dir` (site file's absolute path, PLC id, host,
port, process id) and removes it on stop. An entry whose process has died (a crash, ``kill -9``) is
ignored and pruned on the next write, so a stale file never points a drill at a dead or foreign port.

Several processes (GUI, ``wardroom station``, ``wardroom simulate``) may write at once: writes hold an
exclusive ``flock`` on a side lock file and replace the file atomically, so a reader never sees half a
file. A corrupt file is treated as empty (it only holds what running processes re-create). The lock is
waited for at most ``LOCK_WAIT_S``: a process stuck while holding it (stopped in a debugger, hung on a
dead network home folder) must not hang a simulator's start or stop; past the deadline the write goes
ahead unlocked, with a warning (the atomic replace still keeps the file whole; at worst one entry is
lost, and only until that simulator restarts).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app import paths

log = logging.getLogger("wardroom.sim")

REGISTRY_NAME = "simulators.json"
LOCK_NAME = "simulators.lock"
LOCK_WAIT_S = 2.0
_LOCK_POLL_S = 0.02


@dataclass(frozen=True)
class SimulatorEntry:
    """One running simulated PLC."""

    site: str  # absolute, resolved path of the site file
    plc: str
    protocol: str
    host: str
    port: int
    pid: int
    started: float  # UNIX time


def site_key(site_path: str | Path) -> str:
    """The registry's name for a site file: its absolute path with links resolved."""
    return str(Path(site_path).expanduser().resolve())


def registry_path() -> Path:
    return paths.state_dir() / REGISTRY_NAME


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (a permission error still means it exists)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    lock_path = paths.state_dir() / LOCK_NAME
    with open(lock_path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: the atomic replace alone still keeps the file whole
            yield
            return
        fd = handle.fileno()
        deadline = time.monotonic() + LOCK_WAIT_S
        locked = False
        why = f"still held by another process after {LOCK_WAIT_S:g} s"
        for _attempt in range(int(LOCK_WAIT_S / _LOCK_POLL_S) + 2):  # bounded in count and in time
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # held by another process
                if time.monotonic() >= deadline:
                    break
                time.sleep(_LOCK_POLL_S)
                continue
            except OSError as exc:  # no locking here at all (e.g. some network file systems)
                why = f"cannot be taken ({exc})"
                break
            locked = True
            break
        if not locked:
            log.warning("simulators registry lock %s %s; writing without it", lock_path, why)
        try:
            yield
        finally:
            if locked:
                fcntl.flock(fd, fcntl.LOCK_UN)


def _parse(item: Any) -> SimulatorEntry | None:
    try:
        return SimulatorEntry(
            site=str(item["site"]),
            plc=str(item["plc"]),
            protocol=str(item["protocol"]),
            host=str(item["host"]),
            port=int(item["port"]),
            pid=int(item["pid"]),
            started=float(item["started"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _read() -> list[SimulatorEntry]:
    try:
        data = json.loads(registry_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("simulators registry %s unreadable, treated as empty: %s", registry_path(), exc)
        return []
    if not isinstance(data, list):
        return []
    return [e for e in (_parse(item) for item in data) if e is not None]


def _write(entries: list[SimulatorEntry]) -> None:
    target = registry_path()
    fd, tmp = tempfile.mkstemp(prefix=".simulators-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump([asdict(e) for e in entries], handle, indent=2)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def register(site_path: str | Path, plc: str, protocol: str, host: str, port: int) -> SimulatorEntry:
    """Record a simulator of this process as listening on ``host:port``."""
    entry = SimulatorEntry(site_key(site_path), plc, protocol, host, port, os.getpid(), time.time())
    with _locked():
        kept = [
            e
            for e in _read()
            if pid_alive(e.pid) and not (e.pid == entry.pid and e.site == entry.site and e.plc == plc)
        ]
        _write([*kept, entry])
    return entry


def unregister(entry: SimulatorEntry) -> None:
    """Remove the entry (and any dead ones) when the simulator stops."""
    with _locked():
        _write([e for e in _read() if e != entry and pid_alive(e.pid)])


def lookup(site_path: str | Path, plc: str) -> list[SimulatorEntry]:
    """Live simulators of this site file's PLC, newest first."""
    key = site_key(site_path)
    found = [e for e in _read() if e.site == key and e.plc == plc and pid_alive(e.pid)]
    return sorted(found, key=lambda e: e.started, reverse=True)


def endpoint(
    site_path: str | Path, plc_id: str, host: str | None, port: int | None
) -> tuple[str, int] | None:
    """Where a simulated PLC of this site file answers now: the newest live registry entry, else the
    file's own ``host``/``port`` when the port is fixed, else None (port 0 and nothing running).

    Pollers and ``wardroom points list`` use this to read a simulated PLC that another process serves.
    """
    found = lookup(site_path, plc_id)
    if found:
        return found[0].host, found[0].port
    if port:
        return host or "127.0.0.1", port
    return None

"""Shared parts of the device-request tests (no tests here): a site, users, a station's lease, a writer.

Everything is real: a pymodbus server on 127.0.0.1, a SQLite file or a fresh PostgreSQL database,
a ``FieldbusManager`` polling the server as a station's poller would (its ``write`` is what the
station hands its executor), and a lease row renewed like a live station's.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from argon2 import PasswordHasher
from sqlalchemy import select

from app.auth.users import UserInfo, UserService
from app.events import EventBus
from app.fieldbus.manager import FieldbusManager
from app.fleet import leases
from app.fleet.clock import db_now
from app.fleet.connections import plc_connection_key
from app.fleet.leases import StationIdentity
from app.site.loader import LoadedSite, load_site
from app.storage.database import Database
from models.audit import AuditEntry
from models.fleet import DeviceRequest

PASSWORD = "long-enough-pw"

SITE = """
[site]
name = "Request test site"
timezone = "UTC"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {port}
poll_ms = 200
timeout_ms = 500

[[plc]]
id = "simpanel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 0
simulated = true

[[point]]
id = "pump.setpoint"
plc = "panel"
address = "hr:20"
type = "uint16"
scale = 0.1
unit = "m"
kind = "other"
writable = {writable}

[[point]]
id = "pump.pressure"
plc = "panel"
address = "hr:10"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"

[[point]]
id = "b1.smoke"
plc = "simpanel"
address = "di:1"
type = "bool"
kind = "smoke"
alarms = [ {{ limit = "on" }} ]
"""


def write_site(folder: Path, port: int, *, writable: bool = True, name: str = "site.toml") -> Path:
    path = folder / name
    path.write_text(SITE.format(port=port, writable=str(writable).lower()), encoding="utf-8")
    return path


def panel_key(loaded: LoadedSite) -> str:
    return plc_connection_key(next(p for p in loaded.site.plc if p.id == "panel"))


def sim_key(loaded: LoadedSite) -> str:
    return plc_connection_key(next(p for p in loaded.site.plc if p.id == "simpanel"))


class _HashOnce(PasswordHasher):
    """Hashes each password once per test session: three real argon2 hashes per test cost ~1 s."""

    _done: ClassVar[dict[str, str]] = {}

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        key = password.decode() if isinstance(password, bytes) else password
        if key not in self._done:
            self._done[key] = super().hash(password, salt=salt)
        return self._done[key]


def add_users(db: Database) -> dict[str, UserInfo]:
    users = UserService(db, hasher=_HashOnce())
    return {
        "wang": users.add("wang", "supervisor", PASSWORD),
        "li": users.add("li", "duty-officer", PASSWORD),
        "clerk": users.add("clerk", "records-clerk", PASSWORD),
    }


@contextmanager
def poller(loaded: LoadedSite) -> Iterator[FieldbusManager]:
    """The station's poller of the site's Modbus PLC (its ``write`` goes to the executor)."""
    part = loaded.site.model_copy(update={"plc": tuple(p for p in loaded.site.plc if p.id == "panel")})
    part = part.model_copy(update={"point": tuple(p for p in loaded.site.point if p.plc == "panel")})
    manager = FieldbusManager(part, EventBus())
    manager.start()
    try:
        yield manager
    finally:
        manager.stop(2.0)


@contextmanager
def held_lease(db: Database, key: str, station: str, members: list[str]) -> Iterator[None]:
    """Hold lease ``key`` as a live station named ``station`` (its row registered, renewed every 0.5 s)."""

    def take(session: Any) -> bool:
        now = db_now(session)
        leases.register(session, StationIdentity(station, "testhost", 1), now)
        return leases.acquire(session, key, members, station, now).ok

    assert db.write(take), f"lease {key} is not free"
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(0.5):
            db.write(lambda s: leases.renew(s, station, [key], db_now(s), {}))

    beat = threading.Thread(target=renew, name=f"test-lease-{station}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(5)
        db.write(lambda s: leases.release(s, station, [key]))


def audit_rows(db: Database, *actions: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(actor, action, target, details) of the audit rows with these actions, oldest first."""
    with db.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if actions:
            query = query.where(AuditEntry.action.in_(actions))
        return [(r.actor, r.action, r.target, json.loads(r.details)) for r in session.scalars(query)]


def request_rows(db: Database) -> list[DeviceRequest]:
    with db.session() as session:
        return list(session.scalars(select(DeviceRequest).order_by(DeviceRequest.id)))


def loaded_site(path: Path) -> LoadedSite:
    return load_site(path)


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")

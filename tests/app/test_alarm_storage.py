"""Storage failures: a full disk and a read-only file system under a running alarm engine.

For real: the journal on a small tmpfs mounted for the test and filled up (mounting needs root,
as CI has), and a database file made immutable with ``chattr +i`` (ext4; holds even for root).
Within 10 s the engine must raise ``system:storage`` in words, keep showing what happens marked
"not recorded", and when storage returns write every held transition in its order.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.alarms.events import AlarmChanged
from app.events import EventBus
from app.storage.database import Database
from models.alarms import AlarmOccurrence, AlarmTransition
from tests.app.alarm_support import open_db, reading, running_engine, write_site


def no_peer(reason: str) -> None:
    """Skip, or fail when every test peer is required (WARDROOM_REQUIRE_PEERS=1, as CI sets)."""
    if os.environ.get("WARDROOM_REQUIRE_PEERS") == "1":
        pytest.fail(f"{reason}; WARDROOM_REQUIRE_PEERS=1 requires it", pytrace=False)
    pytest.skip(reason)


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout_s} s")


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "8m") -> Iterator[Path]:
    where.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        no_peer(f"cannot mount a tmpfs here ({done.stderr.decode().strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(directory: Path) -> Path:
    filler = directory / "filler.bin"
    with open(filler, "wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    return filler


class Seen:
    def __init__(self, bus: EventBus) -> None:
        self.events: list[AlarmChanged] = []
        bus.subscribe(AlarmChanged, self.events.append)

    def storage_alarm(self) -> AlarmChanged | None:
        return next((e for e in self.events if e.view.key == "system:storage" and e.transition), None)

    def held(self) -> list[tuple[str, str, str]]:
        return [
            (e.view.key, e.transition.from_state, e.transition.to_state)
            for e in self.events
            if e.transition is not None and not e.view.recorded and e.view.key != "system:storage"
        ]


def journal_moves(db: Database) -> list[tuple[str, str, str, bool]]:
    with db.session() as session:
        t = AlarmTransition
        rows = session.execute(
            select(AlarmOccurrence.alarm_key, t.from_state, t.to_state, t.held)
            .join(AlarmOccurrence, AlarmOccurrence.id == AlarmTransition.occurrence_id)
            .order_by(AlarmTransition.id)
        ).all()
    return [(k, f, t, h) for k, f, t, h in rows]


def exercise(
    db: Database, tmp: Path, break_storage: Callable[[], None], heal: Callable[[], None], words: str
) -> None:
    site = write_site(tmp)
    bus = EventBus()
    seen = Seen(bus)
    with running_engine(site, db, bus) as engine:
        bus.publish(reading("b3.pressure", 0.08))  # recorded before the failure
        assert engine.drain()
        break_storage()
        broken_at = time.monotonic()
        # Changes while storage is down: each shown at once, marked not recorded.
        bus.publish(reading("b3.smoke", True))
        bus.publish(reading("b3.pressure", 0.03))
        bus.publish(reading("b3.pressure", 0.5))
        assert engine.drain(15)
        wait_until(lambda: seen.storage_alarm() is not None, 10 - (time.monotonic() - broken_at))
        storage = seen.storage_alarm()
        assert storage is not None and storage.view.priority == "urgent" and storage.view.category == "fault"
        message = storage.view.message
        assert words in message and message.startswith("alarms are not being recorded")
        held = seen.held()
        assert held == [
            ("b3.smoke/on", "normal", "unacknowledged"),
            ("b3.pressure/low-low", "normal", "unacknowledged"),
            ("b3.pressure/low", "unacknowledged", "rtn-unacknowledged"),
            ("b3.pressure/low-low", "unacknowledged", "rtn-unacknowledged"),
        ]
        heal()
        storage_cleared = ("system:storage", "unacknowledged", "rtn-unacknowledged")

        def recovered() -> bool:
            return engine.storage_ok and storage_cleared in [(k, f, t) for k, f, t, _ in journal_moves(db)]

        wait_until(recovered, 15)
    moves = journal_moves(db)
    written = [(k, f, t) for k, f, t, h in moves if h and k != "system:storage"]
    assert written == held  # every held transition, in its order
    assert moves[0] == ("b3.pressure/low", "normal", "unacknowledged", False)
    assert ("system:storage", "normal", "unacknowledged") in [(k, f, t) for k, f, t, _ in moves]


def test_a_full_disk_raises_system_storage_and_loses_nothing(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        no_peer("mounting a small tmpfs (a disk to fill) needs root, as CI has")
    with small_tmpfs(tmp_path / "disk") as disk:
        db = Database(f"sqlite:///{disk / 'journal.sqlite3'}")
        db.upgrade()
        site = write_site(tmp_path)
        from app.site.sync import sync_site

        sync_site(db, site)
        filler: list[Path] = []
        try:
            exercise(db, tmp_path, lambda: filler.append(fill(disk)), lambda: filler[0].unlink(), "full")
        finally:
            db.close()


def test_a_read_only_database_file_raises_system_storage_and_loses_nothing(tmp_path: Path) -> None:
    """The file made immutable (``chattr +i``, which holds even for root): nothing can be written to it."""
    site = write_site(tmp_path)
    db = open_db(tmp_path, site)
    files = [tmp_path / "journal.sqlite3", tmp_path / "journal.sqlite3-wal"]

    def chattr(flag: str) -> None:
        for f in files:
            done = subprocess.run(["chattr", flag, str(f)], capture_output=True, text=True)
            if done.returncode != 0:
                no_peer(f"chattr is not supported here ({done.stderr.strip()})")
        db.engine.dispose()  # connections opened from now on find the file read-only

    try:
        exercise(db, tmp_path, lambda: chattr("+i"), lambda: chattr("-i"), "read-only")
    finally:
        for f in files:
            subprocess.run(["chattr", "-i", str(f)], capture_output=True)
        db.close()

"""Snapshots (``app.video.snapshots``): masked JPEG + row + audit, refusals, failures, retention purge.

The masked-pixel test takes its frame from a real capture hub reading a real MJPEG stream from a site
file with a privacy mask, and reads the saved JPEG back, so "masked in a saved snapshot" is proved
end to end, not assumed from the mask code.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from app.auth.permissions import PermissionRefused
from app.auth.users import UserInfo, UserService
from app.storage.database import Database, open_database
from app.video import snapshots
from app.video.frames import Frame
from models.audit import AuditEntry
from models.incidents import Incident
from models.video import Snapshot
from tests.models.support import sqlite_url

NOW = datetime(2026, 3, 10, 8, 30, 15, 250_000, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with open_database(sqlite_url(tmp_path)) as database:
        yield database


@pytest.fixture
def officer(db: Database) -> UserInfo:
    return UserService(db).add("li.wei", "duty-officer", "correct horse battery", actor="test")


def picture(width: int = 160, height: int = 90) -> np.ndarray:
    """A bright gradient (so a black area in the JPEG is a mask, not the picture)."""
    image = np.full((height, width, 3), 200, dtype=np.uint8)
    image[:, :, 0] = np.linspace(100, 255, width, dtype=np.uint8)[None, :]
    return image


def audit_rows(db: Database, prefix: str = "snapshot.") -> list[tuple[str, str, str, dict[str, Any]]]:
    with db.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
        )
        return [(r.actor, r.action, r.target, json.loads(r.details)) for r in rows]


def all_rows(db: Database) -> list[Snapshot]:
    with db.session() as session:
        return list(session.scalars(select(Snapshot).order_by(Snapshot.id)))


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_take_saves_a_jpeg_a_row_and_an_audit_entry(db: Database, officer: UserInfo) -> None:
    frame = Frame(picture(), at=NOW.timestamp() - 0.2, seq=7)
    info = snapshots.take(db, frame, "gate/north 1", officer, now=NOW)

    assert info.relative == "2026/03/10/gate_north_1-20260310T083015.250Z.jpg"
    assert info.path == snapshots.snapshots_root() / info.relative
    assert info.path.is_relative_to(Path(os.environ["WARDROOM_HOME"]))
    data = info.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == info.sha256
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (90, 160, 3) and (info.width, info.height) == (160, 90)
    assert files_under(snapshots.snapshots_root()) == [info.relative]  # no temporary file left

    (row,) = all_rows(db)
    assert (row.camera, row.user_id, row.user_name, row.source) == (
        "gate/north 1",
        officer.id,
        "li.wei",
        "operator",
    )
    assert (row.path, row.sha256, row.incident_id) == (info.relative, info.sha256, None)
    assert row.taken_at == NOW and row.frame_at is not None
    assert abs((row.frame_at - NOW).total_seconds() + 0.2) < 0.01
    ((actor, action, target, details),) = audit_rows(db)
    assert (actor, action, target) == ("li.wei", "snapshot.take", "gate/north 1")
    assert details["path"] == info.relative and details["sha256"] == info.sha256

    again = snapshots.take(db, frame, "gate/north 1", officer, now=NOW)  # same millisecond: a new name
    assert again.relative == "2026/03/10/gate_north_1-20260310T083015.250Z-1.jpg"
    assert info.path.read_bytes() == data


def test_vision_snapshots_are_the_system_s(db: Database) -> None:
    info = snapshots.take(
        db, Frame(picture(), at=NOW.timestamp(), seq=1), "lobby", None, source="vision", now=NOW
    )
    (row,) = all_rows(db)
    assert row.source == "vision" and row.user_id is None and info.user_name == ""
    assert audit_rows(db)[0][:2] == ("system", "snapshot.take")
    with pytest.raises(ValueError):
        snapshots.take(db, Frame(picture(), at=0.0, seq=1), "lobby", None, source="operator")


def test_a_role_without_the_right_is_refused_and_audited(db: Database) -> None:
    clerk = UserService(db).add("zhao.min", "records-clerk", "correct horse battery", actor="test")
    with pytest.raises(PermissionRefused, match="records-clerk"):
        snapshots.take(db, Frame(picture(), at=NOW.timestamp(), seq=1), "gate", clerk, now=NOW)
    assert all_rows(db) == []
    assert files_under(snapshots.snapshots_root()) == []
    ((actor, action, target, details),) = audit_rows(db)
    assert (actor, action, target) == ("zhao.min", "snapshot.take-refused", "gate")
    assert "records-clerk" in details["reason"]


def test_a_full_disk_is_said_plainly_and_leaves_nothing(
    db: Database, officer: UserInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(snapshots.os, "fsync", full)
    with pytest.raises(snapshots.SnapshotFailed, match="is full: the snapshot was not saved"):
        snapshots.take(db, Frame(picture(), at=NOW.timestamp(), seq=1), "gate", officer, now=NOW)
    monkeypatch.undo()
    assert files_under(snapshots.snapshots_root()) == []  # the temporary file went too
    assert all_rows(db) == []
    ((_actor, action, _target, details),) = audit_rows(db)
    assert action == "snapshot.take-failed" and "is full" in details["reason"]


def test_an_unusable_folder_and_a_refused_row_leave_nothing(
    tmp_path: Path, db: Database, officer: UserInfo
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    frame = Frame(picture(), at=NOW.timestamp(), seq=1)
    with pytest.raises(snapshots.SnapshotFailed, match=r"could not be saved in .*not-a-folder"):
        snapshots.take(db, frame, "gate", officer, now=NOW, root=blocker / "snapshots")

    ghost = UserInfo(999, "ghost", "duty-officer", None, NOW)  # no such user: the row's foreign key fails
    root = tmp_path / "snaps"
    with pytest.raises(snapshots.SnapshotFailed, match="database refused it"):
        snapshots.take(db, frame, "gate", ghost, now=NOW, root=root)
    assert files_under(root) == []
    assert all_rows(db) == []
    assert [a[1] for a in audit_rows(db)] == ["snapshot.take-failed", "snapshot.take-failed"]


def test_purge_keeps_incident_snapshots_and_recent_ones(db: Database, officer: UserInfo) -> None:
    root = snapshots.snapshots_root()
    frame = Frame(picture(), at=0.0, seq=1)
    old = [snapshots.take(db, frame, f"cam{i}", officer, now=NOW - timedelta(days=40 + i)) for i in range(3)]
    held = snapshots.take(db, frame, "evidence", officer, now=NOW - timedelta(days=90))
    recent = snapshots.take(db, frame, "cam0", officer, now=NOW - timedelta(days=29))
    vision = snapshots.take(db, frame, "lobby", None, source="vision", now=NOW - timedelta(days=31))

    def attach(session: Any) -> None:
        incident = Incident(title="Bike in lobby", opened_by_id=officer.id)
        session.add(incident)
        session.flush()
        session.get(Snapshot, held.id).incident_id = incident.id

    db.write(attach)
    old[1].path.unlink()  # already gone: no error
    orphan = root / "2026/01/01/lost-20260101T000000.000Z.jpg"  # a crash's leftover: no row names it
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"jpeg")
    stale_tmp = root / "2026/01/01/.snapshot-abc.tmp"
    stale_tmp.write_bytes(b"half")
    long_ago = (NOW - timedelta(days=60)).timestamp()
    for path in (orphan, stale_tmp):
        os.utime(path, (long_ago, long_ago))

    result = snapshots.purge(db, 30, now=NOW)

    assert (result.removed, result.missing_files, result.failed) == (4, 1, 0)
    assert result.kept_for_incidents == 1 and result.orphans_removed == 2
    assert result.cutoff == NOW - timedelta(days=30)
    assert result.oldest_kept == NOW - timedelta(days=90)
    assert {r.id for r in all_rows(db)} == {held.id, recent.id}
    assert files_under(root) == sorted([held.relative, recent.relative])
    assert not any(p.exists() for p in (*(o.path for o in old), vision.path))
    assert not (root / "2026/01/01").exists()  # emptied day folders go too
    (purge_row,) = [a for a in audit_rows(db) if a[1] == "snapshot.purge"]
    actor, _action, _target, details = purge_row
    assert actor == "system"
    assert details["removed"] == 4 and details["kept_for_incidents"] == 1 and details["missing_files"] == 1
    assert details["oldest_kept"] == (NOW - timedelta(days=90)).isoformat()

    quiet = snapshots.purge(db, 30, now=NOW)  # nothing to do: no audit row
    assert (quiet.removed, quiet.kept_for_incidents) == (0, 1)
    assert len([a for a in audit_rows(db) if a[1] == "snapshot.purge"]) == 1


def test_a_file_that_will_not_go_keeps_its_row(
    db: Database, officer: UserInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = Frame(picture(), at=0.0, seq=1)
    stuck = snapshots.take(db, frame, "cam", officer, now=NOW - timedelta(days=40))
    snapshots.take(db, frame, "cam", officer, now=NOW - timedelta(days=41))
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == stuck.path:
            raise PermissionError(errno.EACCES, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    result = snapshots.purge(db, 30, now=NOW)
    assert (result.removed, result.failed) == (1, 1)
    assert [r.id for r in all_rows(db)] == [stuck.id]
    assert stuck.path.exists()


def test_a_snapshot_from_a_masked_camera_is_masked_in_the_saved_file(
    tmp_path: Path, db: Database, officer: UserInfo
) -> None:
    from app.sim.mjpeg import MjpegServer
    from app.site.schema import Camera, CameraSettings
    from app.video.hub import CaptureHub

    card = tmp_path / "card.png"
    assert cv2.imwrite(str(card), np.full((360, 640, 3), 200, np.uint8))
    server = MjpegServer(fps=10)
    server.add_stream("/lobby.mjpg", card, name="Lobby")
    server.start()
    square = ((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75))
    camera = Camera(id="lobby", url=server.url_for("/lobby.mjpg"), privacy_masks=(square,))
    hub = CaptureHub([camera], CameraSettings(), probe=False)
    try:
        source = hub.open("lobby")
        deadline = time.monotonic() + 10
        while (frame := source.latest()) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert frame is not None, source.status()
        info = snapshots.take(db, frame, "lobby", officer)
        source.release()
    finally:
        hub.stop(2.0)
        server.close()

    saved = cv2.imread(str(info.path), cv2.IMREAD_COLOR)
    assert saved.shape == (360, 640, 3)
    inside = saved[100:260, 170:470]  # the mask (90..270, 160..480) less a JPEG edge margin
    outside = np.concatenate([saved[:80].reshape(-1, 3), saved[:, 500:].reshape(-1, 3)])
    assert int(inside.max()) <= 24, "the privacy mask is missing from the saved snapshot"
    assert float(np.median(outside)) > 150  # the rest of the picture is there (stamps and name aside)


@pytest.mark.parametrize("days", [0, -1])
def test_purge_refuses_a_retention_of_no_days(db: Database, days: float) -> None:
    with pytest.raises(ValueError):
        snapshots.purge(db, days)


def test_the_daily_keeper_purges_past_retention(db: Database, officer: UserInfo) -> None:
    """The station's keeper runs the purge by itself (first run shortly after start)."""
    from app.video.retention import SnapshotKeeper

    old = datetime.now(UTC) - timedelta(days=40)
    snapshots.take(db, Frame(picture(), old.timestamp(), 1), "gate", officer, now=old)
    snapshots.take(db, Frame(picture(), time.time(), 2), "gate", officer)
    keeper = SnapshotKeeper(db, 30, first_run_s=0.05, every_s=3600)
    keeper.start()
    try:
        deadline = time.monotonic() + 5
        while keeper.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        keeper.stop()
    assert keeper.runs == 1
    assert len(all_rows(db)) == 1, "the 40-day-old snapshot is gone, today's is kept"

"""Snapshots: a camera's current (already masked) frame saved as a JPEG, with a row and an audit entry.

Why this shape:

- The frame handed in comes from a capture :class:`~app.video.frames.FrameSource`, so privacy masks
  are already burned into its pixels; nothing here can see, or save, an unmasked picture.
- Faces are blurred before the picture is encoded when the caller hands in ``mask`` (vision's
  :func:`app.vision.privacy.mask_faces`: the face detector lives in ``app.vision``, a layer above this
  one, so it is passed in rather than imported). Every caller that saves a camera picture passes it;
  the audit entry says whether the faces were masked.
- A picture on disk without its row (or a row without its picture) must not be left by a full disk,
  an unwritable folder or a crash: the JPEG is encoded in memory, written to a temporary file in its
  day folder, flushed and linked under its final name (never over another file), and only then is the
  row written, with its audit entry in the same transaction; if that fails, the file goes again.
- Retention (DESIGN §6) is about pictures of people: :func:`purge` removes the *files* first and then
  their rows, keeps a row whose file would not go (so the next purge tries again), spares snapshots
  attached to an incident (evidence outlives everyday retention), and also sweeps old pictures that no
  row names (left by a crash between file and row, or whose rows another station purged).

Files live under ``data_dir()/snapshots/YYYY/MM/DD/<camera>-<UTC time>.jpg`` (UTC dates, so a clock
change or a site in another zone never splits or merges a day); the row keeps the path relative to
the ``snapshots`` folder, so the data folder can be moved.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import delete, func, select

from app.audit import chain as audit
from app.auth.permissions import Action, PermissionRefused, require
from models.video import Snapshot

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy.orm import Session

    from app.auth.users import UserInfo
    from app.storage.database import Database
    from app.video.frames import Frame

log = logging.getLogger("wardroom.video")

SnapshotSource = Literal["operator", "vision"]
ImageMask = Callable[["np.ndarray"], "np.ndarray"]
"""Returns a masked copy of a BGR picture (e.g. faces blurred); never changes its argument."""
FOLDER = "snapshots"
JPEG_QUALITY = 90
SYSTEM_ACTOR = "system"
PURGE_BATCH = 500
TEMP_MAX_AGE_S = 24 * 3600.0
"""A temporary file this old is a crash's leftover (a write takes well under a second)."""
_UNSAFE = re.compile(r"[^\w.-]+")
_MAX_AUDIT_TARGET = 200


class SnapshotFailed(Exception):
    """The snapshot could not be saved; the message says why in a duty officer's words."""


@dataclass(frozen=True)
class SnapshotInfo:
    """A saved snapshot (what the GUI shows and the CLI prints)."""

    id: int
    camera: str
    taken_at: datetime
    frame_at: datetime | None
    user_name: str
    source: str
    path: Path  # absolute, on this machine
    relative: str  # as stored: relative to the snapshots folder, with forward slashes
    width: int
    height: int
    sha256: str
    incident_id: int | None = None


@dataclass(frozen=True)
class PurgeResult:
    """What one purge did. ``failed`` rows are kept (their files would not go) and retried next time."""

    cutoff: datetime
    removed: int = 0  # rows (and their files) deleted
    missing_files: int = 0  # rows deleted whose file was already gone
    failed: int = 0  # files that could not be deleted (rows kept)
    kept_for_incidents: int = 0  # older than the cutoff, kept because an incident holds them
    orphans_removed: int = 0  # old files no row named, and stale temporary files
    oldest_kept: datetime | None = None  # the oldest snapshot left after the purge

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.failed or self.orphans_removed)


def snapshots_root() -> Path:
    """The folder every snapshot lives under (in the data folder, so ``WARDROOM_HOME`` moves it)."""
    from app.paths import data_dir

    return data_dir() / FOLDER


def _as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def relative_path(camera_id: str, taken_at: datetime) -> str:
    """``YYYY/MM/DD/<camera>-<YYYYmmddTHHMMSS.mmm>Z.jpg`` (UTC); the camera id made file-name safe."""
    at = _as_utc(taken_at)
    name = _UNSAFE.sub("_", camera_id).strip("._")[:80] or "camera"
    stamp = at.strftime("%Y%m%dT%H%M%S") + f".{at.microsecond // 1000:03d}Z"
    return f"{at:%Y/%m/%d}/{name}-{stamp}.jpg"


def _encode_jpeg(frame: Frame, mask: ImageMask | None = None) -> tuple[bytes, int, int]:
    import cv2
    import numpy as np

    image = np.ascontiguousarray(frame.image if mask is None else mask(frame.image))
    if image.ndim not in (2, 3) or image.size == 0:
        raise SnapshotFailed("the camera's picture is empty or not an image; nothing was saved")
    ok, buffer = cv2.imencode(".jpg", image, [int(cv2.IMWRITE_JPEG_QUALITY), JPEG_QUALITY])
    if not ok:
        raise SnapshotFailed("the camera's picture could not be turned into a JPEG; nothing was saved")
    height, width = image.shape[:2]
    return buffer.tobytes(), int(width), int(height)


def _disk_words(exc: OSError, folder: Path) -> str:
    """An OS error while saving, in a duty officer's words (the folder named, no traceback)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding {folder} is full: the snapshot was not saved (free some space)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"Wardroom may not write in {folder}: the snapshot was not saved (check the folder's rights)"
    if exc.errno == errno.EROFS:
        return f"{folder} is on a read-only disk: the snapshot was not saved"
    return f"the snapshot could not be saved in {folder}: {exc.strerror or exc}"


def _place(data: bytes, root: Path, relative: str) -> str:
    """Write ``data`` at ``root/relative`` (or a ``-N`` variant if taken) atomically; the name used.

    Temp file in the same folder, fsync, then a hard link under the final name (which fails rather
    than replace an existing snapshot) and the temp name removed; where hard links are refused, a
    rename to a name seen free. The folder is flushed, so the new name survives a power cut.
    """
    target = root / relative
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".snapshot-", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        for attempt in range(1000):
            name = target if attempt == 0 else target.with_name(f"{target.stem}-{attempt}{target.suffix}")
            try:
                os.link(tmp, name)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                if name.exists():
                    continue
                os.replace(tmp, name)
            break
        else:  # pragma: no cover - a thousand snapshots of one camera in one millisecond
            raise OSError(errno.EEXIST, "too many snapshots with the same name")
    finally:
        tmp.unlink(missing_ok=True)
    if os.name == "posix":
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return name.relative_to(root).as_posix()


def _audit_own(db: Database, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
    db.write(lambda s: audit.append(s, actor, action, target=target[:_MAX_AUDIT_TARGET], details=details))


def take(
    db: Database,
    frame: Frame,
    camera_id: str,
    user: UserInfo | None,
    *,
    source: SnapshotSource = "operator",
    now: datetime | None = None,
    root: Path | None = None,
    mask: ImageMask | None = None,
) -> SnapshotInfo:
    """Save ``frame`` (already masked by capture) for ``camera_id``: a JPEG, a row, ``snapshot.take``.

    ``mask`` (:func:`app.vision.privacy.mask_faces`) blurs the faces of the saved copy; ``frame`` itself
    is left as it is (the wall and the detector share it).

    ``user`` is the operator pressing the key; their role must allow :attr:`Action.SNAPSHOT`, else
    ``PermissionRefused`` is raised and ``snapshot.take-refused`` audited. ``user=None`` is the
    system itself (vision's snapshots, ``source="vision"``). A full disk, an unwritable folder or a
    database that refuses the row raise :class:`SnapshotFailed` in plain words, audited
    ``snapshot.take-failed``, and leave no file behind.
    """
    if user is None and source == "operator":
        raise ValueError("an operator's snapshot needs the operator")
    actor = user.name if user is not None else SYSTEM_ACTOR
    if user is not None:
        try:
            require(user, Action.SNAPSHOT)
        except PermissionRefused as exc:
            _audit_own(db, actor, "snapshot.take-refused", camera_id, {"reason": str(exc), "source": source})
            raise
    taken_at = _as_utc(now) if now is not None else datetime.now(UTC)
    frame_at = datetime.fromtimestamp(frame.at, UTC) if frame.at else None
    root = root if root is not None else snapshots_root()
    data, width, height = _encode_jpeg(frame, mask)
    digest = hashlib.sha256(data).hexdigest()
    try:
        relative = _place(data, root, relative_path(camera_id, taken_at))
    except OSError as exc:
        words = _disk_words(exc, root)
        log.warning("snapshot of %s not saved: %s", camera_id, exc)
        _failed(db, actor, camera_id, words)
        raise SnapshotFailed(words) from exc
    details: dict[str, Any] = {
        "path": relative,
        "sha256": digest,
        "source": source,
        "faces_masked": mask is not None,
    }
    if frame_at is not None:
        details["frame_at"] = frame_at.isoformat()

    def write(session: Session) -> int:
        row = Snapshot(
            camera=camera_id,
            taken_at=taken_at,
            frame_at=frame_at,
            user_id=user.id if user is not None else None,
            user_name=user.name if user is not None else "",
            source=source,
            path=relative,
            width=width,
            height=height,
            sha256=digest,
        )
        session.add(row)
        session.flush()
        audit.append(session, actor, "snapshot.take", target=camera_id[:_MAX_AUDIT_TARGET], details=details)
        return int(row.id)

    try:
        snapshot_id = db.write(write)
    except Exception as exc:
        (root / relative).unlink(missing_ok=True)
        words = f"the snapshot was not saved: the database refused it ({exc})"
        log.warning("snapshot of %s not recorded: %s", camera_id, exc)
        _failed(db, actor, camera_id, words)
        raise SnapshotFailed(words) from exc
    log.info("snapshot %d of %s by %s: %s", snapshot_id, camera_id, actor, relative)
    return SnapshotInfo(
        snapshot_id,
        camera_id,
        taken_at,
        frame_at,
        user.name if user is not None else "",
        source,
        root / relative,
        relative,
        width,
        height,
        digest,
    )


def _failed(db: Database, actor: str, camera_id: str, words: str) -> None:
    """Audit a failed snapshot; when the database itself is what failed, the log has it already."""
    try:
        _audit_own(db, actor, "snapshot.take-failed", camera_id, {"reason": words})
    except Exception as exc:
        log.warning("snapshot failure of %s not audited: %s", camera_id, exc)


def _remove(path: Path) -> Literal["removed", "missing", "failed"]:
    try:
        path.unlink()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        log.warning("snapshot purge: %s not deleted: %s", path, exc)
        return "failed"
    return "removed"


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _old_files(root: Path, jpeg_before: float, temp_before: float) -> Iterator[tuple[Path, bool]]:
    """``(path, is_temp)`` of JPEGs last written before ``jpeg_before`` and of our temporary files
    last written before ``temp_before`` (epoch seconds), under ``root``."""
    if not root.is_dir():
        return
    for folder, _dirs, files in os.walk(root):
        for name in files:
            is_temp = name.startswith(".snapshot-") and name.endswith(".tmp")
            if not (is_temp or name.endswith(".jpg")):
                continue
            path = Path(folder) / name
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            if mtime < (temp_before if is_temp else jpeg_before):
                yield path, is_temp


def _sweep_orphans(db: Database, root: Path, cutoff: datetime, now: datetime) -> int:
    """Delete pictures older than ``cutoff`` that no row names, and stale temp files; how many went."""
    candidates: dict[str, Path] = {}
    removed = 0
    for path, is_temp in _old_files(root, cutoff.timestamp(), now.timestamp() - TEMP_MAX_AGE_S):
        if is_temp:
            removed += _remove(path) == "removed"
        else:
            candidates[path.relative_to(root).as_posix()] = path
    if not candidates:
        return removed
    known: set[str] = set()
    with db.session() as session:
        for chunk in _chunks(list(candidates), PURGE_BATCH):
            known.update(session.scalars(select(Snapshot.path).where(Snapshot.path.in_(chunk))))
    for relative, path in candidates.items():
        if relative not in known:
            removed += _remove(path) == "removed"
    return removed


def _prune_empty_folders(root: Path) -> None:
    """Remove emptied day/month/year folders (never ``root`` itself)."""
    if not root.is_dir():
        return
    for folder, _dirs, _files in sorted(os.walk(root), key=lambda entry: -len(entry[0])):
        path = Path(folder)
        if path != root:
            with contextlib.suppress(OSError):  # not empty (or in use): kept
                path.rmdir()


def _delete_rows(ids: list[int]) -> Callable[[Session], None]:
    def run(session: Session) -> None:
        session.execute(delete(Snapshot).where(Snapshot.id.in_(ids)))

    return run


def purge(
    db: Database,
    retention_days: float,
    now: datetime | None = None,
    *,
    root: Path | None = None,
    actor: str = SYSTEM_ACTOR,
) -> PurgeResult:
    """Delete snapshots taken before ``now - retention_days``, except those an incident holds.

    Files go first, then their rows, a batch at a time (each batch its own short transaction, so a
    large purge never holds the database's write lock for long). A file already gone is no error
    (counted as ``missing_files``); one that will not go keeps its row for the next purge. Old files
    that no row names are swept too. Audited as ``snapshot.purge`` (by ``actor``) when anything was
    removed or could not be; the station calls this from its daily housekeeping.
    """
    if retention_days <= 0:
        raise ValueError("the snapshot retention must be more than 0 days")
    now = _as_utc(now) if now is not None else datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    root = root if root is not None else snapshots_root()
    removed = missing = failed = 0
    skip: set[int] = set()  # rows whose files would not go: not asked for again in this purge
    while True:
        with db.session() as session:
            query = (
                select(Snapshot.id, Snapshot.path)
                .where(Snapshot.taken_at < cutoff, Snapshot.incident_id.is_(None))
                .order_by(Snapshot.taken_at, Snapshot.id)
                .limit(PURGE_BATCH + len(skip))
            )
            batch = [(int(i), str(p)) for i, p in session.execute(query) if int(i) not in skip][:PURGE_BATCH]
        if not batch:
            break
        gone: list[int] = []
        for snapshot_id, relative in batch:
            outcome = _remove(root / relative)
            if outcome == "failed":
                failed += 1
                skip.add(snapshot_id)
                continue
            missing += outcome == "missing"
            gone.append(snapshot_id)
        if gone:
            db.write(_delete_rows(gone))
            removed += len(gone)
    orphans = _sweep_orphans(db, root, cutoff, now)
    _prune_empty_folders(root)
    with db.session() as session:
        held = session.scalar(
            select(func.count(Snapshot.id)).where(
                Snapshot.taken_at < cutoff, Snapshot.incident_id.is_not(None)
            )
        )
        oldest = session.scalar(select(func.min(Snapshot.taken_at)))
    result = PurgeResult(
        cutoff=cutoff,
        removed=removed,
        missing_files=missing,
        failed=failed,
        kept_for_incidents=int(held or 0),
        orphans_removed=orphans,
        oldest_kept=_as_utc(oldest) if oldest is not None else None,
    )
    if result.changed:
        details: dict[str, Any] = {
            "retention_days": retention_days,
            "cutoff": cutoff.isoformat(),
            "removed": removed,
            "missing_files": missing,
            "failed": failed,
            "kept_for_incidents": result.kept_for_incidents,
            "orphans_removed": orphans,
            "oldest_kept": result.oldest_kept.isoformat() if result.oldest_kept else None,
        }
        _audit_own(db, actor, "snapshot.purge", FOLDER, details)
    log.info(
        "snapshot purge before %s: %d removed (%d files already gone), %d failed, %d kept for incidents, "
        "%d orphan file(s)",
        cutoff.isoformat(),
        removed,
        missing,
        failed,
        result.kept_for_incidents,
        orphans,
    )
    return result

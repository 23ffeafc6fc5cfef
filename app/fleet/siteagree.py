"""Does this workstation's site file agree with the one in force (the one last synced into the database)?

With several workstations, each has its own copy of the site file, and copies drift: a console left
with last month's file would show a PLC that was removed, or miss a new fire zone. The database holds
the file the stations synced last (path, SHA-256, time and, since migration rev0005, its text), so any
process can compare its own copy by SHA-256 and, when they differ, show the database's version instead
of its own. Whether a station with a *newer* file syncs it (audited, as on every start) is the
caller's decision; :attr:`SiteAgreement.newer_file` gives it the fact to decide on.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.site.loader import LoadedSite, SiteFileError, load_site
from models.site import SITE_KEY, Site

if TYPE_CHECKING:
    from app.storage.database import Database


@dataclass(frozen=True)
class SiteAgreement:
    """This file against the database's: the facts, the database's version, and what to tell people.

    ``db_site`` is the database's version parsed (None when the database holds no text, e.g. it was
    last synced before the text was kept, or that text no longer loads: ``db_errors`` says why). Its
    ``path`` is *this* file's path, because it stands in for this file on this machine: media files
    resolve next to it and the simulators started for it are found by it.
    """

    file_path: str
    file_sha256: str
    db_sha256: str  # "" when the database holds no site yet
    db_synced_at: datetime | None
    db_source_path: str
    same: bool
    newer_file: bool  # this file was modified after the database's version was synced (or none was)
    db_site: LoadedSite | None
    db_errors: tuple[str, ...] = ()

    @property
    def in_database(self) -> bool:
        """Whether any site was ever synced into this database."""
        return bool(self.db_sha256)

    @property
    def message(self) -> str:
        """One paragraph for a banner or a log line, in a duty officer's words."""
        mine = f"this site file {self.file_path} (sha256 {self.file_sha256[:12]}…)"
        if self.same:
            return f"{mine} is the one in force"
        if not self.in_database:
            return f"no site has been synced into the database yet; {mine} will be the first"
        synced = _when(self.db_synced_at)
        where = f"synced from {self.db_source_path} at {synced}"
        in_force = f"the one in force (sha256 {self.db_sha256[:12]}…, {where})"
        newer = "; this file is newer" if self.newer_file else ""
        if self.db_site is not None:
            return f"{mine} differs from {in_force}{newer}; showing the database's version"
        why = f" ({self.db_errors[0]})" if self.db_errors else " (the database holds no copy of its text)"
        return (
            f"{mine} differs from {in_force}{newer}; the database's version cannot be shown{why}: this one is"
        )


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds") if at is not None else "an unknown time"


def _file_mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None


def parse_site_text(text: str, stands_for: Path, sha256: str) -> LoadedSite:
    """Load a site file's text kept in the database, as if it were the file at ``stands_for``.

    The loader reads a path (its checks resolve simulated cameras' media relative to the file), so
    the text is written to a private temporary file beside ``stands_for`` (else in the temp folder),
    loaded, and removed. Raises :class:`SiteFileError` if it does not load.
    """
    folders = [stands_for.parent, None]
    last: OSError | None = None
    for folder in folders:
        try:
            fd, name = tempfile.mkstemp(prefix=".wardroom-in-force-", suffix=".toml", dir=folder)
        except OSError as exc:
            last = exc
            continue
        temp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            loaded = load_site(temp)
        finally:
            with contextlib.suppress(OSError):
                temp.unlink()
        return replace(loaded, path=stands_for, sha256=sha256)
    raise OSError(f"no folder to read the database's site text in: {last}")


def check(db: Database, loaded: LoadedSite) -> SiteAgreement:
    """Compare ``loaded`` with the site in force in ``db``; parse the database's version if different."""
    with db.session() as session:
        columns = (Site.source_sha256, Site.source_path, Site.synced_at, Site.source_text)
        row = session.execute(select(*columns).where(Site.key == SITE_KEY)).one_or_none()
    db_sha, db_path, synced_at, text = row if row is not None else ("", "", None, None)
    db_sha = db_sha or ""
    same = bool(db_sha) and db_sha == loaded.sha256
    mtime = _file_mtime(loaded.path)
    newer = synced_at is None or (mtime is not None and mtime > synced_at)
    db_site: LoadedSite | None = None
    errors: tuple[str, ...] = ()
    if not same and text is not None:
        try:
            db_site = parse_site_text(text, loaded.path, db_sha)
        except SiteFileError as exc:
            errors = tuple(f"its text no longer loads: {e.message} (line {e.line})" for e in exc.errors)
        except OSError as exc:
            errors = (str(exc),)
    return SiteAgreement(
        file_path=str(loaded.path),
        file_sha256=loaded.sha256,
        db_sha256=db_sha,
        db_synced_at=synced_at,
        db_source_path=db_path or "",
        same=same,
        newer_file=newer,
        db_site=db_site,
        db_errors=errors,
    )

"""Printed reports that can be checked: a report id, and the file's SHA-256 in the audit chain.

Every generated PDF gets an id (printed in its footer); once written, its SHA-256 goes into the audit
chain as ``report.generate`` with the id, the kind, the user and the time. ``wardroom report verify``
hashes a file and looks the hash up: found means this exact file was produced by Wardroom (and who
made it when); not found means it was altered or did not come from here. Qt-free and read-only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from models.audit import AuditEntry

ACTION = "report.generate"
CHUNK = 1 << 20


def new_report_id(kind: str, at: datetime) -> str:
    """``WR-<KIND>-<yyyymmdd-HHMMSS>-<6 hex>``: readable on paper, unique without a database round trip."""
    return f"WR-{kind[:3].upper()}-{at.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def record(
    session: Session,
    actor: str,
    report_id: str,
    kind: str,
    sha256: str,
    details: dict[str, Any] | None = None,
) -> int:
    """The ``report.generate`` audit row, in the caller's transaction."""
    row = {**(details or {}), "report_id": report_id, "kind": kind, "sha256": sha256}
    return audit.append(session, actor, ACTION, target=report_id, details=row)


@dataclass(frozen=True)
class Verified:
    report_id: str
    kind: str
    by: str
    at: datetime
    sha256: str


def lookup(session: Session, sha256: str) -> Verified | None:
    """The ``report.generate`` row recording this hash, if any.

    The details column holds canonical JSON (sorted keys, no spaces), so the hash appears in it as
    exactly ``"sha256":"<hex>"``; the candidate rows are then parsed to be sure.
    """
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    needle = f'%"sha256":"{sha256}"%'
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == ACTION, AuditEntry.details.like(needle))
        .order_by(AuditEntry.id)
    )
    for row in rows:
        details = json.loads(row.details)
        if details.get("sha256") == sha256:
            return Verified(
                str(details.get("report_id", row.target)),
                str(details.get("kind", "")),
                row.actor,
                row.at,
                sha256,
            )
    return None

"""The audit chain: append-only, each row sealed by SHA-256 over (its content, the previous hash).

Why a chain plus a head record: editing, deleting or reordering any row breaks the chain at that row
(its recomputed hash no longer matches, or the next row's ``prev_hash`` no longer points at it), but
deleting the *newest* rows leaves a shorter chain that is still internally valid. The head record
(hash, row count and last id, updated in the same transaction as each append) remembers how long the
chain was, so that is caught too.

Ids are consecutive from 1 and assigned here under the head lock (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's single writer serialises appends anyway), so a gap means a deleted row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import GENESIS_HASH, AuditEntry, AuditHead
from models.base import utcnow

HEAD_ID = 1


def canonical_json(value: Any) -> str:
    """One fixed text for a JSON value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _at_text(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def row_hash(
    id: int, at: datetime, actor: str, action: str, target: str, details: Any, prev_hash: str
) -> str:
    """SHA-256 hex of the row's canonical JSON content followed by the previous row's hash."""
    content = canonical_json(
        {
            "id": id,
            "at": _at_text(at),
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
        }
    )
    return hashlib.sha256((content + prev_hash).encode("utf-8")).hexdigest()


def append(
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> int:
    """Add one row to the chain inside the caller's transaction and return its id.

    The row is committed (or not) with the caller's work, so an action and its audit row cannot
    come apart.
    """
    if not actor or not action:
        raise ValueError("an audit row needs an actor and an action")
    details = dict(details or {})
    details_text = canonical_json(details)  # also refuses values JSON cannot hold
    head_query = select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    head = session.execute(head_query).scalar_one_or_none()
    if head is None:
        # Only when the migration's head row was removed; verify() reports that separately.
        if session.scalar(select(AuditEntry.id).limit(1)) is not None:
            raise RuntimeError("the audit head record is missing: run 'wardroom audit verify'")
        head = AuditHead(id=HEAD_ID, head_hash=GENESIS_HASH, row_count=0, last_id=0)
        session.add(head)
    at = utcnow()
    new_id = head.last_id + 1
    digest = row_hash(new_id, at, actor, action, target, details, head.head_hash)
    session.add(
        AuditEntry(
            id=new_id,
            at=at,
            actor=actor,
            action=action,
            target=target,
            details=details_text,
            prev_hash=head.head_hash,
            hash=digest,
        )
    )
    head.head_hash = digest
    head.row_count += 1
    head.last_id = new_id
    session.flush()
    return new_id


@dataclass
class AuditVerdict:
    """The result of ``verify``: ``first_bad_id`` names the first row that breaks, if any."""

    ok: bool
    rows: int
    first_bad_id: int | None
    reason: str


def verify(session: Session, batch: int = 1000) -> AuditVerdict:
    """Walk the chain in id order and name the first row that is not as it was written.

    A missing row is named by its id (the first id absent from the sequence), an altered one by its
    own id; rows cut off the end are named by the first id after the last surviving row.
    """
    rows = 0
    expected_id = 1
    prev_hash = GENESIS_HASH
    last_id = 0
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    for entry in session.scalars(query):
        bad = _check_row(entry, expected_id, prev_hash)
        if bad is not None:
            return AuditVerdict(False, rows, bad[0], bad[1])
        rows += 1
        prev_hash = entry.hash
        last_id = entry.id
        expected_id = entry.id + 1
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        if rows == 0:
            return AuditVerdict(True, 0, None, "the audit log is empty")
        return AuditVerdict(False, rows, last_id + 1, "the audit head record is missing")
    if head.last_id > last_id or head.row_count > rows:
        first = last_id + 1
        missing = head.last_id - last_id
        return AuditVerdict(
            False,
            rows,
            first,
            f"the newest {missing} row(s) were deleted: the log ends at row {last_id} "
            f"but the head record says row {head.last_id} ({head.row_count} rows)",
        )
    if head.last_id != last_id or head.row_count != rows or head.head_hash != prev_hash:
        return AuditVerdict(
            False,
            rows,
            last_id if last_id else None,
            f"the head record (last row {head.last_id}, {head.row_count} rows) does not match "
            f"the log (last row {last_id}, {rows} rows)",
        )
    return AuditVerdict(True, rows, None, f"{rows} rows verified")


def _check_row(entry: AuditEntry, expected_id: int, prev_hash: str) -> tuple[int, str] | None:
    """Why ``entry`` breaks the chain, as (first bad id, reason), or None if it is sound."""
    if entry.id != expected_id:
        if entry.id > expected_id:
            gap = f"rows {expected_id}-{entry.id - 1}" if entry.id - 1 > expected_id else f"row {expected_id}"
            return expected_id, f"{gap} deleted (the log jumps from row {expected_id - 1} to {entry.id})"
        return entry.id, f"row {entry.id} is out of order"
    if entry.prev_hash != prev_hash:
        return entry.id, (
            f"row {entry.id} does not follow the row before it (previous hash mismatch): "
            "a row was deleted, reordered or altered here"
        )
    try:
        details = json.loads(entry.details)
    except (TypeError, ValueError):
        return entry.id, f"row {entry.id} has details that are not valid JSON (altered)"
    digest = row_hash(entry.id, entry.at, entry.actor, entry.action, entry.target, details, entry.prev_hash)
    if digest != entry.hash:
        return entry.id, f"row {entry.id} was altered (its content does not match its hash)"
    return None

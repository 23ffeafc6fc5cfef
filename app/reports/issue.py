"""Recording a generated report: its SHA-256 and who made it, in the audit chain (one place for the
CLI and the GUI), with the unmasked print's own ``report.unmasked`` row in the same transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import Action, HasRole, PermissionRefused, allowed
from app.reports import verify
from app.reports.model import Report
from app.storage.database import Database


def record_pdf(
    db: Database, report: Report, pdf: Path, *, target: str, pages: int, unmasked_reason: str = ""
) -> str:
    """Hash the written file and record ``report.generate`` (and ``report.unmasked``); returns the hash."""
    digest = verify.file_sha256(pdf)

    def write(session: Session) -> None:
        details: dict[str, object] = {
            "target": target,
            "pages": pages,
            "lang": report.lang,
            "masked": not unmasked_reason,
        }
        if unmasked_reason:
            audit.append(
                session,
                report.generated_by,
                "report.unmasked",
                target=report.report_id,
                details={"reason": unmasked_reason, "target": target},
            )
        verify.record(session, report.generated_by, report.report_id, report.kind, digest, details)

    db.write(write)
    return digest


class ReportRefused(Exception):
    """The report may not be made as asked; the message says why (already audited)."""


def permit_unmasked(db: Database, user: HasRole, target: str, reason: str) -> str:
    """The trimmed reason if ``user`` may print pictures unmasked; else audit the refusal and refuse.

    The one check behind ``--unmasked --reason`` and the GUI's "print unmasked" box.
    """
    why = reason.strip()
    if not why:
        refusal = "an unmasked print needs a reason (--reason TEXT)"
        details: dict[str, object] = {"reason": "no reason given"}
    elif not allowed(user.role, Action.PRINT_UNMASKED):
        refusal = str(PermissionRefused(user.name, user.role, Action.PRINT_UNMASKED))
        details = {"reason": refusal, "asked": why}
    else:
        return why
    db.write(
        lambda s: audit.append(s, user.name, "report.unmasked-refused", target=target[:200], details=details)
    )
    raise ReportRefused(refusal)

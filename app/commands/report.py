"""``wardroom report``: printable, verifiable reports (incident, shift, journal, monthly) and ``verify``.

Each report command acts as ``--user NAME`` (password on the first line of stdin), builds the report
model Qt-free (:mod:`app.reports`), paints it to an A4 PDF through the one lazy import of the renderer
(``ui.reports.pdf``, declared in the import-linter contract like the ``gui`` command's), and records
the file's SHA-256 in the audit chain (``report.generate``). Pictures are masked unless
``--unmasked --reason TEXT`` is given by a role the permissions table allows (audited
``report.unmasked``; refused and audited ``report.unmasked-refused`` otherwise).

``verify FILE.pdf`` is Qt-free: exit 0 when the file's hash is recorded (naming the report, its maker
and the time), 1 when it is not (altered or unknown), 2 when the file cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.commands.common import (
    EXIT_STORAGE,
    EXIT_USAGE,
    DatabaseOpt,
    DemoOpt,
    UserOpt,
    audit_refusal,
    audit_row,
    database_url,
    err,
    open_db_or_exit,
    operator_or_exit,
    parse_time_or_exit,
    site_timezone,
)

if TYPE_CHECKING:
    from datetime import datetime

    from app.reports.common import Request
    from app.reports.model import Report
    from app.storage.database import Database

report_app = typer.Typer(help="Printable reports (PDF) and their verification.", no_args_is_help=True)

PdfOpt = Annotated[Path, typer.Option("--pdf", help="Where to write the PDF.")]
LangOpt = Annotated[str, typer.Option("--lang", help="Report language: zh_CN or en.")]
UnmaskedOpt = Annotated[
    bool, typer.Option("--unmasked", help="Print pictures unmasked (supervisors; needs --reason; audited).")
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why the pictures must be unmasked.")]
FromOpt = Annotated[str, typer.Option("--from", help="Start (ISO; without offset: site time), included.")]
ToOpt = Annotated[str, typer.Option("--to", help="End (ISO; without offset: site time), excluded.")]


def _generate(
    target: str,
    user: str,
    pdf: Path,
    lang: str,
    unmasked: bool,
    reason: str,
    demo: bool,
    database: str | None,
    build: Callable[[Database, Request], Report],
) -> None:
    """Log in, check the unmasked print, build, paint, hash and record: the path every report takes."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.events import utcnow
    from app.reports.common import Request
    from app.reports.incident import ReportError
    from app.reports.issue import ReportRefused, permit_unmasked, record_pdf
    from app.reports.masking import DEFAULT_MASK, no_mask
    from app.reports.words import check_lang
    from app.storage.engine import StorageError

    try:
        check_lang(lang)
    except ValueError as exc:
        err(f"wardroom: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    db = open_db_or_exit(database_url(database, demo))
    try:
        operator = operator_or_exit(
            db,
            user,
            on_refused=audit_refusal(db, user, "report.generate-refused", target),
        )
        if unmasked:
            try:
                permit_unmasked(db, operator, target, reason)
            except ReportRefused as exc:
                err(f"wardroom: refused: {exc}")
                raise typer.Exit(EXIT_USAGE) from exc
        elif reason.strip():
            err("wardroom: --reason goes with --unmasked (pictures are masked by default)")
            raise typer.Exit(EXIT_USAGE)
        request = Request(
            user=operator.name,
            lang=lang,
            now=utcnow(),
            mask_image=no_mask if unmasked else DEFAULT_MASK,
            unmasked_reason=reason.strip() if unmasked else "",
        )
        try:
            report = build(db, request)
        except (ReportError, ValueError) as exc:
            audit_row(db, operator.name, "report.generate-refused", target, {"reason": str(exc)})
            err(f"wardroom: refused: {exc}")
            raise typer.Exit(EXIT_USAGE) from exc
        pages = _paint(report, pdf)
        try:
            digest = record_pdf(
                db, report, pdf, target=target, pages=pages, unmasked_reason=request.unmasked_reason
            )
        except (StorageError, SQLAlchemyError):
            pdf.unlink(missing_ok=True)  # a PDF whose hash is not recorded could never be verified
            raise
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: the report was not recorded (no PDF was left): {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()
    typer.echo(f"report {report.report_id} written to {pdf} ({pages} pages); sha256 {digest}")


def _paint(report: Report, pdf: Path) -> int:
    """The renderer, imported only here (the one app -> ui import besides the GUI's)."""
    from ui.reports.pdf import render_pdf  # lazy; declared in pyproject's import-linter contract

    partial = pdf.with_name(pdf.name + ".part")
    try:
        pdf.parent.mkdir(parents=True, exist_ok=True)
        painted = render_pdf(report, partial)
        partial.replace(pdf)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        err(f"wardroom: the PDF could not be written to {pdf}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    return painted.pages


@report_app.command("incident")
def report_incident(
    incident_id: Annotated[int, typer.Argument(help="The incident's id.")],
    pdf: PdfOpt,
    user: UserOpt,
    lang: LangOpt = "zh_CN",
    unmasked: UnmaskedOpt = False,
    reason: ReasonOpt = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The incident report: summary, alarms, timeline, snapshots (masked), sensor trends."""

    def build(db: Database, request: Request) -> Report:
        from app.reports.incident import build_incident_report
        from app.video.snapshots import snapshots_root

        with db.session() as session:
            return build_incident_report(session, incident_id, request, snapshots_root())

    _generate(f"incident:{incident_id}", user, pdf, lang, unmasked, reason, demo, database, build)


@report_app.command("shift")
def report_shift(
    start: FromOpt,
    end: ToOpt,
    pdf: PdfOpt,
    user: UserOpt,
    lang: LangOpt = "zh_CN",
    unmasked: UnmaskedOpt = False,
    reason: ReasonOpt = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The shift report of a period: alarms, KPIs, incidents, open items, shelved items, team on duty."""

    def build(db: Database, request: Request) -> Report:
        from app.reports.period import build_shift_report

        since, until = _period(db, start, end)
        return build_shift_report(db.session, since, until, request)

    _generate(f"shift:{start}/{end}", user, pdf, lang, unmasked, reason, demo, database, build)


@report_app.command("journal")
def report_journal(
    start: FromOpt,
    end: ToOpt,
    pdf: PdfOpt,
    user: UserOpt,
    lang: LangOpt = "zh_CN",
    unmasked: UnmaskedOpt = False,
    reason: ReasonOpt = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The alarm journal of a period (every state change), streamed page by page."""

    def build(db: Database, request: Request) -> Report:
        from app.reports.journal import build_journal_report

        since, until = _period(db, start, end)
        return build_journal_report(db.session, since, until, request)

    _generate(f"journal:{start}/{end}", user, pdf, lang, unmasked, reason, demo, database, build)


@report_app.command("monthly")
def report_monthly(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM (site time).")],
    pdf: PdfOpt,
    user: UserOpt,
    lang: LangOpt = "zh_CN",
    unmasked: UnmaskedOpt = False,
    reason: ReasonOpt = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The monthly summary for the street office: alarms, incidents, volunteer hours, visits, employment."""

    def build(db: Database, request: Request) -> Report:
        from app.reports.period import build_monthly_report

        with db.session() as session:
            return build_monthly_report(session, month, request)

    _generate(f"monthly:{month}", user, pdf, lang, unmasked, reason, demo, database, build)


def _period(db: Database, start: str, end: str) -> tuple[datetime, datetime]:
    zone = site_timezone(db)
    since = parse_time_or_exit(start, zone, "--from")
    until = parse_time_or_exit(end, zone, "--to")
    if until <= since:
        raise ValueError("--to must be after --from")
    return since, until


@report_app.command("verify")
def report_verify(
    file: Annotated[Path, typer.Argument(help="The PDF to check.", metavar="FILE.pdf")],
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Exit 0 if this exact file was generated here (naming the report, its maker and when); 1 if not
    (altered or unknown); 2 if the file cannot be read."""
    from app.alarms.actions import site_rules
    from app.reports.verify import file_sha256, lookup

    try:
        digest = file_sha256(file)
    except OSError as exc:
        err(f"wardroom: cannot read {file}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    db = open_db_or_exit(database_url(database, demo))
    try:
        with db.session() as session:
            found = lookup(session, digest)
            rules = site_rules(session)
    finally:
        db.close()
    if found is None:
        err(
            f"NOT VERIFIED: {file} (sha256 {digest}) is not a report recorded here: "
            "it was altered or made elsewhere"
        )
        raise typer.Exit(1)
    typer.echo(
        f"verified: {file} is report {found.report_id} ({found.kind}), generated by {found.by} "
        f"at {rules.clock(found.at)} (site time); sha256 {digest}"
    )

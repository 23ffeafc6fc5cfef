"""The alarm journal of any period, as a table streamed page by page.

Why streamed: GB 25506 asks a fire control room to keep and print at least 10,000 alarm records;
a period can hold many more. The rows are read in keyset pages of :data:`PAGE` from
:func:`app.alarms.journal.history`, each page in its own short read session, and handed to the
renderer one by one, so neither the rows nor the laid-out document ever sit in memory whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alarms import journal
from app.reports.common import Request, SiteFacts, site_facts
from app.reports.model import Heading, Paragraph, Report, RowStream
from app.reports.verify import new_report_id
from app.reports.words import word
from models.alarms import AlarmTransition

PAGE = 1000
OpenSession = Callable[[], AbstractContextManager[Session]]


def count_rows(session: Session, start: datetime, end: datetime) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AlarmTransition)
            .where(AlarmTransition.at >= start, AlarmTransition.at < end)
        )
        or 0
    )


def journal_rows(
    open_session: OpenSession, site: SiteFacts, start: datetime, end: datetime
) -> Iterator[Sequence[str]]:
    """Every transition of ``[start, end)``, oldest first, as printable cells; read a page at a time."""
    after: tuple[datetime, int] | None = None
    while True:
        with open_session() as session:
            page = journal.history(session, start, end, limit=PAGE, after=after)
        if not page:
            return
        for t in page:
            yield (site.clock(t.at), t.key, t.from_state, t.to_state, t.by or "-", t.note)
        last = page[-1]
        after = (last.at, last.id or 0)
        if len(page) < PAGE:
            return


def build_journal_report(
    open_session: OpenSession, start: datetime, end: datetime, request: Request
) -> Report:
    with open_session() as session:
        site = site_facts(session)
        total = count_rows(session, start, end)
    lang = request.lang
    report = Report(
        report_id=new_report_id("journal", request.now),
        kind="journal",
        lang=lang,
        title=word(lang, "journal_report"),
        site_name=site.name,
        generated_at=request.now,
        generated_by=request.user,
    )
    report.add(
        Heading(word(lang, "journal_report")),
        Paragraph(word(lang, "period", start=site.clock(start), end=site.clock(end))),
        Paragraph(word(lang, "generated", who=request.user, at=site.clock(request.now))),
        Paragraph(word(lang, "rows", n=total)),
        RowStream(
            columns=(
                word(lang, "time"),
                word(lang, "key"),
                word(lang, "from_state"),
                word(lang, "to_state"),
                word(lang, "who"),
                word(lang, "text"),
            ),
            widths=(3.2, 3.3, 2.3, 2.3, 1.4, 1.5),
            rows=lambda: journal_rows(open_session, site, start, end),
        ),
    )
    return report

"""The period reports: the shift report and the monthly summary for the street office.

Both are built from the journal, the incidents and the records through the one function per figure
(:mod:`app.reports.figures`, :func:`app.alarms.queries.kpi`), so a test can compute the same numbers
independently and compare.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alarms import journal
from app.alarms.queries import kpi
from app.reports import figures
from app.reports.common import Request, SiteFacts, site_facts
from app.reports.journal import OpenSession
from app.reports.model import BarChart, Heading, Paragraph, Report, RowStream, Table
from app.reports.verify import new_report_id
from app.reports.words import word
from models.alarms import AlarmOccurrence
from models.incidents import Incident


def _incidents_rows(
    session: Session, start: datetime, end: datetime, site: SiteFacts
) -> list[tuple[str, ...]]:
    rows = session.scalars(
        select(Incident)
        .where(Incident.opened_at >= start, Incident.opened_at < end)
        .order_by(Incident.opened_at)
    ).all()
    return [(str(i.id), i.title, i.status, i.priority, site.clock(i.opened_at)) for i in rows]


PAGE = 1000


def alarm_rows(
    open_session: OpenSession, site: SiteFacts, start: datetime, end: datetime
) -> Iterator[Sequence[str]]:
    """The alarms raised in ``[start, end)``, oldest first, read a page at a time (a flood has thousands)."""
    after: tuple[datetime, int] | None = None
    o = AlarmOccurrence
    while True:
        query = select(
            o.id, o.raised_at, o.alarm_key, o.category, o.priority, o.state, o.building, o.message
        ).where(o.raised_at >= start, o.raised_at < end)
        if after is not None:
            query = query.where(journal.after_key(o.raised_at, o.id, after))
        with open_session() as session:
            page = session.execute(query.order_by(o.raised_at, o.id).limit(PAGE)).all()
        for occ_id, raised, key, category, priority, state, building, message in page:
            yield (site.clock(raised), str(occ_id), key, category, priority, state, building or "-", message)
        if len(page) < PAGE:
            return
        after = (page[-1][1], page[-1][0])


def build_shift_report(open_session: OpenSession, start: datetime, end: datetime, request: Request) -> Report:
    """Team on duty, alarms by category, KPIs, incidents, open items, shelved/out-of-service items with
    their expiry, then every alarm of the period (streamed page by page)."""
    with open_session() as session:
        report, site = _shift_summary(session, start, end, request)
    w = lambda key, **v: word(request.lang, key, **v)  # noqa: E731
    report.add(
        Heading(w("alarm_list"), 2),
        RowStream(
            columns=(
                w("time"),
                "#",
                w("key"),
                w("category"),
                w("priority"),
                w("state"),
                w("building"),
                w("message"),
            ),
            widths=(3.2, 0.9, 3.0, 2.2, 1.6, 2.8, 1.4, 1.8),
            rows=lambda: alarm_rows(open_session, site, start, end),
        ),
    )
    return report


def _shift_summary(
    session: Session, start: datetime, end: datetime, request: Request
) -> tuple[Report, SiteFacts]:
    site = site_facts(session)
    lang = request.lang
    w = lambda key, **v: word(lang, key, **v)  # noqa: E731
    report = Report(
        new_report_id("shift", request.now),
        "shift",
        lang,
        w("shift_report"),
        site.name,
        request.now,
        request.user,
    )
    teams = figures.teams_on_duty(session, start)
    report.add(
        Heading(w("shift_report")),
        Paragraph(w("period", start=site.clock(start), end=site.clock(end))),
        Paragraph(w("generated", who=request.user, at=site.clock(request.now))),
        Table(("", ""), [(w("on_duty"), ", ".join(teams) or w("none"))]),
        Heading(w("by_category"), 2),
        Table(
            (w("category"), w("count")),
            [(c, str(n)) for c, n in figures.alarms_by_category(session, start, end)],
        ),
        Heading(w("kpi"), 2),
        Table(
            (w("kpi"), w("value"), w("target"), w("unit")),
            [(k.kpi, f"{k.value:g}", k.target or "-", k.unit) for k in kpi(session, start, end)],
        ),
        Heading(w("incidents"), 2),
        Table(
            ("#", w("title"), w("status"), w("priority"), w("opened")),
            _incidents_rows(session, start, end, site),
        ),
    )
    open_alarms = session.scalars(
        select(AlarmOccurrence)
        .where(
            AlarmOccurrence.state.notin_(("normal", "shelved", "out-of-service")),
            AlarmOccurrence.raised_at < end,
        )
        .order_by(AlarmOccurrence.raised_at)
    ).all()
    open_incidents = session.scalars(
        select(Incident)
        .where(Incident.status != "closed", Incident.opened_at < end)
        .order_by(Incident.opened_at)
    ).all()
    report.add(
        Heading(w("open_items"), 2),
        Table(
            (w("kind"), "#", w("what"), w("state"), w("time")),
            [(w("alarms"), str(o.id), o.alarm_key, o.state, site.clock(o.raised_at)) for o in open_alarms]
            + [
                (w("incidents"), str(i.id), i.title, i.status, site.clock(i.opened_at))
                for i in open_incidents
            ],
        ),
    )
    parked = session.scalars(
        select(AlarmOccurrence)
        .where(AlarmOccurrence.state.in_(("shelved", "out-of-service")))
        .order_by(AlarmOccurrence.shelved_until, AlarmOccurrence.id)
    ).all()
    report.add(
        Heading(w("shelved"), 2),
        Table(
            ("#", w("key"), w("state"), w("until")),
            [(str(o.id), o.alarm_key, o.state, site.clock(o.shelved_until)) for o in parked],
        ),
    )
    return report, site


def month_bounds(month: str, zone_name: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` as ``[first day 00:00, next month's first day)`` on the site's clock, in UTC."""
    from zoneinfo import ZoneInfo

    try:
        year, mon = (int(p) for p in month.split("-"))
        start_local = datetime(year, mon, 1, tzinfo=ZoneInfo(zone_name))
    except ValueError as exc:
        raise ValueError(f"--month {month!r} is not a month like 2026-12") from exc
    end_local = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=ZoneInfo(zone_name))
    return start_local.astimezone(UTC), end_local.astimezone(UTC)


def build_monthly_report(session: Session, month: str, request: Request) -> Report:
    """Alarms by category and building (tables and charts), incidents, volunteer hours, visits, employment."""
    site = site_facts(session)
    lang = request.lang
    w = lambda key, **v: word(lang, key, **v)  # noqa: E731
    start, end = month_bounds(month, site.rules.timezone)
    zone = site.rules.zone
    report = Report(
        new_report_id("monthly", request.now),
        "monthly",
        lang,
        f"{w('monthly_report')} {month}",
        site.name,
        request.now,
        request.user,
    )
    by_cat = figures.alarms_by_category(session, start, end)
    by_building = figures.alarms_by_building(session, start, end)
    incidents = dict(
        session.execute(
            select(Incident.status, func.count())
            .where(Incident.opened_at >= start, Incident.opened_at < end)
            .group_by(Incident.status)
        ).all()
    )
    minutes = figures.volunteer_minutes(session, start.astimezone(zone).date(), end.astimezone(zone).date())
    visits = figures.elderly_visits(session, start, end)
    rate = figures.employment(session, start.astimezone(zone).date(), end.astimezone(zone).date()).rate
    report.add(
        Heading(f"{w('monthly_report')} {month}"),
        Paragraph(w("period", start=site.clock(start), end=site.clock(end))),
        Paragraph(w("generated", who=request.user, at=site.clock(request.now))),
        Heading(w("by_category"), 2),
        Table((w("category"), w("count")), [(c, str(n)) for c, n in by_cat]),
        BarChart(w("by_category"), [c for c, _ in by_cat], [float(n) for _, n in by_cat]),
        Heading(w("by_building"), 2),
        Table((w("building"), w("count")), [(b, str(n)) for b, n in by_building]),
        BarChart(w("by_building"), [b for b, _ in by_building], [float(n) for _, n in by_building]),
        Heading(w("incidents"), 2),
        Table((w("status"), w("count")), [(s, str(n)) for s, n in sorted(incidents.items())]),
        Heading(w("services"), 2),
        Table(
            ("", ""),
            [
                (w("volunteer_hours"), f"{minutes / 60:.1f}"),
                (w("elderly_visits"), str(visits)),
                (w("employment_rate"), f"{rate * 100:.1f} %" if rate is not None else "-"),
            ],
        ),
    )
    return report

"""Shift and monthly reports on a fixture period hold the figures computed here, independently:
alarm counts by category and building, the alarm KPIs, the team on duty, volunteer hours, elderly
visits and the employment rate (employed ÷ (employed + seeking))."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from app.auth.users import UserService
from app.incidents.service import IncidentService
from app.storage.database import Database
from models.alarms import AlarmOccurrence, AlarmTransition
from models.people import (
    DutyTeam,
    ElderlyCareRecord,
    EmploymentRecord,
    Resident,
    RosterShift,
    ServiceHours,
    Volunteer,
)
from tests.app.alarm_support import open_db, write_site
from tests.app.reports.support import FAST, PASSWORD, as_user, pdf_text, render_pages

ZONE = ZoneInfo("Asia/Shanghai")  # the test site's


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


# (key, category, priority, building, raised (site time), state at the end, shelved until)
ALARMS = [
    ("b3.smoke/on", "fire", "fire", "B3", local(3, 8, 10), "normal", None),
    ("b3.smoke/on", "fire", "fire", "B3", local(3, 8, 12), "normal", None),
    ("b3.smoke/on", "fire", "fire", "B3", local(3, 8, 14), "normal", None),
    ("b3.heat/on", "fire", "fire", "B3", local(3, 10, 0), "shelved", local(3, 18, 0)),
    ("b3.pressure/low", "supervisory", "high", "B3", local(3, 9, 0), "normal", None),
    ("b3.pressure/low", "supervisory", "high", "B3", local(3, 12, 0), "normal", None),
    ("b3.temp/high", "fault", "medium", "B3", local(3, 13, 0), "unacknowledged", None),
    ("b3.temp/high", "fault", "medium", "B1", local(3, 7, 0), "normal", None),  # before the shift
    ("b3.pressure/low", "supervisory", "high", "B1", local(1, 9, 0, month=12), "normal", None),  # December
]
SHIFT = (local(3, 8), local(3, 16))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    UserService(database, hasher=FAST).add("zhang.min", "supervisor", PASSWORD)
    fill(database)
    yield database
    database.close()


def fill(db: Database) -> None:
    def write(session: object) -> None:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        for n, (key, category, priority, building, raised, state, until) in enumerate(ALARMS, start=1):
            cleared = raised + timedelta(minutes=5) if state == "normal" else None
            session.execute(
                insert(AlarmOccurrence).values(
                    id=n,
                    source=f"point:{key.split('/')[0]}",
                    alarm_key=key,
                    building=building,
                    state=state,
                    priority=priority,
                    category=category,
                    message=key,
                    raised_at=raised,
                    cleared_at=cleared,
                    shelved_until=until,
                    chattering=False,
                )
            )
            moves = [("normal", "unacknowledged", raised)]
            if state == "normal":
                moves += [
                    ("unacknowledged", "acknowledged", raised + timedelta(minutes=1)),
                    ("acknowledged", "normal", raised + timedelta(minutes=5)),
                ]
            if state == "shelved":
                moves += [("unacknowledged", "shelved", raised + timedelta(minutes=5))]
            for a, b, at in moves:
                session.execute(
                    insert(AlarmTransition).values(
                        occurrence_id=n, from_state=a, to_state=b, at=at, note="", held=False
                    )
                )
        team = DutyTeam(name="红队 Red team")
        session.add(team)
        session.flush()
        session.add(
            RosterShift(team_id=team.id, starts_at=local(3, 8), ends_at=local(3, 20), position="console-1")
        )
        session.add(
            RosterShift(team_id=team.id, starts_at=local(4, 8), ends_at=local(4, 20), position="console-1")
        )
        vol = Volunteer(name="王芳")
        session.add(vol)
        people = [Resident(name=f"resident {i}", birth_date=date(1990, 1, 1 + i)) for i in range(5)]
        people.append(Resident(name="resident 5, retired", birth_date=date(1950, 1, 1)))
        session.add_all(people)
        session.flush()
        for day, minutes, approved in (
            (date(2026, 11, 5), 90, True),
            (date(2026, 11, 20), 150, True),
            (date(2026, 11, 21), 45, False),  # not approved: does not count
            (date(2026, 12, 1), 60, True),
            (date(2026, 10, 31), 30, True),
        ):
            session.add(ServiceHours(volunteer_id=vol.id, served_on=day, minutes=minutes, approved=approved))
        for at, kind in (
            (local(2, 10), "visit"),
            (local(9, 10), "visit"),
            (local(30, 10), "visit"),
            (local(10, 10), "call"),
            (local(1, 10, month=12), "visit"),
        ):
            session.add(ElderlyCareRecord(resident_id=people[0].id, at=at, kind=kind))
        records = [  # (resident, status, started, ended): what is open at the month's end counts
            (0, "seeking", date(2026, 11, 2), date(2026, 11, 15)),
            (0, "placed", date(2026, 11, 15), None),
            (1, "seeking", date(2026, 11, 3), None),
            (2, "training", date(2026, 11, 4), None),
            (3, "placed", date(2026, 11, 5), None),
            (4, "seeking", date(2026, 11, 6), None),
            (4, "placed", date(2026, 12, 2), None),  # after the month
            (5, "placed", date(2026, 11, 7), None),  # past working age: not counted
        ]
        for who, status, started, ended in records:
            resident_id = people[who].id
            session.add(
                EmploymentRecord(resident_id=resident_id, status=status, started_on=started, ended_on=ended)
            )

    db.write(write)
    service = IncidentService(db, clock=lambda: local(3, 8, 11))
    user = UserService(db).get("zhang.min")
    assert user is not None
    service.create(user, "B3 smoke", alarm_ids=[1, 2, 3])


def rows(text: str) -> list[list[str]]:
    """Each line of ``pdftotext -layout`` split at runs of 2+ spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def has_row(text: str, *cells: str) -> bool:
    """Whether a row starts with these cells (spaces ignored: text extraction drops some, as in "≤ 1")."""
    want = [re.sub(r"\s", "", c) for c in cells]
    return any([re.sub(r"\s", "", c) for c in r[: len(cells)]] == want for r in rows(text))


def test_the_shift_report_holds_the_counts_kpis_open_items_and_the_team(
    db: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    pdf = tmp_path / "shift.pdf"
    made = as_user(
        "zhang.min",
        "report",
        "shift",
        "--from",
        "2026-11-03T08:00",
        "--to",
        "2026-11-03T16:00",
        "--pdf",
        str(pdf),
        "--lang",
        "en",
        "--database",
        db.url,
    )
    assert made.returncode == 0, made.stderr
    render_pages(pdf, artifacts_dir)
    text = pdf_text(pdf)
    inside = [a for a in ALARMS if SHIFT[0] <= a[4] < SHIFT[1]]
    by_category: dict[str, int] = {}
    for a in inside:
        by_category[a[1]] = by_category.get(a[1], 0) + 1
    assert by_category == {"fire": 4, "supervisory": 2, "fault": 1}
    for category, n in by_category.items():
        assert has_row(text, category, str(n)), (category, n)
    windows = (SHIFT[1] - SHIFT[0]).total_seconds() / 600
    times = sorted(a[4] for a in inside)
    peak = max(sum(1 for u in times if t <= u < t + timedelta(minutes=10)) for t in times)
    assert has_row(text, "alarms", str(len(inside)))
    assert has_row(text, "alarms per 10 min (mean)", f"{round(len(inside) / windows, 3):g}", "≤ 1")
    assert has_row(text, "alarms per 10 min (peak)", str(peak), "≤ 10")
    assert has_row(text, "shelved", "1")
    assert has_row(text, "Team on duty", "红队 Red team")
    assert has_row(text, "Alarms", "7", "b3.temp/high", "unacknowledged")  # open item
    assert has_row(text, "Incidents", "1", "B3 smoke", "new")  # open item
    assert has_row(text, "4", "b3.heat/on", "shelved", "2026-11-03 18:00:00")  # with its expiry
    assert has_row(text, "1", "B3 smoke", "new", "fire", "2026-11-03 08:11:00")
    # every alarm of the shift, and none from outside it, in the streamed list at the end
    for n, (key, category, priority, _b, raised, _s, _u) in enumerate(ALARMS, start=1):
        listed = has_row(
            text, raised.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S"), str(n), key, category, priority
        )
        assert listed is (SHIFT[0] <= raised < SHIFT[1]), (n, key)


def test_the_monthly_summary_holds_alarms_incidents_and_the_records_figures(
    db: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    pdf = tmp_path / "monthly.pdf"
    made = as_user(
        "zhang.min",
        "report",
        "monthly",
        "--month",
        "2026-11",
        "--pdf",
        str(pdf),
        "--lang",
        "en",
        "--database",
        db.url,
    )
    assert made.returncode == 0, made.stderr
    pages = render_pages(pdf, artifacts_dir)
    assert pages
    text = pdf_text(pdf)
    november = [a for a in ALARMS if local(1, 0) <= a[4] < local(1, 0, month=12)]
    assert len(november) == 8
    assert has_row(text, "fire", "4") and has_row(text, "supervisory", "2") and has_row(text, "fault", "2")
    assert has_row(text, "B3", "7") and has_row(text, "B1", "1")
    assert has_row(text, "new", "1")  # incidents by status
    minutes = 90 + 150
    assert has_row(text, "Volunteer hours", f"{minutes / 60:.1f}")
    assert has_row(text, "Elderly visits", "3")
    employed, seeking = 2, 3  # 0 and 3 placed; 1 and 4 seeking and 2 in training (counts as seeking)
    assert has_row(text, "Employment rate", f"{100 * employed / (employed + seeking):.1f} %")

    zh = tmp_path / "monthly-zh.pdf"
    made = as_user(
        "zhang.min", "report", "monthly", "--month", "2026-11", "--pdf", str(zh), "--database", db.url
    )
    assert made.returncode == 0, made.stderr
    assert "月度汇总 2026-11" in pdf_text(zh) and "就业率" in pdf_text(zh)


def test_bad_periods_are_refused_in_words(db: Database, tmp_path: Path) -> None:
    out = str(tmp_path / "x.pdf")
    bad_month = as_user(
        "zhang.min", "report", "monthly", "--month", "November", "--pdf", out, "--database", db.url
    )
    assert bad_month.returncode == 2 and "not a month like 2026-12" in bad_month.stderr
    backwards = as_user(
        "zhang.min",
        "report",
        "shift",
        "--from",
        "2026-11-03",
        "--to",
        "2026-11-02",
        "--pdf",
        out,
        "--database",
        db.url,
    )
    assert backwards.returncode == 2 and "--to must be after --from" in backwards.stderr
    bad_lang = as_user(
        "zhang.min",
        "report",
        "shift",
        "--from",
        "2026-11-03",
        "--to",
        "2026-11-04",
        "--pdf",
        out,
        "--lang",
        "fr",
        "--database",
        db.url,
    )
    assert bad_lang.returncode == 2 and "zh_CN" in bad_lang.stderr
    unknown = as_user("zhang.min", "report", "incident", "99", "--pdf", out, "--database", db.url)
    assert unknown.returncode == 2 and "incident 99 does not exist" in unknown.stderr
    assert not Path(out).exists()

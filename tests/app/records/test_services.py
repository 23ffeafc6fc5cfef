"""Employment rate, volunteer totals, on-duty lookup and overdue visits against hand-computed values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app.auth.permissions import PermissionRefused
from app.records.care import overdue_visits
from app.records.duty import on_duty
from app.records.employment import employment_rate
from app.records.names import name_keys
from app.records.volunteers import VolunteerService, totals
from app.storage.database import Database
from models.people import (
    CarePlan,
    DutyTeam,
    DutyTeamMember,
    ElderlyCareRecord,
    EmploymentRecord,
    Resident,
    RosterShift,
    ServiceHours,
    Volunteer,
    VolunteerProject,
)
from tests.app.records.support import BOSS, CLERK, OFFICER, ward_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _resident(session: Session, name: str, born: date, tags: str = "") -> Resident:
    pinyin, initials = name_keys(name)
    resident = Resident(name=name, birth_date=born, tags=tags, name_pinyin=pinyin, name_initials=initials)
    session.add(resident)
    session.flush()
    return resident


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    with ward_db(tmp_path) as database:
        yield database


def test_employment_rate_matches_a_hand_count(db: Database) -> None:
    def fill(s: Session) -> None:
        def job(name: str, born: date, status: str, start: date, end: date | None = None) -> None:
            r = _resident(s, name, born)
            s.add(EmploymentRecord(resident_id=r.id, status=status, started_on=start, ended_on=end))

        job("在职甲", date(1990, 1, 1), "placed", date(2025, 3, 1))  # employed
        job("在职乙", date(1980, 1, 1), "placed", date(2026, 6, 30))  # employed (started inside)
        job("离职丙", date(1985, 1, 1), "placed", date(2024, 1, 1), date(2026, 5, 1))  # ended: not employed
        job("求职丁", date(1995, 1, 1), "seeking", date(2026, 2, 1))  # seeking
        job("培训戊", date(2000, 1, 1), "training", date(2026, 4, 1))  # seeking (training)
        job("晚到己", date(1992, 1, 1), "placed", date(2026, 7, 1))  # starts after the end: not counted
        job("老人庚", date(1960, 1, 1), "placed", date(2020, 1, 1))  # 66: not working age
        job("少年辛", date(2012, 1, 1), "seeking", date(2026, 1, 1))  # 14: not working age
        r = _resident(s, "转正壬", date(1991, 1, 1))  # sought, then placed: employed once
        s.add(EmploymentRecord(resident_id=r.id, status="seeking", started_on=date(2026, 1, 1)))
        s.add(EmploymentRecord(resident_id=r.id, status="placed", started_on=date(2026, 3, 1)))

    db.write(fill)
    with db.session() as session:
        rate = employment_rate(session, date(2026, 1, 1), date(2026, 7, 1))
    assert (rate.employed, rate.seeking) == (3, 2)
    assert rate.rate == pytest.approx(0.6)
    assert rate.json_row()["formula"].startswith("rate = employed / (employed + seeking)")


def test_volunteer_totals_count_approved_hours_only(db: Database) -> None:
    def fill(s: Session) -> tuple[int, int]:
        second_life = VolunteerProject(name="Second Life")
        patrol = VolunteerProject(name="Night patrol")
        a, b = Volunteer(name="甲"), Volunteer(name="乙")
        s.add_all([second_life, patrol, a, b])
        s.flush()

        def hours(v: Volunteer, p: VolunteerProject, day: date, minutes: int, approved: bool = True) -> None:
            s.add(
                ServiceHours(
                    volunteer_id=v.id, project_id=p.id, served_on=day, minutes=minutes, approved=approved
                )
            )

        hours(a, second_life, date(2026, 1, 5), 90)
        hours(a, second_life, date(2026, 3, 5), 120)
        hours(a, patrol, date(2026, 12, 31), 60)
        hours(a, patrol, date(2026, 6, 1), 600, approved=False)  # not approved: not counted
        hours(a, patrol, date(2027, 1, 1), 45)  # outside the year
        hours(b, patrol, date(2026, 2, 2), 30)
        hours(b, second_life, date(2025, 12, 31), 240)  # outside the year
        s.flush()
        unapproved = s.query(ServiceHours).filter_by(approved=False).one().id
        return a.id, unapproved

    a_id, unapproved = db.write(fill)
    with db.session() as session:
        by_volunteer = totals(session, date(2026, 1, 1), date(2027, 1, 1))
        by_project = totals(session, date(2026, 1, 1), date(2027, 1, 1), by="project")
    assert [(t.name, t.minutes, t.entries) for t in by_volunteer] == [("甲", 270, 3), ("乙", 30, 1)]
    assert by_volunteer[0].hours == 4.5 and by_volunteer[0].key == a_id
    assert [(t.name, t.minutes) for t in by_project] == [("Second Life", 210), ("Night patrol", 90)]
    with pytest.raises(PermissionRefused):
        VolunteerService(db, CLERK).approve([unapproved])  # clerks record, supervisors approve
    assert VolunteerService(db, BOSS).approve([unapproved]) == 1
    assert VolunteerService(db, OFFICER).totals(date(2026, 1, 1), date(2027, 1, 1))[0].minutes == 870


def test_on_duty_at_a_time_uses_half_open_shifts(db: Database) -> None:
    t0 = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)

    def fill(s: Session) -> None:
        grid = DutyTeam(name="网格一组", kind="grid")
        rescue = DutyTeam(name="应急救援队", kind="emergency-rescue")
        lead, member, medic = (
            Volunteer(name="王队长", phone="13700001111"),
            Volunteer(name="刘"),
            Volunteer(name="陈"),
        )
        s.add_all([grid, rescue, lead, member, medic])
        s.flush()
        s.add_all(
            [
                DutyTeamMember(team_id=grid.id, volunteer_id=member.id, role="member", phone="13500002222"),
                DutyTeamMember(team_id=grid.id, volunteer_id=lead.id, role="leader"),
                DutyTeamMember(team_id=rescue.id, volunteer_id=medic.id, role="medic", phone="13600003333"),
                RosterShift(team_id=grid.id, starts_at=t0, ends_at=t0 + timedelta(hours=12)),
                RosterShift(
                    team_id=rescue.id, starts_at=t0 + timedelta(hours=12), ends_at=t0 + timedelta(hours=24)
                ),
            ]
        )

    db.write(fill)
    with db.session() as s:
        at_noon = on_duty(s, t0 + timedelta(hours=4), unmasked=False)
        at_handover = on_duty(s, t0 + timedelta(hours=12), unmasked=True)
        before = on_duty(s, t0 - timedelta(seconds=1), unmasked=True)
    assert [(d.team, d.member, d.role, d.phone) for d in at_noon] == [
        ("网格一组", "王队长", "leader", "137****1111"),
        ("网格一组", "刘", "member", "135****2222"),
    ]
    assert [(d.team, d.member, d.phone) for d in at_handover] == [("应急救援队", "陈", "13600003333")]
    assert at_handover[0].json_row()["from"] == (t0 + timedelta(hours=12)).astimezone(UTC).isoformat()
    assert before == []


def test_overdue_visits_for_residents_living_alone(db: Database) -> None:
    now = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)

    def at(days_ago: int) -> datetime:
        return now - timedelta(days=days_ago)

    def fill(s: Session) -> dict[str, int]:
        ids = {}
        for name, tags, plan, visits in (
            ("visited", ";lives-alone;", None, [("visit", 3)]),  # within the default 7 days
            ("late", ";lives-alone;", None, [("visit", 10)]),  # 3 days late
            ("call-only", ";lives-alone;", None, [("call", 1), ("visit", 20)]),  # a call is no visit
            ("never", ";lives-alone;", None, []),  # never visited
            ("planned", ";lives-alone;", 30, [("visit", 20)]),  # a 30-day plan: fine
            ("tight-plan", ";lives-alone;mobility;", 2, [("visit", 3)]),  # a 2-day plan: 1 day late
            ("with-family", "", None, []),  # does not live alone
        ):
            r = _resident(s, name, date(1940, 1, 1), tags)
            ids[name] = r.id
            if plan:
                s.add(CarePlan(resident_id=r.id, visit_interval_days=plan))
            for kind, days in visits:
                s.add(ElderlyCareRecord(resident_id=r.id, kind=kind, at=at(days)))
        return ids

    ids = db.write(fill)
    with db.session() as s:
        late = overdue_visits(s, now)
    assert [(o.name, o.days_overdue, o.interval_days) for o in late] == [
        ("call-only", 13, 7),
        ("never", 7, 7),
        ("late", 3, 7),
        ("tight-plan", 1, 2),
    ]
    assert late[0].name == "call-only" and late[0].resident_id == ids["call-only"]
    assert {o.name for o in late}.isdisjoint({"visited", "planned", "with-family"})


def test_cli_site_sync_then_employment_rate_and_on_duty(tmp_path: Path) -> None:
    from tests.app.records.support import PASSWORD, write_site
    from tests.app.test_cli import wardroom

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = {"WARDROOM_HOME": str(tmp_path / "home")}
    synced = wardroom("site", "sync", str(write_site(tmp_path)), "--database", url, env=env)
    assert synced.returncode == 0, synced.stderr
    assert "created" in synced.stdout and "2 buildings" in synced.stdout
    with Database(url) as db:
        from argon2 import PasswordHasher

        from app.auth.users import UserService

        UserService(db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add(
            "officer", "duty-officer", PASSWORD
        )

        def fill(s: Session) -> None:
            r = _resident(s, "求职", date(1990, 1, 1))
            s.add(EmploymentRecord(resident_id=r.id, status="placed", started_on=date(2026, 1, 1)))
            team = DutyTeam(name="Patrol", kind="volunteer-patrol")
            v = Volunteer(name="Li", phone="13811112222")
            s.add_all([team, v])
            s.flush()
            s.add(DutyTeamMember(team_id=team.id, volunteer_id=v.id))
            start = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
            s.add(RosterShift(team_id=team.id, starts_at=start, ends_at=start + timedelta(hours=8)))

        db.write(fill)
    rate = wardroom(
        "records",
        "employment-rate",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-01",
        "--json",
        "--database",
        url,
        env=env,
    )
    assert rate.returncode == 0, rate.stderr
    import json

    assert json.loads(rate.stdout)[0] | {"formula": ""} == {
        "from": "2026-01-01",
        "to": "2026-12-01",
        "employed": 1,
        "seeking": 0,
        "rate": 1.0,
        "formula": "",
    }
    duty = wardroom(
        "records",
        "on-duty",
        "--at",
        "2026-12-07T09:30",
        "--user",
        "officer",
        "--json",
        "--database",
        url,
        stdin=PASSWORD + "\n",
        env=env,
    )
    assert duty.returncode == 0, duty.stderr
    assert [(r["team"], r["member"], r["phone"]) for r in json.loads(duty.stdout)] == [
        ("Patrol", "Li", "138****2222")
    ]
    bad = wardroom(
        "records", "employment-rate", "--from", "yesterday", "--to", "2026-12-01", "--database", url, env=env
    )
    assert bad.returncode == 2 and "--from" in bad.stderr


def test_imported_vehicles_are_the_plates_vision_matches(db: Database, tmp_path: Path) -> None:
    from sqlalchemy import select

    from app.records.importer import import_file
    from app.records.vehicles import find_registered, registered_plates
    from models.vehicles import RegisteredVehicle

    lines = ["车牌,类型,有效期至", "浙a·12d45,小汽车,2027-01-01", "浙A 12D45,汽车,", ",电动车,",
             "浙B99999,car,2026-01-01", "XYZ,car,"]  # fmt: skip
    path = tmp_path / "vehicles.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(db, CLERK, "vehicles", path)
    assert report.landed == 3
    assert [(e.row, e.column) for e in report.refused] == [(3, "plate"), (6, "plate")]
    with db.session() as s:
        assert set(s.scalars(select(RegisteredVehicle.plate))) == {"浙A12D45", "浙B99999", None}
        plates = registered_plates(s, date(2026, 12, 7))
        assert sorted(plates.values()) == ["浙A12D45"]  # 浙B99999 expired
        match = find_registered(s, "浙A·12045", date(2026, 12, 7))  # one OCR confusion: 0/D
        assert match is not None and not match.exact and match.plate == "浙A12D45"
        assert find_registered(s, "浙B99999", date(2026, 12, 7)) is None


def test_totals_from_the_monthly_summary_equal_a_plain_sum(db: Database) -> None:
    """Whole months from the summary, partial months from the entries: the same as adding them up,
    after imports, ORM writes and approvals alike."""
    import random

    from app.records.importer import import_file

    rng = random.Random(4)
    entries: list[tuple[str, date, int, bool]] = []

    def fill(s: Session) -> None:
        for name in ("甲", "乙", "丙"):
            s.add(Volunteer(name=name))
        s.add(VolunteerProject(name="P"))
        s.flush()
        for _ in range(300):
            vid = rng.randrange(1, 4)
            day = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
            minutes = rng.choice((30, 60, 90))
            approved = rng.random() < 0.7
            s.add(
                ServiceHours(
                    volunteer_id=vid, project_id=1, served_on=day, minutes=minutes, approved=approved
                )
            )
            entries.append(("甲乙丙"[vid - 1], day, minutes, approved))

    db.write(fill)
    csv = "志愿者,项目,服务日期,时长\n" + "".join(f"乙,Q,2025-03-{d:02d},1.5\n" for d in range(1, 29))
    (Path(db.url.removeprefix("sqlite:///")).parent / "hours.csv").write_text(csv, encoding="utf-8")
    from tests.app.records.support import ADMIN

    report = import_file(db, ADMIN, "hours", Path(db.url.removeprefix("sqlite:///")).parent / "hours.csv")
    assert report.landed == 28  # an administrator's import arrives approved
    entries += [("乙", date(2025, 3, d), 90, True) for d in range(1, 29)]
    with db.session() as s:
        unapproved = [h.id for h in s.query(ServiceHours).filter_by(approved=False).limit(20)]
        days = {h.id: h.served_on for h in s.query(ServiceHours).filter(ServiceHours.id.in_(unapproved))}
    VolunteerService(db, BOSS).approve(unapproved)
    approved_now = set(unapproved)
    with db.session() as s:
        rows = {h.id: h for h in s.query(ServiceHours)}
    assert all(rows[i].approved for i in approved_now) and days
    periods = [
        (date(2025, 1, 1), date(2026, 1, 1)),
        (date(2025, 2, 17), date(2026, 8, 3)),
        (date(2025, 3, 5), date(2025, 3, 9)),
        (date(2025, 12, 31), date(2026, 2, 1)),
    ]
    for start, end in periods:
        expected: dict[str, int] = {}
        for h in rows.values():
            if h.approved and start <= h.served_on < end:
                name = "甲乙丙"[h.volunteer_id - 1]
                expected[name] = expected.get(name, 0) + h.minutes
        with db.session() as s:
            got = {t.name: t.minutes for t in totals(s, start, end)}
        assert got == expected, (start, end)


def test_a_care_plan_sets_the_interval_the_overdue_list_counts_from(db: Database) -> None:
    from app.records.care import set_care_plan

    now = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)

    def fill(s: Session) -> int:
        r = _resident(s, "独居老人", date(1940, 1, 1), ";lives-alone;")
        s.add(ElderlyCareRecord(resident_id=r.id, kind="visit", at=now - timedelta(days=5)))
        return r.id

    rid = db.write(fill)
    with db.session() as s:
        assert overdue_visits(s, now) == []  # the default 7 days
    with pytest.raises(PermissionRefused):
        set_care_plan(db, OFFICER, rid, 3)
    assert set_care_plan(db, CLERK, rid, 3) is True
    with db.session() as s:
        assert [(o.resident_id, o.days_overdue, o.interval_days) for o in overdue_visits(s, now)] == [
            (rid, 2, 3)
        ]
    assert set_care_plan(db, CLERK, rid, 10) is False
    with db.session() as s:
        assert overdue_visits(s, now) == []

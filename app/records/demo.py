"""The demo ward's synthetic records: ~8,000 residents in households, ~3,000 of them over 60,
~200 volunteers with a year of hours, ~1,500 vehicles and e-bikes, six duty teams with rosters.

Why generated, not shipped: realistic personal data must never be real, and Faker's ``zh_CN`` locale
gives names, phones and employers that look right on screen. Everything comes from one seed (and the
day it is generated for), so two demo starts on the same day show the same ward. Rows go in with bulk
``INSERT``s in one transaction: a few seconds on a laptop, done at the demo's first start only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.plate_text import normalise_plate
from app.records.care import born_by
from app.records.fields import id_check_digit
from app.records.hours_summary import refresh as refresh_hours
from app.records.names import name_keys
from app.records.settings import load_rules
from app.records.store import insert_residents
from app.storage.database import Database
from models.base import utcnow
from models.people import (
    CarePlan,
    DutyTeam,
    DutyTeamMember,
    ElderlyCareRecord,
    EmploymentRecord,
    Household,
    JobPosting,
    JobReferral,
    Resident,
    RosterShift,
    ServiceHours,
    Volunteer,
    VolunteerProject,
)
from models.site import Building
from models.vehicles import RegisteredVehicle

DEMO_SEED = 20261207
RESIDENTIAL_MARK = "(residents)"  # the demo's residential buildings are named "Building N (residents)"
REGION = "330106"  # Hangzhou, Xihu district
PROJECTS = (
    ("Second Life", "第二人生: the ward's retirees passing on their trades"),
    ("邻里守望", "Neighbours looking after neighbours"),
    ("助老送餐", "Meals delivered to elderly residents"),
    ("垃圾分类督导", "Waste-sorting guidance"),
    ("平安巡逻", "Volunteer patrols"),
)
TEAMS = (
    ("网格巡查一组", "grid"),
    ("网格巡查二组", "grid"),
    ("联防巡逻队", "joint-patrol"),
    ("应急救援队", "emergency-rescue"),
    ("志愿者巡逻队", "volunteer-patrol"),
    ("微型消防站", "emergency-rescue"),
)


@dataclass(frozen=True)
class DemoCounts:
    residents: int
    elderly: int
    households: int
    volunteers: int
    hours: int
    vehicles: int
    teams: int
    seconds: float


def _id_number(rng: random.Random, birth: date, gender: str) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
    first17 = f"{REGION}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def _birth(rng: random.Random, today: date, low: int, high: int) -> date:
    oldest = born_by(today, high + 1) + timedelta(days=1)
    youngest = born_by(today, low)
    return oldest + timedelta(days=rng.randrange((youngest - oldest).days + 1))


def ensure_demo_records(db: Database, seed: int = DEMO_SEED, today: date | None = None) -> DemoCounts | None:
    """Fill the demo ward's records once: nothing when residents are already recorded."""
    with db.session() as session:
        if session.scalar(select(func.count(Resident.id))):
            return None
    return db.write(lambda s: generate(s, seed=seed, today=today), timeout_s=600)


def generate(
    session: Session, *, seed: int = DEMO_SEED, today: date | None = None, residents: int = 8000
) -> DemoCounts:
    """Write the synthetic ward into ``session`` (the caller commits)."""
    from faker import Faker

    started = datetime.now(UTC)
    rules = load_rules(session)
    zone = rules.zone()
    today = today or rules.today()
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    buildings = [
        b.id
        for b in session.scalars(select(Building).where(Building.retired.is_(False)).order_by(Building.key))
        if RESIDENTIAL_MARK in b.name
    ] or [b.id for b in session.scalars(select(Building).where(Building.retired.is_(False)))]
    if not buildings:
        raise RuntimeError("the demo site has no buildings to house its residents")
    now = utcnow()

    # Households and residents -----------------------------------------------------------------
    households: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    flats = [
        (b, f"{u}-{floor}{flat:02d}")
        for b in buildings
        for u in (1, 2, 3, 4)
        for floor in range(1, 27)
        for flat in range(1, 7)
    ]
    rng.shuffle(flats)
    while len(people) < residents and flats:
        building_id, unit = flats.pop()
        elderly_home = rng.random() < 0.55
        size = rng.choice((1, 1, 2, 2, 2)) if elderly_home else rng.choice((1, 2, 3, 3, 4, 4, 5))
        households.append(
            {
                "building_id": building_id,
                "unit": unit,
                "number": unit,
                "phone": "",
                "notes": "",
                "created_at": now,
            }
        )
        surname_seed = fake.last_name()
        for k in range(size):
            gender = rng.choice("MF")
            if elderly_home:
                birth = _birth(rng, today, 60, 95)
            elif k < 2:
                birth = _birth(rng, today, 25, 59)
            else:
                birth = _birth(rng, today, 0, 24)
            given = fake.first_name_male() if gender == "M" else fake.first_name_female()
            name = (surname_seed if k != 1 else fake.last_name()) + given
            drawn = _id_number(rng, birth, gender)
            id_number: str | None = None  # a few residents have no ID on file
            if drawn not in seen_ids and rng.random() >= 0.03:
                id_number = drawn
                seen_ids.add(drawn)
            tags: set[str] = set()
            if elderly_home and size == 1:
                tags.add("lives-alone")
            if elderly_home:
                if rng.random() < 0.18:
                    tags.add("mobility")
                if rng.random() < 0.35:
                    tags.add("chronic-illness")
                if rng.random() < 0.1:
                    tags.add("empty-nest")
            if rng.random() < 0.025:
                tags.add("disability")
            pinyin, initials = name_keys(name)
            people.append(
                {
                    "_household": len(households) - 1,
                    "name": name,
                    "name_pinyin": pinyin,
                    "name_initials": initials,
                    "gender": gender,
                    "birth_date": birth,
                    "id_number": id_number,
                    "registration": "registered" if rng.random() < 0.8 else "migrant",
                    "tags": ";" + ";".join(sorted(tags)) + ";" if tags else "",
                    "phone": fake.phone_number() if birth <= born_by(today, 12) else "",
                    "emergency_contact": "",
                    "notes": "",
                    "moved_in": today - timedelta(days=rng.randrange(30, 365 * 30)),
                    "created_at": now,
                }
            )
    session.execute(insert(Household), households)
    household_ids = list(session.scalars(select(Household.id).order_by(Household.id)))[-len(households) :]
    for person in people:
        person["household_id"] = household_ids[person.pop("_household")]
    insert_residents(session, people)
    resident_rows = session.execute(
        select(Resident.id, Resident.birth_date, Resident.tags, Resident.name, Resident.phone).order_by(
            Resident.id
        )
    ).all()
    elderly_cut = born_by(today, 60)
    elderly = [r for r in resident_rows if r.birth_date <= elderly_cut]
    alone = [r for r in elderly if ";lives-alone;" in r.tags]
    working = [r for r in resident_rows if born_by(today, 60) < r.birth_date <= born_by(today, 16)]

    # Care: plans for those living alone, a few weeks of visits (some overdue on purpose) ---------
    session.execute(
        insert(CarePlan),
        [
            {
                "resident_id": r.id,
                "visit_interval_days": rng.choice((7, 7, 14)),
                "notes": "",
                "active": True,
                "created_at": now,
            }
            for r in alone
        ],
    )
    visitors = [fake.name() for _ in range(12)]
    visits: list[dict[str, Any]] = []
    for r in alone:
        day = today - timedelta(days=rng.randrange(0, 21))
        for _ in range(rng.randrange(1, 6)):
            at = datetime.combine(day, time(rng.randrange(9, 17), rng.choice((0, 15, 30, 45))), zone)
            visits.append(
                {
                    "resident_id": r.id,
                    "at": at.astimezone(UTC),
                    "kind": rng.choice(("visit", "visit", "visit", "call", "meal", "health-check")),
                    "visitor": rng.choice(visitors),
                    "notes": rng.choice(("", "精神状态良好", "血压偏高，提醒按时服药", "需要协助购物")),
                    "follow_up": "",
                    "follow_up_due": None,
                }
            )
            day -= timedelta(days=rng.randrange(5, 15))
    session.execute(insert(ElderlyCareRecord), visits)

    # Employment: seekers, trainings, postings, referrals, placements (the target is >= 95 %) ----
    postings = [
        {
            "employer": fake.company(),
            "position": fake.job(),
            "opened_on": today - timedelta(days=rng.randrange(10, 200)),
            "closed_on": None,
            "notes": "",
        }
        for _ in range(24)
    ]
    session.execute(insert(JobPosting), postings)
    posting_ids = list(session.scalars(select(JobPosting.id).order_by(JobPosting.id)))
    seekers = rng.sample(working, min(260, len(working)))
    employment: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    for k, r in enumerate(seekers):
        start = today - timedelta(days=rng.randrange(60, 700))
        placed = k % 20 != 0  # 95 % placed
        employment.append(
            {
                "resident_id": r.id,
                "status": "seeking",
                "started_on": start,
                "ended_on": start + timedelta(days=40) if placed else None,
                "employer": "",
                "position": "",
                "skills": rng.choice(("电工", "保洁", "驾驶", "烹饪", "会计", "护理", "")),
                "notes": "",
                "posting_id": None,
                "recorded_at": now,
            }
        )
        if k % 3 == 0:
            employment.append(
                {
                    "resident_id": r.id,
                    "status": "training",
                    "started_on": start + timedelta(days=5),
                    "ended_on": start + timedelta(days=35),
                    "employer": "",
                    "position": "育婴师培训",
                    "skills": "",
                    "notes": "",
                    "posting_id": None,
                    "recorded_at": now,
                }
            )
        posting = rng.choice(posting_ids)
        referrals.append(
            {
                "resident_id": r.id,
                "posting_id": posting,
                "referred_on": start + timedelta(days=20),
                "outcome": "hired" if placed else "pending",
            }
        )
        if placed:
            employment.append(
                {
                    "resident_id": r.id,
                    "status": "placed",
                    "started_on": start + timedelta(days=40),
                    "ended_on": None,
                    "employer": fake.company(),
                    "position": fake.job(),
                    "skills": "",
                    "notes": "",
                    "posting_id": posting,
                    "recorded_at": now,
                }
            )
    session.execute(insert(EmploymentRecord), employment)
    session.execute(insert(JobReferral), referrals)

    # Volunteers and a year of approved hours -----------------------------------------------------
    session.execute(
        insert(VolunteerProject), [{"name": n, "description": d, "active": True} for n, d in PROJECTS]
    )
    project_ids = list(session.scalars(select(VolunteerProject.id).order_by(VolunteerProject.id)))
    candidates = [r for r in resident_rows if born_by(today, 75) < r.birth_date <= born_by(today, 18)]
    from_residents = rng.sample(candidates, min(160, len(candidates)))
    volunteers = [
        {
            "resident_id": r.id,
            "name": r.name,
            "phone": r.phone or fake.phone_number(),
            "skills": rng.choice(("", "理发", "维修", "医护", "法律咨询", "书法")),
            "joined_on": today - timedelta(days=rng.randrange(400, 3000)),
            "active": True,
        }
        for r in from_residents
    ]
    volunteers += [
        {
            "resident_id": None,
            "name": fake.name(),
            "phone": fake.phone_number(),
            "skills": "",
            "joined_on": today - timedelta(days=rng.randrange(400, 2000)),
            "active": True,
        }
        for _ in range(40)
    ]
    session.execute(insert(Volunteer), volunteers)
    volunteer_ids = list(session.scalars(select(Volunteer.id).order_by(Volunteer.id)))
    hours: list[dict[str, Any]] = []
    for vid in volunteer_ids:
        project = rng.choice(project_ids)
        for _ in range(rng.randrange(12, 70)):
            served = today - timedelta(days=rng.randrange(0, 365))
            approved = served < today - timedelta(days=14) or rng.random() < 0.5
            hours.append(
                {
                    "volunteer_id": vid,
                    "project_id": project if rng.random() < 0.8 else rng.choice(project_ids),
                    "served_on": served,
                    "minutes": rng.choice((60, 90, 120, 120, 180, 240)),
                    "activity": "",
                    "approved": approved,
                    "approved_at": now if approved else None,
                    "recorded_at": now,
                }
            )
    session.execute(insert(ServiceHours), hours)
    refresh_hours(session, {h["served_on"] for h in hours if h["approved"]})

    # Vehicles: cars, motorcycles and e-bikes of residents -------------------------------------------
    drivers = rng.sample(
        [r for r in resident_rows if born_by(today, 75) < r.birth_date <= born_by(today, 18)],
        min(1500, len(candidates)),
    )
    plates: set[str] = set()
    vehicles: list[dict[str, Any]] = []
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    for k, r in enumerate(drivers):
        kind = "car" if k % 2 == 0 else ("e-bike" if k % 9 else "motorcycle")
        while True:
            tail = "".join(
                rng.choice("0123456789" + letters) if j < 2 else rng.choice("0123456789") for j in range(5)
            )
            plate = normalise_plate(("浙A" if kind != "e-bike" else "杭州") + tail)
            if plate not in plates:
                plates.add(plate)
                break
        vehicles.append(
            {
                "kind": kind,
                "plate": plate,
                "owner_id": r.id,
                "description": "",
                "registered_on": today - timedelta(days=rng.randrange(30, 2000)),
                "expires_on": today + timedelta(days=rng.randrange(-60, 700)),
                "active": True,
                "notes": "",
                "created_at": now,
            }
        )
    session.execute(insert(RegisteredVehicle), vehicles)

    # Six duty teams, their members, a month of 12-hour shifts -------------------------------------
    for team_index, (team_name, kind) in enumerate(TEAMS):
        team = DutyTeam(name=team_name, kind=kind, description="")
        session.add(team)
        session.flush()
        members = rng.sample(volunteer_ids, 5)
        for m, vid in enumerate(members):
            session.add(
                DutyTeamMember(team_id=team.id, volunteer_id=vid, role="leader" if m == 0 else "member")
            )
        first = datetime.combine(today - timedelta(days=7), time(8, 0), zone)
        shifts = []
        for half_day in range(2 * 37):
            if half_day % len(TEAMS) == team_index or (
                kind == "emergency-rescue" and half_day % 2 == team_index % 2
            ):
                start = first + timedelta(hours=12 * half_day)
                shifts.append(
                    {
                        "team_id": team.id,
                        "starts_at": start.astimezone(UTC),
                        "ends_at": (start + timedelta(hours=12)).astimezone(UTC),
                        "position": "",
                        "notes": "",
                    }
                )
        session.execute(insert(RosterShift), shifts)

    audit.append(
        session, "system", "records.demo-generated", "demo", {"seed": seed, "residents": len(people)}
    )
    seconds = (datetime.now(UTC) - started).total_seconds()
    return DemoCounts(
        len(people),
        len(elderly),
        len(households),
        len(volunteers),
        len(hours),
        len(vehicles),
        len(TEAMS),
        round(seconds, 2),
    )

"""The importable kinds: their columns (English id, Chinese headers), row checks and bulk writes.

Each kind reads what it needs to judge duplicates once (``prepare``), checks rows one by one
(``check``, raising :class:`RowProblem` with the column and reason), and writes the accepted rows in
bulk (``write``), inside the importer's single transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.permissions import Action
from app.plate_text import normalise_plate, plate_kind
from app.records import fields
from app.records.access import Viewer
from app.records.fields import FieldError, cell_text
from app.records.hours_summary import refresh
from app.records.names import name_keys
from app.records.residents import parse_tags, tags_text
from app.records.settings import RecordsRules
from app.records.store import bulk_insert, insert_residents
from models.base import utcnow
from models.people import (
    CARE_KINDS,
    ElderlyCareRecord,
    Household,
    Resident,
    ServiceHours,
    Volunteer,
    VolunteerProject,
)
from models.site import Building
from models.vehicles import RegisteredVehicle


class RowProblem(Exception):
    """A row that cannot be imported: which column and why."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass(frozen=True)
class Column:
    field: str
    aliases: tuple[str, ...]
    required: bool = False


@dataclass
class Context:
    """One import's session, rules and viewer, and what the kind remembers between rows."""

    session: Session
    rules: RecordsRules
    viewer: Viewer
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KindSpec:
    columns: tuple[Column, ...]
    prepare: Callable[[Context], None]
    check: Callable[[Context, int, dict[str, Any]], Any]
    write: Callable[[Context, list[Any]], None]


def _text(values: dict[str, Any], name: str) -> str:
    return cell_text(values.get(name))


def _field(column: str, parse: Callable[[], Any]) -> Any:
    try:
        return parse()
    except FieldError as exc:
        raise RowProblem(column, str(exc)) from exc


def _required(values: dict[str, Any], name: str, words: str) -> str:
    value = _text(values, name)
    if not value:
        raise RowProblem(name, f"the {words} is empty (required)")
    return value


# --------------------------------------------------------------------------------- residents
RESIDENT_COLUMNS = (
    Column("name", ("姓名",), required=True),
    Column("gender", ("性别",)),
    Column("birth_date", ("出生日期",)),
    Column("id_number", ("身份证号",)),
    Column("phone", ("联系电话",)),
    Column("building", ("楼栋",), required=True),
    Column("unit", ("房号",), required=True),
    Column("household", ("户号",)),
    Column("registration", ("户籍类型",)),
    Column("moved_in", ("入住日期",)),
    Column("tags", ("标签",)),
)


def buildings_by_id_or_name(session: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    for b in session.scalars(select(Building).where(Building.retired.is_(False))):
        out.setdefault(b.name.strip().lower(), b.id)
        out[b.key.strip().lower()] = b.id
    return out


def _prepare_residents(ctx: Context) -> None:
    s = ctx.session
    ctx.memo["buildings"] = buildings_by_id_or_name(s)
    ctx.memo["ids"] = set(s.scalars(select(Resident.id_number).where(Resident.id_number.is_not(None))))
    ctx.memo["households"] = {
        (h.building_id, h.number): (h.id, h.unit)
        for h in s.execute(select(Household.id, Household.building_id, Household.number, Household.unit))
    }
    ctx.memo["people"] = set(s.execute(select(Resident.name, Resident.birth_date, Resident.household_id)))
    ctx.memo["file_ids"] = {}
    ctx.memo["file_people"] = {}
    ctx.memo["new_households"] = {}


def _check_resident(ctx: Context, row: int, values: dict[str, Any]) -> dict[str, Any]:
    name = _required(values, "name", "name")
    building_text = _required(values, "building", "building")
    building_id = ctx.memo["buildings"].get(building_text.lower())
    if building_id is None:
        raise RowProblem("building", f"unknown building {building_text!r} (not in the site file)")
    unit = _required(values, "unit", "unit")
    gender = _field("gender", lambda: fields.parse_gender(_text(values, "gender")))
    birth = _field("birth_date", lambda: fields.parse_date(values.get("birth_date"), what="birth date"))
    id_text = _text(values, "id_number")
    id_number = _field("id_number", lambda: fields.parse_id_number(id_text)) if id_text else None
    phone = _field("phone", lambda: fields.parse_phone(_text(values, "phone")))
    registration = _field("registration", lambda: fields.parse_registration(_text(values, "registration")))
    moved_in = _field("moved_in", lambda: fields.parse_date(values.get("moved_in"), what="moved-in date"))
    tags = _field("tags", lambda: parse_tags(_text(values, "tags"), ctx.rules))
    if id_number is not None:
        birth = birth or fields.id_birth_date(id_number)
        gender = gender or fields.id_gender(id_number)
    number = _text(values, "household") or unit
    hh_key = (building_id, number)
    existing = ctx.memo["households"].get(hh_key) or ctx.memo["new_households"].get(hh_key)
    if existing is not None and existing[1] != unit:
        raise RowProblem(
            "household",
            f"household {number} of building {building_text} is in unit {existing[1]}, not {unit}",
        )
    if id_number is not None:
        first = ctx.memo["file_ids"].get(id_number)
        if first is not None:
            raise RowProblem("id_number", f"duplicate: the same ID number as row {first}")
        if id_number in ctx.memo["ids"]:
            raise RowProblem("id_number", "already recorded: a resident with this ID number exists")
    else:
        person = (name, birth, building_id, number)
        first = ctx.memo["file_people"].get(person)
        if first is not None:
            raise RowProblem("name", f"duplicate: the same name, birth date and household as row {first}")
        household_id = existing[0] if existing is not None and existing[0] is not None else None
        if household_id is not None and (name, birth, household_id) in ctx.memo["people"]:
            raise RowProblem(
                "name", "already recorded: a resident with this name, birth date and household exists"
            )
    if id_number is not None:
        ctx.memo["file_ids"][id_number] = row
    else:
        ctx.memo["file_people"][(name, birth, building_id, number)] = row
    if existing is None:
        ctx.memo["new_households"][hh_key] = (None, unit)
    pinyin, initials = name_keys(name)
    return {
        "name": name,
        "name_pinyin": pinyin,
        "name_initials": initials,
        "gender": gender,
        "birth_date": birth,
        "id_number": id_number,
        "phone": phone,
        "registration": registration,
        "moved_in": moved_in,
        "tags": tags_text(tags),
        "_household": hh_key,
    }


def _write_residents(ctx: Context, rows: list[dict[str, Any]]) -> None:
    s = ctx.session
    new = [key for key, (hid, _unit) in ctx.memo["new_households"].items() if hid is None]
    now = utcnow()
    if new:
        bulk_insert(
            s,
            Household,
            [
                {
                    "building_id": b,
                    "number": n,
                    "unit": ctx.memo["new_households"][(b, n)][1],
                    "created_at": now,
                }
                for b, n in new
            ],
        )
    ids = {
        (b, n): hid for hid, b, n in s.execute(select(Household.id, Household.building_id, Household.number))
    }
    for row in rows:
        row["household_id"] = ids[row.pop("_household")]
        row["created_at"] = now
        row.setdefault("emergency_contact", "")
        row.setdefault("notes", "")
    insert_residents(s, rows)


# --------------------------------------------------------------------------------- volunteers
VOLUNTEER_COLUMNS = (
    Column("name", ("姓名",), required=True),
    Column("phone", ("联系电话",)),
    Column("id_number", ("身份证号",)),
    Column("skills", ("技能",)),
    Column("joined_on", ("加入日期",)),
)


def _prepare_volunteers(ctx: Context) -> None:
    ctx.memo["known"] = set(ctx.session.execute(select(Volunteer.name, Volunteer.phone)))
    ctx.memo["file"] = {}


def _check_volunteer(ctx: Context, row: int, values: dict[str, Any]) -> dict[str, Any]:
    name = _required(values, "name", "name")
    phone = _field("phone", lambda: fields.parse_phone(_text(values, "phone")))
    id_text = _text(values, "id_number")
    resident_id = None
    if id_text:
        id_number = _field("id_number", lambda: fields.parse_id_number(id_text))
        resident_id = ctx.session.scalar(select(Resident.id).where(Resident.id_number == id_number))
        if resident_id is None:
            raise RowProblem(
                "id_number", "no resident has this ID number (leave it empty for an external volunteer)"
            )
    joined = _field("joined_on", lambda: fields.parse_date(values.get("joined_on"), what="joining date"))
    key = (name, phone)
    if key in ctx.memo["file"]:
        raise RowProblem("name", f"duplicate: the same name and phone as row {ctx.memo['file'][key]}")
    if key in ctx.memo["known"]:
        raise RowProblem("name", "already recorded: a volunteer with this name and phone exists")
    ctx.memo["file"][key] = row
    return {
        "name": name,
        "phone": phone,
        "resident_id": resident_id,
        "skills": _text(values, "skills"),
        "joined_on": joined,
        "active": True,
    }


def _write_plain(model: Any) -> Callable[[Context, list[Any]], None]:
    def write(ctx: Context, rows: list[Any]) -> None:
        bulk_insert(ctx.session, model, rows)

    return write


# --------------------------------------------------------------------------------- hours
HOURS_COLUMNS = (
    Column("volunteer", ("志愿者", "姓名"), required=True),
    Column("phone", ("联系电话",)),
    Column("project", ("项目",), required=True),
    Column("activity", ("活动",)),
    Column("date", ("服务日期", "日期"), required=True),
    Column("hours", ("时长", "小时"), required=True),
)


def _prepare_hours(ctx: Context) -> None:
    s = ctx.session
    by_name: dict[str, list[tuple[int, str]]] = {}
    for vid, name, phone in s.execute(select(Volunteer.id, Volunteer.name, Volunteer.phone)):
        by_name.setdefault(name, []).append((vid, phone))
    ctx.memo["volunteers"] = by_name
    ctx.memo["projects"] = {p.name: p.id for p in s.scalars(select(VolunteerProject))}
    ctx.memo["approve"] = ctx.viewer.may(Action.VOLUNTEER_HOURS_APPROVE)
    ctx.memo["seen"] = {}


def _check_hours(ctx: Context, row: int, values: dict[str, Any]) -> dict[str, Any]:
    name = _required(values, "volunteer", "volunteer's name")
    phone = _text(values, "phone")
    candidates = ctx.memo["volunteers"].get(name, [])
    if phone:
        candidates = [c for c in candidates if c[1] == phone]
    if not candidates:
        raise RowProblem(
            "volunteer", f"no volunteer named {name!r}" + (f" with phone {phone}" if phone else "")
        )
    if len(candidates) > 1:
        raise RowProblem("volunteer", f"{len(candidates)} volunteers are named {name!r}: add their phone")
    project = _required(values, "project", "project")
    served = _field("date", lambda: fields.parse_date(values.get("date"), what="service date"))
    if served is None:
        raise RowProblem("date", "the service date is empty (required)")
    hours_text = _required(values, "hours", "number of hours")
    try:
        minutes = round(float(hours_text) * 60)
    except ValueError:
        raise RowProblem("hours", f"{hours_text!r} is not a number of hours") from None
    if not 0 < minutes <= 24 * 60:
        raise RowProblem("hours", f"{hours_text} hours is not between 0 and 24")
    activity = _text(values, "activity")
    key = (candidates[0][0], served, project, activity, minutes)
    if key in ctx.memo["seen"]:
        raise RowProblem("hours", f"duplicate: the same entry as row {ctx.memo['seen'][key]}")
    ctx.memo["seen"][key] = row
    return {
        "volunteer_id": candidates[0][0],
        "project": project,
        "served_on": served,
        "minutes": minutes,
        "activity": activity,
    }


def _write_hours(ctx: Context, rows: list[dict[str, Any]]) -> None:
    s = ctx.session
    projects: dict[str, int] = ctx.memo["projects"]
    for name in sorted({r["project"] for r in rows} - set(projects)):
        project = VolunteerProject(name=name, description="")
        s.add(project)
        s.flush()
        projects[name] = project.id
    now = utcnow()
    approve = ctx.memo["approve"]
    user_id = _user_id(s, ctx.viewer.name)
    for r in rows:
        r["project_id"] = projects[r.pop("project")]
        r["approved"] = approve
        r["approved_by_id"] = user_id if approve else None
        r["approved_at"] = now if approve else None
        r["recorded_by_id"] = user_id
        r["recorded_at"] = now
    bulk_insert(s, ServiceHours, rows)
    if approve:
        refresh(s, {r["served_on"] for r in rows})


def _user_id(session: Session, name: str) -> int | None:
    from models.users import User

    return session.scalar(select(User.id).where(User.name == name))


# --------------------------------------------------------------------------------- vehicles
VEHICLE_KIND_WORDS = {
    "car": "car",
    "小汽车": "car",
    "汽车": "car",
    "轿车": "car",
    "motorcycle": "motorcycle",
    "摩托车": "motorcycle",
    "e-bike": "e-bike",
    "ebike": "e-bike",
    "电动车": "e-bike",
    "电动自行车": "e-bike",
    "bicycle": "bicycle",
    "自行车": "bicycle",
}
VEHICLE_COLUMNS = (
    Column("plate", ("车牌", "车牌号")),
    Column("kind", ("类型", "车辆类型"), required=True),
    Column("owner_id_number", ("车主身份证号",)),
    Column("owner", ("车主",)),
    Column("valid_until", ("有效期至",)),
    Column("description", ("描述", "车辆描述")),
)


def _prepare_vehicles(ctx: Context) -> None:
    ctx.memo["plates"] = set(
        ctx.session.scalars(select(RegisteredVehicle.plate).where(RegisteredVehicle.plate.is_not(None)))
    )
    ctx.memo["file"] = {}


def _check_vehicle(ctx: Context, row: int, values: dict[str, Any]) -> dict[str, Any]:
    kind_text = _required(values, "kind", "vehicle kind")
    kind = VEHICLE_KIND_WORDS.get(kind_text.lower())
    if kind is None:
        raise RowProblem(
            "kind",
            f"vehicle kind {kind_text!r} is not car/小汽车, motorcycle/摩托车, e-bike/电动车 "
            "or bicycle/自行车",
        )
    plate_text = _text(values, "plate")
    plate = normalise_plate(plate_text) if plate_text else None
    if plate is None and kind in ("car", "motorcycle"):
        raise RowProblem("plate", f"a {kind} needs a plate")
    if plate is not None and kind == "car" and plate_kind(plate) is None:
        raise RowProblem("plate", f"{plate_text!r} is not a mainland plate (e.g. 京A12345)")
    if plate is not None:
        if plate in ctx.memo["file"]:
            raise RowProblem("plate", f"duplicate: the same plate as row {ctx.memo['file'][plate]}")
        if plate in ctx.memo["plates"]:
            raise RowProblem("plate", "already registered: a vehicle with this plate exists")
    owner_id = None
    id_text = _text(values, "owner_id_number")
    if id_text:
        id_number = _field("owner_id_number", lambda: fields.parse_id_number(id_text))
        owner_id = ctx.session.scalar(select(Resident.id).where(Resident.id_number == id_number))
        if owner_id is None:
            raise RowProblem("owner_id_number", "no resident has this ID number")
    elif _text(values, "owner"):
        owner = _text(values, "owner")
        found = list(ctx.session.scalars(select(Resident.id).where(Resident.name == owner).limit(2)))
        if len(found) != 1:
            raise RowProblem(
                "owner",
                f"{'no' if not found else 'more than one'} resident named {owner!r}: "
                "give the owner's ID number",
            )
        owner_id = found[0]
    valid = _field(
        "valid_until", lambda: fields.parse_date(values.get("valid_until"), what="valid-until date")
    )
    if plate is not None:
        ctx.memo["file"][plate] = row
    return {
        "kind": kind,
        "plate": plate,
        "owner_id": owner_id,
        "expires_on": valid,
        "description": _text(values, "description"),
        "registered_on": ctx.rules.today(),
        "active": True,
        "notes": "",
        "created_at": utcnow(),
    }


# --------------------------------------------------------------------------------- care visits
CARE_KIND_WORDS = {
    "探访": "visit",
    "电话": "call",
    "送餐": "meal",
    "体检": "health-check",
    "陪同": "escort",
    "其他": "other",
}
CARE_COLUMNS = (
    Column("resident", ("居民", "身份证号", "居民编号"), required=True),
    Column("date", ("日期", "时间"), required=True),
    Column("kind", ("类型",)),
    Column("visitor", ("探访人",)),
    Column("notes", ("备注",)),
    Column("follow_up", ("跟进事项",)),
    Column("follow_up_due", ("跟进期限",)),
)


def _prepare_care(ctx: Context) -> None:
    ctx.memo["seen"] = {}


def _check_care(ctx: Context, row: int, values: dict[str, Any]) -> dict[str, Any]:
    who = _required(values, "resident", "resident (ID number or record id)")
    if who.isdigit() and len(who) < 18:
        resident_id = ctx.session.scalar(select(Resident.id).where(Resident.id == int(who)))
    else:
        id_number = _field("resident", lambda: fields.parse_id_number(who))
        resident_id = ctx.session.scalar(select(Resident.id).where(Resident.id_number == id_number))
    if resident_id is None:
        raise RowProblem("resident", f"no resident {who!r}")
    raw_at = values.get("date")
    if isinstance(raw_at, datetime):
        at = raw_at if raw_at.tzinfo else raw_at.replace(tzinfo=ctx.rules.zone())
    else:
        text = cell_text(raw_at)
        try:
            parsed = datetime.fromisoformat(text)
            at = parsed if parsed.tzinfo else parsed.replace(tzinfo=ctx.rules.zone())
        except ValueError:
            day = _field("date", lambda: fields.parse_date(raw_at, what="visit date"))
            if day is None:
                raise RowProblem("date", "the visit date is empty (required)") from None
            at = datetime.combine(day, time(10, 0), ctx.rules.zone())
    kind_text = _text(values, "kind") or "visit"
    kind = CARE_KIND_WORDS.get(kind_text, kind_text.lower())
    if kind not in CARE_KINDS:
        raise RowProblem("kind", f"care kind {kind_text!r} is not one of {', '.join(CARE_KINDS)}")
    due = _field(
        "follow_up_due", lambda: fields.parse_date(values.get("follow_up_due"), what="follow-up date")
    )
    key = (resident_id, at, kind)
    if key in ctx.memo["seen"]:
        raise RowProblem("date", f"duplicate: the same visit as row {ctx.memo['seen'][key]}")
    ctx.memo["seen"][key] = row
    return {
        "resident_id": resident_id,
        "at": at.astimezone(UTC),
        "kind": kind,
        "visitor": _text(values, "visitor"),
        "notes": _text(values, "notes"),
        "follow_up": _text(values, "follow_up"),
        "follow_up_due": due,
        "recorded_by_id": _user_id(ctx.session, ctx.viewer.name),
    }


KINDS: dict[str, KindSpec] = {
    "residents": KindSpec(RESIDENT_COLUMNS, _prepare_residents, _check_resident, _write_residents),
    "volunteers": KindSpec(VOLUNTEER_COLUMNS, _prepare_volunteers, _check_volunteer, _write_plain(Volunteer)),
    "hours": KindSpec(HOURS_COLUMNS, _prepare_hours, _check_hours, _write_hours),
    "vehicles": KindSpec(VEHICLE_COLUMNS, _prepare_vehicles, _check_vehicle, _write_plain(RegisteredVehicle)),
    "care-visits": KindSpec(CARE_COLUMNS, _prepare_care, _check_care, _write_plain(ElderlyCareRecord)),
}

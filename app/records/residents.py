"""Residents: the paged list with search, the audited detail view, and audited edits.

Search (why it is fast): a query of letters only is a pinyin key, matched as a *prefix* of the full
pinyin or of the initials (``zw`` finds 张伟, ``zhangw`` too) through a B-tree range
(``key >= q AND key < q + '{'``) on indexed columns; any other query is part of a name, matched with
``LIKE`` on the name (a prefix uses the name's index; a first page of a substring search stops after
50 hits). Pages are read with ``LIMIT``/``OFFSET`` and never the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, union
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import Action
from app.records import fields
from app.records.access import Viewer, require
from app.records.names import name_keys, search_key, search_part
from app.records.settings import HEALTH_TAGS, RecordsRules, load_rules
from app.records.store import replace_name_parts
from app.storage.database import Database
from models.people import (
    NAME_PART_MAX,
    ElderlyCareRecord,
    EmploymentRecord,
    Household,
    Resident,
    ResidentNamePart,
)
from models.site import Building
from models.vehicles import RegisteredVehicle

PAGE_SIZE = 50
SORTS: dict[str, Any] = {
    "id": Resident.id,
    "name": Resident.name_pinyin,
    "birth_date": Resident.birth_date,
    "age": Resident.birth_date.desc(),
    "building": Building.key,
}
RESIDENT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "gender",
    "birth_date",
    "age",
    "building",
    "unit",
    "household",
    "registration",
    "id_number",
    "phone",
    "tags",
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(text: str) -> ColumnElement[bool] | None:
    """The WHERE clause for a search box text (None: no filter): always an indexed lookup.

    Letters only: a prefix of the full pinyin or of the initials, as two B-tree ranges
    (``key >= q AND key < q + '{'``: '{' sorts right after 'z'), joined by UNION. Anything else: a part
    of the name, looked up by equality in ``resident_name_parts``; a part longer than the parts kept
    there falls back to ``LIKE`` on the residents whose names hold its first characters.
    """
    query = text.strip()
    if not query:
        return None
    key = search_key(query)
    if key is not None:
        upper = key + "{"
        ids = union(
            select(Resident.id).where(Resident.name_pinyin >= key, Resident.name_pinyin < upper),
            select(Resident.id).where(Resident.name_initials >= key, Resident.name_initials < upper),
        )
        return Resident.id.in_(ids)
    part = search_part(query)
    if len(part) <= NAME_PART_MAX:
        return Resident.id.in_(select(ResidentNamePart.resident_id).where(ResidentNamePart.part == part))
    head = select(ResidentNamePart.resident_id).where(ResidentNamePart.part == part[:NAME_PART_MAX])
    return and_(Resident.id.in_(head), Resident.name.like("%" + _escape_like(query) + "%", escape="\\"))


@dataclass(frozen=True)
class ResidentFilter:
    """What a list or an export shows: search text, a tag, a building key, current residents only."""

    search: str = ""
    tag: str | None = None
    building: str | None = None
    current_only: bool = True
    born_before: date | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        condition = search_condition(self.search)
        if condition is not None:
            query = query.where(condition)
        if self.tag:
            query = query.where(Resident.tags.like(f"%;{_escape_like(self.tag)};%", escape="\\"))
        if self.building:
            query = query.where(Building.key == self.building)
        if self.current_only:
            query = query.where(Resident.moved_out.is_(None))
        if self.born_before is not None:
            query = query.where(Resident.birth_date <= self.born_before)
        return query


def _base_query() -> Any:
    return (
        select(
            Resident.id,
            Resident.name,
            Resident.gender,
            Resident.birth_date,
            Resident.id_number,
            Resident.phone,
            Resident.tags,
            Resident.registration,
            Household.unit,
            Household.number,
            Building.key.label("building"),
        )
        .outerjoin(Household, Resident.household_id == Household.id)
        .outerjoin(Building, Household.building_id == Building.id)
    )


def tag_list(tags: str) -> list[str]:
    return [t for t in tags.split(";") if t]


def tags_text(tags: list[str] | set[str]) -> str:
    """The stored form ``;a;b;`` (sorted, so equal sets store equally)."""
    return ";" + ";".join(sorted(tags)) + ";" if tags else ""


def shown_tags(tags: str, viewer: Viewer) -> list[str]:
    return [t for t in tag_list(tags) if viewer.unmasked or t not in HEALTH_TAGS]


def row_of(record: Any, viewer: Viewer, today: date) -> dict[str, Any]:
    """One list row, masked for ``viewer`` (the shape of ``records list residents --json``)."""
    return {
        "id": record.id,
        "name": record.name,
        "gender": record.gender or "",
        "birth_date": record.birth_date.isoformat() if record.birth_date else "",
        "age": fields.age_on(record.birth_date, today),
        "building": record.building or "",
        "unit": record.unit or "",
        "household": record.number or "",
        "registration": record.registration,
        "id_number": (record.id_number or "") if viewer.unmasked else fields.mask_id_number(record.id_number),
        "phone": record.phone if viewer.unmasked else fields.mask_phone(record.phone),
        "tags": shown_tags(record.tags, viewer),
    }


class ResidentService:
    """Residents as ``viewer`` may see and change them."""

    def __init__(self, db: Database, viewer: Viewer) -> None:
        self.db = db
        self.viewer = viewer

    def rules(self) -> RecordsRules:
        with self.db.session() as session:
            return load_rules(session)

    def _require_view(self, target: str = "residents") -> None:
        require(self.db, self.viewer, Action.RESIDENTS_VIEW, "resident.view-refused", target)

    def page(
        self, flt: ResidentFilter, offset: int = 0, limit: int = PAGE_SIZE, sort: str = "id"
    ) -> list[dict[str, Any]]:
        """One page of the list (rows as :func:`row_of`)."""
        self._require_view()
        order = SORTS.get(sort, Resident.id)
        query = flt.apply(_base_query()).order_by(order, Resident.id).offset(offset).limit(limit)
        with self.db.session() as session:
            today = load_rules(session).today()
            return [row_of(r, self.viewer, today) for r in session.execute(query)]

    def count(self, flt: ResidentFilter) -> int:
        self._require_view()
        query = flt.apply(
            select(func.count(Resident.id))
            .select_from(Resident)
            .outerjoin(Household, Resident.household_id == Household.id)
            .outerjoin(Building, Household.building_id == Building.id)
        )
        with self.db.session() as session:
            return int(session.scalar(query) or 0)

    def all_rows(self, flt: ResidentFilter, batch: int = 2000) -> list[dict[str, Any]]:
        """Every row the filter shows (for an export), read in id order in batches."""
        self._require_view()
        rows: list[dict[str, Any]] = []
        last = 0
        with self.db.session() as session:
            today = load_rules(session).today()
            while True:
                query = flt.apply(_base_query()).where(Resident.id > last).order_by(Resident.id).limit(batch)
                chunk = list(session.execute(query))
                if not chunk:
                    return rows
                rows.extend(row_of(r, self.viewer, today) for r in chunk)
                last = chunk[-1].id

    def show(self, resident_id: int) -> dict[str, Any]:
        """The detail view of one resident, audited as ``resident.view`` (``unmasked`` said)."""
        target = f"resident:{resident_id}"
        self._require_view(target)

        def read(session: Session) -> dict[str, Any]:
            query = _base_query().where(Resident.id == resident_id)
            record = session.execute(query).first()
            if record is None:
                raise LookupError(f"there is no resident with id {resident_id}")
            today = load_rules(session).today()
            detail = row_of(record, self.viewer, today)
            resident = session.get(Resident, resident_id)
            assert resident is not None
            detail["moved_in"] = resident.moved_in.isoformat() if resident.moved_in else ""
            detail["moved_out"] = resident.moved_out.isoformat() if resident.moved_out else ""
            detail["household_members"] = (
                [
                    {"id": m.id, "name": m.name}
                    for m in session.scalars(
                        select(Resident).where(
                            Resident.household_id == resident.household_id, Resident.id != resident_id
                        )
                    )
                ]
                if resident.household_id
                else []
            )
            detail["vehicles"] = [
                {"plate": v.plate or "", "kind": v.kind, "valid_until": str(v.expires_on or "")}
                for v in session.scalars(
                    select(RegisteredVehicle).where(RegisteredVehicle.owner_id == resident_id)
                )
            ]
            detail["care_plan_days"] = resident.care_plan.visit_interval_days if resident.care_plan else None
            detail["care_records"] = [
                {"at": c.at.isoformat(), "kind": c.kind, "visitor": c.visitor, "notes": c.notes}
                for c in session.scalars(
                    select(ElderlyCareRecord)
                    .where(ElderlyCareRecord.resident_id == resident_id)
                    .order_by(ElderlyCareRecord.at.desc())
                    .limit(10)
                )
            ]
            detail["employment"] = [
                {
                    "status": e.status,
                    "employer": e.employer,
                    "position": e.position,
                    "started_on": str(e.started_on or ""),
                    "ended_on": str(e.ended_on or ""),
                }
                for e in session.scalars(
                    select(EmploymentRecord).where(EmploymentRecord.resident_id == resident_id)
                )
            ]
            audit.append(
                session, self.viewer.name, "resident.view", target, {"unmasked": self.viewer.unmasked}
            )
            return detail

        return self.db.write(read)

    def edit(self, resident_id: int, changes: dict[str, str]) -> list[str]:
        """Change fields of a resident (values as typed); audited as ``resident.edit`` with the names
        of the fields that changed. Returns those names."""
        target = f"resident:{resident_id}"
        require(self.db, self.viewer, Action.RECORDS_EDIT, "resident.edit-refused", target)

        def write(session: Session) -> list[str]:
            resident = session.get(Resident, resident_id)
            if resident is None:
                raise LookupError(f"there is no resident with id {resident_id}")
            rules = load_rules(session)
            new = _parsed_changes(changes, rules)
            changed = [name for name, value in new.items() if getattr(resident, name) != value]
            if "id_number" in changed and new["id_number"]:
                other = session.scalar(
                    select(Resident.id).where(
                        Resident.id_number == new["id_number"], Resident.id != resident_id
                    )
                )
                if other is not None:
                    raise fields.FieldError(f"resident {other} already has this ID number")
            for name in changed:
                setattr(resident, name, new[name])
            if "name" in changed:
                resident.name_pinyin, resident.name_initials = name_keys(resident.name)
                replace_name_parts(session, resident_id, resident.name)
            if changed:
                audit.append(session, self.viewer.name, "resident.edit", target, {"fields": changed})
            return changed

        return self.db.write(write)


EDITABLE = (
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "registration",
    "moved_in",
    "moved_out",
    "tags",
)


def _parsed_changes(changes: dict[str, str], rules: RecordsRules) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, text in changes.items():
        if name not in EDITABLE:
            raise fields.FieldError(f"{name!r} cannot be edited here; editable: {', '.join(EDITABLE)}")
        if name == "name":
            if not text.strip():
                raise fields.FieldError("the name is empty")
            out[name] = text.strip()
        elif name == "gender":
            out[name] = fields.parse_gender(text)
        elif name in ("birth_date", "moved_in", "moved_out"):
            out[name] = fields.parse_date(text, what=name.replace("_", " "))
        elif name == "id_number":
            out[name] = fields.parse_id_number(text) if text.strip() else None
        elif name == "phone":
            out[name] = fields.parse_phone(text)
        elif name == "registration":
            out[name] = fields.parse_registration(text)
        elif name == "tags":
            out[name] = tags_text(parse_tags(text, rules))
    return out


def parse_tags(text: str, rules: RecordsRules) -> set[str]:
    """Tags separated by ``;``, ``；`` or ``,``: English ids or Chinese labels; unknown ones refused."""
    tags: set[str] = set()
    for part in text.replace("；", ";").replace(",", ";").replace("，", ";").split(";"):
        if not part.strip():
            continue
        tag = rules.tag_id(part)
        if tag is None:
            known = ", ".join(f"{t} ({label})" if label else t for t, label in rules.tags.items())
            raise fields.FieldError(f"unknown tag {part.strip()!r}; known tags: {known}")
        tags.add(tag)
    return tags

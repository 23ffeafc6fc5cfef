"""Every records kind as rows of plain values: what ``records list``, the pages and exports show.

One function per kind builds the rows, masked for the viewer; the residents' list lives in
``app.records.residents`` (it is the big one, with the indexed search).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import Action
from app.records.access import Viewer, require
from app.records.care import born_by, overdue_visits
from app.records.duty import on_duty
from app.records.fields import mask_phone
from app.records.residents import PAGE_SIZE, ResidentFilter, ResidentService
from app.records.settings import ELDERLY_AGE
from app.storage.database import Database
from models.people import (
    ElderlyCareRecord,
    EmploymentRecord,
    Resident,
    ServiceHours,
    Volunteer,
    VolunteerProject,
)
from models.vehicles import RegisteredVehicle

LIST_KINDS: tuple[str, ...] = (
    "residents",
    "elderly",
    "volunteers",
    "hours",
    "vehicles",
    "care-visits",
    "overdue-visits",
    "employment",
    "on-duty",
)


def _like(column: Any, search: str) -> Any:
    return column.like("%" + search.strip().replace("%", "") + "%")


def _volunteers(session: Session, viewer: Viewer, search: str) -> Select[Any]:
    query = select(Volunteer).order_by(Volunteer.id)
    return query.where(_like(Volunteer.name, search)) if search.strip() else query


def _volunteer_row(v: Volunteer, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "phone": v.phone if viewer.unmasked else mask_phone(v.phone),
        "resident_id": v.resident_id,
        "skills": v.skills,
        "joined_on": v.joined_on.isoformat() if v.joined_on else "",
        "active": v.active,
    }


def _hours_query(search: str) -> Any:
    query = (
        select(ServiceHours, Volunteer.name, VolunteerProject.name)
        .join(Volunteer, Volunteer.id == ServiceHours.volunteer_id)
        .outerjoin(VolunteerProject, VolunteerProject.id == ServiceHours.project_id)
        .order_by(ServiceHours.served_on.desc(), ServiceHours.id.desc())
    )
    return query.where(_like(Volunteer.name, search)) if search.strip() else query


def _hours_row(row: Any) -> dict[str, Any]:
    entry, volunteer, project = row
    return {
        "id": entry.id,
        "volunteer": volunteer,
        "project": project or "",
        "activity": entry.activity,
        "date": entry.served_on.isoformat(),
        "hours": round(entry.minutes / 60, 2),
        "approved": entry.approved,
    }


def _vehicles_query(search: str) -> Any:
    query = (
        select(RegisteredVehicle, Resident.name)
        .outerjoin(Resident, Resident.id == RegisteredVehicle.owner_id)
        .order_by(RegisteredVehicle.id)
    )
    if search.strip():
        from app.plate_text import normalise_plate

        query = query.where(
            _like(RegisteredVehicle.plate, normalise_plate(search)) | _like(Resident.name, search)
        )
    return query


def _vehicle_row(row: Any) -> dict[str, Any]:
    vehicle, owner = row
    return {
        "id": vehicle.id,
        "plate": vehicle.plate or "",
        "kind": vehicle.kind,
        "owner_id": vehicle.owner_id,
        "owner": owner or "",
        "valid_until": vehicle.expires_on.isoformat() if vehicle.expires_on else "",
        "active": vehicle.active,
        "description": vehicle.description,
    }


def _care_query(search: str) -> Any:
    query = (
        select(ElderlyCareRecord, Resident.name)
        .join(Resident, Resident.id == ElderlyCareRecord.resident_id)
        .order_by(ElderlyCareRecord.at.desc(), ElderlyCareRecord.id.desc())
    )
    return query.where(_like(Resident.name, search)) if search.strip() else query


def _care_row(row: Any) -> dict[str, Any]:
    record, name = row
    return {
        "id": record.id,
        "resident_id": record.resident_id,
        "resident": name,
        "at": record.at.isoformat(),
        "kind": record.kind,
        "visitor": record.visitor,
        "notes": record.notes,
        "follow_up": record.follow_up,
        "follow_up_due": record.follow_up_due.isoformat() if record.follow_up_due else "",
    }


def _employment_query(search: str) -> Any:
    query = (
        select(EmploymentRecord, Resident.name)
        .join(Resident, Resident.id == EmploymentRecord.resident_id)
        .order_by(EmploymentRecord.started_on.desc(), EmploymentRecord.id.desc())
    )
    return query.where(_like(Resident.name, search)) if search.strip() else query


def _employment_row(row: Any) -> dict[str, Any]:
    record, name = row
    return {
        "id": record.id,
        "resident_id": record.resident_id,
        "resident": name,
        "status": record.status,
        "employer": record.employer,
        "position": record.position,
        "skills": record.skills,
        "started_on": record.started_on.isoformat() if record.started_on else "",
        "ended_on": record.ended_on.isoformat() if record.ended_on else "",
    }


_SIMPLE: dict[str, tuple[Callable[[str], Any], Callable[[Any], dict[str, Any]]]] = {
    "employment": (_employment_query, _employment_row),
    "hours": (_hours_query, _hours_row),
    "vehicles": (_vehicles_query, _vehicle_row),
    "care-visits": (_care_query, _care_row),
}


def list_rows(
    db: Database, viewer: Viewer, kind: str, search: str = "", offset: int = 0, limit: int | None = PAGE_SIZE
) -> list[dict[str, Any]]:
    """Rows of ``kind`` the viewer may see (``limit`` None: all of them, for an export)."""
    if kind not in LIST_KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of: {', '.join(LIST_KINDS)}")
    if kind in ("residents", "elderly"):
        service = ResidentService(db, viewer)
        flt = ResidentFilter(search=search)
        if kind == "elderly":
            flt = ResidentFilter(search=search, born_before=born_by(service.rules().today(), ELDERLY_AGE))
        if limit is None:
            return service.all_rows(flt)
        return service.page(flt, offset, limit, sort="birth_date" if kind == "elderly" else "id")
    require(db, viewer, Action.RESIDENTS_VIEW, "records.view-refused", kind)
    with db.session() as session:
        if kind in ("overdue-visits", "on-duty"):
            now = datetime.now(UTC)
            if kind == "overdue-visits":
                rows = [o.json_row() for o in overdue_visits(session, now)]
            else:
                rows = [d.json_row() for d in on_duty(session, now, unmasked=viewer.unmasked)]
            return rows[offset:] if limit is None else rows[offset : offset + limit]
        if kind == "volunteers":
            q = _volunteers(session, viewer, search).offset(offset)
            q = q if limit is None else q.limit(limit)
            return [_volunteer_row(v, viewer) for v in session.scalars(q)]
        build, to_row = _SIMPLE[kind]
        q = build(search).offset(offset)
        q = q if limit is None else q.limit(limit)
        return [to_row(r) for r in session.execute(q)]


def show(db: Database, viewer: Viewer, kind: str, record_id: int) -> dict[str, Any]:
    """One record's detail; audited (``resident.view`` for a person, ``records.view`` otherwise)."""
    if kind in ("residents", "elderly"):
        return ResidentService(db, viewer).show(record_id)
    if kind not in _SIMPLE and kind != "volunteers":
        raise ValueError(f"'show' works for residents, volunteers, {', '.join(_SIMPLE)}")
    target = f"{kind}:{record_id}"
    require(db, viewer, Action.RESIDENTS_VIEW, "records.view-refused", target)

    def read(session: Session) -> dict[str, Any]:
        if kind == "volunteers":
            volunteer = session.get(Volunteer, record_id)
            row = _volunteer_row(volunteer, viewer) if volunteer is not None else None
        else:
            build, to_row = _SIMPLE[kind]
            model: Any = {
                "employment": EmploymentRecord,
                "hours": ServiceHours,
                "vehicles": RegisteredVehicle,
                "care-visits": ElderlyCareRecord,
            }[kind]
            found = session.execute(build("").where(model.id == record_id)).first()
            row = to_row(found) if found is not None else None
        if row is None:
            raise LookupError(f"there is no {kind} record with id {record_id}")
        audit.append(session, viewer.name, "records.view", target, {"unmasked": viewer.unmasked})
        return row

    return db.write(read)

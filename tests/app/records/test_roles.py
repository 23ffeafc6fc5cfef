"""Roles and audit: masking for a duty officer, refusals by the service (audited), clerks' edits and
exports in the audit chain, every detail view audited."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit import chain
from app.auth.permissions import PermissionRefused
from app.records.export import export
from app.records.importer import import_file
from app.records.residents import ResidentFilter, ResidentService
from app.storage.database import Database
from models.audit import AuditEntry
from tests.app.records.support import ADMIN, BOSS, CLERK, OFFICER, PASSWORD, csv_text, id_number, ward_db
from tests.app.test_cli import wardroom

ZHANG_ID = "11010519491231002X"


def _audit(db: Database) -> list[tuple[str, str, str, dict[str, object]]]:
    with db.session() as session:
        return [
            (e.actor, e.action, e.target, json.loads(e.details)) for e in session.scalars(select(AuditEntry))
        ]


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "two.csv"
    path.write_text(
        csv_text(
            [
                {
                    "姓名": "张伟",
                    "身份证号": ZHANG_ID,
                    "联系电话": "13812345678",
                    "楼栋": "B1",
                    "房号": "101",
                    "标签": "独居;慢性病",
                },
                {
                    "姓名": "李娜",
                    "身份证号": id_number(date(1990, 5, 1), 2),
                    "联系电话": "13900001111",
                    "楼栋": "B1",
                    "房号": "102",
                    "标签": "",
                },
            ]
        ),
        encoding="utf-8",
    )
    with ward_db(tmp_path) as database:
        assert import_file(database, CLERK, "residents", path).landed == 2
        yield database


def test_duty_officer_sees_masked_values_and_no_health_tags(db: Database) -> None:
    (row,) = ResidentService(db, OFFICER).page(ResidentFilter(search="张"))
    assert row["id_number"] == "110***********002X"
    assert row["phone"] == "138****5678"
    assert row["tags"] == ["lives-alone"]  # chronic-illness is health data
    detail = ResidentService(db, OFFICER).show(row["id"])
    assert detail["id_number"] == "110***********002X"
    (clerk_row,) = ResidentService(db, CLERK).page(ResidentFilter(search="张"))
    assert clerk_row["id_number"] == ZHANG_ID and clerk_row["phone"] == "13812345678"
    assert clerk_row["tags"] == ["chronic-illness", "lives-alone"]


def test_every_detail_view_is_audited_with_whether_it_was_unmasked(db: Database) -> None:
    ResidentService(db, OFFICER).show(1)
    ResidentService(db, CLERK).show(1)
    ResidentService(db, CLERK).show(2)
    views = [(a, t, d) for a, action, t, d in _audit(db) if action == "resident.view"]
    assert views == [
        ("officer", "resident:1", {"unmasked": False}),
        ("clerk", "resident:1", {"unmasked": True}),
        ("clerk", "resident:2", {"unmasked": True}),
    ]
    with db.session() as session:
        assert chain.verify(session).ok


def test_duty_officer_export_is_refused_by_the_service_and_audited(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(PermissionRefused, match="records-clerk"):
        export(db, OFFICER, "residents", out)
    assert not out.exists()
    assert ("officer", "records.export-refused", "residents:out.csv") in [
        (a, b, c) for a, b, c, _ in _audit(db)
    ]
    with pytest.raises(PermissionRefused):
        ResidentService(db, OFFICER).edit(1, {"phone": "1"})
    with pytest.raises(PermissionRefused):
        import_file(db, BOSS, "residents", out)
    actions = [b for _a, b, _c, _d in _audit(db)]
    assert "resident.edit-refused" in actions and "records.import-refused" in actions


def test_clerk_edits_and_exports_are_audited(db: Database, tmp_path: Path) -> None:
    changed = ResidentService(db, CLERK).edit(1, {"phone": "13800000000", "tags": "独居", "name": "张伟"})
    assert changed == ["phone", "tags"]
    (row,) = ResidentService(db, CLERK).page(ResidentFilter(search="zw"))
    assert row["phone"] == "13800000000" and row["tags"] == ["lives-alone"]
    out = tmp_path / "residents.xlsx"
    assert export(db, CLERK, "residents", out, search="zhang") == 1
    sheet = load_workbook(out).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("id", "name") and values[1][1] == "张伟" and ZHANG_ID in values[1]
    trail = [(a, b, c, d) for a, b, c, d in _audit(db) if b in ("resident.edit", "records.export")]
    assert trail == [
        ("clerk", "resident.edit", "resident:1", {"fields": ["phone", "tags"]}),
        (
            "clerk",
            "records.export",
            "residents:residents.xlsx",
            {"kind": "residents", "rows": 1, "search": "zhang", "unmasked": True},
        ),
    ]


def test_admin_export_to_csv_holds_every_row(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    assert export(db, ADMIN, "residents", out) == 2
    text = out.read_text(encoding="utf-8-sig")
    assert "张伟" in text and "李娜" in text and ZHANG_ID in text


def test_cli_list_masks_for_the_officer_and_refuses_its_export(db: Database, tmp_path: Path) -> None:
    env = {"WARDROOM_HOME": str(tmp_path / "home")}
    listed = wardroom(
        "records",
        "list",
        "residents",
        "--user",
        "officer",
        "--search",
        "zw",
        "--json",
        "--database",
        db.url,
        stdin=PASSWORD + "\n",
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["id_number"] for r in rows] == ["110***********002X"]
    assert set(rows[0]) == {
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
    }
    refused = wardroom(
        "records",
        "export",
        "residents",
        str(tmp_path / "x.csv"),
        "--user",
        "officer",
        "--database",
        db.url,
        stdin=PASSWORD + "\n",
        env=env,
    )
    assert refused.returncode == 2 and "refused" in refused.stderr
    shown = wardroom(
        "records",
        "show",
        "residents",
        "1",
        "--user",
        "clerk",
        "--json",
        "--database",
        db.url,
        stdin=PASSWORD + "\n",
        env=env,
    )
    assert shown.returncode == 0 and json.loads(shown.stdout)[0]["id_number"] == ZHANG_ID
    wrong = wardroom(
        "records",
        "show",
        "residents",
        "1",
        "--user",
        "clerk",
        "--database",
        db.url,
        stdin="wrong-password\n",
        env=env,
    )
    assert wrong.returncode == 2


def test_search_by_part_of_a_name_follows_an_edited_name(db: Database) -> None:
    service = ResidentService(db, CLERK)
    assert [r["name"] for r in service.page(ResidentFilter(search="伟"))] == ["张伟"]
    assert service.page(ResidentFilter(search="伟华")) == []
    assert service.edit(1, {"name": "张伟华"}) == ["name"]
    assert [r["name"] for r in service.page(ResidentFilter(search="伟华"))] == ["张伟华"]
    assert [r["name"] for r in service.page(ResidentFilter(search="zwh"))] == ["张伟华"]
    assert [r["name"] for r in service.page(ResidentFilter(search="zhangweih"))] == ["张伟华"]
    assert service.page(ResidentFilter(search="张伟华的")) == []  # no name holds it
    assert [r["name"] for r in service.page(ResidentFilter(search="娜"))] == ["李娜"]

"""Importing residents: 10,000 rows with 37 bad ones, encodings, XLSX, refusals whole, re-imports."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.records.importer import ImportRefused, import_file
from app.records.names import name_keys
from app.records.residents import ResidentFilter, ResidentService
from models.audit import AuditEntry
from models.people import Household, Resident
from tests.app.records.support import CLERK, PASSWORD, csv_text, id_number, resident_rows, ward_db
from tests.app.test_cli import wardroom


def _count(db: object) -> int:
    with db.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count(Resident.id))) or 0)


def test_ten_thousand_rows_with_37_bad_land_exactly_the_good_ones(tmp_path: Path) -> None:
    rows = resident_rows(10_000)
    bad_rows: dict[int, str] = {}  # spreadsheet row number -> expected column ("" for encoding)
    # 6 wrong dates, 6 unknown buildings, 6 wrong check digits, 6 duplicate ID numbers,
    # 7 rows in a broken encoding, 6 missing required values: 37 in all.
    for k in range(6):
        i = 100 + k * 1500
        rows[i]["出生日期"] = "1985-02-30"
        bad_rows[i + 2] = "birth_date"
    for k in range(6):
        i = 200 + k * 1500
        rows[i]["楼栋"] = "B99"
        bad_rows[i + 2] = "building"
    for k in range(6):
        i = 301 + k * 1500
        good = id_number(date(1970, 1, 1), 500 + k)
        rows[i]["身份证号"] = good[:17] + ("0" if good[17] != "0" else "1")
        bad_rows[i + 2] = "id_number"
    for k in range(6):
        i = 402 + k * 1500
        source = 1 + k * 1500  # an earlier row with an ID number (i % 5 != 0)
        assert rows[source]["身份证号"]
        rows[i]["身份证号"] = rows[source]["身份证号"]
        bad_rows[i + 2] = "id_number"
    broken = {503 + k * 1400 for k in range(7)}
    for i in broken:
        bad_rows[i + 2] = ""
    for k, column, field in (
        (0, "姓名", "name"),
        (1, "楼栋", "building"),
        (2, "房号", "unit"),
        (3, "姓名", "name"),
        (4, "房号", "unit"),
        (5, "楼栋", "building"),
    ):
        i = 604 + k * 1500
        rows[i][column] = ""
        bad_rows[i + 2] = field
    assert len(bad_rows) == 37
    # The file: UTF-8, except 7 rows written in GBK (they do not decode as UTF-8).
    text_lines = csv_text(rows).splitlines()
    data = b"".join(
        (line.encode("gbk") if (n - 1) in broken else line.encode("utf-8")) + b"\n"
        for n, line in enumerate(text_lines)
    )
    path = tmp_path / "residents.csv"
    path.write_bytes(data)

    with ward_db(tmp_path) as db:
        report = import_file(db, CLERK, "residents", path)
        assert report.encoding == "utf-8"
        assert report.rows == 10_000
        assert report.landed == 9_963
        assert _count(db) == 9_963
        refused = {e.row: e for e in report.refused}
        assert set(refused) == set(bad_rows), sorted(set(refused) ^ set(bad_rows))
        for row, column in bad_rows.items():
            assert refused[row].column == column, refused[row]
            assert refused[row].reason
        assert "check digit" in refused[303].reason
        assert "row " in refused[404].reason and "duplicate" in refused[404].reason
        assert "B99" in refused[202].reason
        assert "encoding" in refused[505].reason
        # What landed is what the file said (Chinese values mapped to ids; tags; household numbers).
        with db.session() as session:
            first = session.scalar(
                select(Resident).where(Resident.name == rows[1]["姓名"]).order_by(Resident.id)
            )
            assert first is not None and first.id_number == rows[1]["身份证号"]
            assert (
                session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "records.import"))
                == 1
            )
        # Searching the imported residents finds them by pinyin initials.
        page = ResidentService(db, CLERK).page(ResidentFilter(search="zw"))
        assert page and all(name_keys(r["name"])[1].startswith("zw") for r in page)
        assert any(r["name"].startswith("张伟") for r in page)

        # The same file again: every good row is already recorded, nothing new is written.
        again = import_file(db, CLERK, "residents", path)
        assert again.landed == 0 and again.exit_code == 2
        assert len(again.refused) == 10_000
        assert _count(db) == 9_963
        # the good rows and the 6 duplicates of them: each one is already in the database now
        assert sum("already recorded" in e.reason for e in again.refused) == 9_963 + 6


def test_a_file_without_a_required_column_is_refused_whole(tmp_path: Path) -> None:
    rows = resident_rows(5)
    for row in rows:
        del row["房号"]
    path = tmp_path / "no-unit.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    with ward_db(tmp_path) as db:
        with pytest.raises(ImportRefused, match=r"no column for unit \(房号\)"):
            import_file(db, CLERK, "residents", path)
        assert _count(db) == 0


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig", "gb18030"])
def test_gbk_and_utf8_files_import(tmp_path: Path, encoding: str) -> None:
    rows = resident_rows(40, seed=encoding.__hash__() % 100)
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(csv_text(rows).encode(encoding))
    with ward_db(tmp_path) as db:
        report = import_file(db, CLERK, "residents", path)
        assert (report.landed, report.refused) == (40, [])
        with db.session() as session:
            names = set(session.scalars(select(Resident.name)))
        assert names == {r["姓名"] for r in rows}  # decoded right, not mojibake


def test_xlsx_with_english_headers_and_excel_dates(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "gender", "birth_date", "id_number", "building", "unit", "household", "tags"])
    sheet.append(["Wang Fang", "F", date(1941, 5, 2), None, "B1", "3-201", "H1", "lives-alone"])
    sheet.append(
        ["陈明", "男", "1960年1月2日", id_number(date(1960, 1, 2), 11), "二号楼", 502, None, "独居；残疾"]
    )
    sheet.append(["李四", "X", None, None, "B1", "1-1", None, None])
    path = tmp_path / "people.xlsx"
    book.save(path)
    with ward_db(tmp_path) as db:
        report = import_file(db, CLERK, "residents", path)
        assert report.landed == 2
        assert [(e.row, e.column) for e in report.refused] == [(4, "gender")]
        with db.session() as session:
            wang = session.scalar(select(Resident).where(Resident.name == "Wang Fang"))
            chen = session.scalar(select(Resident).where(Resident.name == "陈明"))
            assert wang is not None and chen is not None
            assert wang.birth_date == date(1941, 5, 2) and wang.tags == ";lives-alone;"
            assert (wang.name_pinyin, wang.name_initials) == ("wangfang", "wf")
            assert chen.tags == ";disability;lives-alone;" and chen.gender == "M"
            household = session.get(Household, chen.household_id)
            assert household is not None and (household.unit, household.number) == ("502", "502")


def test_cli_exit_codes_and_json_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    with ward_db(tmp_path):
        pass
    good = tmp_path / "good.csv"
    good.write_text(csv_text(resident_rows(3)), encoding="utf-8")
    mixed_rows = resident_rows(3, seed=99)
    mixed_rows[1]["楼栋"] = "nowhere"
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(csv_text(mixed_rows), encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("姓名,楼栋,房号\n", encoding="utf-8")
    env = {"WARDROOM_HOME": str(tmp_path / "home")}
    stdin = PASSWORD + "\n"

    def run(path: Path, *extra: str) -> tuple[int, str, str]:
        result = wardroom(
            "records",
            "import",
            "residents",
            str(path),
            "--user",
            "clerk",
            "--database",
            url,
            *extra,
            stdin=stdin,
            env=env,
        )
        return result.returncode, result.stdout, result.stderr

    code, out, errs = run(mixed, "--json")
    assert code == 0, errs
    assert json.loads(out) == [
        {"row": 3, "column": "building", "reason": "unknown building 'nowhere' (not in the site file)"}
    ]
    assert "2 of 3 row(s) imported" in errs and "1 refused" in errs
    assert run(good)[0] == 0
    code, out, errs = run(good, "--json")  # again: no row is good
    assert code == 2 and len(json.loads(out)) == 3 and "nothing was written" in errs
    assert run(empty)[0] == 0  # no data rows: nothing to do, done
    missing = tmp_path / "missing.csv"
    missing.write_text("姓名,楼栋\n张三,B1\n", encoding="utf-8")
    code, _out, errs = run(missing)
    assert code == 2 and "房号" in errs
    code, _out, errs = run(tmp_path / "absent.csv")
    assert code == 2 and "no such file" in errs

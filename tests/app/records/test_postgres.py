"""The same records services on PostgreSQL: import, pinyin search (byte-wise keys), totals, views."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.records.importer import import_file
from app.records.names import name_keys
from app.records.residents import ResidentFilter, ResidentService
from app.records.volunteers import totals
from models.people import ServiceHours, Volunteer
from tests.app.records.support import CLERK, OFFICER, csv_text, resident_rows, ward_db
from tests.models.support import fresh_pg_database

pytestmark = pytest.mark.postgres


def test_import_search_and_totals_on_postgresql(tmp_path: Path) -> None:
    rows = resident_rows(600, seed=3)
    rows[5]["楼栋"] = "B404"
    path = tmp_path / "people.csv"
    path.write_bytes(csv_text(rows).encode("gbk"))
    with fresh_pg_database() as url, ward_db(tmp_path, url) as db:
        report = import_file(db, CLERK, "residents", path)
        assert (report.landed, [(e.row, e.column) for e in report.refused]) == (599, [(7, "building")])
        service = ResidentService(db, OFFICER)
        hits = service.page(ResidentFilter(search="zw"), limit=1000)
        expected = {
            r["姓名"] for i, r in enumerate(rows) if i != 5 and name_keys(r["姓名"])[1].startswith("zw")
        }
        assert {h["name"] for h in hits} == expected and expected
        assert service.count(ResidentFilter(search="伟")) == sum(
            "伟" in r["姓名"] for i, r in enumerate(rows) if i != 5
        )
        assert all("*" in h["id_number"] for h in hits if h["id_number"])
        service.show(hits[0]["id"])

        def fill(s: Session) -> None:
            v = Volunteer(name="甲")
            s.add(v)
            s.flush()
            s.add_all(
                [
                    ServiceHours(volunteer_id=v.id, served_on=date(2026, 3, 1), minutes=90, approved=True),
                    ServiceHours(volunteer_id=v.id, served_on=date(2026, 3, 2), minutes=60, approved=False),
                ]
            )

        db.write(fill)
        with db.session() as s:
            assert [(t.name, t.minutes) for t in totals(s, date(2026, 1, 1), date(2027, 1, 1))] == [
                ("甲", 90)
            ]

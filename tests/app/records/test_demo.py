"""The demo ward's synthetic records: the ward's scale, valid values, one seed, once only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from app.records.demo import ensure_demo_records
from app.records.employment import employment_rate
from app.records.fields import parse_id_number
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import Database
from models.people import DutyTeam, Resident, RosterShift

TODAY = date(2026, 12, 7)


def _demo_db(folder: Path) -> Database:
    folder.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{folder / 'demo.sqlite3'}")
    db.upgrade()
    sync_site(db, load_site(demo_site_path()))
    return db


def test_demo_records_have_the_wards_scale_and_are_reproducible(tmp_path: Path) -> None:
    first = _demo_db(tmp_path / "a")
    second = _demo_db(tmp_path / "b")
    try:
        counts = ensure_demo_records(first, today=TODAY)
        assert counts is not None
        assert 7_500 <= counts.residents <= 8_500
        assert 2_700 <= counts.elderly <= 3_300
        assert 180 <= counts.volunteers <= 220
        assert 1_400 <= counts.vehicles <= 1_600
        assert counts.teams == 6
        assert ensure_demo_records(first, today=TODAY) is None  # once only
        assert ensure_demo_records(second, today=TODAY) is not None
        with first.session() as a, second.session() as b:
            query = (
                select(Resident.name, Resident.id_number, Resident.birth_date)
                .order_by(Resident.id)
                .limit(200)
            )
            assert a.execute(query).all() == b.execute(query).all()
            for (id_number,) in a.execute(
                select(Resident.id_number).where(Resident.id_number.is_not(None)).limit(500)
            ):
                assert parse_id_number(id_number) == id_number
            assert a.scalar(select(func.count(DutyTeam.id))) == 6
            assert a.scalar(select(func.count(RosterShift.id))) > 6 * 7
            rate = employment_rate(a, date(2026, 1, 1), TODAY)
            assert rate.rate is not None and 0.9 <= rate.rate <= 1.0
    finally:
        first.close()
        second.close()

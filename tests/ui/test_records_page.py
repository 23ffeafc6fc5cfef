"""The records page: paged search among 100,000 residents (part of a name, pinyin initials), the
audited detail pane, the import dialog's preview and error report, and a screenshot on the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.records.demo import ensure_demo_records
from app.records.names import name_keys
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import Database
from bench.bench_records import fill
from models.audit import AuditEntry
from tests.app.records.support import CLERK, OFFICER, csv_text, resident_rows, ward_db
from ui.pages.records import RecordsPage
from ui.pages.records_import import ImportDialog

WAIT_MS = 30_000


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("records-100k")
    db = Database(f"sqlite:///{folder / 'big.sqlite3'}")
    db.upgrade()
    fill(db, 100_000, 0)
    yield db
    db.close()


def _page(qtbot: QtBot, db: Database, user: object) -> RecordsPage:
    page = RecordsPage(db, user)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    return page


def _names(page: RecordsPage) -> list[str]:
    return [str(page.model.row_data(r)["name"]) for r in range(page.model.rowCount())]  # type: ignore[index]


def test_search_among_100000_residents_by_part_of_a_name_and_pinyin_initials(
    qtbot: QtBot, big_db: Database
) -> None:
    page = _page(qtbot, big_db, CLERK)
    assert page.model.rowCount() == 50  # one page, not the table
    assert page.count_text.startswith("100000")
    page.search_box.setText("zw")
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 50 and all(name_keys(n)[1].startswith("zw") for n in _names(page)),
        timeout=WAIT_MS,
    )
    page.search_box.setText("伟")
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 50 and all("伟" in n for n in _names(page)), timeout=WAIT_MS
    )
    # Scrolling to the end fetches the next page (never the whole table).
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() == 100, timeout=WAIT_MS)
    assert all("伟" in n for n in _names(page))
    page.shutdown()


def test_detail_pane_is_audited_and_masked_for_a_duty_officer(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text(csv_text(resident_rows(5)), encoding="utf-8")
    with ward_db(tmp_path) as db:
        from app.records.importer import import_file

        import_file(db, CLERK, "residents", path)
        page = _page(qtbot, db, OFFICER)
        assert all("*" in str(page.model.row_data(r)["phone"]) for r in range(page.model.rowCount()))  # type: ignore[index]
        page.table.selectRow(1)
        second = page.model.row_data(1)
        assert second is not None
        qtbot.waitUntil(lambda: str(second["name"]) in page.detail.toPlainText(), timeout=WAIT_MS)
        with db.session() as session:
            views = [
                (e.actor, e.target, json.loads(e.details))
                for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "resident.view"))
            ]
        assert views == [("officer", f"resident:{second['id']}", {"unmasked": False})]
        page.shutdown()


def test_import_dialog_previews_maps_and_reports_rows(qtbot: QtBot, tmp_path: Path) -> None:
    rows = resident_rows(4)
    rows[2]["出生日期"] = "1999-02-30"
    path = tmp_path / "people.csv"
    path.write_text(csv_text(rows), encoding="gbk")
    with ward_db(tmp_path) as db:
        dialog = ImportDialog(db, CLERK)
        qtbot.addWidget(dialog)
        dialog.set_file(path)
        dialog.load_preview()
        qtbot.waitUntil(lambda: "ready to import" in dialog.message, timeout=WAIT_MS)
        assert "gb18030" in dialog.message
        dialog.run_import()
        qtbot.waitUntil(lambda: "rows imported" in dialog.message, timeout=WAIT_MS)
        assert dialog.message.startswith("3 of 4 rows imported")
        assert dialog.error_rows == [
            (
                "4",
                "birth_date",
                "the birth date '1999-02-30' is not a date (write 2024-05-01, 2024/5/1 or 2024年5月1日)",
            )
        ]
        dialog.shutdown()


def test_residents_page_on_the_demo_screenshot(qtbot: QtBot, tmp_path: Path, artifacts_dir: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        db.upgrade()
        sync_site(db, load_site(demo_site_path()))
        assert ensure_demo_records(db) is not None
        page = _page(qtbot, db, CLERK)
        page.table.selectRow(0)
        qtbot.waitUntil(lambda: page.detail.toPlainText() != "", timeout=WAIT_MS)
        QApplication.processEvents()
        image = page.grab()
        assert image.width() >= 1200
        assert image.save(str(artifacts_dir / "records-residents-demo.png"))
        # Filter by a tag: every row shown carries it.
        tag_box = page.findChild(QComboBox, "recordTag")
        assert tag_box is not None
        tag_box.setCurrentIndex(tag_box.findData("lives-alone"))
        qtbot.waitUntil(
            lambda: (
                page.model.rowCount() > 0
                and all(
                    "lives-alone" in page.model.row_data(r)["tags"]
                    for r in range(page.model.rowCount())  # type: ignore[index]
                )
            ),
            timeout=WAIT_MS,
        )
        page.set_kind("employment")
        qtbot.waitUntil(lambda: "Employment rate" in page.count_text, timeout=WAIT_MS)
        page.set_kind("on-duty")
        qtbot.waitUntil(lambda: page.model.rowCount() >= 5, timeout=WAIT_MS)
        assert {"team", "member", "phone"} <= set(page.model.row_data(0) or {})
        page.set_kind("overdue-visits")
        qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
        page.shutdown()
    finally:
        db.close()


def test_edit_dialog_shows_the_services_refusal_and_saves_valid_changes(qtbot: QtBot, tmp_path: Path) -> None:
    from ui.pages.records_edit import EditResidentDialog

    path = tmp_path / "one.csv"
    path.write_text(csv_text(resident_rows(1)), encoding="utf-8")
    with ward_db(tmp_path) as db:
        from app.records.importer import import_file
        from app.records.residents import ResidentService

        import_file(db, CLERK, "residents", path)
        current = ResidentService(db, CLERK).show(1)
        dialog = EditResidentDialog(db, CLERK, 1, current)
        qtbot.addWidget(dialog)
        dialog.field("id_number").setText("330106199001011235")
        dialog.save()
        qtbot.waitUntil(lambda: "check digit" in dialog.message, timeout=WAIT_MS)
        assert dialog.isVisible() or dialog.result() == 0
        dialog.field("id_number").setText(str(current["id_number"]))
        dialog.field("phone").setText("13800000000")
        with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
            dialog.save()
        with db.session() as session:
            edits = [
                json.loads(e.details)
                for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "resident.edit"))
            ]
        assert edits == [{"fields": ["phone"]}]
        dialog.shutdown()


def test_a_supervisor_approves_hours_on_the_hours_tab(qtbot: QtBot, tmp_path: Path) -> None:
    from datetime import date

    from PySide6.QtWidgets import QPushButton

    from app.records.volunteers import totals
    from models.people import ServiceHours, Volunteer
    from tests.app.records.support import BOSS

    with ward_db(tmp_path) as db:

        def fill(s: object) -> None:
            v = Volunteer(name="甲")
            s.add(v)  # type: ignore[attr-defined]
            s.flush()  # type: ignore[attr-defined]
            s.add(ServiceHours(volunteer_id=v.id, served_on=date(2026, 3, 1), minutes=90))  # type: ignore[attr-defined]

        db.write(fill)
        page = RecordsPage(db, BOSS)
        qtbot.addWidget(page)
        page.show()
        page.set_kind("hours")
        qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
        button = page.findChild(QPushButton, "approveHours")
        assert button is not None and button.isVisible() and not button.isEnabled()
        page.table.selectRow(0)
        assert button.isEnabled()
        button.click()
        qtbot.waitUntil(lambda: (page.model.row_data(0) or {}).get("approved") is True, timeout=WAIT_MS)
        with db.session() as session:
            assert [t.minutes for t in totals(session, date(2026, 1, 1), date(2027, 1, 1))] == [90]
        page.shutdown()

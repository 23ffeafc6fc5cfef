"""The Incidents & reports page on a real SQLite journal: an incident created from the console's
selected alarms, its timeline, a note, an attached snapshot, the status buttons the workflow allows,
a PDF saved from the page that verifies like the CLI's, and a period report from the Reports tab.
A screenshot of the page is saved (artifacts/ui/incidents_page.png)."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.alarms import journal
from app.alarms.actions import AlarmActions
from app.alarms.journal import NewAlarm
from app.auth.users import UserInfo, UserService
from app.reports.verify import file_sha256, lookup
from app.storage.database import Database
from app.video import snapshots
from app.video.frames import Frame
from tests.app.alarm_support import SITE, open_db, write_site
from tests.app.reports.support import FAST, PASSWORD
from tests.conftest import REPO_ROOT
from ui.pages.alarms import AlarmsPage
from ui.pages.incidents import IncidentsPage

WAIT_MS = 20_000


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path, write_site(tmp_path))
    yield database
    database.close()


def raise_alarm(db: Database, key: str, category: str, priority: str) -> int:
    new = NewAlarm(
        key=key,
        source=f"point:{key.split('/')[0]}",
        category=category,
        priority=priority,
        message=f"{key} drill",
        state="unacknowledged",
        building="B3",
        definition_key=key,
        value=1.0,
    )
    view, _ = db.write(lambda s: journal.raise_alarm(s, new, datetime.now(UTC)))
    assert view.id is not None
    return view.id


def face_picture() -> Frame:
    spec = importlib.util.find_spec("ultralytics")
    assert spec is not None and spec.origin is not None
    image = cv2.imread(str(Path(spec.origin).parent / "assets" / "zidane.jpg"))
    assert image is not None
    return Frame(image=image, at=time.time(), seq=1)


def test_console_selection_becomes_an_incident_worked_and_printed_from_the_page(
    qtbot: QtBot, themed_app: QApplication, db: Database, tmp_path: Path
) -> None:
    users = UserService(db, hasher=FAST)
    officer: UserInfo = users.add("li.wei", "duty-officer", PASSWORD)
    fire = raise_alarm(db, "b3.smoke/on", "fire", "fire")
    low = raise_alarm(db, "b3.pressure/low", "supervisory", "high")
    AlarmActions(db, position="console").acknowledge(officer, fire, note="smoke seen in the hall")
    root = tmp_path / "snapshots"
    snap = snapshots.take(db, face_picture(), "b3-lobby", officer, root=root)

    # The console: select the fire alarm and ask for an incident.
    console = AlarmsPage(write_site(tmp_path, SITE).site, None, user=officer, db=db)
    qtbot.addWidget(console)
    console.attach(engine_running=True)
    qtbot.waitUntil(lambda: console.table.source_model.get(fire) is not None, timeout=WAIT_MS)
    assert console.select(fire)
    button = console.findChild(type(console._buttons["create-incident"]), "console-create-incident")
    assert button is not None
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(console.incidentRequested, timeout=WAIT_MS) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [[fire]]

    page = IncidentsPage(
        db, officer, timezone="Asia/Shanghai", language=lambda: "zh_CN", snapshot_root=lambda: root
    )
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    page.create_from_alarms([fire, low], "B3 大堂烟感报警")
    qtbot.waitUntil(lambda: page.detail is not None and bool(page.detail.timeline), timeout=WAIT_MS)
    detail = page.detail
    assert detail is not None and detail.row.alarm_ids == (fire, low) and detail.row.status == "new"
    incident = detail.row.id
    assert page.status_buttons["in-progress"].isVisible() and page.status_buttons["closed"].isVisible()
    assert not page.status_buttons["on-hold"].isVisible()
    assert not page.unmasked.isVisible()  # a duty officer cannot print unmasked

    page.attach_snapshot(snap.id)
    qtbot.waitUntil(lambda: page.attachments.count() == 1, timeout=WAIT_MS)
    page.note_edit.setText("消防队已到场")
    qtbot.mouseClick(page.note_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: page.detail is not None and any(e.kind == "note" for e in page.detail.timeline),
        timeout=WAIT_MS,
    )
    qtbot.mouseClick(page.status_buttons["in-progress"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: page.detail is not None and page.detail.row.status == "in-progress", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: page.status_buttons["on-hold"].isVisible(), timeout=WAIT_MS)
    timeline = [item.text() for n in range(page.timeline.rowCount()) if (item := page.timeline.item(n, 2))]
    assert "b3.smoke/on: ack" in timeline and "new → in-progress" in timeline

    def add_team(session: object) -> None:
        from sqlalchemy.orm import Session

        from models.people import DutyTeam

        assert isinstance(session, Session)
        session.add(DutyTeam(name="红队"))

    db.write(add_team)
    page.team_edit.setText("红队")
    qtbot.mouseClick(page.team_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.row.duty_team == "红队", timeout=WAIT_MS)
    assert "红队" in page.facts.text()

    shot = REPO_ROOT / "artifacts" / "ui" / "incidents_page.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert page.grab().save(str(shot))

    pdf = tmp_path / "from-page.pdf"
    page.save_pdf(pdf)
    qtbot.waitUntil(lambda: page.last_saved is not None, timeout=60_000)
    assert page.last_saved is not None and page.last_saved.path == pdf and pdf.exists()
    with db.session() as s:
        found = lookup(s, file_sha256(pdf))
    assert found is not None and found.by == "li.wei" and found.report_id == page.last_saved.report_id

    page.tabs.setCurrentIndex(1)
    panel = page.reports
    panel.kind.setCurrentIndex(panel.kind.findData("monthly"))
    panel.month.setText(datetime.now().strftime("%Y-%m"))
    monthly = tmp_path / "monthly.pdf"
    page.last_saved = None
    panel.save_pdf(monthly)
    qtbot.waitUntil(lambda: page.last_saved is not None, timeout=60_000)
    assert monthly.exists() and page.last_saved is not None and page.last_saved.pages >= 1
    assert incident == detail.row.id
    page.shutdown()
    console.shutdown()


def test_a_supervisor_previews_and_prints_unmasked_with_a_reason(
    qtbot: QtBot, themed_app: QApplication, db: Database, tmp_path: Path
) -> None:
    from PySide6.QtPrintSupport import QPrintPreviewWidget

    supervisor = UserService(db, hasher=FAST).add("zhang.min", "supervisor", PASSWORD)
    root = tmp_path / "snapshots"
    snap = snapshots.take(db, face_picture(), "b3-lobby", supervisor, root=root)
    service_row = incident_with_snapshot(db, supervisor, snap.id)
    page = IncidentsPage(
        db, supervisor, timezone="Asia/Shanghai", language=lambda: "en", snapshot_root=lambda: root
    )
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    qtbot.waitUntil(lambda: page.select(service_row), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.detail is not None and page.attachments.count() == 1, timeout=WAIT_MS)
    assert page.unmasked.isVisible()  # a supervisor may print unmasked

    with qtbot.waitSignal(page.jobs.previewReady, timeout=60_000) as shown:
        qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
    dialog = shown.args[0]
    preview = dialog.findChild(QPrintPreviewWidget)
    assert preview is not None
    qtbot.waitUntil(lambda: preview.pageCount() >= 1, timeout=WAIT_MS)
    shot = REPO_ROOT / "artifacts" / "ui" / "incident_print_preview.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(shot))
    dialog.close()

    page.unmasked.setChecked(True)  # no reason: refused, audited, nothing written
    page.save_pdf(tmp_path / "refused.pdf")
    qtbot.waitUntil(lambda: "needs a reason" in page.message.text(), timeout=WAIT_MS)
    page.unmasked_reason.setText("police request 2026-118")
    pdf = tmp_path / "unmasked.pdf"
    page.save_pdf(pdf)
    qtbot.waitUntil(lambda: page.last_saved is not None, timeout=60_000)
    assert pdf.exists() and not (tmp_path / "refused.pdf").exists()
    with db.session() as s:
        from sqlalchemy import select

        from models.audit import AuditEntry

        actions = [
            a
            for (a,) in s.execute(
                select(AuditEntry.action).where(AuditEntry.action.like("report.%")).order_by(AuditEntry.id)
            )
        ]
    assert actions == ["report.unmasked-refused", "report.unmasked", "report.generate"]
    page.shutdown()


def incident_with_snapshot(db: Database, user: UserInfo, snapshot_id: int) -> int:
    from app.incidents.service import IncidentService

    service = IncidentService(db)
    incident = service.create(user, "e-bike in the lobby", building="B3").id
    service.attach_snapshot(user, incident, snapshot_id)
    return incident


def test_a_preview_shows_the_first_rows_of_a_long_table_and_says_so() -> None:
    from app.reports.model import Heading, Paragraph, Report, RowStream
    from ui.pages.report_jobs import PREVIEW_ROWS, preview_of

    served: list[int] = []

    def rows() -> Iterator[list[str]]:
        for n in range(20_000):
            served.append(n)
            yield [str(n)]

    report = Report("WR-JOU-1", "journal", "en", "Alarm journal", "site", datetime.now(UTC), "u")
    report.add(Heading("Alarm journal"), RowStream(("#",), (1.0,), rows))
    shown = preview_of(report)
    stream = shown.blocks[1]
    assert isinstance(stream, RowStream) and len(list(stream.rows())) == PREVIEW_ROWS
    assert len(served) == PREVIEW_ROWS  # the rest was never even read
    note = shown.blocks[2]
    assert isinstance(note, Paragraph) and "saved PDF holds every row" in note.text
    original = report.blocks[1]
    assert isinstance(original, RowStream) and len(list(original.rows())) == 20_000

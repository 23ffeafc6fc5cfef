"""Acceptance: an incident from the demo's fire drill, printed and verified.

A real station runs the demo site in this process (simulated fire panel and sprinkler PLC, the alarm
engine, the historian, the lobby camera). Drills on ``b3.smoke.hall`` and ``b3.sprinkler.pressure``
raise a fire alarm and a low-pressure alarm; the duty officer acknowledges the fire with a note and
takes a snapshot of the lobby; an incident is created from both alarms. The real ``wardroom report
incident`` command then prints it: the PDF renders with ``pdftoppm`` (page PNGs saved as artifacts),
its Chinese title is text in it, it holds the transitions, the acknowledgement and its note, the
snapshot and the pressure trend; ``wardroom report verify`` accepts the file, names its maker, and
rejects it once one byte is changed.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.alarms import journal
from app.alarms.actions import AlarmActions
from app.audit.chain import verify as verify_chain
from app.auth.users import UserInfo, UserService
from app.events import EventBus
from app.incidents.service import IncidentService
from app.incidents.timeline import assemble
from app.incidents.trends import excerpts
from app.sim.drill import DrillService
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.station import Station
from app.storage.database import Database, open_database
from app.video import snapshots
from models.audit import AuditEntry
from tests.app.reports.support import FAST, PASSWORD, as_user, page_count, pdf_text, render_pages, wait_until
from tests.app.test_cli import wardroom
from tests.conftest import REPO_ROOT

FIRE = "b3.smoke.hall/on"
LOW = "b3.sprinkler.pressure/low"
OFFICER = "li.wei"
SUPERVISOR = "zhang.min"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    yield database
    database.close()


def open_alarm(db: Database, key: str) -> int | None:
    with db.session() as s:
        view = journal.find_open(s, key)
    return view.id if view is not None else None


def drill_the_demo(db: Database, officer: UserInfo, supervisor: UserInfo) -> tuple[int, int, int]:
    """Run the demo station, trip both drills, act as the duty officer; (fire id, low id, snapshot id)."""
    loaded = load_site(demo_site_path())
    station = Station(loaded, db, EventBus(), plcs="*", cameras="b3-lobby", demo=True)
    station.start()
    try:
        historian = station.historian
        assert historian is not None

        def pressure_samples() -> int:
            now = datetime.now(UTC)
            return len(historian.query("b3.sprinkler.pressure", now - timedelta(minutes=5), now))

        assert wait_until(lambda: pressure_samples() >= 3, 30), "no pressure samples before the drill"
        drills = DrillService(db, loaded, demo=True)
        drills.trip(supervisor, "b3.smoke.hall")
        drills.trip(supervisor, "b3.sprinkler.pressure")
        assert wait_until(lambda: open_alarm(db, FIRE) is not None, 20), "no fire alarm from the drill"
        assert wait_until(lambda: open_alarm(db, LOW) is not None, 30), "no low-pressure alarm from the drill"
        fire, low = open_alarm(db, FIRE), open_alarm(db, LOW)
        assert fire is not None and low is not None
        actions = AlarmActions(db, position="console-1")
        actions.acknowledge(officer, fire, note="大堂有烟，已派人查看")
        actions.note(officer, fire, "fire brigade informed at the gate")
        hub = station.capture
        assert hub is not None
        source = hub.open("b3-lobby")
        try:
            assert wait_until(lambda: source.latest() is not None, 30), "no frame from the lobby camera"
            frame = source.latest()
            assert frame is not None
            snap = snapshots.take(db, frame, "b3-lobby", officer)
        finally:
            source.release()
        drills.restore(supervisor, "b3.sprinkler.pressure")
        drills.restore(supervisor, "b3.smoke.hall")
        time.sleep(2.0)  # a schedule: two more seconds of the pressure recovering on the trend
        historian.flush(5)
    finally:
        station.stop()
    return fire, low, snap.id


def test_an_incident_from_the_demo_fire_drill_prints_and_verifies(
    db: Database, tmp_path: Path, artifacts_dir: Path
) -> None:
    users = UserService(db, hasher=FAST)
    officer = users.add(OFFICER, "duty-officer", PASSWORD)
    supervisor = users.add(SUPERVISOR, "supervisor", PASSWORD)
    fire, low, snap = drill_the_demo(db, officer, supervisor)

    service = IncidentService(db)
    incident = service.create(officer, "B3 大堂烟感报警", alarm_ids=[fire, low])
    assert incident.building == "B3" and incident.priority == "fire" and incident.alarm_ids == (fire, low)
    service.attach_snapshot(officer, incident.id, snap)
    service.set_status(officer, incident.id, "in-progress")
    service.note(officer, incident.id, "消防队已到场，确认为演练")

    with db.session() as s:
        entries = assemble(s, incident.id)
        trends = excerpts(s, incident.id, datetime.now(UTC))
    kinds = {(e.kind, e.alarm_id) for e in entries}
    assert ("alarm", fire) in kinds and ("alarm", low) in kinds  # the alarm transitions
    ack = [e for e in entries if e.kind == "action" and e.alarm_id == fire and e.what.endswith(": ack")]
    assert ack and ack[0].by == OFFICER and ack[0].text == "大堂有烟，已派人查看"
    assert any(e.kind == "action" and e.text == "fire brigade informed at the gate" for e in entries)
    assert any(e.kind == "snapshot" and e.snapshot_id == snap for e in entries)
    assert any(e.kind == "note" and e.text == "消防队已到场，确认为演练" for e in entries)
    pressure = next(t for t in trends if t.point_key == "b3.sprinkler.pressure")
    assert (
        len(pressure.series) >= 3
        and float(pressure.series.avg[~__import__("numpy").isnan(pressure.series.avg)].min()) <= 0.10
    )

    pdf = tmp_path / "incident.pdf"
    made = as_user(OFFICER, "report", "incident", str(incident.id), "--pdf", str(pdf), "--database", db.url)
    assert made.returncode == 0, made.stderr
    assert "written to" in made.stdout

    pages = render_pages(pdf, artifacts_dir)
    assert len(pages) == page_count(pdf) >= 2
    text = pdf_text(pdf)
    assert "事件报告" in text and "B3 大堂烟感报警" in text  # the Chinese title, as text
    assert FIRE in text and LOW in text and "大堂有烟，已派人查看" in text and OFFICER in text
    assert "b3-lobby" in text and "b3.sprinkler.pressure" in text  # the snapshot's and the trend's captions
    report_id = next(w for w in made.stdout.split() if w.startswith("WR-INC-"))
    assert report_id in text  # the footer
    readme_page = REPO_ROOT / "docs" / "incident-report-page1.png"
    if not readme_page.exists():  # the README's picture, made by this test
        shutil.copy(pages[0], readme_page)

    ok = wardroom("report", "verify", str(pdf), "--database", db.url)
    assert ok.returncode == 0, ok.stderr
    assert report_id in ok.stdout and OFFICER in ok.stdout
    altered = tmp_path / "altered.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered.write_bytes(bytes(data))
    bad = wardroom("report", "verify", str(altered), "--database", db.url)
    assert bad.returncode == 1 and "NOT VERIFIED" in bad.stderr
    missing = wardroom("report", "verify", str(tmp_path / "nothing.pdf"), "--database", db.url)
    assert missing.returncode == 2 and "cannot read" in missing.stderr

    with db.session() as s:
        rows = s.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target).where(
                AuditEntry.action.like("report.%")
            )
        ).all()
        assert verify_chain(s).ok
    assert [tuple(r) for r in rows] == [(OFFICER, "report.generate", report_id)]

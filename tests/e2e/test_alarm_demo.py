"""Acceptance, end to end on the demo: a drill from another process becomes a committed fire alarm,
shown in the console, in the banner and by ``wardroom alarms list``, within one poll period + 1 s;
acknowledged in the console with Enter, the fire tone stops and the acknowledgement is in the journal
and in the audit chain (``wardroom audit verify`` passes).

The GUI session is the real one (``ui.session.GuiSession``: bus, bridge, station with the demo's
simulated PLC, main window) on the demo database under this test's ``WARDROOM_HOME``, signed in as
the demo's duty officer like ``wardroom --demo``. Everything else is done as a user would, through
the installed ``wardroom`` command in other processes: a supervisor is added, the drill is run, the
alarms are listed and the audit chain verified. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.alarms import journal
from app.auth.permissions import DUTY_OFFICER
from app.auth.users import UserService
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.storage.database import open_database
from app.storage.engine import demo_database_url
from models.audit import AuditEntry
from tests.e2e.gui_harness import announce
from tests.ui.qtstrict import PLATFORM_NOISE, themed_app
from ui.i18n import Translations
from ui.pages.settings import StationFacts
from ui.session import GuiSession

# Qt warnings fail this test as they fail tests/ui (tests/e2e has no Qt conftest of its own).
pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(*PLATFORM_NOISE)]
__all__ = ["themed_app"]

WARDROOM = str(Path(sys.executable).parent / "wardroom")
POINT = "b3.smoke.hall"
KEY = f"{POINT}/on"
SUPERVISOR = "drill.lead"
PASSWORD = "correct horse battery staple"
START_TIMEOUT_MS = 30_000
CLI_TIMEOUT_S = 60.0
LIST_AT_S = (0.5, 1.0)  # after the drill returns, and the last one at the bound itself


def wardroom(
    *args: str, stdin: str = "", timeout_s: float = CLI_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """The installed command in another process, with this test's WARDROOM_HOME."""
    return subprocess.run(
        [WARDROOM, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=dict(os.environ),
    )


@dataclass
class Listing:
    """One ``wardroom alarms list --active --json --demo``, when it started (after the drill)."""

    started_after_s: float
    rc: int = -1
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    def fire_row(self) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["key"] == KEY and r["state"] == "unacknowledged"), None)


def list_at(offsets: tuple[float, ...], since: float, out: list[Listing]) -> threading.Thread:
    """Start one listing at each offset after ``since`` (monotonic), in parallel; results into ``out``."""

    def one(offset: float) -> None:
        delay = since + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # a schedule, not a wait for a condition
        listing = Listing(started_after_s=time.monotonic() - since)
        try:
            done = wardroom("alarms", "list", "--active", "--json", "--demo")
        except subprocess.TimeoutExpired as exc:
            listing.error = f"timed out: {exc}"
        else:
            listing.rc = done.returncode
            if done.returncode == 0:
                listing.rows = json.loads(done.stdout)
            else:
                listing.error = done.stdout + done.stderr
        out.append(listing)

    def all_of_them() -> None:
        threads = [threading.Thread(target=one, args=(o,), name=f"alarms-list-{o}") for o in offsets]
        for t in threads:
            t.start()
        for t in threads:
            t.join(CLI_TIMEOUT_S + 5)

    runner = threading.Thread(target=all_of_them, name="alarms-list-runner")
    runner.start()
    return runner


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def test_a_drill_on_the_demo_is_a_fire_alarm_everywhere_and_enter_acknowledges_it(
    qtbot: QtBot, translations: Translations, request: pytest.FixtureRequest
) -> None:
    loaded = load_site(demo_site_path())
    plc = next(
        p for p in loaded.site.plc if any(pt.id == POINT for pt in loaded.site.point if pt.plc == p.id)
    )
    poll_s = plc.poll_ms / 1000
    bound_s = poll_s + 1.0
    spec = next(p for p in loaded.site.point if p.id == POINT).alarms[0]
    assert (spec.category, spec.priority) == ("fire", "fire")

    # As `wardroom --demo` does: the demo database, the demo's duty officer signed in.
    db = open_database(demo_database_url())
    users = UserService(db)
    officer = users.ensure_user("demo", DUTY_OFFICER)
    users.record_login(officer, "demo auto-login")
    added = wardroom("users", "add", SUPERVISOR, "--role", "supervisor", "--demo", stdin=f"{PASSWORD}\n")
    assert added.returncode == 0, added.stdout + added.stderr

    facts = StationFacts(site_file=str(loaded.path), database="demo", user=officer.name, role=officer.role)
    gui = GuiSession(loaded, db, translations, facts, demo=True, user=officer)
    qtbot.addWidget(gui.window)
    listings: list[Listing] = []
    runner: threading.Thread | None = None
    gui.start()
    try:
        window = gui.window
        page = window.alarms_page
        sensors = window.sensors_page
        qtbot.waitUntil(lambda: gui.station.simulator(plc.id) is not None, timeout=START_TIMEOUT_MS)
        qtbot.waitUntil(lambda: page.engine_running, timeout=START_TIMEOUT_MS)
        qtbot.waitUntil(lambda: sensors.state(POINT).quality == "good", timeout=START_TIMEOUT_MS)
        assert not any(r.source == f"point:{POINT}" for r in page.rows()), "the calm demo is calm"
        assert window.annunciator.tone != "fire"

        # The drill, from another process, as the supervisor (password on stdin).
        drill = wardroom("simulate", "trip", POINT, "--demo", "--user", SUPERVISOR, stdin=f"{PASSWORD}\n")
        returned = time.monotonic()
        returned_wall = datetime.now(UTC)
        assert drill.returncode == 0, drill.stdout + drill.stderr
        assert drill.stdout.startswith(f"tripped {POINT}"), drill.stdout
        # `alarms list` from other processes at moments up to the bound, while the GUI waits.
        runner = list_at((*LIST_AT_S, bound_s), returned, listings)

        qtbot.waitUntil(lambda: any(r.source == f"point:{POINT}" for r in page.rows()), timeout=5000)
        in_console = time.monotonic() - returned
        qtbot.waitUntil(lambda: window.banner.occurrence_id is not None, timeout=5000)
        in_banner = time.monotonic() - returned
        row = next(r for r in page.rows() if r.source == f"point:{POINT}")
        assert (row.category, row.priority, row.state) == ("fire", "fire", "unacknowledged")
        assert window.banner.occurrence_id == row.id and window.banner.alarm_state == "fire"
        assert window.annunciator.tone == "fire"
        with db.session() as session:
            committed = journal.get(session, row.id)
        assert committed is not None and committed.state == "unacknowledged", "shown only once journaled"
        committed_after = (committed.raised_at - returned_wall).total_seconds()

        runner.join(CLI_TIMEOUT_S + 10)
        assert not runner.is_alive(), "alarms list did not finish"
        listings.sort(key=lambda item: item.started_after_s)
        for listing in listings:
            assert listing.rc == 0, listing.error
        at_bound = listings[-1]
        assert at_bound.started_after_s <= bound_s + 0.25, f"the last listing started late: {at_bound}"
        listed = at_bound.fire_row()
        assert listed is not None, f"not in `alarms list` {at_bound.started_after_s:.2f} s after the drill"
        assert listed["id"] == row.id and listed["source"] == f"point:{POINT}" and listed["building"] == "B3"
        assert (listed["category"], listed["priority"], listed["value"]) == ("fire", "fire", True)
        first_listed = next(item.started_after_s for item in listings if item.fire_row() is not None)

        timings = (
            f"drill -> committed {committed_after:+.2f} s (wall), console {in_console:.2f} s, "
            f"banner {in_banner:.2f} s, first `alarms list` showing it started {first_listed:.2f} s "
            f"after the drill returned (bound: poll {poll_s:g} s + 1 s = {bound_s:g} s)"
        )
        announce(request.config, f"alarm demo timings: {timings}")
        assert in_console <= bound_s, timings
        assert in_banner <= bound_s, timings
        assert committed_after <= bound_s, timings

        # The duty officer acknowledges it in the console: click the row, press Enter.
        window.show_page("alarms")
        table = page.table
        qtbot.waitUntil(lambda: table.isVisible(), timeout=5000)
        position = table.source_model.row_for(row.id)
        assert position is not None
        index = table.proxy.mapFromSource(table.source_model.index(position, 0))
        rect = table.visualRect(index)
        assert rect.isValid(), "the alarm's row is not on screen"
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert table.selected_ids() == [row.id]
        qtbot.keyClick(table, Qt.Key.Key_Return)

        def acknowledged() -> bool:
            with db.session() as session:
                view = journal.get(session, row.id)
            return view is not None and view.state == "acknowledged"

        qtbot.waitUntil(acknowledged, timeout=5000)
        qtbot.waitUntil(lambda: window.annunciator.tone != "fire", timeout=3000)
        assert window.annunciator.tone is None, "no other alarm sounds in the demo"
        with db.session() as session:
            view = journal.get(session, row.id)
            moves = [
                (t.from_state, t.to_state, t.by) for t in journal.occurrence_transitions(session, row.id)
            ]
            acks = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "alarm.ack").order_by(AuditEntry.id)
            ).all()
            audited = [(a.actor, a.target) for a in acks]
        assert view is not None and view.acknowledged_by == officer.name and view.acknowledged_at is not None
        assert moves[:2] == [
            ("normal", "unacknowledged", None),
            ("unacknowledged", "acknowledged", officer.name),
        ]
        assert len(acks) == 1 and acks[0].actor == officer.name, audited
        assert acks[0].target == KEY, audited
        assert abs(acks[0].at - view.acknowledged_at) < timedelta(seconds=5)
        # The console shows it acknowledged (steady), by the GUI user.
        qtbot.waitUntil(
            lambda: (s := page.table.source_model.get(row.id)) is not None and s.state == "acknowledged",
            timeout=3000,
        )
        shown = page.table.source_model.get(row.id)
        assert shown is not None and shown.acknowledged_by == officer.name

        verified = wardroom("audit", "verify", "--demo")
        assert verified.returncode == 0, verified.stdout + verified.stderr

        restored = wardroom(
            "simulate", "restore", POINT, "--demo", "--user", SUPERVISOR, stdin=f"{PASSWORD}\n"
        )
        assert restored.returncode == 0, restored.stdout + restored.stderr
    finally:
        if runner is not None:
            runner.join(CLI_TIMEOUT_S + 10)
        gui.window.close()
        gui.shutdown()
        db.close()

"""Shutdown keeps one deadline: a slow history query and a drill in progress are not waited for, so
the whole session stops within its budget (SIGTERM gives a service 5 s)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.historian import TrendSeries
from app.sim import drill
from app.site.loader import LoadedSite, load_site
from tests.ui.sites import write_tiny_site
from ui.i18n import Translations
from ui.pages import drills
from ui.pages.settings import StationFacts
from ui.session import SHUTDOWN_BUDGET_S, GuiSession

GENEROUS_S = 1.5  # on top of the budget: two shared cores, and the station stop's own slack


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


class StuckHistory:
    """A historian whose queries wait until the test lets them go (a database that hangs)."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.calls = 0

    def query(self, point_key: str, start: datetime, end: datetime, max_points: int = 2000) -> TrendSeries:
        self.calls += 1
        self.release.wait(30)
        return TrendSeries(point_key, start, end)


def test_shutdown_with_a_slow_query_and_a_running_drill_keeps_the_budget(
    qtbot: QtBot, tmp_path: Path, translations: Translations, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    drilling = threading.Event()

    def stuck_drill(loaded: LoadedSite, point_id: str, on: bool, user: str) -> drill.DrillResult:
        drilling.set()
        release.wait(30)
        return drill.DrillResult(point_id=point_id, plc_id="panel-1", on=on, endpoints=())

    def switches(loaded: LoadedSite, point_ids: Sequence[str]) -> dict[str, bool | None]:
        return dict.fromkeys(point_ids, False)

    monkeypatch.setattr(drills, "run_drill", stuck_drill)
    monkeypatch.setattr(drills, "read_switches", switches)
    site = write_tiny_site(tmp_path / "site")
    loaded = load_site(site)
    facts = StationFacts(site_file=str(site), database="(none)", user="tester", role="duty-officer")
    gui = GuiSession(loaded, None, translations, facts, demo=True)
    qtbot.addWidget(gui.window)
    gui.window.show()
    history = StuckHistory(release)
    try:
        page = gui.window.sensors_page
        page.attach(None, history)
        page.open_trend("p.pressure")
        qtbot.waitUntil(lambda: history.calls == 1, timeout=5000)
        panel = gui.window.settings_page.drills
        assert panel is not None
        panel.attach(loaded)
        qtbot.waitUntil(lambda: panel.drill_state("p.pressure") is False, timeout=5000)
        panel.select("p.pressure")
        panel.trip_selected()
        assert drilling.wait(5) and panel.busy

        started = time.monotonic()
        gui.window.close()
        gui.shutdown()
        took = time.monotonic() - started
        assert took < SHUTDOWN_BUDGET_S + GENEROUS_S, f"shutdown took {took:.1f} s"
        names = {t.name for t in threading.enumerate()}
        assert {"wardroom-drill-p.pressure", "wardroom-trend-history"} <= names, "they were not joined"
    finally:
        release.set()

    def ended() -> bool:
        return not any(t.name.startswith(("wardroom-trend", "wardroom-drill")) for t in threading.enumerate())

    qtbot.waitUntil(ended, timeout=5000)
    QApplication.processEvents()  # their late outcomes are dropped without a warning or an error

"""The Sensors page on a big site: nothing is built for buildings nobody looks at, values arrive in
batches, and a building with abnormal points is named in the list even while its grid does not exist.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.events import EventBus
from app.fieldbus.events import PointQualityChanged
from app.fieldbus.quality import PointReading
from app.site.loader import load_site
from ui.bridge import CoreBridge
from ui.i18n import Translations
from ui.main_window import MainWindow
from ui.pages.settings import StationFacts
from widgets.gauge_base import GaugeBase

BUILDINGS = 5
POINTS = 3000
CONSTRUCTION_BOUND_S = 15.0  # generous (two shared cores): eager grids took 34 s for 4,000 points


def write_big_site(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    parts = ['[site]\nname = "Big Ward"\ntimezone = "Asia/Shanghai"\n']
    parts += [f'[[building]]\nid = "B{b}"\nname = "Building {b}"\n' for b in range(1, BUILDINGS + 1)]
    parts.append(
        '[[plc]]\nid = "panel"\nprotocol = "modbus-tcp"\nhost = "127.0.0.1"\nport = 5020\n'
        "poll_ms = 1000\ntimeout_ms = 1000\n"
    )
    kinds = ("pressure", "level", "temperature", "flow")
    for index in range(POINTS):
        building = index % BUILDINGS + 1
        parts.append(
            f'[[point]]\nid = "b{building}.p{index}"\nplc = "panel"\naddress = "hr:{index}"\n'
            f'type = "uint16"\nkind = "{kinds[index % len(kinds)]}"\nbuilding = "B{building}"\n'
            "range = [0.0, 100.0]\n"
        )
    path = folder / "big.toml"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


def test_a_big_site_builds_no_hidden_grid(qtbot: QtBot, tmp_path: Path, translations: Translations) -> None:
    site = load_site(write_big_site(tmp_path)).site
    bus = EventBus()
    bridge = CoreBridge(bus)
    facts = StationFacts(site_file="big.toml", database="(none)", user="tester", role="duty-officer")
    started = time.monotonic()
    window = MainWindow(site, bridge, translations, facts, demo=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    took = time.monotonic() - started
    try:
        page = window.sensors_page
        assert window.findChildren(GaugeBase) == [], "no gauge exists before the Sensors page is shown"
        assert page.built_buildings() == []
        assert took < CONSTRUCTION_BOUND_S, f"the window took {took:.1f} s to appear"

        # Showing the page builds the one building on screen, and only that one.
        window.show_page("sensors")
        qtbot.waitUntil(lambda: page.built_buildings() == ["B1"], timeout=30_000)
        assert len(window.findChildren(GaugeBase)) == POINTS // BUILDINGS

        # A hidden building's points fail: the list names it with its count; its grid stays unbuilt.
        failing = [p.id for p in site.point if p.building == "B4"][:3]
        for point_id in failing:
            reading = PointReading(point_id, 1.0, 1, "comm-fail", time.time() - 5, "PLC panel did not answer")
            bus.publish(PointQualityChanged(plc_id="panel", reading=reading, previous="good"))
        qtbot.waitUntil(lambda: page.building_text("B4") == "Building 4\n3 abnormal", timeout=5000)
        assert page.building_list.is_highlighted("B4") and not page.building_list.is_highlighted("B1")
        assert page.built_buildings() == ["B1"]
        assert page.snapshot()["qualities"] == {"never-read": POINTS - 3, "comm-fail": 3}

        # Choosing it builds it, with the states it already has.
        page.show_building("B4")
        qtbot.waitUntil(lambda: "B4" in page.built_buildings(), timeout=30_000)
        assert page.gauge(failing[0]).state.quality == "comm-fail"
        assert len(window.findChildren(GaugeBase)) == 2 * POINTS // BUILDINGS
    finally:
        window.close()
        bridge.close()

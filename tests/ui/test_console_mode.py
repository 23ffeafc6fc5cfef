"""A console-mode window (``wardroom gui --console``) on a real SQLite file that a "station" fills.

The test plays the station with the real pieces a station uses (a lease and heartbeats through
``app.fleet.leases``, the live tables through ``app.fleet.live.LiveWriter``, a real ``AlarmEngine``
journaling into the same file), and the console follows it through the database only. Its PLC is a
real pymodbus server behind a counting proxy: the console must never open a connection to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.alarms.engine import AlarmEngine
from app.auth.permissions import SUPERVISOR
from app.auth.users import UserInfo, UserService
from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointQualityChanged
from app.fieldbus.quality import PointReading
from app.fleet import leases, requests
from app.fleet.clock import db_now
from app.fleet.live import LiveWriter
from app.site.loader import LoadedSite, load_site
from app.site.sync import sync_site
from app.storage.database import Database
from models.fleet import Lease, StationRow
from tests.faultproxy import FaultProxy
from tests.fieldbus.servers import ModbusServer
from ui.console_source import agreed_site
from ui.i18n import Translations
from ui.pages.settings import StationFacts
from ui.session import GuiSession

START_TIMEOUT_MS = 20_000
STATION = "alpha"
SCREENSHOT = Path("/tmp/console.png")

SITE = """
[site]
name = "Console Ward"
timezone = "Asia/Shanghai"

[[building]]
id = "B1"
name = "Building 1"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {port}
poll_ms = 200
timeout_ms = 200

[[plc]]
id = "sim"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 0
simulated = true

[[point]]
id = "b1.pressure"
plc = "panel"
address = "hr:1"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
building = "B1"
alarms = [ {{ limit = "low", value = 0.10, priority = "high", category = "supervisory" }} ]

[[point]]
id = "b1.smoke"
plc = "panel"
address = "co:1"
type = "bool"
kind = "smoke"
building = "B1"
alarms = [ {{ limit = "on" }} ]

[[point]]
id = "s.smoke"
plc = "sim"
address = "co:1"
type = "bool"
kind = "smoke"
building = "B1"
alarms = [ {{ limit = "on" }} ]
"""


def _reading(point_id: str, value: float | bool) -> PointQualityChanged:
    return PointQualityChanged(
        plc_id="panel", reading=PointReading(point_id, value, None, "good", time.time(), ""), previous="good"
    )


class FakeStation:
    """The station's side, made of the real pieces: lease, heartbeats, live tables, alarm engine."""

    def __init__(self, loaded: LoadedSite, db: Database, lease_key: str) -> None:
        self.db = db
        self.bus = EventBus()
        self.lease_key = lease_key
        self.writer = LiveWriter(db, self.bus, STATION)
        self.engine = AlarmEngine(loaded, db, self.bus)
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None

        def register(session: Session) -> None:
            now = db_now(session)
            leases.register(session, leases.StationIdentity(STATION, "test-host", 4242), now)
            assert leases.acquire(session, lease_key, ["plc:panel"], STATION, now).ok
            assert leases.acquire(session, "sim:sim", ["plc:sim"], STATION, now).ok

        db.write(register)

    def start(self) -> None:
        self.writer.start()
        self.engine.start()
        self._beater = threading.Thread(target=self._beat, name="fake-station-beat", daemon=True)
        self._beater.start()

    def _beat(self) -> None:
        while not self._stop.wait(0.5):
            self.beat()

    def beat(self) -> None:
        def run(session: Session) -> None:
            now = db_now(session)
            leases.beat(session, STATION, now, "running")
            leases.renew(session, STATION, [self.lease_key, "sim:sim"], now, {})

        self.db.write(run)

    def fall_silent(self, ago_s: float = 30.0) -> None:
        """Stop beating, as a killed station would, with its last heartbeat ``ago_s`` ago."""
        self._stop.set()
        if self._beater is not None:
            self._beater.join(5)

        def run(session: Session) -> None:
            then = db_now(session) - timedelta(seconds=ago_s)
            session.execute(update(StationRow).where(StationRow.name == STATION).values(heartbeat_at=then))
            session.execute(update(Lease).where(Lease.station == STATION).values(heartbeat_at=then))

        self.db.write(run)

    def publish(self, *events: object) -> None:
        for event in events:
            self.bus.publish(event)  # type: ignore[arg-type]

    def stop(self) -> None:
        self._stop.set()
        if self._beater is not None:
            self._beater.join(5)
        self.engine.stop()
        self.writer.stop()


@dataclass
class Rig:
    loaded: LoadedSite
    db: Database
    server: ModbusServer
    proxy: FaultProxy
    station: FakeStation
    user: UserInfo
    gui: GuiSession


@pytest.fixture
def translations(themed_app: QApplication) -> Iterator[Translations]:
    result = Translations(themed_app)
    yield result
    result.install("en")


@pytest.fixture
def rig(qtbot: QtBot, tmp_path: Path, translations: Translations) -> Iterator[Rig]:
    server = ModbusServer()
    server.start()
    proxy = FaultProxy(server.port)
    proxy.start()
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(port=proxy.port), encoding="utf-8")
    loaded = load_site(path)
    db = Database(f"sqlite:///{tmp_path / 'wardroom.sqlite3'}")
    db.upgrade()
    sync_site(db, loaded)
    user = UserService(db).add("sup", SUPERVISOR, "correct horse battery staple 7", actor="test")
    station = FakeStation(loaded, db, f"tcp:127.0.0.1:{proxy.port}")
    station.start()
    station.publish(
        LinkStateChanged(kind="plc", id="panel", status="connected", endpoint=f"127.0.0.1:{proxy.port}"),
        _reading("b1.pressure", 0.25),
        _reading("b1.smoke", False),
    )
    facts = StationFacts(site_file=str(path), database=db.url, user=user.name, role=user.role)
    gui = GuiSession(loaded, db, translations, facts, demo=False, user=user, console=True)
    qtbot.addWidget(gui.window)
    try:
        yield Rig(loaded, db, server, proxy, station, user, gui)
    finally:
        gui.shutdown()
        station.stop()
        db.close()
        proxy.stop()
        server.stop()


def test_console_runs_no_station_and_shows_the_live_tables(qtbot: QtBot, rig: Rig) -> None:
    gui = rig.gui
    assert gui.console_station is not None
    with pytest.raises(RuntimeError):
        _ = gui.station  # nothing embedded: no pollers, no engine, no simulators
    gui.start()
    window = gui.window
    assert window.windowTitle().endswith("— console")
    sensors = window.sensors_page
    qtbot.waitUntil(
        lambda: sensors.state("b1.pressure").value == pytest.approx(0.25), timeout=START_TIMEOUT_MS
    )
    assert sensors.state("b1.pressure").quality == "good"
    qtbot.waitUntil(lambda: window.lamp("plc", "panel").property("linkState") == "connected", timeout=5000)
    # A PLC no station holds a lease on would be stale; ours is held, the simulator's too.
    assert not window.silence_strip.isVisible()
    assert window.site_note == ""

    # An alarm raised by the station's engine reaches the console's alarm page through the journal.
    rig.station.publish(_reading("b1.pressure", 0.05))
    alarms = window.alarms_page
    qtbot.waitUntil(lambda: any(r.source.endswith("b1.pressure") for r in alarms.rows()), timeout=5000)
    qtbot.waitUntil(lambda: window.banner.alarm_state == "high", timeout=5000)
    qtbot.waitUntil(lambda: sensors.state("b1.pressure").value == pytest.approx(0.05), timeout=5000)

    # The station stops beating: the banner says so at once, its points turn stale.
    rig.station.fall_silent()
    qtbot.waitUntil(window.silence_strip.isVisible, timeout=5000)
    assert window.silent_stations() == [STATION]
    assert f"Station {STATION} silent since" in window.silence_strip.text()
    qtbot.waitUntil(lambda: sensors.state("b1.pressure").quality == "stale", timeout=5000)
    assert sensors.state("b1.smoke").quality == "stale"
    shown = gui.console_station.feed.reading("b1.pressure")
    assert shown is not None and shown.error.startswith(f"station {STATION} silent since")
    window.show_page("sensors")
    qtbot.wait(300)  # let the grid paint its stale look before the grab
    assert window.grab().save(str(SCREENSHOT))

    # It beats again: the strip goes.
    rig.station.beat()
    qtbot.waitUntil(lambda: not window.silence_strip.isVisible(), timeout=5000)

    # Through all of it the console opened no connection to the PLC, and read nothing from it.
    assert rig.proxy.connections == 0
    assert rig.server.read_count() == 0
    # (The counters do count: one read of our own goes through the same proxy.)
    client = ModbusTcpClient("127.0.0.1", port=rig.proxy.port, timeout=2)
    try:
        assert client.connect()
        assert not client.read_holding_registers(1, count=1, device_id=1).isError()
    finally:
        client.close()
    assert rig.proxy.connections == 1
    assert rig.server.read_count() == 1


def test_console_drill_is_a_request_the_owning_station_executes(qtbot: QtBot, rig: Rig) -> None:
    gui = rig.gui
    gui.start()
    panel = gui.window.settings_page.drills
    assert panel is not None and panel.allowed
    qtbot.waitUntil(
        lambda: gui.window.sensors_page.state("b1.pressure").value is not None, timeout=START_TIMEOUT_MS
    )
    assert panel.drill_state("s.smoke") is None  # a console does not read the simulator's switches
    seen: list[requests.DeviceRequestInfo] = []
    stop = threading.Event()

    def execute() -> None:  # the owning station's side of the request
        while not stop.wait(0.05):

            def once(session: Session) -> None:
                now = db_now(session)
                for request_id in requests.pending_ids(session, {"sim:sim"}):
                    info = requests.claim(session, request_id, STATION, {"sim:sim"}, now)
                    if info is not None:
                        seen.append(info)
                        requests.finish(session, request_id, requests.DONE, "", STATION)

            rig.db.write(once)

    worker = threading.Thread(target=execute, name="fake-station-requests", daemon=True)
    worker.start()
    try:
        panel.select("s.smoke")
        qtbot.waitUntil(panel.trip_button.isEnabled, timeout=5000)
        panel.trip_selected()
        qtbot.waitUntil(lambda: panel.drill_state("s.smoke") is True, timeout=10_000)
    finally:
        stop.set()
        worker.join(5)
    assert panel.result_text == f"Station {STATION} tripped s.smoke."
    assert [(i.kind, i.target, i.lease, i.user_name) for i in seen] == [
        ("drill.trip", "s.smoke", "sim:sim", rig.user.name)
    ]
    assert rig.proxy.connections == 0


def test_console_site_agreement(qtbot: QtBot, rig: Rig, translations: Translations) -> None:
    """The file the database holds: no note. A changed file: the database's version, and why."""
    note = agreed_site(rig.db, rig.loaded)
    assert note.message == "" and note.loaded is rig.loaded
    changed = rig.loaded.path.with_name("changed.toml")
    changed.write_text(rig.loaded.path.read_text(encoding="utf-8").replace("Console Ward", "Other Ward"))
    note = agreed_site(rig.db, load_site(changed))
    assert "differs" in note.message and "showing the database's version" in note.message
    assert note.loaded.site.site.name == "Console Ward"  # the database's version is shown
    assert note.loaded.path == changed  # standing in for this file on this machine
    facts = StationFacts(site_file=str(changed), database=rig.db.url, user="sup", role=SUPERVISOR)
    gui = GuiSession(
        note.loaded, rig.db, translations, facts, demo=False, console=True, site_note=note.message
    )
    qtbot.addWidget(gui.window)
    try:
        gui.window.show()  # not started: the note is there from the first paint
        assert gui.window.site_note == note.message
        assert gui.window.windowTitle().startswith("Wardroom — Console Ward")
    finally:
        gui.shutdown()

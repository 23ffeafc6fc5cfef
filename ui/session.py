"""One running control room: bus, bridge, station and main window, started and stopped in order.

``run_gui`` and the GUI tests build the same object, so the tests exercise the real wiring.
The station starts on a worker thread (it binds simulator ports, syncs the site into the database
and opens the first link checks): the window shows at once with lamps "not yet checked", and the
camera wall starts when the station reports it is up. Shutdown runs in the reverse order: the wall's
grabbers, then the station, then the bridge.

A console (``console=True``, ``wardroom gui --console``) runs no station: a
:class:`~ui.console_source.ConsoleStation` follows the database instead (the stations' live values,
link states and alarm journal), started and stopped in the station's place. It needs the database.

Shutdown has one deadline (``SHUTDOWN_BUDGET_S`` from the moment the window began to close), and
every wait gets only what is left of it (``remaining = end - monotonic()``), so the waits cannot add
up past the 5 s a service manager allows after SIGTERM. History queries and drills are not waited
for at all: their answers would be dropped, and their daemon threads end on their own timeouts.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt

from app.auth.users import UserInfo
from app.events import EventBus
from app.site.loader import LoadedSite
from app.station import Station, gui_identity
from app.storage.database import Database
from ui.bridge import CoreBridge
from ui.console_source import ConsoleStation
from ui.i18n import Translations
from ui.main_window import MainWindow
from ui.pages.settings import StationFacts
from ui.tasks import BackgroundCall

log = logging.getLogger("wardroom.ui")

SHUTDOWN_BUDGET_S = 4.0  # all of shutdown, from the window closing to the bridge closed


class _Runner(Protocol):
    """What the session starts and stops: a ``Station`` or a console's ``ConsoleStation``."""

    def stop(self, timeout_s: float = ...) -> None: ...


class GuiSession(QObject):
    def __init__(
        self,
        loaded: LoadedSite,
        db: Database | None,
        translations: Translations,
        facts: StationFacts,
        *,
        demo: bool,
        report_path: Path | None = None,
        user: UserInfo | None = None,
        console: bool = False,
        site_note: str = "",
        console_name: str = "console",
    ) -> None:
        super().__init__()
        self.bus = EventBus()
        self.bridge = CoreBridge(self.bus, self)
        self.console = console
        self._station: Station | None = None
        self.console_station: ConsoleStation | None = None
        self._runner: _Runner
        if console:
            if db is None:
                raise ValueError("a console follows the stations through the database: it needs one")
            self.console_station = ConsoleStation(loaded, db, self.bus, name=console_name)
            self._runner = self.console_station
        else:
            self._station = Station(loaded, db, self.bus, demo=demo)
            self._runner = self._station
        self.window = MainWindow(
            loaded.site,
            self.bridge,
            translations,
            facts,
            demo=demo,
            db=db,
            report_path=report_path,
            user=user,  # the signed-in operator: the alarm console acts as this user
            console=console,
            site_note=site_note,
        )
        self._starter = BackgroundCall("station-start", self._start_station, self)
        self._starter.succeeded.connect(self.window.attach_station, Qt.ConnectionType.QueuedConnection)
        self._starter.failed.connect(self.window.station_failed, Qt.ConnectionType.QueuedConnection)
        self._stopped = False

    @property
    def station(self) -> Station:
        """The embedded station (not on a console, which has none: see ``console_station``)."""
        if self._station is None:
            raise RuntimeError("a console session embeds no station")
        return self._station

    def start(self) -> None:
        """Show the window now; start the station (or the console's feed) in the background."""
        self.window.show()
        self._starter.start()

    def _start_station(self) -> Station | ConsoleStation:
        if self.console_station is not None:
            return self.console_station.start()
        # Named on this worker thread: choosing the name reads the database.
        self.station.identity = gui_identity(self.station.db)
        self.station.start()
        return self.station

    def shutdown(self, budget_s: float = SHUTDOWN_BUDGET_S) -> None:
        """Grabbers, then station, then bridge, all within ``budget_s`` of the window starting to
        close (or of now, if it has not). Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        began = self.window.shutdown_started
        end = (time.monotonic() if began is None else began) + budget_s

        def remaining() -> float:
            return max(0.0, end - time.monotonic())

        self.window.shutdown(end)  # does nothing if closing the window already did it
        if not self._starter.wait(remaining()):
            log.warning("the station was still starting at shutdown; stopping what is up")
        self._runner.stop(max(0.5, remaining()))
        self.bridge.close()
        log.info("session stopped (%.1f s of the %.1f s budget left)", remaining(), budget_s)

"""The main window: navigation, pages, the alarm banner and the link lamps of the whole site.

Everything the window shows about the core comes through ``CoreBridge`` signals, connected queued, so
it is only ever touched on the GUI thread. The window starts showing before the station is up: lamps
read "not yet checked" until the link monitor reports, and the camera wall starts when
``attach_station`` hands over the resolved camera addresses.

``WARDROOM_GUI_REPORT=<file.json>`` (a hidden hook for end-to-end tests) makes the window write,
once a second, what it shows: title, demo mark, every lamp's own state, every tile's painted frame
count and where on the screen its picture is, read back from the widgets themselves rather than from
the core. The write stays on the GUI thread on purpose: it exists only under that hook, is a few
kilobytes into a temporary file renamed into place (no fsync), well under a millisecond, and a writer
thread would be one more thing to stop within the shutdown deadline.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.alarms.annunciator import Annunciator
from app.auth.users import UserInfo
from app.events import LinkStateChanged, ServiceStateChanged
from app.fleet.feed import StationSilence
from app.site.loader import LoadedSite
from app.site.schema import SiteFile
from app.storage.database import Database
from app.video.snapshots import snapshots_root
from ui.annunciator import AnnunciatorPlayer
from ui.bridge import CoreBridge, connect_queued
from ui.i18n import Translations, role_name
from ui.pages.alarms import AlarmsPage
from ui.pages.camera_wall import (
    CameraWallPage,
    DatabaseLayouts,
    FrameOpener,
    WallCamera,
    database_snapshots,
)
from ui.pages.incidents import IncidentsPage
from ui.pages.placeholders import MapPage, RecordsPage
from ui.pages.records import RecordsPage as RecordsListPage
from ui.pages.sensor_trend import HistorySource
from ui.pages.sensors import ReadingSource, SensorsPage
from ui.pages.settings import SettingsPage, StationFacts
from ui.pages.wall_overlays import zone_shapes
from widgets.alarm_banner import AlarmBanner
from widgets.alarm_table import format_time, local_today
from widgets.elided_label import ElidedLabel
from widgets.status_lamp import StatusLamp

log = logging.getLogger("wardroom.ui")

WALL_STOP_S = 2.0  # the most the camera grabbers get to stop at shutdown
PAGE_KEYS: tuple[str, ...] = ("wall", "sensors", "alarms", "map", "records", "incidents", "settings")
REPORT_ENV = "WARDROOM_GUI_REPORT"


def _first_grid(cameras: int) -> str:
    """The layout a wall opens with: the smallest grid that shows every camera (at most 4x4)."""
    for kind, count in (("1", 1), ("2x2", 4), ("3x3", 9)):
        if cameras <= count:
            return kind
    return "4x4"


def _screen_rect(widget: QWidget) -> list[int]:
    """[x, y, width, height] of a widget in screen coordinates (lets a test crop a screenshot)."""
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def _rect_list(rect: QRect) -> list[int]:
    return [rect.x(), rect.y(), rect.width(), rect.height()]


MAX_CAMERA_PROBLEMS = 12  # cameras named in the camera lamp's tooltip
_CAMERA_SEVERITY = {"lost": 4, "error": 4, "disconnected": 4, "stalled": 3, "connecting": 2, "unknown": 1}


def camera_summary(states: Mapping[str, tuple[str, str]]) -> tuple[str, int, list[tuple[str, str]]]:
    """(the worst state, how many are live, (camera id, "state: reason") of those not live or disabled).

    Disabled cameras are left out; all of them disabled (or none at all) reads ``disabled``.
    """
    counted = {cid: sr for cid, sr in states.items() if sr[0] != "disabled"}
    if not counted:
        return "disabled", 0, []
    live = sum(1 for state, _ in counted.values() if state in ("live", "connected"))
    worst = max((state for state, _ in counted.values()), key=lambda st: _CAMERA_SEVERITY.get(st, 0))
    problems = sorted(
        (
            (cid, f"{state}: {reason}" if reason else state)
            for cid, (state, reason) in counted.items()
            if state not in ("live", "connected")
        ),
        key=lambda item: (-_CAMERA_SEVERITY.get(counted[item[0]][0], 0), item[0]),
    )
    return worst, live, problems


class StationView(Protocol):
    """What the window needs from a started ``app.station.Station``."""

    @property
    def loaded(self) -> LoadedSite: ...

    @property
    def fieldbus(self) -> ReadingSource | None: ...

    @property
    def historian(self) -> HistorySource | None: ...

    def camera_url(self, camera_id: str) -> str: ...

    def link_states(self) -> dict[tuple[str, str], LinkStateChanged]: ...

    @property
    def alarms(self) -> object | None: ...

    @property
    def capture(self) -> FrameOpener | None: ...


class MainWindow(QMainWindow):
    closed = Signal()  # after the window has stopped what it runs

    def __init__(
        self,
        site: SiteFile,
        bridge: CoreBridge,
        translations: Translations,
        facts: StationFacts,
        *,
        demo: bool,
        db: Database | None = None,
        report_path: Path | None = None,
        user: UserInfo | None = None,
        console: bool = False,
        site_note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        # The sounder first: nothing else may touch Qt Multimedia before it (see ui.annunciator).
        self._player = AnnunciatorPlayer(self)
        self._annunciator = Annunciator(on_change=self._player.apply)
        self._engine_running = False
        self._site = site
        self._demo = demo
        self._console = console  # no station inside: everything comes from the database
        self._silent: dict[str, StationSilence] = {}  # station name -> its silence, while silent
        self._closed = False
        self._shutdown_started: float | None = None
        self._failed_services: dict[str, str] = {}
        available = self.screen().availableGeometry()
        self.resize(min(1440, available.width()), min(880, available.height()))

        self._site_name = ElidedLabel(site.site.name, self)
        self._site_name.setObjectName("siteName")
        self._banner = AlarmBanner(self)
        self._demo_mark = QLabel(self)
        self._demo_mark.setObjectName("demoMark")
        self._demo_mark.setVisible(demo)
        self._facts = facts
        self._user = QLabel(self)
        self._user.setObjectName("userName")
        header = QFrame(self)
        header.setObjectName("header")
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(8, 6, 8, 6)
        header_layout.addWidget(self._site_name)
        header_layout.addWidget(self._banner, 1)
        header_layout.addWidget(self._demo_mark)
        header_layout.addWidget(self._user)

        buildings = {building.id: building.name for building in site.building}
        cameras = [
            WallCamera(
                camera.id,
                camera.display_name,
                buildings.get(camera.building or "", camera.building or ""),
                substream=bool(camera.substream_url),
                enabled=camera.enabled,
                zones=zone_shapes(camera.zones),
            )
            for camera in site.camera
        ]
        self._wall = CameraWallPage(
            cameras,
            parent=self,
            layouts=DatabaseLayouts(db, user.id) if db is not None and user is not None else None,
            snapshot=database_snapshots(db, user) if db is not None and user is not None else None,
            grid=_first_grid(len(cameras)),
        )
        # Capture the window started itself (a station without a hub of its own): stopped at shutdown.
        self._follow_camera_url: Any = None  # a console's hub learns simulated cameras' real ports
        self._settings = SettingsPage(
            translations, facts, self, site=site, demo=demo, db=db, console=console, user_info=user
        )
        self._sensors = SensorsPage(site, bridge, self)
        # Without the alarm engine (no database) the banner shows how many points are beyond a limit.
        self._sensors.beyondLimitsChanged.connect(self._on_beyond_limits)
        self._alarms = AlarmsPage(site, bridge, user=user, db=db, annunciator=self._annunciator, parent=self)
        self._alarms.summaryChanged.connect(self._show_banner)
        self._alarms.pointMarksChanged.connect(self._sensors.set_alarm_marks)
        self._banner.clicked.connect(self.open_alarm)
        self._incidents = IncidentsPage(
            db,
            user,
            timezone=site.site.timezone,
            language=lambda: translations.language,
            snapshot_root=snapshots_root,
            parent=self,
        )
        self._alarms.incidentRequested.connect(self.create_incident)
        pages: dict[str, QWidget] = {
            "wall": self._wall,
            "sensors": self._sensors,
            "alarms": self._alarms,
            "map": MapPage(self),
            "records": self._records_page(db, user),
            "incidents": self._incidents,
            "settings": self._settings,
        }
        self._stack = QStackedWidget(self)
        self._stack.setObjectName("pages")
        self._nav = QListWidget(self)
        self._nav.setObjectName("navigation")
        self._nav.setFixedWidth(210)
        for key in PAGE_KEYS:
            self._stack.addWidget(pages[key])
            item = QListWidgetItem(self._nav)
            item.setData(Qt.ItemDataRole.UserRole, key)
        self._nav.currentRowChanged.connect(self._stack.setCurrentIndex)
        self._nav.setCurrentRow(0)

        body = QWidget(self)
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(0)
        body_layout.addWidget(self._nav)
        body_layout.addWidget(self._stack, 1)
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(header)
        # A silent station (consoles): a strip under the header, shown only while one is silent.
        self._silence = QLabel(central)
        self._silence.setObjectName("stationSilence")
        self._silence.setWordWrap(True)
        self._silence.setVisible(False)
        central_layout.addWidget(self._silence)
        central_layout.addWidget(body, 1)
        self.setCentralWidget(central)

        self._lamps: dict[tuple[str, str], StatusLamp] = {}
        # The newest link event seen per link: a station snapshot taken a moment earlier must not
        # overwrite an event that the bridge delivered first (a PLC would stay "unknown" for good).
        self._links: dict[tuple[str, str], LinkStateChanged] = {}
        self._plc_group = QLabel(self)
        self._plc_group.setObjectName("statusGroup")
        self._camera_group = QLabel(self)
        self._camera_group.setObjectName("statusGroup")
        lamps_bar = QWidget(self)
        lamps_layout = QHBoxLayout(lamps_bar)
        lamps_layout.setContentsMargins(4, 2, 4, 2)
        lamps_layout.setSpacing(4)
        lamps_layout.addWidget(self._plc_group)
        for plc in site.plc:
            lamps_layout.addWidget(self._add_lamp("plc", plc.id, plc.id))
        lamps_layout.addSpacing(12)
        lamps_layout.addWidget(self._camera_group)
        # One lamp for all cameras: a ward has hundreds, which no status bar can show one by one. It
        # takes the worst state among them, counts the live ones and names the others in its tooltip.
        self._camera_names = {camera.id: camera.display_name for camera in site.camera}
        self._camera_states: dict[str, tuple[str, str]] = {
            camera.id: ("unknown", "") for camera in site.camera
        }
        self._camera_lamp = self._add_lamp("camera", "*", "")
        lamps_layout.addWidget(self._camera_lamp)
        self._camera_lamp.setVisible(bool(site.camera))
        self._camera_group.setVisible(bool(site.camera))
        self._show_camera_summary()
        lamps_layout.addStretch(1)
        self._service_note = QLabel(self)
        self._service_note.setObjectName("serviceNote")
        self._sound_note = QLabel(self)
        self._sound_note.setObjectName("soundNote")
        # The site file differs from the database's copy (consoles show the database's version).
        self._site_note = ElidedLabel(site_note, self)
        self._site_note.setObjectName("siteNote")
        self._site_note.setToolTip(site_note)
        self._site_note.setVisible(bool(site_note))
        self.statusBar().addWidget(lamps_bar, 1)
        self.statusBar().addPermanentWidget(self._sound_note)
        self.statusBar().addPermanentWidget(self._service_note)
        self.statusBar().addPermanentWidget(self._site_note)
        self._player.availableChanged.connect(self._on_sound)
        self._player.soundingChanged.connect(self._on_sound)
        self.statusBar().setSizeGripEnabled(False)

        connect_queued(bridge.linkStateChanged, self._on_link_state)
        connect_queued(bridge.serviceStateChanged, self._on_service_state)
        connect_queued(bridge.stationSilenceChanged, self._on_station_silence)

        self._report_path = report_path
        self._report_timer = QTimer(self)
        self._report_timer.setInterval(1000)
        self._report_timer.timeout.connect(self._write_report)
        if report_path is not None:
            self._report_timer.start()
        self._retranslate()

    # ------------------------------------------------------------------ public
    @property
    def banner(self) -> AlarmBanner:
        return self._banner

    @property
    def alarms_page(self) -> AlarmsPage:
        return self._alarms

    @property
    def incidents_page(self) -> IncidentsPage:
        return self._incidents

    def create_incident(self, alarm_ids: list[int]) -> None:
        """The console's "Create incident…": the incidents page asks for a title, then shows it."""
        self.show_page("incidents")
        self._incidents.ask_create(alarm_ids)

    @property
    def annunciator(self) -> Annunciator:
        return self._annunciator

    @property
    def player(self) -> AnnunciatorPlayer:
        return self._player

    @property
    def sound_note(self) -> QLabel:
        return self._sound_note

    @property
    def camera_wall(self) -> CameraWallPage:
        return self._wall

    @property
    def settings_page(self) -> SettingsPage:
        return self._settings

    @property
    def sensors_page(self) -> SensorsPage:
        return self._sensors

    @property
    def demo_mark(self) -> QLabel:
        return self._demo_mark

    @property
    def silence_strip(self) -> QLabel:
        """The "station NAME silent since T" strip (hidden while every station beats)."""
        return self._silence

    @property
    def site_note(self) -> str:
        """What the site agreement check said when the file differs from the database ("" if same)."""
        return self._site_note.full_text

    @property
    def console(self) -> bool:
        return self._console

    def silent_stations(self) -> list[str]:
        return sorted(self._silent)

    def _records_page(self, db: Any, user: Any) -> QWidget:
        """The records page bound to the services as the operator; a placeholder without a database."""
        if db is None or user is None:
            return RecordsPage(self)
        return RecordsListPage(db, user, self)

    @property
    def shutdown_started(self) -> float | None:
        """``time.monotonic()`` when the window began to shut down (None while it runs).

        The session's one shutdown deadline counts from here, since closing the window (or SIGTERM,
        which closes it) is where the operator's wait begins.
        """
        return self._shutdown_started

    def lamp(self, kind: str, link_id: str) -> StatusLamp:
        """A PLC's lamp; for any camera, the one lamp that stands for all cameras."""
        if kind == "camera":
            return self._camera_lamp
        return self._lamps[(kind, link_id)]

    def lamps(self) -> list[StatusLamp]:
        return list(self._lamps.values())

    def nav_texts(self) -> list[str]:
        return [self._nav.item(row).text() for row in range(self._nav.count())]

    def show_page(self, key: str) -> None:
        self._nav.setCurrentRow(PAGE_KEYS.index(key))

    def current_page(self) -> str:
        return PAGE_KEYS[self._stack.currentIndex()]

    @Slot(object)
    def attach_station(self, station: StationView) -> None:
        """The station is up: show its current link states, start the wall on its streams, hand the
        pollers and the historian to the Sensors page and the simulators to the drills."""
        if self._closed:
            return
        links = station.link_states()
        for key, event in links.items():
            newer = self._links.get(key)
            if newer is not None and newer.at > event.at:
                links[key] = newer
            self._on_link_state(links[key])
        capture = station.capture  # a started station or console always has one
        if capture is not None:
            self._wall.start(capture)
        # Detection overlays from the station's vision service (None: no camera detects anything).
        vision = getattr(station, "vision", None)
        if vision is not None:
            self._wall.set_findings_source(vision.latest, self._site.vision.face_display)
        self._wall.refresh_layouts()
        self._follow_camera_url = getattr(station, "follow_camera_url", None)
        self._sensors.attach(station.fieldbus, station.historian, links.values())
        self._settings.attach_station(station.loaded)
        self._engine_running = station.alarms is not None
        if self._engine_running:  # the banner and the gauges follow the engine from now on
            self._sensors.set_alarm_marks(self._alarms.point_marks())
            self._banner.show_beyond_limits(0)
        self._alarms.attach(self._engine_running)
        self._show_banner()

    @Slot(int)
    def open_alarm(self, alarm_id: int) -> None:
        """The banner's click: the console, with that alarm selected."""
        self.show_page("alarms")
        self._alarms.select(alarm_id)

    @Slot(object)
    def station_failed(self, error: object) -> None:
        """Starting the station failed: say so plainly, keep the window usable."""
        text = self.tr("The station could not start: {error}").format(error=error)
        self._service_note.setText(text)
        box = QMessageBox(QMessageBox.Icon.Critical, self.tr("Wardroom"), text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def snapshot(self) -> dict[str, Any]:
        """What the window shows, read from its widgets (the GUI report)."""
        return {
            "window_title": self.windowTitle(),
            "demo": self._demo_mark.isVisibleTo(self),
            "language": self._settings.language_choice.currentData(),
            "page": self.current_page(),
            "links": [
                {
                    "kind": lamp.kind,
                    "id": lamp.link_id,
                    "state": lamp.property("linkState"),
                    "reason": lamp.reason,
                    "dot": _screen_rect(lamp.dot),
                }
                for lamp in self._lamps.values()
                if lamp is not self._camera_lamp
            ]
            + [
                {  # each camera, shown by the one camera lamp
                    "kind": "camera",
                    "id": camera_id,
                    "state": state,
                    "reason": reason,
                    "dot": _screen_rect(self._camera_lamp.dot),
                }
                for camera_id, (state, reason) in self._camera_states.items()
            ],
            "tiles": [
                {
                    "camera_id": tile.camera_id,
                    "slot": tile.slot,
                    "state": tile.state,
                    "frames_shown": tile.frames_shown,
                    "signal": tile.has_signal,
                    "rect": _screen_rect(tile),
                    "picture": _rect_list(self._wall.picture_rect(tile.camera_id)),
                }
                for tile in self._wall.grid.tiles()
            ],
            "sensors": self._sensors.snapshot(),
            "banner": {"state": self._banner.property("alarmState"), "message": self._banner.message},
            "silent_stations": self.silent_stations(),
            "alarms": {
                "active": len(self._alarms.rows()),
                "flood": self._alarms.flood.flooding,
                "tone": self._annunciator.tone,
                "sound_device": self._player.available,
            },
        }

    def shutdown(self, deadline: float | None = None) -> None:
        """Stop what the window runs by ``deadline`` (``time.monotonic()``; default 2 s from now).

        Only the wall's grabbers are waited for (in parallel, within what is left); history
        queries and drills are abandoned, since their late answers are dropped anyway. Safe to call
        twice.
        """
        if self._closed:
            return
        self._closed = True
        self._shutdown_started = time.monotonic()
        end = self._shutdown_started + WALL_STOP_S if deadline is None else deadline
        self._report_timer.stop()
        if self._report_path is not None:
            self._write_report()
        self._sensors.shutdown()
        self._alarms.shutdown()
        self._incidents.shutdown()
        records = self._stack.widget(PAGE_KEYS.index("records"))
        if isinstance(records, RecordsListPage):
            records.shutdown()
        self._player.stop()
        self._settings.shutdown()
        self._wall.stop(min(WALL_STOP_S, end - time.monotonic()))

    # ------------------------------------------------------------------ Qt
    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
        self.closed.emit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ private
    def _add_lamp(self, kind: str, link_id: str, label: str) -> StatusLamp:
        lamp = StatusLamp(kind, link_id, label, self)
        self._lamps[(kind, link_id)] = lamp
        return lamp

    @Slot(object)
    def _on_link_state(self, event: LinkStateChanged) -> None:
        key = (event.kind, event.id)
        seen = self._links.get(key)
        if seen is not None and seen.at > event.at:
            return  # an older state than the one shown
        self._links[key] = event
        if event.kind == "camera":
            self._wall.set_camera_state(event.id, event.status, event.reason)
            if self._follow_camera_url is not None:
                self._follow_camera_url(event.id)
        if event.kind == "camera":
            if event.id in self._camera_states:
                self._camera_states[event.id] = (event.status, event.reason)
                self._show_camera_summary()
            return
        lamp = self._lamps.get(key)
        if lamp is None:
            log.debug("no lamp for %s %s", event.kind, event.id)
            return
        lamp.set_state(event.status, event.reason, event.endpoint)

    def camera_state(self, camera_id: str) -> str:
        """A camera's link state as the window last heard it."""
        return self._camera_states[camera_id][0]

    def _show_camera_summary(self) -> None:
        state, live, problems = camera_summary(self._camera_states)
        total = sum(1 for s, _ in self._camera_states.values() if s != "disabled")
        self._camera_lamp.set_label(self.tr("{live} of {total} live").format(live=live, total=total))
        reason = "\n".join(
            f"{self._camera_names.get(cid, cid)}: {words}" for cid, words in problems[:MAX_CAMERA_PROBLEMS]
        )
        if len(problems) > MAX_CAMERA_PROBLEMS:
            reason += "\n" + self.tr("… and {count} more").format(count=len(problems) - MAX_CAMERA_PROBLEMS)
        self._camera_lamp.set_state(state, reason)

    @Slot(object)
    def _on_service_state(self, event: ServiceStateChanged) -> None:
        """Keep the newest failure in view until that service runs again."""
        if event.status == "failed":
            self._failed_services[event.service] = event.describe()
            log.warning("service failed: %s", event.describe())
        else:
            self._failed_services.pop(event.service, None)
        self._show_service_note()

    @Slot(int)
    def _on_beyond_limits(self, count: int) -> None:
        if not self._engine_running:
            self._banner.show_beyond_limits(count)

    @Slot()
    def _show_banner(self) -> None:
        """The newest unacknowledged alarm of the highest priority, and the count of active alarms."""
        row, count = self._alarms.banner_pick()
        if row is not None:
            self._banner.show_alarm(row.message, row.priority, count, row.id if row.id > 0 else None)
        else:
            self._banner.show_calm(count)  # acknowledged alarms still open are not "no alarms"
        self._on_sound()

    @Slot()
    def _on_sound(self) -> None:
        """No audio output: the status bar says so, and the banner flashes while an alarm sounds."""
        available = self._player.available
        self._sound_note.setText("" if available else self.tr("no sound device"))
        self._banner.flash(not available and self._player.sounding)

    @Slot(object)
    def _on_station_silence(self, event: StationSilence) -> None:
        """A station stopped heartbeating (its points turn stale through the feed) or beats again."""
        if event.silent:
            self._silent[event.station] = event
            log.warning("%s", event.describe())
        elif self._silent.pop(event.station, None) is not None:
            log.info("%s", event.describe())
        self._show_silence()

    def _show_silence(self) -> None:
        today = local_today()
        lines = [
            self.tr("Station {name} silent since {time}: its points are shown stale.").format(
                name=name, time=format_time(event.since, today)
            )
            for name, event in sorted(self._silent.items())
        ]
        self._silence.setText("\n".join(lines))
        self._silence.setToolTip(
            "\n".join(
                f"{e.describe()} ({', '.join(e.owns)})" if e.owns else e.describe()
                for e in self._silent.values()
            )
        )
        self._silence.setVisible(bool(lines))

    def _show_service_note(self) -> None:
        failures = list(self._failed_services.values())
        self._service_note.setText(
            self.tr("Service failed: {what}").format(what=failures[-1]) if failures else ""
        )
        self._service_note.setToolTip("\n".join(failures))

    def _write_report(self) -> None:
        if self._report_path is None:
            return
        tmp = self._report_path.with_name(self._report_path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.snapshot(), ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self._report_path)
        except OSError as exc:
            log.warning("cannot write the GUI report %s: %s", self._report_path, exc)

    def _retranslate(self) -> None:
        title = self.tr("Wardroom — {site}").format(site=self._site.site.name)
        if self._console:
            title += " — " + self.tr("console")
        if self._demo:
            title += " — " + self.tr("DEMO")
        self.setWindowTitle(title)
        self._demo_mark.setText(self.tr("DEMO"))
        self._user.setText(f"{self._facts.user} · {role_name(self._facts.role)}")
        self._demo_mark.setToolTip(
            self.tr("Demonstration site: simulated PLC and cameras, its own database, automatic sign-in.")
        )
        self._show_service_note()
        self._show_silence()
        self._on_sound()
        self._plc_group.setText(self.tr("PLCs:"))
        self._camera_group.setText(self.tr("Cameras:"))
        names = {
            "wall": self.tr("Camera wall"),
            "sensors": self.tr("Sensors"),
            "alarms": self.tr("Alarms"),
            "map": self.tr("Map"),
            "records": self.tr("Records"),
            "incidents": self.tr("Incidents & reports"),
            "settings": self.tr("Settings"),
        }
        for row in range(self._nav.count()):
            item = self._nav.item(row)
            item.setText(names[str(item.data(Qt.ItemDataRole.UserRole))])

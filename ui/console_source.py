"""A console's stand-in for the station: the window's ``StationView`` read from the database.

``wardroom gui --console`` runs no poller, no alarm engine and no simulator. What the window needs
of a station comes from the stations through the database instead:

- point readings and link states from :class:`app.fleet.feed.SiteFeed` (the live tables), which also
  publishes on the session's bus the events a station would (``AlarmChanged`` from the journal,
  ``PointValueChanged``, ``LinkStateChanged``, ``StationSilence``), so the bridge and the pages do
  not know the difference;
- trends from a query-only :class:`app.historian.Historian` (never started: it records nothing,
  the stations' historians write the samples);
- a simulated camera's stream at the address its station reports (the simulator's real port),
  a real camera at the site file's URL; the console's own :class:`~app.video.hub.CaptureHub`
  (``capture``, no light probes: the stations watch the cameras) opens only the tiles the wall shows,
  and the wall shows the stations' camera states for the others.

``alarms`` is the feed: truthy, because alarms do come (from the journal), so the window treats the
alarm console as fed by an engine. This module is Qt-free on purpose.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from app.events import EventBus, LinkStateChanged
from app.fleet.feed import SiteFeed
from app.fleet.leases import StationInfo
from app.historian import Historian
from app.site.loader import LoadedSite
from app.storage.database import Database
from app.storage.engine import StorageError
from app.video.hub import CaptureHub

log = logging.getLogger("wardroom.ui")

START_WAIT_S = 10.0  # the first read of the whole site; the feed keeps trying after this


@dataclass(frozen=True)
class SiteNote:
    """What the site agreement check said: the site to show and, if the files differ, why."""

    loaded: LoadedSite
    message: str = ""


def agreed_site(db: Database, loaded: LoadedSite) -> SiteNote:
    """The site a console shows: the database's version when the file differs (blocking: start-up).

    Uses ``app.fleet.siteagree.check``; without that module (not yet built) the file is used as is.
    """
    try:
        from app.fleet import siteagree
    except ImportError:
        log.warning("app.fleet.siteagree is missing: the site file is not compared with the database")
        return SiteNote(loaded)
    try:
        agreement = siteagree.check(db, loaded)
    except (SQLAlchemyError, StorageError, OSError) as exc:
        log.warning("could not compare the site file with the database: %s", exc)
        return SiteNote(loaded, f"the site file could not be compared with the database's: {exc}")
    if agreement.same:
        return SiteNote(loaded)
    log.warning("site file disagrees with the database: %s", agreement.message)
    shown = agreement.db_site if agreement.db_site is not None else loaded
    return SiteNote(shown, agreement.message)


class ConsoleStation:
    """What ``MainWindow.attach_station`` needs, from the database; ``start``/``stop`` as a station."""

    def __init__(self, loaded: LoadedSite, db: Database, bus: EventBus, *, name: str = "console") -> None:
        self._loaded = loaded
        self._db = db
        self.feed = SiteFeed(loaded.site, db, bus, name=name)
        self._historian = Historian(db)  # query-only: never started, records nothing
        self._simulated = {camera.id for camera in loaded.site.camera if camera.simulated}
        self._urls = {camera.id: camera.url for camera in loaded.site.camera}
        self._capture: CaptureHub | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self, wait_s: float = START_WAIT_S) -> ConsoleStation:
        """Follow the database; returns once the whole site was read (or after ``wait_s``, still trying)."""
        if not self.feed.start(wait_s):
            log.warning("console: the database did not answer within %g s; still trying", wait_s)
        site = self._loaded.site
        urls = {camera.id: self.camera_url(camera.id) for camera in site.camera}
        self._capture = CaptureHub(site.camera, site.cameras, None, urls=urls, probe=False)
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        deadline = time.monotonic() + timeout_s
        if self._capture is not None:
            self._capture.stop(timeout_s / 2)
        self.feed.stop(max(0.1, deadline - time.monotonic()))

    @property
    def capture(self) -> CaptureHub | None:
        """The console's own capture hub for the tiles it shows (None until ``start``)."""
        return self._capture

    def follow_camera_url(self, camera_id: str) -> None:
        """A station reported where a camera is (a simulated camera's port): open grabbers move there."""
        capture = self._capture
        if capture is None or camera_id not in self._urls:
            return
        url = self.camera_url(camera_id)
        if url != capture.url(camera_id):
            capture.set_url(camera_id, url)

    # ------------------------------------------------------------------ StationView
    @property
    def loaded(self) -> LoadedSite:
        return self._loaded

    @property
    def fieldbus(self) -> SiteFeed:
        """Point readings as the stations wrote them (stale where no live station polls the PLC)."""
        return self.feed

    @property
    def historian(self) -> Historian:
        return self._historian

    @property
    def alarms(self) -> SiteFeed:
        """Alarms come from the journal through the feed (truthy: the console is fed)."""
        return self.feed

    def camera_url(self, camera_id: str) -> str:
        """A simulated camera at the address its station reports; a real one at the site's URL."""
        if camera_id in self._simulated:
            endpoint = self.feed.link_endpoint("camera", camera_id)
            if endpoint:
                return endpoint
        return self._urls[camera_id]

    def link_states(self) -> dict[tuple[str, str], LinkStateChanged]:
        return self.feed.link_states()

    def silent_stations(self) -> list[StationInfo]:
        return self.feed.silent_stations()

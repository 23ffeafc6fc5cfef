"""The station: the headless runtime that starts what a site needs, in order, and stops it cleanly.

``wardroom station`` and the GUI both run a site through this one class, so the two cannot drift apart.
Start order matters: the site file is synced into the database first (the record of what the site was
when events happened, and the point rows the historian writes against), then the simulators of
simulated PLCs and cameras (so that their real ports are known), then the historian (subscribed before
the first value arrives), then the fieldbus pollers pointed at the *resolved* endpoints, then the
camera capture hub (:class:`app.video.hub.CaptureHub`), which owns every grabber of this process and
reports the owned cameras' states from their grabbers' reads, or from a light check when nothing shows
them; the pollers report each PLC's link themselves (``LinkStateChanged(kind="plc")``), from the reads
they really make. Stopping runs in reverse, pollers
before the historian (so its final flush holds their last values) and before the simulators (so a
shutdown is not recorded as a PLC outage).

A simulator that fails to start is reported and the rest of the station keeps running, because one
broken demo device must not blind the control room to the others; the pollers still try the PLC's own
address from the site file and report what they find there.

Heavy libraries (pymodbus, OpenCV, SQLAlchemy's history tables) are imported when a service starts,
not at import time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.events import EventBus, LinkStateChanged, ServiceStateChanged
from app.fleet.connections import Connection, site_connections, wanted
from app.fleet.leases import LeaseInfo, StationIdentity, StationInfo
from app.sim.cameras import SIM_HOST  # simulators bind loopback only
from app.site.schema import Camera, Plc, SiteFile

if TYPE_CHECKING:
    from app.alarms.engine import AlarmEngine
    from app.fieldbus.manager import FieldbusManager
    from app.fieldbus.quality import PointReading
    from app.fleet.keeper import LeaseKeeper
    from app.fleet.live import LiveWriter
    from app.historian import Historian
    from app.sim.mjpeg import MjpegServer
    from app.sim.simulator import PlcSimulator
    from app.site.loader import LoadedSite
    from app.storage.database import Database
    from app.video.hub import CaptureHub
    from app.vision.service import VisionService

log = logging.getLogger("wardroom.station")


@dataclass
class _Running:
    """What a start brought up, so stop can take it down in reverse order."""

    simulators: dict[str, PlcSimulator] = field(default_factory=dict)
    mjpeg: list[tuple[int, MjpegServer]] = field(default_factory=list)  # (requested port, 0 = any)
    historian: Historian | None = None
    keeper: LeaseKeeper | None = None
    live: LiveWriter | None = None
    extra: list[Any] = field(default_factory=list)  # services with start()/stop(timeout_s), stopped first
    alarms: AlarmEngine | None = None
    fieldbus: FieldbusManager | None = None
    capture: CaptureHub | None = None
    vision: VisionService | None = None
    unsubscribe: list[Callable[[], None]] = field(default_factory=list)


def default_identity(standby: bool = False, name: str | None = None) -> StationIdentity:
    """This process as a station: named after the host unless told otherwise."""
    import os
    import socket

    host = socket.gethostname()
    return StationIdentity(name=name or host, host=host, pid=os.getpid(), standby=standby)


def gui_identity(db: Database | None) -> StationIdentity:
    """The station a GUI embeds: ``HOST-gui``, or ``HOST-gui-PID`` while another GUI here runs."""
    base = default_identity()
    identity = StationIdentity(f"{base.host}-gui", base.host, base.pid)
    if db is None:
        return identity
    from app.fleet.clock import db_now
    from app.fleet.leases import running_elsewhere

    try:
        with db.session() as session:
            taken = running_elsewhere(session, identity, db_now(session)) is not None
    except Exception:  # the station's own start reports a database that cannot be read
        return identity
    return StationIdentity(f"{base.host}-gui-{base.pid}", base.host, base.pid) if taken else identity


class Station:
    """Runs one site: sync, simulators, historian, pollers, camera links.

    ``start``/``stop`` from one thread; the queries may be called from any thread.
    """

    def __init__(
        self,
        loaded: LoadedSite,
        db: Database | None,
        bus: EventBus,
        *,
        identity: StationIdentity | None = None,
        plcs: str = "*",
        cameras: str = "*",
        demo: bool = False,
    ) -> None:
        self.loaded = loaded
        self.db = db
        self.bus = bus
        self.identity = identity or default_identity()
        self.demo = demo  # drills open to every role, as in the GUI's demo
        self._globs = (plcs, cameras)
        self.want = wanted(site_connections(loaded.site), plcs, cameras)
        self._plc_of_point = {p.id: p.plc for p in loaded.site.point}
        self._owned_plcs: set[str] = set()
        self._owned_cameras: set[str] = set()
        self._own_lock = threading.RLock()  # the keeper's thread gains and loses; start/stop too
        self._running = _Running()
        self._plc_endpoints: dict[str, tuple[str, int]] = {}
        self._camera_urls: dict[str, str] = {}
        self._failed: dict[tuple[str, str], str] = {}  # (kind, id) -> why its simulator is missing
        self._plc_links: dict[str, LinkStateChanged] = {}  # as the pollers last reported them
        self._camera_faults: dict[str, LinkStateChanged] = {}  # owned cameras whose simulator failed
        self._links_lock = threading.Lock()  # the pollers' thread writes, anyone reads
        self._started = False

    @property
    def site(self) -> SiteFile:
        return self.loaded.site

    # ------------------------------------------------------------------------------- queries

    def plc_endpoint(self, plc_id: str) -> tuple[str, int]:
        """(host, port) where the PLC answers: the simulator's actual port for a simulated PLC."""
        if plc_id in self._plc_endpoints:
            return self._plc_endpoints[plc_id]
        plc = self._plc(plc_id)
        return plc.host or SIM_HOST, plc.effective_port

    def camera_url(self, camera_id: str) -> str:
        """The URL to open: for a simulated camera, the file's URL with port 0 replaced."""
        if camera_id in self._camera_urls:
            return self._camera_urls[camera_id]
        return self._camera(camera_id).url

    @property
    def fieldbus(self) -> FieldbusManager | None:
        """The running pollers (readings, writes), or None before start / when the site has no PLC."""
        return self._running.fieldbus

    @property
    def alarms(self) -> AlarmEngine | None:
        """The running alarm engine (event alarms, its view of open alarms), or None without a database."""
        return self._running.alarms

    @property
    def historian(self) -> Historian | None:
        """The running historian (trend queries), or None without a database."""
        return self._running.historian

    @property
    def capture(self) -> CaptureHub | None:
        """The capture hub (None before start and after stop): the embedded GUI's wall opens its
        tiles through it, so the station and the wall share one grabber per camera stream."""
        return self._running.capture

    @property
    def vision(self) -> VisionService | None:
        """The vision service (None when no camera has ``detect``, before start and after stop): the
        wall's overlays read ``vision.latest(camera_id)`` on their paint timer."""
        return self._running.vision

    def link_states(self) -> dict[tuple[str, str], LinkStateChanged]:
        """Every link's latest state: PLCs as their pollers report them, owned cameras as the
        capture hub last published them."""
        capture = self._running.capture
        states = capture.link_states() if capture is not None else {}
        with self._links_lock:
            states.update({("camera", cid): event for cid, event in self._camera_faults.items()})
            states.update({("plc", plc_id): event for plc_id, event in self._plc_links.items()})
        return states

    @property
    def owned(self) -> list[str]:
        """``plc:<id>`` / ``camera:<id>`` this station polls now."""
        with self._own_lock:
            return [f"plc:{p}" for p in sorted(self._owned_plcs)] + [
                f"camera:{c}" for c in sorted(self._owned_cameras)
            ]

    @property
    def keeper(self) -> LeaseKeeper | None:
        """The lease keeper (None without a database: a station alone owns everything)."""
        return self._running.keeper

    def simulator(self, plc_id: str) -> PlcSimulator | None:
        """The running simulator of a simulated PLC (drills and tests change values through it)."""
        return self._running.simulators.get(plc_id)

    def _plc(self, plc_id: str) -> Plc:
        for plc in self.site.plc:
            if plc.id == plc_id:
                return plc
        raise KeyError(f"the site has no PLC {plc_id!r}")

    def _camera(self, camera_id: str) -> Camera:
        for camera in self.site.camera:
            if camera.id == camera_id:
                return camera
        raise KeyError(f"the site has no camera {camera_id!r}")

    # ------------------------------------------------------------------------------- start

    def _service(self, service: str, status: Any, detail: str = "") -> None:
        event = ServiceStateChanged(service=service, status=status, detail=detail)
        (log.error if status == "failed" else log.info)("%s", event.describe())
        self.bus.publish(event)

    def start(self) -> None:
        """Start every service the site needs. Raises only if the site sync fails."""
        if self._started:
            return
        self._started = True
        if self.db is not None and not self._run_on_database_version():
            self._sync()
        self._start_historian()
        self._start_snapshot_purge()
        self._start_alarms()
        self._start_pollers()
        self._start_capture()
        self._start_vision()
        if self.db is None:  # alone, without a database to hold leases in: everything is ours
            self._gain(self.want, {})
        else:
            self._start_leases()

    # ------------------------------------------------------------------------------- ownership

    def _start_leases(self) -> None:
        from app.fleet.keeper import KeeperHooks, LeaseKeeper
        from app.fleet.live import LiveWriter

        assert self.db is not None
        live = LiveWriter(self.db, self.bus, self.identity.name, seen=self._seen)
        live.start()
        self._running.live = live
        hooks = KeeperHooks(gained=self._gain, lost=self._lose, silent=self._silent, back=self._back)
        keeper = LeaseKeeper(
            self.db,
            self.identity,
            self.want,
            hooks,
            site_sha256=self.loaded.sha256,
            endpoints=self._lease_endpoints,
        )
        me = self.identity
        self._service("leases", "starting", f"station {me.name}{' (standby)' if me.standby else ''}")
        try:
            keeper.start()
        except Exception as exc:
            self._service("leases", "failed", f"{exc}; polling nothing")
            return
        self._running.keeper = keeper
        self._start_requests(keeper)
        held = keeper.held_by
        with self._links_lock:
            for key, holder in held.items():
                connection = next(c for c in self.want if c.key == key)
                for plc_id in connection.plcs:
                    self._plc_links[plc_id] = LinkStateChanged(
                        kind="plc", id=plc_id, status="unknown", reason=f"polled by station {holder}"
                    )
        for key, holder in sorted(held.items()):
            log.info("%s is held by station %s", key, holder)
        self._service(
            "leases", "running", keeper.note() + "".join(f"; {k} held by {h}" for k, h in held.items())
        )

    def _start_requests(self, keeper: LeaseKeeper) -> None:
        """Execute what consoles and the CLI ask of the devices this station owns."""
        from app.fleet.executor import RequestExecutor

        assert self.db is not None
        executor = RequestExecutor(
            self.db,
            self.identity.name,
            owned=lambda: {c.key for c in keeper.owned},
            write=self._write_point,
            drill=self._drill,
            loaded=self.loaded,
            demo=self.demo,
        )
        executor.start()
        self._running.extra.append(executor)

    def _write_point(self, point_id: str, value: float | bool, timeout_s: float) -> None:
        from app.fieldbus.owner import WriteError

        fieldbus = self._running.fieldbus
        if fieldbus is None:
            raise WriteError(f"cannot write {point_id}: this station's poller is not running")
        fieldbus.write(point_id, value, timeout_s=timeout_s)

    def _drill(self, operator: object, point_id: str, on: bool) -> object:
        """Trip or restore on the simulators (the executor checked the operator and audits)."""
        from app.sim import drill

        del operator
        return (drill.trip if on else drill.restore)(self.loaded, point_id)

    def _lease_endpoints(self) -> dict[str, str]:
        return {f"sim:{plc_id}": f"{host}:{port}" for plc_id, (host, port) in self._plc_endpoints.items()}

    def _seen(self) -> dict[str, float]:
        """``plc:<id>`` -> the newest good read of any of its points (the live table's ages)."""
        from app.fieldbus.quality import LIVE_QUALITIES

        fieldbus = self._running.fieldbus
        if fieldbus is None:
            return {}
        plc_of = self._plc_of_point
        seen: dict[str, float] = {}
        for point_id, reading in fieldbus.readings().items():
            if reading.last_good_at is not None and reading.quality in LIVE_QUALITIES:
                key = f"plc:{plc_of.get(point_id, '')}"
                if reading.last_good_at > seen.get(key, 0.0):
                    seen[key] = reading.last_good_at
        return seen

    def _gain(self, connections: list[Connection], previous: dict[str, LeaseInfo]) -> None:
        """Connections became ours: journal first (open alarms), then simulators, then pollers."""
        with self._own_lock:
            plcs = [p for c in connections for p in c.plcs if p not in self._owned_plcs]
            cameras = [cam for c in connections for cam in c.cameras if cam not in self._owned_cameras]
            for key, info in previous.items():
                self._service("leases", "running", f"took over {key} from silent station {info.station}")
            engine = self._running.alarms
            if engine is not None and not engine.own(
                self._owned_plcs | set(plcs), self._owned_cameras | set(cameras)
            ):
                log.warning("the alarm engine did not confirm the devices taken over within 5 s")
            by_id = {p.id: p for p in self.site.plc}
            for plc_id in plcs:
                if by_id[plc_id].simulated:
                    self._start_plc_simulator(by_id[plc_id])
            self._owned_plcs |= set(plcs)
            self._owned_cameras |= set(cameras)
            if plcs:
                self._adopt_plcs(plcs)
            if cameras:
                self._start_camera_simulators([c for c in self.site.camera if c.id in cameras])
                self._watch_cameras()

    def _lose(self, connections: list[Connection], why: str) -> None:
        """Connections are another station's now: stop polling them at once."""
        with self._own_lock:
            plcs = [p for c in connections for p in c.plcs if p in self._owned_plcs]
            cameras = [cam for c in connections for cam in c.cameras if cam in self._owned_cameras]
            self._owned_plcs -= set(plcs)
            self._owned_cameras -= set(cameras)
            fieldbus = self._running.fieldbus
            if fieldbus is not None and plcs:
                fieldbus.release(plcs)
            for plc_id in plcs:
                sim = self._running.simulators.pop(plc_id, None)
                if sim is not None:
                    sim.stop(1.0)
                    self._plc_endpoints.pop(plc_id, None)
                with self._links_lock:
                    self._plc_links[plc_id] = LinkStateChanged(
                        kind="plc", id=plc_id, status="unknown", reason=why
                    )
            engine = self._running.alarms
            if engine is not None:
                engine.own(set(self._owned_plcs), set(self._owned_cameras))
            if cameras:
                self._watch_cameras()
            keys = ", ".join(c.key for c in connections)
            self._service("leases", "running", f"stopped polling {keys}: {why}")

    def _silent(self, info: StationInfo) -> None:
        """Another station stopped heartbeating: a fault alarm, urgent (its devices may be unwatched)."""
        from zoneinfo import ZoneInfo

        engine = self._running.alarms
        try:
            zone = ZoneInfo(self.site.site.timezone)
        except Exception:
            zone = None
        since = (
            info.heartbeat_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
            if zone
            else info.heartbeat_at.isoformat()
        )
        message = f"station {info.name} silent since {since}"
        log.warning("%s (it owned %s)", message, ", ".join(info.owns) or "nothing")
        if engine is not None:
            engine.raise_event(f"station:{info.name}", category="fault", priority="urgent", message=message)

    def _back(self, name: str) -> None:
        engine = self._running.alarms
        if engine is not None:
            engine.clear_event(f"station:{name}")

    def _run_on_database_version(self) -> bool:
        """A site file older than the one in force yields to it (said, not synced); True if so.

        A station whose file is newer syncs it, audited, as on every start: the newest file wins,
        and every other station and console then sees that it differs and shows the database's.
        """
        from app.fleet.siteagree import check

        assert self.db is not None
        try:
            agreement = check(self.db, self.loaded)
        except Exception as exc:  # the sync that follows reports a database that does not answer
            log.warning("could not compare the site file with the database's: %s", exc)
            return False
        if agreement.same or agreement.newer_file or agreement.db_site is None:
            if not agreement.same and agreement.in_database:
                self._service(
                    "site sync",
                    "starting",
                    f"{self.loaded.path} differs from the site in force (sha256 "
                    f"{agreement.db_sha256[:12]}…, synced from {agreement.db_source_path}) and is newer: "
                    "syncing it",
                )
            return False
        self._service("site sync", "stopped", agreement.message)
        self.loaded = agreement.db_site
        self.want = wanted(site_connections(self.loaded.site), *self._globs)
        self._plc_of_point = {p.id: p.plc for p in self.loaded.site.point}
        return True

    def _sync(self) -> None:
        from app.site.sync import sync_site

        assert self.db is not None
        self._service("site sync", "starting", str(self.loaded.path))
        try:
            sync_site(self.db, self.loaded)
        except Exception as exc:
            self._service("site sync", "failed", f"{self.loaded.path}: {exc}")
            self._started = False
            raise
        self._service(
            "site sync", "stopped", f"synced {self.loaded.path} (sha256 {self.loaded.sha256[:12]}…)"
        )
        if self.demo:
            self._demo_records()

    def _demo_records(self) -> None:
        """The demo ward's synthetic residents, volunteers, vehicles and rosters, at its first start."""
        from app.records.demo import ensure_demo_records

        assert self.db is not None
        try:
            counts = ensure_demo_records(self.db)
        except Exception as exc:  # the demo still runs without records; say why they are missing
            self._service("demo records", "failed", str(exc))
            return
        if counts is not None:
            self._service(
                "demo records",
                "stopped",
                f"generated {counts.residents} residents, {counts.volunteers} volunteers, "
                f"{counts.vehicles} vehicles in {counts.seconds:.1f} s",
            )

    def _start_plc_simulator(self, plc: Plc) -> None:
        from app.sim.simulator import PlcSimulator

        service = f"PLC simulator {plc.id}"
        self._service(service, "starting", plc.protocol)
        try:
            # With the site file's path it announces its port, so `wardroom simulate trip` can reach it.
            points = [p for p in self.site.point if p.plc == plc.id]
            sim = PlcSimulator(plc, points, host=SIM_HOST, site_path=self.loaded.path)
            port = sim.start()
        except Exception as exc:
            self._failed[("plc", plc.id)] = f"its simulator could not start: {exc}"
            self._service(service, "failed", str(exc))
            return
        self._running.simulators[plc.id] = sim
        self._plc_endpoints[plc.id] = (SIM_HOST, port)
        self._service(service, "running", f"{plc.protocol} on {SIM_HOST}:{port}")

    def _start_camera_simulators(self, owned: list[Camera]) -> None:
        from app.sim.cameras import start_camera_simulators

        sims = start_camera_simulators(self.loaded, owned)
        for service, status, detail in sims.notes:
            self._service(service, status, detail)
        self._running.mjpeg.extend(sims.servers)
        self._camera_urls.update(sims.urls)
        for camera_id, reason in sims.failed.items():
            self._failed[("camera", camera_id)] = reason

    def _start_historian(self) -> None:
        """Without a database there is nowhere to keep history; with one, a failure is not fatal."""
        if self.db is None or not self.site.point:
            return
        from app.historian import Historian

        self._service("historian", "starting", f"{len(self.site.point)} point(s)")
        # ``latest`` is bound late: the pollers start after the historian, so their first values
        # are recorded, and the heartbeat asks them (not its own memory) what a steady point reads.
        settings = self.site.historian
        historian = Historian(
            self.db,
            latest=self._latest_reading,
            retention_days=settings.retention_days,
            max_interval_s=settings.max_interval_s,
        )
        try:
            historian.start()
        except Exception as exc:
            self._service("historian", "failed", str(exc))
            return
        self._running.historian = historian
        self._running.unsubscribe.append(historian.subscribe(self.bus))
        self._service("historian", "running", f"{historian.max_interval_s:g} s heartbeat")

    def _start_snapshot_purge(self) -> None:
        """Snapshots past ``[cameras] snapshot_retention_days`` go once a day (incident ones stay), and
        gate access events past ``[vision] access_retention_days``."""
        if self.db is None:
            return
        from app.video.retention import SnapshotKeeper

        keeper = SnapshotKeeper(self.db, self.site.cameras.snapshot_retention_days)
        keeper.start()
        self._running.extra.append(keeper)
        # Gate access events (personal data) past [vision] access_retention_days, beside it.
        from app.vision.retention import AccessKeeper

        access = AccessKeeper(self.db, self.site.vision.access_retention_days)
        access.start()
        self._running.extra.append(access)

    def _start_alarms(self) -> None:
        """The engine restores open alarms from the journal before the pollers send a first value."""
        if self.db is None:
            return
        from app.alarms.engine import AlarmEngine

        self._service("alarm engine", "starting")
        engine = AlarmEngine(self.loaded, self.db, self.bus)
        try:
            engine.start()
        except Exception as exc:
            self._service("alarm engine", "failed", str(exc))
            engine.stop(1.0)
            return
        self._running.alarms = engine
        limits = sum(len(p.alarms) for p in self.site.point)
        self._service("alarm engine", "running", f"{limits} limit alarm(s)")

    def _latest_reading(self, point_id: str) -> PointReading | None:
        fieldbus = self._running.fieldbus
        return fieldbus.reading(point_id) if fieldbus is not None else None

    def _start_pollers(self) -> None:
        """The poller thread starts polling nothing; each PLC is adopted when its lease is ours."""
        if not self.site.plc:
            return
        from app.fieldbus.manager import FieldbusManager

        with self._links_lock:
            for plc in self.site.plc:
                self._plc_links[plc.id] = LinkStateChanged(
                    kind="plc", id=plc.id, status="unknown", reason="not in this station's slice"
                )
        self._running.unsubscribe.append(self.bus.subscribe(LinkStateChanged, self._on_link))
        service = "fieldbus pollers"
        self._service(service, "starting", f"{len(self.site.plc)} PLC(s), {len(self.site.point)} point(s)")
        manager = FieldbusManager(self.site, self.bus, dict(self._plc_endpoints), owned=[])
        try:
            manager.start()
        except Exception as exc:
            self._service(service, "failed", str(exc))
            manager.stop(1.0)
            self._poller_failure = f"its poller could not start: {exc}"
            return
        self._running.fieldbus = manager
        self._service(service, "running", "waiting for the PLCs this station owns")

    _poller_failure = ""

    def _adopt_plcs(self, plc_ids: list[str]) -> None:
        by_id = {p.id: p for p in self.site.plc}
        with self._links_lock:
            for plc_id in plc_ids:
                plc = by_id[plc_id]
                host, port = self.plc_endpoint(plc_id)
                endpoint = (plc.serial_port or "") if plc.protocol == "modbus-rtu" else f"{host}:{port}"
                self._plc_links[plc_id] = LinkStateChanged(
                    kind="plc", id=plc_id, status="unknown", endpoint=endpoint
                )
        manager = self._running.fieldbus
        if manager is None:
            reason = self._poller_failure or "the poller is not running"
            for plc_id in plc_ids:
                self.bus.publish(
                    LinkStateChanged(kind="plc", id=plc_id, status="disconnected", reason=reason)
                )
            return
        manager.adopt(plc_ids, dict(self._plc_endpoints))
        self._service(
            "fieldbus pollers", "running", ", ".join(f"{p} every {by_id[p].poll_ms} ms" for p in plc_ids)
        )

    def _on_link(self, event: LinkStateChanged) -> None:
        """Keep each PLC's latest link state (the pollers publish changes only)."""
        if event.kind != "plc":
            return
        with self._links_lock:
            if event.id in self._plc_links:
                previous = self._plc_links[event.id]
                endpoint = event.endpoint or previous.endpoint
                self._plc_links[event.id] = LinkStateChanged(
                    kind="plc",
                    id=event.id,
                    status=event.status,
                    reason=event.reason,
                    endpoint=endpoint,
                    at=event.at,
                )

    def _start_capture(self) -> None:
        """One capture hub for the whole site (any camera may be opened through it, e.g. by the
        embedded GUI's wall); it watches, and publishes the states of, the cameras this station owns."""
        from app.video.hub import CaptureHub

        hub = CaptureHub(self.site.camera, self.site.cameras, self.bus, probe=True)
        hub.start()
        self._running.capture = hub
        settings = self.site.cameras
        self._service(
            "camera capture",
            "running",
            f"light check every {settings.probe_s:g} s of owned cameras nothing shows; "
            f"open/read timeouts {settings.open_timeout_ms}/{settings.read_timeout_ms} ms",
        )

    def _start_vision(self) -> None:
        """Detection on the cameras that have ``detect``, fed by the capture hub; it runs on the
        cameras this station owns (``_watch_cameras`` tells it) and raises rule alarms through the
        engine. The models load on its own thread; it reports "running" (or why not) when ready."""
        from app.vision.service import VisionService, vision_cameras

        cameras = vision_cameras(self.site)
        if not cameras or self._running.capture is None:
            return
        if os.environ.get("WARDROOM_VISION", "on").lower() == "off":
            # For tests and machines that must not load the detector (2-core CI runs GUI tests on
            # the demo site, whose four cameras would otherwise keep a core busy detecting).
            self._service("vision", "stopped", "turned off by WARDROOM_VISION=off")
            return
        self._service("vision", "starting", f"{len(cameras)} camera(s) with detection; loading the models")
        service = VisionService(
            self.site,
            self._running.capture,
            alarms=self._running.alarms,
            db=self.db,
            report=lambda status, detail: self._service("vision", status, detail),
        )
        service.start()
        self._running.vision = service
        self._running.extra.append(service)  # stopped first: before the capture it reads from

    def _watch_cameras(self) -> None:
        """Point the hub at the owned cameras (a simulated camera at its simulator's real address); an
        owned camera whose simulator could not start is a fault the station reports itself."""
        hub = self._running.capture
        faults: dict[str, LinkStateChanged] = {}
        watched: list[str] = []
        for camera in self.site.camera:
            if camera.id not in self._owned_cameras:
                continue
            reason = self._failed.get(("camera", camera.id))
            if reason is not None and camera.enabled:
                faults[camera.id] = LinkStateChanged(
                    kind="camera", id=camera.id, status="error", reason=reason, endpoint=camera.url
                )
                continue
            watched.append(camera.id)
            resolved = self._camera_urls.get(camera.id)
            if hub is not None and resolved is not None and hub.url(camera.id) != resolved:
                hub.set_url(camera.id, resolved)
        with self._links_lock:
            new = {cid: e for cid, e in faults.items() if cid not in self._camera_faults}
            self._camera_faults = faults
        for event in new.values():
            log.warning("%s", event.describe())
            self.bus.publish(event)
        if hub is not None:
            hub.watch(watched)
        vision = self._running.vision
        if vision is not None:
            vision.own(set(watched))

    # ------------------------------------------------------------------------------- stop

    def stop(self, timeout_s: float = 4.0) -> None:
        """Stop everything in reverse start order, within about ``timeout_s`` in total."""
        deadline = time.monotonic() + timeout_s

        def left(share: float) -> float:
            return max(0.1, min(share, deadline - time.monotonic()))

        with self._own_lock:
            running, self._running = self._running, _Running()
            self._owned_plcs, self._owned_cameras = set(), set()
        for service in running.extra:
            service.stop(left(1.0))
        if running.keeper is not None:
            running.keeper.stop(left(1.0))
            self._service("leases", "stopped", "released")
        if running.capture is not None:
            running.capture.stop(left(1.0))
            self._service("camera capture", "stopped")
        if running.fieldbus is not None:
            running.fieldbus.stop(left(1.0))
            self._service("fieldbus pollers", "stopped")
        if running.alarms is not None:
            running.alarms.stop(left(1.0))
            self._service("alarm engine", "stopped")
        for unsubscribe in running.unsubscribe:
            unsubscribe()
        if running.live is not None:
            running.live.stop(left(1.0))
        if running.historian is not None:
            running.historian.stop(left(1.0))
            self._service("historian", "stopped")
        for requested, server in running.mjpeg:
            server.stop(left(1.0))
            server.close()
            self._service("camera simulator" + (f" :{requested}" if requested else ""), "stopped")
        for plc_id, sim in reversed(list(running.simulators.items())):
            sim.stop(left(1.0))
            self._service(f"PLC simulator {plc_id}", "stopped")
        self._plc_endpoints.clear()
        self._camera_urls.clear()
        self._failed.clear()
        with self._links_lock:
            self._plc_links.clear()
            self._camera_faults.clear()
        self._started = False

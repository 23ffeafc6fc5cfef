"""The capture hub: one shared, supervised grabber per camera stream, and every watched camera's state.

Whoever needs frames (a wall tile, a snapshot, detection, ``cameras status``) calls :meth:`open` and
gets a :class:`FrameSource`; two consumers of one stream share one grabber (one connection to the
camera, one decode), and the grabber stops when the last consumer releases it. Frames are masked in
the grabber, so no consumer can see what a privacy mask hides.

The hub also says whether each *watched* camera works (a station watches the cameras it owns): from
its grabber's reads while something has it open, else from a light check every ``probe_s`` seconds
(TCP connect and one RTSP ``OPTIONS`` / HTTP ``HEAD``, no decoding; staggered so hundreds of cameras
do not all knock at once). Changes are published as ``LinkStateChanged(kind="camera")``: that is the
camera's link state, which the alarm engine turns into "video lost" and the tables show.

One hub thread runs an asyncio loop for the checks (hundreds of slow addresses cost no threads) and
supervises the grabbers (stalls, stuck readers) every 200 ms.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.events import EventBus, LinkStateChanged
from app.site.schema import Camera, CameraSettings
from app.video.capture import redact
from app.video.frames import CameraState, CameraStatus, Frame, FrameSource, Stream
from app.video.grabber import Grabber
from app.video.masks import PrivacyMask
from app.video.probe import probe as light_probe
from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.video")

TICK_S = 0.2
FIRST_ROUND_S = 5.0  # newly watched cameras are first checked within this (staggered), not probe_s
MAX_PROBES_IN_FLIGHT = 64
DISABLED_REASON = "disabled in the site file (enabled = false)"


@dataclass
class _Entry:
    grabber: Grabber
    refs: int = 0


@dataclass
class _Probe:
    due: float = 0.0  # monotonic
    in_flight: bool = False
    status: CameraStatus | None = None


class _Source:
    """A consumer's handle; see :class:`app.video.frames.FrameSource`."""

    def __init__(self, hub: CaptureHub, camera_id: str, stream: Stream, entry: _Entry | None) -> None:
        self.camera_id = camera_id
        self.stream: Stream = stream
        self._hub = hub
        self._entry = entry
        self._released = False

    def latest(self) -> Frame | None:
        entry = self._entry
        return entry.grabber.latest() if entry is not None and not self._released else None

    def status(self) -> CameraStatus:
        entry = self._entry
        if entry is None:
            return self._hub.status(self.camera_id)
        return entry.grabber.status()

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        if self._entry is not None:
            self._hub._release(self.camera_id, self.stream, self._entry)

    def __repr__(self) -> str:
        return f"<FrameSource {self.camera_id} {self.stream}{' released' if self._released else ''}>"


class CaptureHub:
    """Shared grabbers and camera states for one process (a station, or a console's own tiles)."""

    def __init__(
        self,
        cameras: Sequence[Camera],
        settings: CameraSettings,
        bus: EventBus | None = None,
        *,
        urls: Mapping[str, str] | None = None,
        sub_urls: Mapping[str, str] | None = None,
        probe: bool = True,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.probe = probe
        self._cameras = {c.id: c for c in cameras}
        urls, sub_urls = urls or {}, sub_urls or {}
        self._urls = {c.id: urls.get(c.id, c.url) for c in cameras}
        self._sub_urls: dict[str, str | None] = {c.id: sub_urls.get(c.id, c.substream_url) for c in cameras}
        self._masks = {c.id: PrivacyMask(c.privacy_masks) for c in cameras}
        self._lock = threading.Lock()
        self._publish_lock = threading.RLock()  # events leave in the order the states changed
        self._grabbers: dict[tuple[str, Stream], _Entry] = {}
        self._watched: set[str] = set()
        self._probes: dict[str, _Probe] = {}
        self._published: dict[str, tuple[str, str]] = {}
        self._events: dict[str, LinkStateChanged] = {}
        self._worker: Worker | None = None
        self._stopped = False

    # ------------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start supervising and checking (``open`` starts the hub too if nobody did)."""
        with self._lock:
            if self._worker is not None or self._stopped:
                return
            self._worker = Worker("capture-hub", self._run, stuck_level=logging.INFO)
            worker = self._worker
        worker.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop every grabber and the checks, within about ``timeout_s`` (readers blocked in FFmpeg
        end by themselves when their call times out)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            self._stopped = True
            worker, self._worker = self._worker, None
            entries = list(self._grabbers.values())
            self._grabbers.clear()
        if worker is not None:
            worker.cancel()
        for entry in entries:
            entry.grabber.stop(0.0)  # cancel all at once, then wait for them together
        for entry in entries:
            if not entry.grabber.stop(max(0.0, deadline - time.monotonic())):
                log.info(
                    "camera %s: reader still in a library call; it ends on its own", entry.grabber.camera_id
                )
        if worker is not None:
            worker.stop(max(0.05, deadline - time.monotonic()))

    # ------------------------------------------------------------------------ watching
    def watch(self, camera_ids: Iterable[str]) -> None:
        """Report states (on the bus) for exactly these cameras from now on; unknown ids are ignored."""
        wanted = {c for c in camera_ids if c in self._cameras}
        now = time.monotonic()
        with self._lock:
            added = sorted(wanted - self._watched)
            removed = self._watched - wanted
            self._watched = wanted
            for cid in removed:
                self._published.pop(cid, None)
                self._events.pop(cid, None)
            spread = min(self.settings.probe_s, FIRST_ROUND_S)
            for k, cid in enumerate(added):
                slot = self._probes.setdefault(cid, _Probe())
                slot.due = now + spread * k / max(1, len(added))
        for cid in added:
            self._changed(cid)

    def watched(self) -> set[str]:
        with self._lock:
            return set(self._watched)

    # ------------------------------------------------------------------------ consumers
    def open(self, camera_id: str, stream: Stream = "main") -> FrameSource:
        """A shared handle on ``camera_id``'s stream; ``release()`` it when done.

        ``"sub"`` falls back to the main stream when the camera has no substream (the source's
        ``stream`` says which one it is). A disabled camera's source reports ``disabled`` and
        nothing is opened. KeyError for a camera the site does not have.
        """
        camera = self._cameras[camera_id]
        if not camera.enabled:
            return _Source(self, camera_id, stream, None)
        if stream == "sub" and not self._sub_urls.get(camera_id):
            stream = "main"
        self.start()
        with self._lock:
            if self._stopped:
                raise RuntimeError("the capture hub was stopped")
            key = (camera_id, stream)
            entry = self._grabbers.get(key)
            if entry is None:
                url = self._urls[camera_id] if stream == "main" else self._sub_urls[camera_id]
                assert url is not None
                grabber = Grabber(
                    camera_id,
                    url,
                    self.settings,
                    stream=stream,
                    transport=camera.rtsp_transport,
                    mask=self._masks[camera_id],
                    on_state=self._on_grabber,
                )
                entry = self._grabbers[key] = _Entry(grabber)
                grabber.start()
            entry.refs += 1
        return _Source(self, camera_id, stream, entry)

    def _release(self, camera_id: str, stream: Stream, entry: _Entry) -> None:
        with self._lock:
            entry.refs -= 1
            if entry.refs > 0 or self._grabbers.get((camera_id, stream)) is not entry:
                return
            del self._grabbers[(camera_id, stream)]
            others = any(cid == camera_id for cid, _ in self._grabbers)
            if not others:  # the light check takes over from the grabber's last word
                slot = self._probes.setdefault(camera_id, _Probe())
                last = entry.grabber.status()
                slot.status = dataclasses.replace(last, fps=0.0)  # no grabber, no frame rate
                slot.due = time.monotonic() + self.settings.probe_s
        entry.grabber.stop(0.0)  # never blocks a GUI: a reader in FFmpeg ends on its own
        self._changed(camera_id)

    def set_url(self, camera_id: str, url: str, sub_url: str | None = None) -> None:
        """Use ``url`` (and ``sub_url``, when given) for ``camera_id`` from now on; open grabbers
        reconnect to it (a console learns a simulated camera's real port after the station starts)."""
        if camera_id not in self._cameras:
            raise KeyError(camera_id)
        with self._lock:
            self._urls[camera_id] = url
            if sub_url is not None:
                self._sub_urls[camera_id] = sub_url
            main = self._grabbers.get((camera_id, "main"))
            sub = self._grabbers.get((camera_id, "sub"))
            slot = self._probes.get(camera_id)
            if slot is not None:
                slot.due = time.monotonic()
        if main is not None:
            main.grabber.set_url(url)
        if sub is not None and sub_url is not None:
            sub.grabber.set_url(sub_url)

    def url(self, camera_id: str, stream: Stream = "main") -> str:
        """The URL the hub opens for this camera stream (the main one when there is no substream)."""
        with self._lock:
            if stream == "sub" and self._sub_urls.get(camera_id):
                return self._sub_urls[camera_id] or ""
            return self._urls[camera_id]

    # ------------------------------------------------------------------------ states
    def status(self, camera_id: str) -> CameraStatus:
        """The camera as its grabber (main stream first) or, with none open, the light check saw it."""
        camera = self._cameras[camera_id]
        if not camera.enabled:
            return CameraStatus(camera_id, "disabled", DISABLED_REASON)
        with self._lock:
            entry = self._grabbers.get((camera_id, "main")) or self._grabbers.get((camera_id, "sub"))
            slot = self._probes.get(camera_id)
            probed = slot.status if slot is not None else None
        if entry is not None:
            return entry.grabber.status()
        if probed is not None:
            return probed
        return CameraStatus(camera_id, "connecting", "not checked yet")

    def statuses(self) -> dict[str, CameraStatus]:
        """Every camera of the site the hub was given, watched or not."""
        return {cid: self.status(cid) for cid in self._cameras}

    def link_states(self) -> dict[tuple[str, str], LinkStateChanged]:
        """The latest ``LinkStateChanged`` published per watched camera (what the tables show)."""
        with self._lock:
            return {("camera", cid): event for cid, event in self._events.items()}

    def open_count(self) -> int:
        """Grabbers running now (for tests and ``cameras status``)."""
        with self._lock:
            return len(self._grabbers)

    def _on_grabber(self, grabber: Grabber) -> None:
        self._changed(grabber.camera_id)

    def _changed(self, camera_id: str) -> None:
        """Publish the camera's link state if it is watched and its state (or cause) changed."""
        with self._publish_lock:
            status = self.status(camera_id)
            reason = status.reason if status.state in ("lost", "error", "disabled") else ""
            if status.state == "stalled":
                reason = f"no frame for {self.settings.stall_s:g} s"
            key = (status.state, reason)
            with self._lock:
                if camera_id not in self._watched or self._stopped or self._published.get(camera_id) == key:
                    return
                self._published[camera_id] = key
                event = LinkStateChanged(
                    kind="camera",
                    id=camera_id,
                    status=status.state,
                    reason=reason,
                    endpoint=redact(self._urls[camera_id]),
                )
                self._events[camera_id] = event
            if self.bus is not None:
                self.bus.publish(event)

    # ------------------------------------------------------------------------ hub thread
    def _run(self, token: CancelToken) -> None:
        asyncio.run(self._main(token))

    async def _main(self, token: CancelToken) -> None:
        tasks: set[asyncio.Task[None]] = set()
        limit = asyncio.Semaphore(MAX_PROBES_IN_FLIGHT)
        while not token.cancelled:
            with self._lock:
                grabbers = [e.grabber for e in self._grabbers.values()]
            for grabber in grabbers:
                try:
                    grabber.supervise()
                except Exception:
                    log.exception("camera %s: supervision failed", grabber.camera_id)
            if self.probe:
                for cid in self._due_probes():
                    task = asyncio.create_task(self._check(cid, limit))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            await asyncio.sleep(TICK_S)
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=0.5)

    def _due_probes(self) -> list[str]:
        now = time.monotonic()
        due: list[str] = []
        with self._lock:
            busy = {cid for cid, _ in self._grabbers}
            for cid in self._watched:
                if cid in busy or not self._cameras[cid].enabled:
                    continue
                slot = self._probes.setdefault(cid, _Probe(due=now))
                if slot.in_flight or slot.due > now:
                    continue
                slot.in_flight = True
                slot.due = max(slot.due + self.settings.probe_s, now)  # keeps the stagger
                due.append(cid)
        return due

    async def _check(self, camera_id: str, limit: asyncio.Semaphore) -> None:
        try:
            async with limit:
                url = self.url(camera_id)
                result = await light_probe(url, self.settings.open_timeout_ms / 1000)
            state: CameraState = result.verdict
            with self._lock:
                slot = self._probes[camera_id]
                old = slot.status
                if old is not None and old.state == state:
                    slot.status = CameraStatus(
                        camera_id,
                        state,
                        result.reason,
                        width=old.width,
                        height=old.height,
                        last_frame_at=old.last_frame_at,
                        since=old.since,
                    )
                else:
                    last = old.last_frame_at if old is not None else None
                    slot.status = CameraStatus(
                        camera_id, state, result.reason, last_frame_at=last, since=time.time()
                    )
            self._changed(camera_id)
        except Exception:
            log.exception("camera %s: light check failed", camera_id)
        finally:
            with self._lock:
                done = self._probes.get(camera_id)
                if done is not None:
                    done.in_flight = False

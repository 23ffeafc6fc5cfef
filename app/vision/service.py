"""The station's vision service: frames from the capture hub through each camera's pipeline, on one worker.

Why this shape:

- Frames come from the station's :class:`~app.video.hub.CaptureHub` (the shared grabbers, privacy
  masks already applied), never from a connection of our own: the substream where there is one
  (:func:`detection_stream`), the main stream where plates are read. A frame is read-only and shared:
  the pipeline never writes into it (plate and face code make their own arrays).
- One worker thread, the detector's onnxruntime session using the cores: on a small CPU more
  workers would only fight over the same two cores. Each camera is due ``detect_fps`` times a
  second; when detection falls behind, a camera's next turn takes its *newest* frame and the ones
  in between are skipped, never queued (``skipped`` counts them).
- :meth:`latest` is what the wall's overlays read on their paint timer: a dict lookup under a lock,
  no I/O. Rule alarms go through the alarm engine (source ``camera:<id>/zone:<name>``), with a
  snapshot saved first for rules that want one. (Access events past ``[vision]
  access_retention_days`` are purged by the station's :class:`app.vision.retention.AccessKeeper`.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.site.schema import Camera, SiteFile
from app.vision.findings import FrameFindings
from app.vision.rules import ClearAlarm, Crossing, RaiseAlarm

if TYPE_CHECKING:
    from app.alarms.engine import AlarmEngine
    from app.storage.database import Database
    from app.video.frames import Frame, FrameSource, Stream
    from app.video.hub import CaptureHub
    from app.vision.detector import ObjectDetector
    from app.vision.pipeline import CameraPipeline

log = logging.getLogger("wardroom.vision")

IDLE_S = 0.05  # nothing due: how long the worker sleeps at most before looking again


def vision_cameras(site: SiteFile) -> list[Camera]:
    """The cameras the service runs on: enabled, with something to detect."""
    return [c for c in site.camera if c.enabled and c.detect]


def detection_stream(camera: Camera) -> Stream:
    """The substream where the camera has one (a 1080p main stream costs several times the decoding,
    and the detector sees 640 pixels across anyway), except where plates are read: they need the
    main stream's pixels. The hub falls back to the main stream when there is no substream."""
    plates = "plate" in camera.detect or any(z.rule == "vehicle-gate" for z in camera.zones)
    return "main" if plates else "sub"


@dataclass
class CameraStats:
    """Counters per camera (the benchmark and ``latest`` callers read them)."""

    frames: int = 0  # frames processed (each is a detect_fps turn that found a new frame)
    detections: int = 0  # of those, how many ran the detector (the rest were motion-gated)
    skipped: int = 0  # frames the grabber delivered that no turn took (detection was behind)
    alarms: int = 0
    crossings_in: int = 0
    crossings_out: int = 0


@dataclass
class _Cam:
    camera: Camera
    pipeline: CameraPipeline
    source: FrameSource | None = None
    due: float = 0.0
    last_seq: int = -1


class VisionService:
    """Runs the vision pipelines of the site's detecting cameras that this station owns."""

    def __init__(
        self,
        site: SiteFile,
        hub: CaptureHub | None,
        *,
        alarms: AlarmEngine | None = None,
        db: Database | None = None,
        detector: ObjectDetector | None = None,
        clock: Callable[[], float] = time.monotonic,
        report: Callable[[str, str], None] | None = None,
    ) -> None:
        self.site = site
        self.report = report  # (status, detail): the station turns it into a ServiceStateChanged
        self.hub = hub
        self.alarms = alarms
        self.db = db
        self.clock = clock
        self._detector = detector
        self._cameras = {c.id: c for c in vision_cameras(site)}
        self._lock = threading.Lock()
        self._latest: dict[str, FrameFindings] = {}
        self._stats: dict[str, CameraStats] = {cid: CameraStats() for cid in self._cameras}
        self._running: dict[str, _Cam] = {}
        self._owned: set[str] = set()
        self._changed = threading.Event()
        self._worker: Any = None
        self.failure: str | None = None  # why detection is not running (models missing ...)

    # ------------------------------------------------------------------ queries (any thread)
    @property
    def camera_ids(self) -> list[str]:
        return list(self._cameras)

    def latest(self, camera_id: str) -> FrameFindings | None:
        """The newest findings of ``camera_id`` (None before its first processed frame); no I/O."""
        with self._lock:
            return self._latest.get(camera_id)

    def stats(self, camera_id: str) -> CameraStats:
        with self._lock:
            s = self._stats.get(camera_id, CameraStats())
            return CameraStats(**vars(s))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the worker, which loads the models first (seconds: never on the caller's thread, which
        may be a GUI's); a missing model is reported through ``report``, not raised."""
        from app.workers import Worker

        # Loading the models may outlast a quick stop (torch's import); the thread ends by itself
        # right after it, so that is not worth an error in the log.
        self._worker = Worker("vision", self._run, stuck_level=logging.INFO).start()

    def load(self) -> bool:
        """Load the detector (False, with :attr:`failure` saying why, when its model is missing)."""
        from app.vision.detector import ObjectDetector
        from app.vision.manifest import ModelMissing

        vision = self.site.vision
        device = None if vision.device == "auto" else ("cuda:0" if vision.device == "cuda" else "cpu")
        if self._detector is None:
            self._detector = ObjectDetector(confidence=min(0.1, vision.confidence), device=device)
        try:
            self._detector.load()
        except (ModelMissing, ImportError) as exc:
            self.failure = str(exc)
            log.error("vision: detection is off: %s", exc)
            self._report("failed", f"detection is off: {exc}")
            return False
        cameras = ", ".join(f"{c.id} at {c.detect_fps:g}/s" for c in self._cameras.values())
        gating = "motion-gated" if vision.motion_gating else "every frame"
        self._report("running", f"{self._detector.backend}; {cameras}; {gating}")
        return True

    def _report(self, status: str, detail: str) -> None:
        if self.report is not None:
            try:
                self.report(status, detail)
            except Exception:
                log.exception("vision: reporting its state failed")

    def stop(self, timeout_s: float = 2.0) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            self._changed.set()
            worker.stop(timeout_s)
        for cam in list(self._running.values()):
            if cam.source is not None:
                cam.source.release()
        self._running.clear()

    def own(self, camera_ids: set[str]) -> None:
        """Run on exactly these cameras (those the station owns); others are let go."""
        with self._lock:
            self._owned = {c for c in camera_ids if c in self._cameras}
        self._changed.set()

    # ------------------------------------------------------------------ the worker
    def pipeline_for(self, camera_id: str) -> CameraPipeline:
        """A fresh pipeline for one of the service's cameras (after :meth:`load`)."""
        return self._pipeline(self._cameras[camera_id])

    def _pipeline(self, camera: Camera) -> CameraPipeline:
        from app.vision.pipeline import CameraPipeline

        assert self._detector is not None
        vision = self.site.vision
        return CameraPipeline(
            camera,
            self._detector,
            timezone=self.site.site.timezone,
            gating=vision.motion_gating,
            confidence=vision.confidence,
            faces=self._faces(camera),
            gates=self._gates(camera),
        )

    def _faces(self, camera: Camera) -> Any:
        if "face" not in camera.detect:
            return None
        try:
            from app.vision.faces import FaceDetector

            return FaceDetector()
        except Exception as exc:
            log.warning("camera %s: faces will not be detected: %s", camera.id, exc)
            return None

    def _gates(self, camera: Camera) -> list[Any]:
        zones = [z for z in camera.zones if z.rule == "vehicle-gate"]
        if not zones or self.db is None:
            return []
        try:
            from app.vision.gate import GateWatcher
            from app.vision.plates import PlateReader

            reader = PlateReader()
            zone_tz = self.site.site.timezone
            return [GateWatcher(self.db, camera.id, zone, reader, timezone=zone_tz) for zone in zones]
        except Exception as exc:
            log.warning("camera %s: plates will not be read at its gate: %s", camera.id, exc)
            return []

    def _sync_owned(self) -> None:
        with self._lock:
            owned = set(self._owned)
        for cid in list(self._running):
            if cid not in owned:
                cam = self._running.pop(cid)
                if cam.source is not None:
                    cam.source.release()
                with self._lock:
                    self._latest.pop(cid, None)
        for cid in sorted(owned - set(self._running)):
            camera = self._cameras[cid]
            source = self.hub.open(cid, detection_stream(camera)) if self.hub is not None else None
            self._running[cid] = _Cam(camera, self._pipeline(camera), source, due=self.clock())

    def _run(self, token: Any) -> None:
        if not self.load():
            return
        while not token.cancelled:
            if self._changed.is_set():
                self._changed.clear()
                self._sync_owned()
            now = self.clock()
            due = [c for c in self._running.values() if c.due <= now]
            for cam in sorted(due, key=lambda c: c.due):
                if token.cancelled:
                    break
                self._turn(cam)
            upcoming = [c.due for c in self._running.values()]
            wait = min(upcoming) - self.clock() if upcoming else IDLE_S * 4
            self._changed.wait(max(0.0, min(wait, IDLE_S * 4)))

    def _turn(self, cam: _Cam) -> None:
        period = 1.0 / cam.camera.detect_fps
        now = self.clock()
        cam.due = max(cam.due + period, now)  # behind: start again from now (skip, never queue)
        frame = cam.source.latest() if cam.source is not None else None
        if frame is None or frame.seq == cam.last_seq:
            return
        skipped = max(0, frame.seq - cam.last_seq - 1) if cam.last_seq >= 0 else 0
        cam.last_seq = frame.seq
        try:
            self.handle(cam.camera.id, cam.pipeline, frame, skipped)
        except Exception:
            log.exception("camera %s: vision failed on a frame", cam.camera.id)

    def handle(self, camera_id: str, pipeline: CameraPipeline, frame: Frame, skipped: int = 0) -> None:
        """Run one frame through ``pipeline`` and act on the result (the worker, tests, the benchmark)."""
        result = pipeline.process(frame.image, frame.at)
        with self._lock:
            self._latest[camera_id] = result.findings
            stats = self._stats.setdefault(camera_id, CameraStats())
            stats.frames += 1
            stats.detections += int(result.detected)
            stats.skipped += skipped
        for action in result.actions:
            if isinstance(action, RaiseAlarm):
                self._raise(camera_id, action, frame)
            elif isinstance(action, ClearAlarm):
                if self.alarms is not None:
                    self.alarms.clear_event(action.key)
            elif isinstance(action, Crossing):
                with self._lock:
                    if action.direction == "in":
                        stats.crossings_in += 1
                    else:
                        stats.crossings_out += 1
                log.info(
                    "camera %s: line %s crossed %s by #%d",
                    camera_id,
                    action.zone,
                    action.direction,
                    action.track_id,
                )

    def _raise(self, camera_id: str, action: RaiseAlarm, frame: Frame) -> None:
        snapshot: str | None = None
        if action.snapshot and self.db is not None:
            from app.video.snapshots import SnapshotFailed, take
            from app.vision.privacy import mask_faces

            try:
                snapshot = str(take(self.db, frame, camera_id, None, source="vision", mask=mask_faces).id)
            except SnapshotFailed as exc:
                log.warning("camera %s: the alarm goes without its snapshot: %s", camera_id, exc)
        with self._lock:
            self._stats[camera_id].alarms += 1
        log.warning("vision alarm %s: %s", action.key, action.message)
        if self.alarms is not None:
            self.alarms.raise_event(
                action.key,
                category=action.category,
                priority=action.priority,
                message=action.message,
                source=action.key,
                building=self._cameras[camera_id].building,
                snapshot=snapshot,
            )

"""One camera's vision pipeline on one frame: motion gate, detector, tracker, faces, gates, rules.

Synchronous and thread-free (the service runs it on its worker; tests and the benchmark call it
directly with frames and their times), so what a camera sees can be replayed exactly.

Motion gating: when the picture has not changed since the last detection (and that detection is
younger than ``refresh_s``), the detector is not run; the previous findings still stand (a parked
e-bike is still there) and the rules run on them with this frame's time, so a dwell keeps counting.
``refresh_s`` re-checks a still scene now and then (something may have stopped inside the zone while
the background learned it); at 5 detections a second, a refresh every 5 s is 4 % of the detector runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.site.schema import Camera, Zone
from app.vision.detector import ObjectDetector
from app.vision.findings import Finding, FrameFindings
from app.vision.motion import MotionGate
from app.vision.rules import Action, ZoneRules
from app.vision.tracking import Tracker

log = logging.getLogger("wardroom.vision")

OBJECT_CLASSES = frozenset({"person", "car", "truck", "bus", "motorcycle", "bicycle"})
REFRESH_S = 5.0
TRACK_CONFIDENCE = 0.1  # the detector's floor for the tracker's second association stage


class FaceFinder(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[Finding]: ...


class GateUpdater(Protocol):
    def update(self, frame_bgr: np.ndarray, findings: FrameFindings) -> list[Finding]: ...


@dataclass(frozen=True, slots=True)
class Processed:
    """What one frame gave: the findings (overlay data), the rule actions, and whether it cost a detection."""

    findings: FrameFindings
    actions: list[Action]
    detected: bool


class CameraPipeline:
    """Everything one camera's frames go through; ``process`` frames in time order (one thread)."""

    def __init__(
        self,
        camera: Camera,
        detector: ObjectDetector,
        *,
        timezone: str,
        gating: bool = True,
        confidence: float = 0.25,
        faces: FaceFinder | None = None,
        gates: Sequence[GateUpdater] = (),
        refresh_s: float = REFRESH_S,
    ) -> None:
        self.camera = camera
        self.detector = detector
        self.gating = gating
        self.confidence = confidence
        self.refresh_s = refresh_s
        self.classes = set(camera.detect) & OBJECT_CLASSES
        self.faces = faces
        self.gates = list(gates)
        self.motion = MotionGate(masks=camera.motion_masks)
        self.tracker = Tracker(self.classes or None)
        self.rules = ZoneRules(camera, timezone)
        self._last: tuple[Finding, ...] = ()
        self._last_detect_at: float | None = None
        self.frames = 0
        self.detections = 0

    @property
    def gate_zones(self) -> list[Zone]:
        return [z for z in self.camera.zones if z.rule == "vehicle-gate"]

    def needs_detection(self, image: np.ndarray, at: float) -> bool:
        moving = self.motion.update(image).moving
        if not self.gating or self._last_detect_at is None:
            return True
        return moving or at - self._last_detect_at >= self.refresh_s or at < self._last_detect_at

    def process(self, image: np.ndarray, at: float) -> Processed:
        height, width = image.shape[:2]
        self.frames += 1
        detected = self.needs_detection(image, at)
        if detected:
            self.detections += 1
            self._last_detect_at = at
            raw = self.detector.detect_raw(image)
            floor = min(TRACK_CONFIDENCE, self.confidence)
            # Only tracked objects are shown and ruled on: a track starts at ``confidence`` and is
            # carried through weaker frames down to the floor.
            found: list[Finding] = self.tracker.update(raw.keep(raw.conf >= floor))
            if self.faces is not None:
                found += self._safe(self.faces.detect, image)
            if self.gates:
                so_far = FrameFindings(self.camera.id, at, width, height, tuple(found))
                for gate in self.gates:
                    found += self._safe(gate.update, image, so_far)
            self._last = tuple(found)
        frame = FrameFindings(self.camera.id, at, width, height, self._last)
        actions = self.rules.update(self._last, at, width, height)
        return Processed(frame, actions, detected)

    def _safe(self, call: Any, *args: Any) -> list[Finding]:
        """A plate or face model failing costs its own findings, never the camera's object detection."""
        try:
            return list(call(*args))
        except Exception:
            log.exception("camera %s: %s failed", self.camera.id, getattr(call, "__qualname__", call))
            return []

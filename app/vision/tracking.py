"""Object tracks: ultralytics' ByteTrack on each camera's detections, so an event fires once per object.

Why ByteTrack through its class rather than ``model.track()``: ``track()`` keeps its tracker inside the
model's predictor, so every camera would need its own model (and its own onnxruntime session). Here
one detector serves every camera and each camera has its own :class:`Tracker`, fed with that camera's
detections. ByteTrack also keeps low-scoring detections (0.1-0.25) to continue a track through a
weak frame, so the service runs the detector with a low threshold and shows only tracked objects.
"""

from __future__ import annotations

from collections.abc import Collection
from types import SimpleNamespace
from typing import Any

import numpy as np

from app.vision.detector import Detections
from app.vision.findings import Finding
from app.vision.offline import prepare

# ultralytics/cfg/trackers/bytetrack.yaml's values, except the buffer: at 5 detections a second the
# default 30 frames keep a lost track for 6 s, which is what we want at the default detect_fps.
BYTETRACK = {
    "tracker_type": "bytetrack",
    "track_high_thresh": 0.25,
    "track_low_thresh": 0.1,
    "new_track_thresh": 0.25,
    "track_buffer": 30,
    "match_thresh": 0.8,
    "fuse_score": True,
}


class _Boxes:
    """The slice of ultralytics' ``Boxes`` interface that BYTETracker reads (numpy, no torch)."""

    def __init__(self, xyxy: np.ndarray, conf: np.ndarray, cls: np.ndarray) -> None:
        self.xyxy = xyxy
        self.conf = conf
        self.cls = cls

    @property
    def xywh(self) -> np.ndarray:
        xywh = self.xyxy.copy()
        xywh[:, 0] = (self.xyxy[:, 0] + self.xyxy[:, 2]) / 2
        xywh[:, 1] = (self.xyxy[:, 1] + self.xyxy[:, 3]) / 2
        xywh[:, 2] = self.xyxy[:, 2] - self.xyxy[:, 0]
        xywh[:, 3] = self.xyxy[:, 3] - self.xyxy[:, 1]
        return xywh

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: Any) -> _Boxes:
        return _Boxes(self.xyxy[index], self.conf[index], self.cls[index])


class Tracker:
    """One camera's ByteTrack; ``update`` with each detection result, in frame order (one thread)."""

    def __init__(self, classes: Collection[str] | None = None, *, buffer_frames: int | None = None) -> None:
        prepare()
        from ultralytics.trackers.byte_tracker import BYTETracker

        args = dict(BYTETRACK)
        if buffer_frames is not None:
            args["track_buffer"] = buffer_frames
        self._tracker: Any = BYTETracker(SimpleNamespace(**args))
        self.classes = set(classes) if classes is not None else None

    def update(self, detections: Detections) -> list[Finding]:
        """The tracked objects in this frame, each with its ``track_id`` (new objects get new ids)."""
        keep = np.ones(len(detections.cls), dtype=bool)
        if self.classes is not None:
            keep = np.array([detections.names[int(c)] in self.classes for c in detections.cls], dtype=bool)
        boxes = _Boxes(
            detections.xyxy[keep].astype(np.float32),
            detections.conf[keep].astype(np.float32),
            detections.cls[keep].astype(np.float32),
        )
        rows = self._tracker.update(boxes)
        out: list[Finding] = []
        for row in rows:
            x1, y1, x2, y2, track_id, score, cls = (float(v) for v in row[:7])
            name = detections.names[int(cls)]
            out.append(Finding("object", name, score, (x1, y1, x2, y2), track_id=int(track_id)))
        return out

"""The object detector: the shipped YOLOv8n COCO model through ultralytics, CPU by default, CUDA if present.

Why this shape:

- Models are found through the manifest (absolute paths, sha256 checked), and ultralytics is
  imported only after :func:`app.vision.offline.prepare`, so nothing is downloaded or installed.
- A 16:9 frame goes to a 384x640 re-export of the same weights (:mod:`app.vision.reexport`), not to
  the shipped 640x640 one: the same detections for a little over half the work. Other shapes (a
  portrait still for ``wardroom detect``) use the shipped square model. If the re-export cannot be
  made, the square model is used and the log says why.
- On the CPU each model runs on our own onnxruntime session (:mod:`app.vision.yolo_onnx`, two threads
  by default): the same detections as ultralytics' ``predict``, in about half its time here. With
  CUDA available the rebuilt torch model runs on the GPU through ultralytics (the onnxruntime wheel
  installed is CPU-only).
- Calls are serialised by a lock; the station's vision service runs one detection worker and skips
  frames rather than queueing them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.vision.findings import Finding
from app.vision.manifest import ModelMissing, model_path, spec
from app.vision.offline import prepare
from app.vision.yolo_pair import WIDE_ASPECT, SquareAndWide

log = logging.getLogger("wardroom.vision")

DEFAULT_CONFIDENCE = 0.25  # bus.jpg's fourth pedestrian scores ~0.44: a threshold above that loses her


@dataclass(frozen=True, slots=True)
class Detections:
    """Raw detections of one image: boxes (N x 4, x1 y1 x2 y2 pixels), scores (N), class indices (N)."""

    xyxy: np.ndarray
    conf: np.ndarray
    cls: np.ndarray
    names: tuple[str, ...]

    def findings(self, classes: Collection[str] | None = None) -> list[Finding]:
        out: list[Finding] = []
        for box, score, index in zip(self.xyxy, self.conf, self.cls, strict=True):
            name = self.names[int(index)]
            if classes is not None and name not in classes:
                continue
            x1, y1, x2, y2 = (float(v) for v in box)
            out.append(Finding("object", name, float(score), (x1, y1, x2, y2)))
        return out

    def keep(self, mask: np.ndarray) -> Detections:
        return Detections(self.xyxy[mask], self.conf[mask], self.cls[mask], self.names)


def cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # a broken torch install must not stop CPU detection
        return False


class ObjectDetector:
    """COCO objects in BGR images. ``load()`` first (or the first ``detect`` loads)."""

    def __init__(
        self,
        *,
        confidence: float = DEFAULT_CONFIDENCE,
        device: str | None = None,
        wide: bool = True,
        model_id: str = "coco",
        threads: int = 2,
    ) -> None:
        self.confidence = confidence
        self.model_id = model_id
        self.names = spec(model_id).classes
        self._want_device = device
        self._want_wide = wide
        self._threads = max(1, min(threads, os.cpu_count() or 1))
        self._lock = threading.Lock()
        self._pair: SquareAndWide | None = None  # the CPU's sessions
        self._square: Any = None  # the GPU's ultralytics models
        self._wide: Any = None
        self._wide_size: tuple[int, int] | None = None
        self.device = "cpu"
        self.backend = "not loaded"

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        """Find, check and open the models; :class:`ModelMissing` says what to install."""
        with self._lock:
            if self._pair is not None or self._square is not None:
                return
            path = model_path(self.model_id)
            prepare()
            try:
                import ultralytics  # noqa: F401  (the re-export, the GPU path and the tracker need it)
            except ImportError as exc:
                raise ModelMissing(
                    f"ultralytics is not installed ({exc}): pip install -e '.[vision]' "
                    "(or run installer/setup.sh)"
                ) from exc
            device = self._want_device or ("cuda:0" if cuda_available() else "cpu")
            if device.startswith("cuda"):
                self._load_torch(path, device)
            else:
                self._load_onnx()
            log.info("vision: detector ready: %s", self.backend)

    def _load_onnx(self) -> None:
        """Our own onnxruntime sessions: the 384x640 re-export for 16:9 frames, the shipped square
        model for the rest (:class:`app.vision.yolo_pair.SquareAndWide`)."""
        self._pair = SquareAndWide(self.model_id, threads=self._threads, wide=self._want_wide)
        self._wide_size = self._pair.wide.input_hw if self._pair.wide is not None else None
        self.device = "cpu"
        self.backend = self._pair.backend

    def _load_torch(self, path: Path, device: str) -> None:
        """The rebuilt torch model through ultralytics on the GPU, both shapes."""
        from ultralytics import YOLO

        from app.vision.reexport import WIDE_INPUT, ExportFailed, ensure_wide, wide_paths

        entry = spec(self.model_id)
        try:
            pt_path = ensure_wide(path, entry.sha256, architecture=entry.architecture, task=entry.task)[1]
        except ExportFailed as exc:
            log.warning("vision: %s; detecting on the CPU", exc)
            self._load_onnx()
            return
        self._wide = YOLO(str(pt_path), task="detect")
        self._square = YOLO(str(wide_paths(path, entry.sha256)[1]), task="detect")
        self._wide_size = WIDE_INPUT
        self.device = device
        self.backend = f"{path.name} (torch on {device}, 384x640 for 16:9, 640x640 otherwise)"

    # ------------------------------------------------------------------ detecting
    def detect_raw(self, image_bgr: np.ndarray) -> Detections:
        """Every detection above the confidence threshold, any class."""
        if self._pair is None and self._square is None:
            self.load()
        if self._pair is not None:
            raw = self._pair.detect(image_bgr, self.confidence)
            return Detections(raw.xyxy, raw.conf, raw.cls, self.names)
        height, width = image_bgr.shape[:2]
        use_wide = self._wide is not None and width >= WIDE_ASPECT * height
        model = self._wide if use_wide else self._square
        imgsz: Any = self._wide_size if use_wide else 640
        with self._lock:
            result = model.predict(
                image_bgr, imgsz=imgsz, conf=self.confidence, device=self.device, verbose=False
            )[0]
        boxes = result.boxes
        return Detections(
            np.asarray(boxes.xyxy.cpu().numpy(), dtype=np.float32).reshape(-1, 4),
            np.asarray(boxes.conf.cpu().numpy(), dtype=np.float32).reshape(-1),
            np.asarray(boxes.cls.cpu().numpy(), dtype=np.int64).reshape(-1),
            self.names,
        )

    def detect(self, image_bgr: np.ndarray, classes: Collection[str] | None = None) -> list[Finding]:
        """Objects as findings (COCO class names), only ``classes`` when given."""
        return self.detect_raw(image_bgr).findings(classes)

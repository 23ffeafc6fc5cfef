"""A YOLOv8 detection model on our own onnxruntime session: letterbox, network, box decoding, NMS.

Why not ultralytics' ``predict`` on the CPU:

- Measured on this 2-core CPU on the 384x640 re-export: ``predict`` costs ~75 ms a 16:9 frame, its
  own session ~38 ms. ``predict`` pre- and post-processes with torch, whose thread pool spins after
  each operation and then fights onnxruntime's pool for the same two cores.
- The network is cut before its box decoding (:func:`headless`): the distribution-focal-loss softmax
  over all 5,040 anchors (3.3 ms of 40 in onnxruntime's profile) runs here on the few anchors whose
  class score passes the threshold. The cut keeps every weight and the same arithmetic, so the
  detections are ultralytics' own (a test compares them box by box with ``predict``).

The steps copy ultralytics' (``LetterBox``, ``dist2bbox``, ``non_max_suppression`` with class-aware
NMS, ``scale_boxes``) so that what the station sees is what ``predict`` would have seen.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PAD_VALUE = 114  # ultralytics' letterbox grey
IOU = 0.7  # ultralytics' default NMS threshold
MAX_DET = 300
MAX_NMS = 30000
STRIDES = (8, 16, 32)


class HeadNotFound(Exception):
    """The ONNX file is not a YOLOv8 detection export this module can cut before its box decoding."""


@dataclass(frozen=True, slots=True)
class Raw:
    """Boxes (N x 4, x1 y1 x2 y2 in the source image's pixels), scores (N), class indices (N)."""

    xyxy: np.ndarray
    conf: np.ndarray
    cls: np.ndarray


def headless(source: Path) -> tuple[bytes, int]:
    """The model cut before its box decoding: outputs the box distributions (1 x 4*reg_max x N) and
    the class scores after the sigmoid (1 x classes x N). Returns the serialised model and reg_max.

    ultralytics exports the head as ``Concat(Mul(dist2bbox(DFL(box))), Sigmoid(cls))``; the DFL is a
    ``Reshape -> Transpose -> Softmax -> Conv``. Anything else is refused with :class:`HeadNotFound`.
    """
    import onnx
    from onnx.utils import Extractor

    model = onnx.load(str(source))
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    final = producer.get(graph.output[0].name)
    softmaxes = [n for n in graph.node if n.op_type == "Softmax"]
    if final is None or final.op_type != "Concat" or len(final.input) < 2 or len(softmaxes) != 1:
        raise HeadNotFound(f"{source.name}: no YOLOv8 detection head at its output")
    # Concat(boxes, Sigmoid(classes)) for detection; segmentation adds mask coefficients, not needed
    # for boxes (so the cut also drops the mask prototypes' branch).
    scores = producer.get(final.input[1])
    transpose = producer.get(softmaxes[0].input[0])
    reshape = producer.get(transpose.input[0]) if transpose is not None else None
    if scores is None or scores.op_type != "Sigmoid" or reshape is None or reshape.op_type != "Reshape":
        raise HeadNotFound(f"{source.name}: the head is not Sigmoid(classes) beside DFL(boxes)")
    boxes = reshape.input[0]
    inputs = [i.name for i in graph.input]
    cut = Extractor(model).extract_model(inputs, [boxes, scores.output[0]])
    shapes = {o.name: [d.dim_value for d in o.type.tensor_type.shape.dim] for o in cut.graph.output}
    channels = shapes[boxes][1]
    if channels % 4:
        raise HeadNotFound(f"{source.name}: {channels} box channels are not 4 x reg_max")
    return cut.SerializeToString(), channels // 4


class YoloSession:
    """One YOLOv8 detection network on onnxruntime (its CPU provider unless told), with its own threads.

    ``threads`` is onnxruntime's intra-op pool (the caller's thread included). ``run`` is safe to call
    from several threads; each call is serialised, as one session's pool serves one call well.
    """

    def __init__(
        self, path: Path, *, threads: int = 2, providers: Sequence[str] = ("CPUExecutionProvider",)
    ) -> None:
        import onnxruntime as ort

        model, self.reg_max = headless(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(model, options, providers=list(providers))
        first = self._session.get_inputs()[0]
        self._input = first.name
        self.input_hw: tuple[int, int] = (int(first.shape[2]), int(first.shape[3]))
        self._dtype = np.float16 if "float16" in first.type else np.float32
        self._anchors, self._strides = _anchor_grid(self.input_hw)
        self._canvas = np.full((*self.input_hw, 3), PAD_VALUE, dtype=np.uint8)
        self._lock = threading.Lock()

    def detect(self, image_bgr: np.ndarray, confidence: float, iou: float = IOU) -> Raw:
        """Detections above ``confidence``, as ultralytics' ``predict`` returns them."""
        with self._lock:
            blob, gain, pad = self._letterbox(image_bgr)
            box_dist, scores = self._session.run(None, {self._input: blob})
        best = scores[0].max(axis=0)
        keep = np.flatnonzero(best > confidence)
        if keep.size > MAX_NMS:
            keep = keep[np.argsort(-best[keep])[:MAX_NMS]]
        cls = scores[0][:, keep].argmax(axis=0)
        conf = best[keep]
        xyxy = self._decode(box_dist[0][:, keep].astype(np.float32), keep)
        chosen = _nms(xyxy, conf, cls, iou)
        xyxy, conf, cls = xyxy[chosen], conf[chosen], cls[chosen]
        height, width = image_bgr.shape[:2]
        xyxy[:, [0, 2]] = ((xyxy[:, [0, 2]] - pad[0]) / gain).clip(0, width)
        xyxy[:, [1, 3]] = ((xyxy[:, [1, 3]] - pad[1]) / gain).clip(0, height)
        return Raw(xyxy.astype(np.float32), conf.astype(np.float32), cls.astype(np.int64))

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float, tuple[int, int]]:
        """ultralytics' ``LetterBox(auto=False, center=True)``: scale to fit, pad grey, centred."""
        import cv2

        height, width = image.shape[:2]
        out_h, out_w = self.input_hw
        gain = min(out_h / height, out_w / width)
        new_w, new_h = round(width * gain), round(height * gain)
        if (new_w, new_h) != (width, height):
            image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        half_w, half_h = (out_w - new_w) / 2, (out_h - new_h) / 2
        left, top = round(half_w - 0.1), round(half_h - 0.1)
        canvas = self._canvas
        if (new_w, new_h) != (out_w, out_h):
            canvas.fill(PAD_VALUE)
        canvas[top : top + new_h, left : left + new_w] = image
        blob = cv2.dnn.blobFromImage(canvas, 1 / 255.0, swapRB=True)
        # scale_boxes' padding: the same rounding as the letterbox, from the gain.
        pad = (round((out_w - width * gain) / 2 - 0.1), round((out_h - height * gain) / 2 - 0.1))
        return blob.astype(self._dtype, copy=False), gain, pad

    def _decode(self, box_dist: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """DFL (softmax over reg_max bins, expected bin) then ``dist2bbox``, for the kept anchors."""
        bins = box_dist.reshape(4, self.reg_max, -1)
        bins = np.exp(bins - bins.max(axis=1, keepdims=True))
        bins /= bins.sum(axis=1, keepdims=True)
        distance = np.einsum("sbn,b->sn", bins, np.arange(self.reg_max, dtype=np.float32))
        points = self._anchors[:, anchors]
        stride = self._strides[anchors]
        x1y1 = (points - distance[:2]) * stride
        x2y2 = (points + distance[2:]) * stride
        return np.concatenate([x1y1, x2y2]).T.copy()


def _anchor_grid(input_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """ultralytics' ``make_anchors``: cell centres (2 x N, in cells) and each one's stride (N)."""
    points: list[np.ndarray] = []
    strides: list[np.ndarray] = []
    for stride in STRIDES:
        rows, cols = input_hw[0] // stride, input_hw[1] // stride
        ys, xs = np.meshgrid(np.arange(rows) + 0.5, np.arange(cols) + 0.5, indexing="ij")
        points.append(np.stack([xs.ravel(), ys.ravel()]))
        strides.append(np.full(rows * cols, stride, dtype=np.float32))
    return np.concatenate(points, axis=1).astype(np.float32), np.concatenate(strides)


def _nms(xyxy: np.ndarray, conf: np.ndarray, cls: np.ndarray, iou: float) -> np.ndarray:
    """Class-aware NMS (ultralytics offsets each class's boxes apart; OpenCV's batched NMS does the
    same), best first, at most MAX_DET."""
    import cv2

    if conf.size == 0:
        return np.zeros(0, dtype=np.int64)
    xywh: Any = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]]).tolist()
    kept = cv2.dnn.NMSBoxesBatched(xywh, conf.tolist(), cls.tolist(), 0.0, iou)
    return np.asarray(kept, dtype=np.int64).reshape(-1)[:MAX_DET]

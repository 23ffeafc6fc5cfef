"""A 16:9 copy of a shipped YOLO model (the COCO detector, the plate detector): the same weights,
exported for a 384x640 input.

Why: the shipped ``yolov8n.onnx`` (like ``platedet.onnx``) has a fixed 640x640 input, so a 16:9
camera frame is padded to a square and 44 % of the work is spent on grey bars. The ONNX file carries
the fused weights under ultralytics' own parameter names, so the architecture is rebuilt from the
ultralytics model file the manifest names (``yolov8n.yaml``, ``yolov8s-seg.yaml``), fused, loaded with
exactly those tensors (every one must match by name and shape, else we refuse), and exported again
for 384x640. Measured on a 2-core CPU: the same detections (boxes within 1 px, scores within 0.01 on
bus.jpg), about 1.6-2x faster. It takes ~5 s, offline, once per model file: the result is kept in the
state folder under the source's sha256, so a new release is re-exported.

The torch checkpoint made on the way is kept too: on a machine with CUDA the detector runs it there
(the onnxruntime wheel installed is the CPU one).
"""

from __future__ import annotations

import ast
import logging
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

from app.paths import state_dir
from app.vision.offline import prepare

log = logging.getLogger("wardroom.vision")

WIDE_INPUT = (384, 640)  # height, width: 16:9 frames scaled to 640 wide, padded to a multiple of 32
_lock = threading.Lock()


class ExportFailed(Exception):
    """The 16:9 copy could not be made (the detector then uses the shipped square model)."""


def cache_dir() -> Path:
    """``$WARDROOM_VISION_CACHE`` if set (tests share one export across their many homes), else the
    state folder's ``vision``."""
    override = os.environ.get("WARDROOM_VISION_CACHE")
    path = Path(override) if override else state_dir() / "vision"
    path.mkdir(parents=True, exist_ok=True)
    return path


def wide_paths(source: Path, sha256: str, size: tuple[int, int] = WIDE_INPUT) -> tuple[Path, Path]:
    """Where the 16:9 ONNX file and its torch checkpoint for ``source`` live (they may not exist yet)."""
    stem = f"{source.stem}-{size[0]}x{size[1]}-{sha256[:12]}"
    return cache_dir() / f"{stem}.onnx", cache_dir() / f"{stem}.pt"


def rebuild_torch(source: Path, yaml: str = "yolov8n.yaml", task: str = "detect") -> object:
    """The shipped ONNX model as a fused ultralytics ``DetectionModel`` (``SegmentationModel`` for
    ``task="segment"``) with its exact weights (float16 ones widened to float32)."""
    prepare()
    import onnx
    import torch
    from onnx import numpy_helper
    from ultralytics.nn.tasks import DetectionModel, SegmentationModel

    graph = onnx.load(str(source))
    meta = {p.key: p.value for p in graph.metadata_props}
    names = ast.literal_eval(meta.get("names", "{}"))
    weights = {
        i.name: torch.from_numpy(numpy_helper.to_array(i).astype("float32"))
        for i in graph.graph.initializer
        if i.name.startswith("model.")
    }
    architecture = SegmentationModel if task == "segment" else DetectionModel
    model: Any = architecture(yaml, nc=len(names) or 80, verbose=False)
    model.fuse(verbose=False)
    state = model.state_dict()
    missing = [k for k in state if k not in weights and not k.endswith(("anchors", "strides"))]
    unused = [k for k in weights if k not in state]
    wrong = [k for k in state if k in weights and tuple(weights[k].shape) != tuple(state[k].shape)]
    if missing or unused or wrong:
        raise ExportFailed(
            f"{source.name} does not match {yaml}: missing {missing[:3]}, unused {unused[:3]}, "
            f"wrong shape {wrong[:3]}"
        )
    model.load_state_dict({k: weights.get(k, v) for k, v in state.items()})
    model.names = names
    model.args = {"imgsz": 640}
    return model.float().eval()


def ensure_wide(
    source: Path,
    sha256: str,
    size: tuple[int, int] = WIDE_INPUT,
    *,
    architecture: str = "yolov8n.yaml",
    task: str = "detect",
) -> tuple[Path, Path]:
    """The 16:9 ONNX file and torch checkpoint for ``source``, exported now if not kept already.
    ``architecture`` is the ultralytics model file the weights belong to (the manifest says)."""
    onnx_path, pt_path = wide_paths(source, sha256, size)
    with _lock:
        if onnx_path.is_file() and pt_path.is_file():
            return onnx_path, pt_path
        prepare()
        import torch
        from ultralytics import YOLO

        work = Path(tempfile.mkdtemp(prefix="export-", dir=cache_dir()))
        try:
            model = rebuild_torch(source, architecture, task)
            checkpoint = work / "model.pt"
            torch.save({"model": model, "train_args": {}, "date": None, "version": "wardroom"}, checkpoint)
            with warnings.catch_warnings():
                # torch says its TorchScript exporter is the legacy one; it is what ultralytics uses.
                warnings.simplefilter("ignore")
                exported = YOLO(str(checkpoint), task=task).export(
                    format="onnx", imgsz=size, simplify=True, verbose=False, device="cpu"
                )
            os.replace(exported, onnx_path)
            os.replace(checkpoint, pt_path)
        except ExportFailed:
            raise
        except Exception as exc:
            raise ExportFailed(f"could not export {source.name} for {size[0]}x{size[1]}: {exc}") from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("vision: exported %s for %dx%d input into %s", source.name, size[0], size[1], onnx_path)
        return onnx_path, pt_path

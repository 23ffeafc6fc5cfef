"""The object detector on real images with the shipped model (no mocks, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.vision.detector import ObjectDetector
from app.vision.manifest import ModelMissing, load_manifest, model_path
from app.vision.reexport import WIDE_INPUT
from tests.conftest import NetworkGuard
from tests.vision.vision_support import bus_jpg


@pytest.fixture(scope="module")
def detector() -> Iterator[ObjectDetector]:
    d = ObjectDetector()
    d.load()
    yield d


def test_bus_jpg_has_the_bus_and_four_people(detector: ObjectDetector) -> None:
    found = detector.detect(cv2.imread(str(bus_jpg())))
    classes = [f.cls for f in found]
    assert classes.count("bus") == 1
    assert classes.count("person") >= 4  # the fourth pedestrian scores ~0.44
    for f in found:
        x1, y1, x2, y2 = f.box
        assert 0 <= x1 < x2 <= 810 and 0 <= y1 < y2 <= 1080
        assert f.kind == "object" and f.track_id is None and f.text is None


def test_the_16_9_reexport_finds_what_the_shipped_model_finds(detector: ObjectDetector) -> None:
    """The 384x640 copy of the weights must give the same detections on a 16:9 frame."""
    bus = cv2.imread(str(bus_jpg()))
    frame = cv2.resize(bus[330 : 330 + 456], (640, 360), interpolation=cv2.INTER_AREA)
    square = ObjectDetector(wide=False)
    wide = detector.detect_raw(frame)
    ref = square.detect_raw(frame)
    assert detector._wide_size == WIDE_INPUT  # the wide model was really used
    assert sorted(wide.cls.tolist()) == sorted(ref.cls.tolist())
    for box, cls, conf in zip(ref.xyxy, ref.cls, ref.conf, strict=True):
        same = [i for i in range(len(wide.cls)) if wide.cls[i] == cls]
        ious = [_iou(box, wide.xyxy[i]) for i in same]
        best = same[int(np.argmax(ious))]
        assert max(ious) > 0.9
        assert abs(float(wide.conf[best]) - float(conf)) < 0.05


def test_class_filter_keeps_only_what_the_camera_detects(detector: ObjectDetector) -> None:
    found = detector.detect(cv2.imread(str(bus_jpg())), classes={"bus"})
    assert [f.cls for f in found] == ["bus"]


def test_manifest_names_every_model_with_checksum_and_licence() -> None:
    specs = load_manifest()
    assert {"coco", "plate", "ocr-rec", "face-short"} <= set(specs)
    for spec in specs.values():
        assert len(spec.sha256) == 64 and spec.licence and spec.pip
    assert specs["coco"].classes[:4] == ("person", "bicycle", "car", "motorcycle")
    assert len(specs["coco"].classes) == 80
    assert model_path("coco").is_absolute()


def test_a_model_that_differs_from_the_manifest_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from app.vision import manifest

    entry = manifest.spec("coco")
    fake = manifest.ModelSpec(**{**{f: getattr(entry, f) for f in entry.__slots__}, "sha256": "0" * 64})
    monkeypatch.setattr(manifest, "spec", lambda _id: fake)
    monkeypatch.setattr(manifest, "_verified", {})
    with pytest.raises(ModelMissing, match="not the release"):
        manifest.model_path("coco")


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union)


def test_the_16_9_export_and_loading_need_no_network(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, network_guard: NetworkGuard
) -> None:
    """A fresh export (no cache) and a fresh load with every non-loopback connection refused."""
    monkeypatch.setenv("WARDROOM_VISION_CACHE", str(tmp_path / "cache"))
    fresh = ObjectDetector()
    fresh.load()
    assert "384x640" in fresh.backend, fresh.backend
    assert list((tmp_path / "cache").glob("yolov8n-384x640-*.onnx"))
    found = fresh.detect(cv2.imread(str(bus_jpg())))
    assert [f.cls for f in found].count("person") >= 4
    assert network_guard.violations == []


def test_our_onnxruntime_session_gives_ultralytics_predict_detections(detector: ObjectDetector) -> None:
    """Our own session (cut before the box decoding, decoded and NMS'd here) must return what
    ultralytics' ``predict`` returns on the same model file, box by box: a wrong letterbox, anchor
    grid, DFL or NMS would move boxes or change the set."""
    from ultralytics import YOLO

    from app.vision.manifest import spec
    from app.vision.reexport import wide_paths

    assert detector.device == "cpu" and "onnxruntime" in detector.backend
    bus = cv2.imread(str(bus_jpg()))
    wide_frame = cv2.resize(bus[330 : 330 + 456], (640, 360), interpolation=cv2.INTER_AREA)
    big_frame = cv2.resize(bus[330 : 330 + 456], (1920, 1080), interpolation=cv2.INTER_LINEAR)
    wide_onnx = wide_paths(model_path("coco"), spec("coco").sha256)[0]
    cases = [
        (bus, YOLO(str(model_path("coco")), task="detect"), 640),
        (wide_frame, YOLO(str(wide_onnx), task="detect"), WIDE_INPUT),
        (big_frame, YOLO(str(wide_onnx), task="detect"), WIDE_INPUT),
    ]
    for image, reference, imgsz in cases:
        ours = detector.detect_raw(image)
        theirs = reference.predict(image, imgsz=imgsz, conf=detector.confidence, verbose=False)[0].boxes
        ref_xyxy, ref_conf = theirs.xyxy.numpy(), theirs.conf.numpy()
        ref_cls = theirs.cls.numpy().astype(int)
        assert len(ref_cls) >= 3
        assert sorted(ours.cls.tolist()) == sorted(ref_cls.tolist())
        for box, conf, cls in zip(ref_xyxy, ref_conf, ref_cls, strict=True):
            same = [i for i in range(len(ours.cls)) if ours.cls[i] == cls]
            ious = [_iou(box, ours.xyxy[i]) for i in same]
            best = same[int(np.argmax(ious))]
            assert max(ious) > 0.999
            assert abs(float(ours.conf[best]) - float(conf)) < 1e-3


def test_the_16_9_plate_reexport_finds_the_plates_the_shipped_model_finds() -> None:
    """platedet's weights at 384x640 (the re-export the plate detector uses for 16:9 frames) must find
    the plates its shipped 640x640 file finds on the demo gate, boxes and scores alike."""
    from app.sim.scenes import open_scene
    from app.vision.yolo_pair import SquareAndWide

    plates = SquareAndWide("plate", threads=2)
    assert plates.wide is not None and plates.wide.input_hw == WIDE_INPUT, plates.backend
    scene = open_scene("gate", "gate", (1280, 720))
    compared = 0
    for second in range(0, 60, 4):
        frame = scene.frame(1_000_000.0 + second)
        assert plates.session_for(frame) is plates.wide
        wide = plates.wide.detect(frame, 0.35, 0.4)
        ref = plates.square.detect(frame, 0.35, 0.4)
        assert len(wide.conf) == len(ref.conf)
        for box, conf in zip(ref.xyxy, ref.conf, strict=True):
            ious = [_iou(box, other) for other in wide.xyxy]
            best = int(np.argmax(ious))
            assert ious[best] > 0.95
            assert abs(float(wide.conf[best]) - float(conf)) < 0.02
            compared += 1
    assert compared >= 3  # the gate's cars really showed plates

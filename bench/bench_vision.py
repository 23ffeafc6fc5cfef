"""Vision benchmark (issue #10): the detector per 16:9 frame against ultralytics' own ``predict``, and
8 cameras at 5 detect-fps through the station's vision service, with and without motion gating.

Not a timed test: run it by hand and read the table (``.venv/bin/python -m bench.bench_vision``, about
6 minutes; ``--quick`` for about 2). Numbers depend on the machine (printed at the end) and on whatever
else it is doing, so every comparison is against a baseline measured in the same run.

1. **Detector latency** on 16:9 frames (640x360, the demo's four scenes at 60 moments): ms p50/p99 of
   our pipeline's detector (:class:`app.vision.detector.ObjectDetector`: the 384x640 re-export of the
   shipped weights on our own onnxruntime session, 2 threads) and, on the same frames, ultralytics' own
   ``YOLO(shipped yolov8n.onnx).predict`` at its 640x640 input: the baseline. The two alternate in
   blocks of BLOCK frames with a pause between (not frame by frame: onnxruntime's and torch's thread
   pools spin for a while after each call, so an interleaved run measures each one fighting the
   other's idle threads; measured here, that inflates both by ~30 ms). The same for plates on
   the gate scene: our :class:`app.vision.plates.PlateReader` (plate boxes on the vehicles found, then
   OCR), and its plate detector alone, against ``YOLO(platedet.onnx).predict`` (boxes only, whole
   frame), all at 2 threads. Target (issue #10): the COCO detector <= 40 ms p50 on this 2-core CPU;
   the plate model (a YOLOv8s-seg at a fixed 640x640, ~5x the COCO model's work) is measured beside
   its baseline.
2. **8 cameras at 5 detect-fps** (the demo's four scenes, repeated; 4 moving, 4 still with only their
   clocks ticking; the lobby's e-bike comes in every 60 s, the second lobby 30 s out of step), run in
   real time through :class:`app.vision.service.VisionService` (its one worker, frame skipping, motion
   gate, ByteTrack, rules) twice: gated and ungated. Frames are rendered in this process on demand (no
   network, no JPEG: the capture hub's cost is the wall benchmark's subject). CPU: this process's
   user+system over the window / wall time (% of one core, rendering included). Detector calls/s and
   frames processed/s; the ratio gated/ungated. Event latency: from the e-bike entering the zone to
   the alarm, minus the rule's 3 s dwell (what the pipeline adds), p50/p99 over the passages seen.
3. With ``--device cuda`` (a GPU machine) part 1 runs ours on the GPU too (optional, never needed).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import cell, cpu_model, pct, table  # noqa: E402 - needs the repository on the path

DEMO = REPO / "resources" / "demo" / "demo.toml"
SIZE = (640, 360)
SCENES = ("gate", "lobby", "street", "corridor")
TARGET_P50_MS = 40.0
EBIKE_ENTERS = 20.0  # lobby phase (s) at which the e-bike's wheels are inside the zone
DWELL_S = 3.0


# ============================================================================ part 1: latency
def scene_frames(count: int) -> dict[str, list[np.ndarray]]:
    from app.sim.scenes import open_scene

    t0 = 1_800_000_000.0 - 1_800_000_000.0 % 60
    frames: dict[str, list[np.ndarray]] = {}
    for name in SCENES:
        scene = open_scene(name, name, SIZE)
        frames[name] = [scene.frame(t0 + 60.0 * k / count) for k in range(count)]
    return frames


BLOCK = 30  # frames per block when ours and the baseline alternate (few switches: each one costs caches)
PAUSE_S = 1.0  # between blocks: lets the other pool's threads stop spinning


TARGET_MS = 40.0  # issue #10: COCO detector p50 per 16:9 frame at 2 threads
TARGET_RATIO = 40.0 / 66.0  # the issue's own figures: 40 ms against ultralytics predict's ~66 ms here


def latency(count: int, device: str | None) -> tuple[list[list[str]], float, float]:
    """The table's rows, then our and the baseline's p50 (ms)."""
    from app.vision.detector import ObjectDetector
    from app.vision.manifest import model_path
    from app.vision.offline import prepare

    prepare()
    from ultralytics import YOLO

    frames = scene_frames(count)
    ours = ObjectDetector(device=device)
    ours.load()
    baseline = YOLO(str(model_path("coco")), task="detect")
    everything = [f for name in SCENES for f in frames[name]]
    for f in everything[:5]:  # warm both up
        ours.detect_raw(f)
        baseline.predict(f, imgsz=640, conf=0.25, verbose=False)
    ours_ms: list[float] = []
    base_ms: list[float] = []
    same = 0
    for start in range(0, len(everything), BLOCK):
        block = everything[start : start + BLOCK]
        mine_found = []
        for f in block:
            t = time.perf_counter()
            mine_found.append(ours.detect_raw(f))
            ours_ms.append((time.perf_counter() - t) * 1000)
        time.sleep(PAUSE_S)
        for f, mine in zip(block, mine_found, strict=True):
            t = time.perf_counter()
            predicted: Any = baseline.predict(f, imgsz=640, conf=0.25, verbose=False)
            theirs = predicted[0]
            base_ms.append((time.perf_counter() - t) * 1000)
            mine_cls = sorted(int(c) for c, s in zip(mine.cls, mine.conf, strict=True) if s >= 0.25)
            theirs_cls: Any = theirs.boxes.cls
            same += mine_cls == sorted(int(c) for c in np.asarray(theirs_cls.cpu()))
        time.sleep(PAUSE_S)
    rows = [
        _latency_row("COCO: ultralytics predict, shipped 640x640 ONNX (baseline)", base_ms, base_ms),
        _latency_row(f"COCO: ours, {ours.backend}", ours_ms, base_ms),
        ["  frames with the same classes found", f"{same}/{len(everything)}", "", "", ""],
    ]
    rows += plate_latency(frames["gate"], ours)
    return rows, pct(ours_ms, 0.5), pct(base_ms, 0.5)


def plate_latency(gate: list[np.ndarray], objects: Any) -> list[list[str]]:
    """Plates at 2 threads, alternating in blocks as above: ultralytics' ``predict`` on platedet (boxes
    only), our plate detector alone (the same network cut before its mask branch), and our whole
    reader (boxes on the vehicles found, then OCR)."""
    from ultralytics import YOLO

    from app.vision.manifest import model_path
    from app.vision.plates import PlateReader

    reader = PlateReader(threads=2)
    baseline = YOLO(str(model_path("plate")), task="segment")
    vehicles = [[f for f in objects.detect(frame) if f.cls in ("car", "bus", "truck")] for frame in gate]
    pairs = list(zip(gate, vehicles, strict=True))
    for frame, cars in pairs[:3]:
        reader.read(frame, cars or None)
        baseline.predict(frame, imgsz=640, conf=0.25, verbose=False)
    base_ms: list[float] = []
    boxes_ms: list[float] = []
    read_ms: list[float] = []
    for start in range(0, len(pairs), BLOCK):
        block = pairs[start : start + BLOCK]
        for frame, _cars in block:
            t = time.perf_counter()
            baseline.predict(frame, imgsz=640, conf=0.25, verbose=False)
            base_ms.append((time.perf_counter() - t) * 1000)
        time.sleep(PAUSE_S)
        for frame, _cars in block:
            t = time.perf_counter()
            reader.detector.detect(frame)
            boxes_ms.append((time.perf_counter() - t) * 1000)
        for frame, cars in block:
            t = time.perf_counter()
            reader.read(frame, cars or None)
            read_ms.append((time.perf_counter() - t) * 1000)
        time.sleep(PAUSE_S)
    return [
        _latency_row(
            "plates: ultralytics predict, platedet 640x640 (baseline, boxes only)", base_ms, base_ms
        ),
        _latency_row("plates: ours, plate boxes only (2 threads)", boxes_ms, base_ms),
        _latency_row("plates: ours, PlateReader (boxes on vehicles + OCR, 2 threads)", read_ms, base_ms),
    ]


def _latency_row(name: str, ms: list[float], base: list[float]) -> list[str]:
    ratio = pct(ms, 0.5) / pct(base, 0.5)
    return [
        name,
        f"{pct(ms, 0.5):.1f}",
        f"{pct(ms, 0.99):.1f}",
        f"{min(ms):.1f}-{max(ms):.1f}",
        f"{ratio:.2f}",
    ]


# ============================================================================ part 2: 8 cameras
class _Still:
    """A scene frozen at one moment; its burnt-in clock and stamp still tick (a quiet real camera)."""

    def __init__(self, scene: Any, at: float) -> None:
        self.scene, self.at = scene, at

    def frame(self, now: float) -> np.ndarray:
        from app.sim.overlay import burn_in

        out = self.scene._backdrop.copy()
        self.scene.draw(out, self.at)
        return burn_in(out, self.scene.title, now)


@dataclass
class _Source:
    """A FrameSource rendering its scene at the wall clock, 10 frames a second (``seq`` per 100 ms)."""

    camera_id: str
    scene: Any
    offset: float = 0.0
    stream: str = "main"
    _cache: tuple[int, Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def latest(self) -> Any:
        from app.video.frames import Frame

        now = time.time()
        seq = int(now * 10)
        with self._lock:
            if self._cache is None or self._cache[0] != seq:
                at = seq / 10
                self._cache = (seq, Frame(self.scene.frame(at + self.offset), at, seq))
            return self._cache[1]

    def status(self) -> Any:
        raise NotImplementedError

    def release(self) -> None:
        pass


class _Hub:
    def __init__(self, sources: dict[str, _Source]) -> None:
        self.sources = sources

    def open(self, camera_id: str, stream: str = "main") -> _Source:
        return self.sources[camera_id]


class _Alarms:
    """Records when each alarm was raised (wall clock)."""

    def __init__(self) -> None:
        self.raised: list[tuple[str, float]] = []

    def raise_event(self, key: str, **_: Any) -> None:
        self.raised.append((key, time.time()))

    def clear_event(self, key: str) -> None:
        pass


def cameras_run(seconds: float, gating: bool, detector: Any) -> dict[str, Any]:
    from app.sim.scenes import open_scene
    from app.site.loader import load_site
    from app.vision.service import VisionService

    site = load_site(DEMO).site
    by_scene = {c.media.split(":")[1]: c for c in site.camera if c.media}
    cameras, sources = [], {}
    plan = [  # (scene, copy, moving, clock offset s)
        ("lobby", 1, True, 0.0),
        ("lobby", 2, True, 30.0),
        ("gate", 1, True, 0.0),
        ("street", 1, True, 0.0),
        ("corridor", 1, False, 0.0),
        ("gate", 2, False, 0.0),
        ("street", 2, False, 0.0),
        ("corridor", 2, False, 0.0),
    ]
    for name, copy, moving, offset in plan:
        base = by_scene[name]
        cid = f"{base.id}-{copy}"
        cameras.append(base.model_copy(update={"id": cid, "detect_fps": 5.0}))
        scene = open_scene(name, cid, SIZE)
        sources[cid] = _Source(cid, scene if moving else _Still(scene, 1_800_000_010.0), offset)
    vision = site.vision.model_copy(update={"motion_gating": gating})
    site = site.model_copy(update={"camera": tuple(cameras), "vision": vision})
    alarms = _Alarms()
    service = VisionService(site, _Hub(sources), alarms=alarms, db=None, detector=detector)  # type: ignore[arg-type]
    proc = psutil.Process()
    service.start()
    service.own({c.id for c in cameras})
    warm_deadline = time.monotonic() + 60
    while time.monotonic() < warm_deadline and any(service.latest(c.id) is None for c in cameras):
        time.sleep(0.2)
    before = {c.id: service.stats(c.id) for c in cameras}
    cpu0, t0 = proc.cpu_times(), time.monotonic()
    start_wall = time.time()
    time.sleep(seconds)
    cpu1, t1 = proc.cpu_times(), time.monotonic()
    after = {c.id: service.stats(c.id) for c in cameras}
    service.stop(5.0)
    wall = t1 - t0
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall * 100
    detections = sum(after[c].detections - before[c].detections for c in after) / wall
    frames = sum(after[c].frames - before[c].frames for c in after) / wall
    skipped = sum(after[c].skipped - before[c].skipped for c in after) / wall
    still = [f"{by_scene[n].id}-{k}" for n, k, moving, _ in plan if not moving]
    still_frames = sum(after[c].frames - before[c].frames for c in still)
    still_detections = sum(after[c].detections - before[c].detections for c in still)
    moving_frames = sum(after[c].frames - before[c].frames for c in after if c not in still)
    moving_detections = sum(after[c].detections - before[c].detections for c in after if c not in still)
    lat: list[float] = []
    passages: set[tuple[str, int]] = set()
    repeats = 0
    for key, raised_at in alarms.raised:
        if "lobby" not in key or raised_at < start_wall:
            continue
        offset = 30.0 if "b3-lobby-2" in key else 0.0
        # The most recent entry before the alarm: scene time = wall + offset; entry at phase 20.
        scene_t = raised_at + offset
        entered = scene_t - ((scene_t - EBIKE_ENTERS) % 60.0) - offset
        if entered < start_wall:
            continue  # entered while the service was starting: its delay is the start-up's, not ours
        passage = (key, round(entered))
        if passage in passages:
            # Raised again in the same passage: the e-bike went unseen for CLEAR_AFTER_S, so the
            # condition cleared; counted apart, it is no latency.
            repeats += 1
            continue
        passages.add(passage)
        lat.append((raised_at - entered - DWELL_S) * 1000)
    return {
        "cpu": cpu,
        "detections": detections,
        "frames": frames,
        "skipped": skipped,
        "latency": lat,
        "repeats": repeats,
        "still_share": still_detections / max(1, still_frames),
        "moving_share": moving_detections / max(1, moving_frames),
    }


# ============================================================================ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames, 40 s camera windows")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--part", choices=("all", "latency", "cameras"), default="all")
    args = parser.parse_args(argv)
    os.environ.setdefault("WARDROOM_HOME", str(REPO / "artifacts" / "bench-vision-home"))
    from app.vision.detector import ObjectDetector

    count = 8 if args.quick else 15
    window = 40.0 if args.quick else 130.0
    device = "cuda:0" if args.device == "cuda" else None
    if args.part in ("all", "latency"):
        print(f"1. Detector on 16:9 frames ({count * len(SCENES)} frames of the demo scenes, 640x360)\n")
        rows, ours_p50, base_p50 = latency(count, device)
        table(["", "p50 ms", "p99 ms", "min-max", "vs baseline p50"], rows)
        ratio = ours_p50 / base_p50
        print(
            f"\ntarget (issue #10): COCO p50 <= {TARGET_MS:.0f} ms: "
            f"{'met' if ours_p50 <= TARGET_MS else 'NOT met'} ({ours_p50:.1f} ms); "
            f"ours / predict = {ratio:.2f} (the issue's 40 ms against its ~66 ms predict: "
            f"<= {TARGET_RATIO:.2f}: {'met' if ratio <= TARGET_RATIO else 'NOT met'})"
        )
        print()
    if args.part in ("all", "cameras"):
        print(f"2. 8 cameras at 5 detect-fps, 4 moving and 4 still, {window:g} s each way\n")
        detector = ObjectDetector(confidence=0.1, device=device)
        detector.load()
        runs = {gating: cameras_run(window, gating, detector) for gating in (False, True)}
        rows = []
        for gating, r in runs.items():
            lat = r["latency"]
            assert isinstance(lat, list)
            rows.append(
                [
                    "motion-gated" if gating else "every frame (no gating)",
                    f"{r['cpu']:.0f}",
                    f"{r['detections']:.1f}",
                    f"{r['frames']:.1f}",
                    f"{r['skipped']:.1f}",
                    f"{100 * r['still_share']:.0f}",
                    f"{100 * r['moving_share']:.0f}",
                    cell(lat, ".0f") if lat else "-",
                    f"{pct(lat, 0.99):.0f}" if lat else "-",
                    str(len(lat)),
                    str(r["repeats"]),
                ]
            )
        table(
            [
                "",
                "CPU %",
                "detector/s",
                "frames/s",
                "skipped/s",
                "still: det/frame %",
                "moving: det/frame %",
                "e-bike ms p50 [min-max]",
                "p99",
                "n",
                "raised again",
            ],
            rows,
        )
        ratio = float(runs[True]["detections"]) / max(1e-9, float(runs[False]["detections"]))
        print(f"\ndetector calls gated / ungated: {ratio:.2f}  (40 frames/s wanted: 8 cameras x 5)")
        print("det/frame %: of the frames a camera's turns took, how many ran the detector")
        print("e-bike latency: alarm time - zone entry - the rule's 3 s dwell, first alarm of each passage")
        print("raised again: a second alarm in one passage (e-bike unseen 10 s: the condition cleared)")
    print(f"\nmachine: {cpu_model()}, {psutil.cpu_count()} cores, Python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

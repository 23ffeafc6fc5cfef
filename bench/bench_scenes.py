"""Demo camera scenes: CPU per frame (render + JPEG at quality 80), against a baseline in the same run.

The demo serves four scenes at 640×360 and 10 fps on a 2-core machine beside the wall, so a scene must
cost a few % of a core. Baseline: the JPEG encoding alone of a frame already drawn (what any MJPEG
camera simulator pays); the ratio says what drawing the scene adds. Target: under 10 ms a frame
(10 % of a core at 10 fps) for every scene.

    .venv/bin/python bench/bench_scenes.py [--frames N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import cv2  # noqa: E402

from app.sim.scenes import SCENE_NAMES, open_scene  # noqa: E402
from bench.report import cell, cpu_model, table  # noqa: E402

T0 = 1_765_000_020.0  # a fixed wall-clock time: every run draws the same frames
TARGET_MS = 10.0


def jpeg(frame: object) -> bytes:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])  # type: ignore[call-overload]
    assert ok
    return bytes(data)


def per_frame_ms(name: str, frames: int, *, draw: bool) -> float:
    scene = open_scene(name, name)
    still = scene.frame(T0)  # warm caches; the baseline encodes this one frame again and again
    started = time.process_time()
    for i in range(frames):
        jpeg(scene.frame(T0 + i * 0.1) if draw else still)
    return (time.process_time() - started) / frames * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    rows, ok = [], True
    for name in SCENE_NAMES:
        base = [per_frame_ms(name, args.frames, draw=False) for _ in range(args.repeat)]
        scene = [per_frame_ms(name, args.frames, draw=True) for _ in range(args.repeat)]
        ratio = [s / b for s, b in zip(scene, base, strict=True) if b > 0]
        ok = ok and max(scene) < TARGET_MS
        rows.append(
            [name, cell(base, ".2f"), cell(scene, ".2f"), cell(ratio, ".2f"), cell(scene, ".1f")]
        )  # 1 ms a frame at 10 fps is 1 % of a core
    print("scene cost, 640x360, JPEG quality 80, one thread; cells: median [min-max]")
    table(["scene", "JPEG only ms", "scene ms", "ratio", "% core at 10 fps"], rows)
    print(f"target: every scene < {TARGET_MS:g} ms a frame: {'met' if ok else 'NOT MET'}")
    print(
        f"machine: {cpu_model()}, nproc {len(os.sched_getaffinity(0))}, Python {platform.python_version()}, "
        f"{args.repeat} repetition(s) of {args.frames} frames"
    )


if __name__ == "__main__":
    main()

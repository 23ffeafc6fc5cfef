"""Wall overlays: the GUI thread's cost of painting 16 tiles with detection overlays, against the same
tiles painting their frames alone in the same run.

Not a timed test: run it by hand and read the table.

    .venv/bin/python bench/bench_wall_overlays.py [--frames N] [--repeat R]

A real ``CameraGrid`` of 16 ``VideoTile`` (4x4, 1280x800 offscreen, the product's theme) shows the
demo scenes (``app.sim.scenes``, 640x360, rendered beforehand so their cost is not counted). For each
of ``--frames`` steps every tile gets its next frame and, in the overlay rows, the findings a busy
scene gives (four tracked objects, a plate, two faces; boxes moving, found on a 1280x720 main stream)
plus a zone outline and a crossing line; then each tile's picture area is repainted synchronously.
CPU time (``time.process_time``) per full 16-tile repaint:

- **frames only** (the baseline): what the wall pays today;
- **overlays, faces boxed**: ``[vision] face_display = "box"``;
- **overlays, faces blurred**: the default, two face boxes blurred per tile on the scaled picture.

Target: the overlays add at most 1x the baseline (ratio <= 2) and a blurred 16-tile repaint stays
under 25 ms, half the 50 ms the GUI thread may be blocked (tests/ui/test_camera_wall_overlay_load.py
checks the live wall against that bound). The findings' conversion to overlay data (once per new
findings, at the detection rate, not per paint) is timed on its own row.
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
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.sim.scenes import SCENE_NAMES, open_scene  # noqa: E402
from app.vision.findings import Finding, FrameFindings  # noqa: E402
from bench.report import cell, cpu_model, table  # noqa: E402
from ui.pages.wall_overlays import FaceDisplay, overlay_for  # noqa: E402
from ui.theme import apply_theme  # noqa: E402
from widgets.camera_grid import CameraGrid  # noqa: E402
from widgets.video_overlay import OverlayShape  # noqa: E402

T0 = 1_765_000_020.0  # a fixed wall-clock time: every run draws the same frames
TILES = 16
MAX_RATIO = 2.0
MAX_BLUR_MS = 25.0
ZONES = (
    OverlayShape("lobby", ((0.1, 0.5), (0.9, 0.5), (0.9, 0.95), (0.1, 0.95))),
    OverlayShape("door line", ((0.2, 0.45), (0.8, 0.45)), closed=False, direction="in"),
)


def findings(camera: str, step: int, at: float) -> FrameFindings:
    dx = (step * 8) % 300
    return FrameFindings(
        camera,
        at,
        1280,
        720,
        (
            Finding("object", "person", 0.9, (100 + dx, 200, 260 + dx, 640), track_id=1),
            Finding("object", "person", 0.8, (700 - dx, 220, 840 - dx, 660), track_id=2),
            Finding("object", "car", 0.9, (900, 400, 1250, 700), track_id=3),
            Finding("object", "motorcycle", 0.7, (400 + dx, 380, 620 + dx, 700), track_id=4),
            Finding("plate", "plate", 0.9, (1000, 620, 1140, 660), text="粤B12345"),
            Finding("face", "face", 0.9, (140 + dx, 210, 220 + dx, 300)),
            Finding("face", "face", 0.8, (730 - dx, 230, 800 - dx, 310)),
        ),
    )


def repaint_ms(
    grid: CameraGrid, frames: list[list[np.ndarray]], steps: int, face: FaceDisplay | None
) -> float:
    """CPU ms per 16-tile repaint; ``face`` None: frames only (no overlay, no zones)."""
    tiles = grid.tiles()
    for tile in tiles:
        tile.set_zones(ZONES if face is not None else ())
        tile.set_overlay(None)
    started = time.process_time()
    for step in range(steps):
        at = T0 + step * 0.1
        for index, tile in enumerate(tiles):
            tile.set_frame(frames[index % len(frames)][step % len(frames[0])], at=at)
            if face is not None:
                tile.set_overlay(overlay_for(findings(tile.camera_id, step, at), face))
        for tile in tiles:
            tile.view.repaint()
    return (time.process_time() - started) / steps * 1000


def convert_us(steps: int) -> float:
    started = time.process_time()
    for step in range(steps):
        overlay_for(findings("c", step, T0), "blur")
    return (time.process_time() - started) / steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app)
    scenes = [open_scene(name, name) for name in SCENE_NAMES]
    frames = [[scene.frame(T0 + i * 0.1) for i in range(20)] for scene in scenes]
    grid = CameraGrid(kind="4x4")
    grid.resize(1280, 800)
    for index, tile in enumerate(grid.tiles()):
        tile.assign(f"c{index}", f"Camera {index}")
    grid.show()
    app.processEvents()
    repaint_ms(grid, frames, 10, "blur")  # warm up fonts, caches and the style
    base: list[float] = []
    boxed: list[float] = []
    blurred: list[float] = []
    for _ in range(args.repeat):  # interleaved, so a busy moment of the machine hits every row alike
        base.append(repaint_ms(grid, frames, args.frames, None))
        boxed.append(repaint_ms(grid, frames, args.frames, "box"))
        blurred.append(repaint_ms(grid, frames, args.frames, "blur"))
        app.processEvents()
    conversion = [convert_us(1000) for _ in range(args.repeat)]
    grid.close()

    def ratios(values: list[float]) -> list[float]:
        return [v / b for v, b in zip(values, base, strict=True) if b > 0]

    rows = [
        ["frames only (baseline)", cell(base, ".2f"), "1.00", cell(base, ".0f")],
        ["overlays, faces boxed", cell(boxed, ".2f"), cell(ratios(boxed), ".2f"), cell(boxed, ".0f")],
        ["overlays, faces blurred", cell(blurred, ".2f"), cell(ratios(blurred), ".2f"), cell(blurred, ".0f")],
    ]
    print(
        f"painting {TILES} tiles (4x4, 1280x800, 640x360 demo scenes), CPU per full repaint; median [min-max]"
    )
    table(["what", "ms / repaint", "ratio", "% core at 10 repaints/s"], rows)
    print(f"findings -> overlay data (7 findings, once per new findings): {cell(conversion, '.0f')} us")
    ratio_ok = sorted(ratios(blurred))[len(blurred) // 2] <= MAX_RATIO
    blur_ok = sorted(blurred)[len(blurred) // 2] < MAX_BLUR_MS
    print(
        f"target: overlays add <= 1x the baseline (median ratio <= {MAX_RATIO:g}): "
        f"{'met' if ratio_ok else 'NOT MET'}; "
        f"blurred 16-tile repaint < {MAX_BLUR_MS:g} ms (median): {'met' if blur_ok else 'NOT MET'}"
    )
    print(
        f"machine: {cpu_model()}, nproc {len(os.sched_getaffinity(0))}, Python {platform.python_version()}, "
        f"{args.repeat} repetition(s) of {args.frames} repaints; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

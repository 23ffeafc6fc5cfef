"""Camera wall benchmark (issue #9): 16 tiles at 640x360, 10 fps, H.264 over RTSP and MJPEG over HTTP.

Not a timed test: run it by hand and read the table (``.venv/bin/python -m bench.bench_wall``, about
5 minutes; ``--quick`` for under a minute, one repetition with short windows). Numbers depend on the
machine (printed at the end) and on whatever else it is doing; each cell is median [min-max] over the
repetitions.

The cameras run in this process and its children: 16 :class:`app.sim.mjpeg.MjpegServer` streams (one
server, 16 paths) or 16 ``tests.video.rtsp_server.RtspServer`` (gst-rtsp-server + x264, one child each;
their frames are rendered here). Every stream is a demo scene (``app/sim/scenes.py``) carrying its
capture time in a stamp strip (``app/sim/stamp.py``). Only one transport's servers run at a time.

What is measured, each in a fresh child process so that the servers' own CPU is not counted:

- **wall**: the app's wall page, :class:`ui.pages.camera_wall.CameraWallPage` in a real QApplication
  (``QT_QPA_PLATFORM=offscreen``, the product's theme, 1280x800, grid 4x4), its tiles fed by a
  :class:`app.video.hub.CaptureHub` (the product's default ``[cameras]`` settings) and painting at the
  page's own rate. CPU = the child's user+system time over the measuring window / wall time, in % of
  one core. fps per tile = distinct frames each tile painted (``VideoTile.frames_shown``) over that
  window. Frame age on screen: after the CPU window (so the reading does not count as wall cost),
  every 250 ms each tile's picture is grabbed from the widget (what it paints) and the stamp read
  from those pixels: age = now - stamp (capture time at the server, so it includes encoding, transport,
  decoding, the hub and the paint timer). RSS: the child's resident memory at the end of the CPU
  window, and its peak (VmHWM); the target (< 1.5 GB) is for the whole app, this is the wall part.
- **decode-only baseline** (the same run, the same 16 streams): 16 threads, each opening its stream
  with the product's ``app.video.capture.open_capture`` (OpenCV's FFmpeg backend, same timeouts and
  RTSP transport) and calling ``read()`` as frames come (paced by the stream itself), no display, no
  hub. Same CPU window. After it, the age of each decoded frame (stamp read on arrival, for as long as
  the wall's age window): what the camera, the transport and FFmpeg add before the app does anything.

"all up s": seconds from the child's start until every stream delivered (decode) or every tile painted
a frame (wall). OpenCV's FFmpeg backend opens one stream at a time; the product limits FFmpeg's
stream analysis of an RTSP open to 1 s (``app.video.capture.RTSP_DEFAULTS``), so 16 RTSP cameras
all show within about 15 s.

Targets (issue #9): wall CPU <= 2 x decode-only, every tile >= 9.5 fps, age p99 < 250 ms, RSS < 1.5 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import cell, cpu_model, pct, table  # noqa: E402 - needs the repository on the path

TILES = 16
SIZE = (640, 360)
FPS = 10
SCENES = ("gate", "lobby", "street", "corridor")
PAGE_SIZE = (1280, 800)
AGE_EVERY_S = 0.25
READY_S = 90.0  # every stream delivering (a child gives up past this): 16 RTSP opens take ~47 s
CHILD_SLACK_S = 60.0

TARGET_RATIO = 2.0
TARGET_FPS = 9.5
TARGET_AGE_P99_MS = 250.0
TARGET_RSS_MB = 1536.0


# ============================================================================ helpers
def _cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def _peak_rss_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _quiet_ffmpeg() -> None:
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


# ============================================================================ child: decode only
def child_decode(urls: list[str], warm_s: float, seconds: float, age_s: float) -> dict[str, Any]:
    _quiet_ffmpeg()
    from app.sim.stamp import read_stamp
    from app.site.schema import CameraSettings
    from app.video.capture import open_capture

    settings = CameraSettings()
    counts = [0] * len(urls)
    stop = threading.Event()
    sampling = threading.Event()  # after the CPU window: read each decoded frame's stamp
    ages_ms: list[float] = []

    def read(index: int, url: str) -> None:
        cap = open_capture(url, settings.open_timeout_ms, settings.read_timeout_ms)
        try:
            while not stop.is_set():
                ok, _image = cap.read()
                if not ok:
                    if stop.wait(0.5):
                        return
                    cap.release()
                    cap = open_capture(url, settings.open_timeout_ms, settings.read_timeout_ms)
                    continue
                counts[index] += 1
                if sampling.is_set():
                    at = read_stamp(_image)
                    if at is not None:
                        ages_ms.append((time.time() - at) * 1000)
        finally:
            cap.release()

    threads = [threading.Thread(target=read, args=(i, u), daemon=True) for i, u in enumerate(urls)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + READY_S
        while not all(counts) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not all(counts):
            return {"error": f"only {sum(1 for c in counts if c)} of {len(urls)} streams delivered"}
        ready_s = time.monotonic() - (deadline - READY_S)
        time.sleep(warm_s)
        before, cpu0, t0 = list(counts), _cpu_s(), time.monotonic()
        time.sleep(seconds)
        after, cpu1, t1 = list(counts), _cpu_s(), time.monotonic()
        span = t1 - t0
        sampling.set()
        time.sleep(age_s)
        sampling.clear()
        return {
            "ages_ms": list(ages_ms),
            "ready_s": ready_s,
            "cpu_pct": 100 * (cpu1 - cpu0) / span,
            "fps": [(a - b) / span for a, b in zip(after, before, strict=True)],
            "rss_mb": psutil.Process().memory_info().rss / 2**20,
            "peak_rss_mb": _peak_rss_mb(),
        }
    finally:
        stop.set()
        for thread in threads:
            thread.join(6.0)


# ============================================================================ child: the wall page
def child_wall(urls: list[str], warm_s: float, seconds: float, age_s: float) -> dict[str, Any]:
    _quiet_ffmpeg()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from app.sim.stamp import read_stamp
    from app.site.schema import Camera, CameraSettings
    from app.video.hub import CaptureHub
    from ui.pages.camera_wall import CameraWallPage, WallCamera
    from ui.theme import apply_theme

    def pixels(image: QImage) -> np.ndarray:
        rgb = image.convertToFormat(QImage.Format.Format_RGB888)
        data = np.frombuffer(rgb.constBits(), np.uint8, rgb.bytesPerLine() * rgb.height())
        rows = data.reshape(rgb.height(), rgb.bytesPerLine())[:, : rgb.width() * 3]
        return rows.reshape(rgb.height(), rgb.width(), 3)

    app = QApplication([sys.argv[0]])
    apply_theme(app)
    cameras = [Camera(id=f"c{i:02d}", url=url, name=f"Camera {i + 1}") for i, url in enumerate(urls)]
    hub = CaptureHub(cameras, CameraSettings())
    page = CameraWallPage([WallCamera(c.id, c.display_name, "Bench") for c in cameras], grid="4x4")
    page.resize(*PAGE_SIZE)
    page.show()
    result: dict[str, Any] = {}
    tiles = page.grid.tiles()
    marks: dict[str, Any] = {}
    ages_ms: list[float] = []
    misses = [0]
    deadline = time.monotonic() + READY_S

    def finish(error: str | None = None) -> None:
        if error:
            result["error"] = error
        app.quit()

    def wait_ready() -> None:
        if all(t.frames_shown > 0 for t in tiles):
            result["ready_s"] = time.monotonic() - (deadline - READY_S)
            QTimer.singleShot(int(warm_s * 1000), begin)
        elif time.monotonic() > deadline:
            shown = sum(1 for t in tiles if t.frames_shown > 0)
            finish(f"only {shown} of {len(tiles)} tiles painted a frame within {READY_S:.0f} s")
        else:
            QTimer.singleShot(100, wait_ready)

    def begin() -> None:
        marks.update(frames=[t.frames_shown for t in tiles], cpu=_cpu_s(), t=time.monotonic())
        QTimer.singleShot(int(seconds * 1000), end_cpu)

    def end_cpu() -> None:
        span = time.monotonic() - marks["t"]
        result["cpu_pct"] = 100 * (_cpu_s() - marks["cpu"]) / span
        result["fps"] = [(t.frames_shown - b) / span for t, b in zip(tiles, marks["frames"], strict=True)]
        result["rss_mb"] = psutil.Process().memory_info().rss / 2**20
        result["peak_rss_mb"] = _peak_rss_mb()
        result["states"] = sorted({t.state for t in tiles})
        marks["age_until"] = time.monotonic() + age_s
        sample_ages()

    def sample_ages() -> None:
        for tile in tiles:
            rect = tile.picture_rect()
            if rect.isEmpty():
                misses[0] += 1
                continue
            now = time.time()
            at = read_stamp(pixels(tile.view.grab(rect).toImage()))
            if at is None:
                misses[0] += 1
            else:
                ages_ms.append((now - at) * 1000)
        if time.monotonic() < marks["age_until"]:
            QTimer.singleShot(int(AGE_EVERY_S * 1000), sample_ages)
        else:
            result["ages_ms"] = ages_ms
            result["stamp_misses"] = misses[0]
            finish()

    try:
        hub.start()
        page.start(hub)
        QTimer.singleShot(100, wait_ready)
        app.exec()
    finally:
        page.stop()
        hub.stop()
    return result


# ============================================================================ the servers
class Servers:
    """The 16 streams of one transport, served from here (and RTSP children)."""

    def __init__(self, transport: str) -> None:
        self.transport = transport
        self.urls: list[str] = []
        self._mjpeg: Any = None
        self._rtsp: list[Any] = []

    def start(self) -> Servers:
        if self.transport == "mjpeg":
            from app.sim.mjpeg import MjpegServer

            server = MjpegServer(fps=FPS)
            for i in range(TILES):
                server.add_stream(f"/c{i:02d}", f"scene:{SCENES[i % len(SCENES)]}", f"Camera {i + 1}")
            server.start()
            self._mjpeg = server
            self.urls = [server.url_for(f"/c{i:02d}") for i in range(TILES)]
        else:
            from tests.video.rtsp_server import RtspServer, rtsp_unavailable

            reason = rtsp_unavailable()
            if reason:
                raise RuntimeError(f"RTSP: {reason}")
            self._rtsp = [
                RtspServer(f"scene:{SCENES[i % len(SCENES)]}", size=SIZE, fps=FPS, name=f"Camera {i + 1}")
                for i in range(TILES)
            ]
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda s: s.start(), self._rtsp))
            self.urls = [s.url for s in self._rtsp]
        return self

    def pids(self) -> list[int]:
        """This process and the RTSP children: what the servers' CPU is read from."""
        pids = [os.getpid()]
        for server in self._rtsp:
            proc = getattr(server, "_proc", None)
            if proc is not None:
                pids.append(proc.pid)
        return pids

    def stop(self) -> None:
        if self._mjpeg is not None:
            self._mjpeg.close()
            self._mjpeg = None
        for server in self._rtsp:
            server.stop()
        self._rtsp = []


def _cpu_of(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


@dataclass
class Run:
    transport: str
    kind: str  # "wall" | "decode"
    data: dict[str, Any]
    servers_cpu_pct: float


def run_child(
    kind: str, servers: Servers, warm_s: float, seconds: float, age_s: float, rtsp_options: str | None
) -> Run:
    args = [
        sys.executable,
        "-m",
        "bench.bench_wall",
        "--child",
        kind,
        "--warm",
        str(warm_s),
        "--seconds",
        str(seconds),
        "--age-seconds",
        str(age_s),
        *servers.urls,
    ]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OPENCV_FFMPEG_LOGLEVEL="-8")
    if rtsp_options and servers.transport == "rtsp":
        env["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = rtsp_options
    pids = servers.pids()
    cpu0, t0 = _cpu_of(pids), time.monotonic()
    limit = READY_S + warm_s + seconds + age_s + CHILD_SLACK_S
    proc = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        return Run(servers.transport, kind, {"error": f"child ran past {limit:.0f} s"}, float("nan"))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    servers_cpu = 100 * (_cpu_of(pids) - cpu0) / (time.monotonic() - t0)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(err.strip().splitlines()[-5:])
        return Run(servers.transport, kind, {"error": f"child exit {proc.returncode}: {tail}"}, servers_cpu)
    return Run(servers.transport, kind, json.loads(lines[-1]), servers_cpu)


# ============================================================================ report
def report(runs: list[Run], transports: list[str]) -> bool:
    rows: list[list[str]] = []
    verdicts: list[tuple[str, bool, str]] = []
    for transport in transports:
        walls = [r for r in runs if r.transport == transport and r.kind == "wall" and "error" not in r.data]
        decodes = [
            r for r in runs if r.transport == transport and r.kind == "decode" and "error" not in r.data
        ]
        for r in runs:
            if r.transport == transport and "error" in r.data:
                print(f"{transport} {r.kind}: FAILED: {r.data['error']}")
        ratios = [
            w.data["cpu_pct"] / d.data["cpu_pct"]
            for w, d in zip(walls, decodes, strict=False)
            if d.data["cpu_pct"] > 0
        ]
        fps_min = [min(r.data["fps"]) for r in walls]
        fps_med = [statistics.median(r.data["fps"]) for r in walls]
        ages = [r.data["ages_ms"] for r in walls if r.data.get("ages_ms")]
        p50 = [pct(a, 0.50) for a in ages]
        p99 = [pct(a, 0.99) for a in ages]
        rss = [r.data["rss_mb"] for r in walls]
        peak = [r.data["peak_rss_mb"] for r in walls]
        misses = sum(r.data.get("stamp_misses", 0) for r in walls)
        samples = sum(len(a) for a in ages)
        dec_ages = [r.data["ages_ms"] for r in decodes if r.data.get("ages_ms")]
        rows.append(
            [
                transport.upper(),
                cell([d.data["cpu_pct"] for d in decodes], ".0f"),
                cell([w.data["cpu_pct"] for w in walls], ".0f"),
                cell(ratios, ".2f"),
                cell(fps_min, ".2f"),
                cell(fps_med, ".2f"),
                cell(p50, ".0f"),
                cell(p99, ".0f"),
                cell([pct(a, 0.50) for a in dec_ages], ".0f")
                + " / "
                + cell([pct(a, 0.99) for a in dec_ages], ".0f"),
                cell(rss, ".0f"),
                cell(peak, ".0f"),
                cell([r.servers_cpu_pct for r in walls], ".0f"),
                cell([d.data["ready_s"] for d in decodes], ".0f")
                + " / "
                + cell([w.data["ready_s"] for w in walls], ".0f"),
            ]
        )
        if walls and decodes:
            worst_ratio = max(ratios) if ratios else float("nan")
            verdicts.append(
                (
                    f"{transport}: wall CPU <= {TARGET_RATIO:g} x decode-only",
                    worst_ratio <= TARGET_RATIO,
                    f"worst ratio {worst_ratio:.2f}",
                )
            )
        if walls:
            low = min(fps_min)
            verdicts.append(
                (f"{transport}: every tile >= {TARGET_FPS} fps", low >= TARGET_FPS, f"lowest {low:.2f}")
            )
            worst_p99 = max(p99) if p99 else float("nan")
            verdicts.append(
                (
                    f"{transport}: frame age p99 < {TARGET_AGE_P99_MS:.0f} ms",
                    worst_p99 < TARGET_AGE_P99_MS,
                    f"worst p99 {worst_p99:.0f} ms over {samples} stamps read ({misses} unreadable)",
                )
            )
            verdicts.append(
                (
                    f"{transport}: RSS < {TARGET_RSS_MB:.0f} MB",
                    max(peak) < TARGET_RSS_MB,
                    f"peak {max(peak):.0f} MB",
                )
            )
    print()
    table(
        [
            "16 tiles 640x360 10 fps",
            "decode CPU %",
            "wall CPU %",
            "wall/decode",
            "fps min",
            "fps median",
            "age p50 ms",
            "age p99 ms",
            "decoded age p50/p99",
            "RSS MB",
            "peak RSS MB",
            "servers CPU %",
            "all up s (decode / wall)",
        ],
        rows,
    )
    print(
        "CPU in % of one core; servers CPU (MJPEG server / RTSP feeders and gst children) is not the app's."
    )
    print()
    for what, met, detail in verdicts:
        print(f"  {'met    ' if met else 'NOT MET'}  {what} ({detail})")
    return all("error" not in r.data for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one repetition, short windows (under a minute)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--transports", default="rtsp,mjpeg", help="rtsp, mjpeg or both (default)")
    parser.add_argument("--child", choices=["wall", "decode"], help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=float, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=15.0, help=argparse.SUPPRESS)
    parser.add_argument("--age-seconds", type=float, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("urls", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "decode":
            result = child_decode(args.urls, args.warm, args.seconds, args.age_seconds)
        else:
            result = child_wall(args.urls, args.warm, args.seconds, args.age_seconds)
        print(json.dumps(result), flush=True)
        from app.video.capture import exit_past_blocked_readers

        exit_past_blocked_readers(0)  # a reader still in FFmpeg would abort the interpreter's shutdown
        return

    repeat = 1 if args.quick else max(1, args.repeat)
    warm_s, seconds, age_s = (1.0, 4.0, 2.0) if args.quick else (args.warm, args.seconds, args.age_seconds)
    rtsp_options = None  # the product's own RTSP options (app.video.capture.RTSP_DEFAULTS) everywhere
    transports = [t.strip() for t in args.transports.split(",") if t.strip()]
    started = time.monotonic()
    runs: list[Run] = []
    for transport in transports:
        servers = Servers(transport)
        try:
            servers.start()
            for rep in range(repeat):
                for kind in ("decode", "wall"):  # interleaved: a drift of the machine hits both
                    run = run_child(kind, servers, warm_s, seconds, age_s, rtsp_options)
                    runs.append(run)
                    summary = run.data.get("error") or f"CPU {run.data['cpu_pct']:.0f} %"
                    print(
                        f"[{time.monotonic() - started:5.0f} s] {transport} {kind} #{rep + 1}: {summary}",
                        flush=True,
                    )
        finally:
            servers.stop()
    ok = report(runs, transports)  # False only when a run failed (a missed target is a result)
    print()
    print(
        f"machine: {cpu_model()}, nproc {len(os.sched_getaffinity(0))} (shared), "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    print(
        f"{repeat} repetition(s); cells: median [min-max]; windows: warm-up {warm_s:g} s, CPU {seconds:g} s, "
        f"ages {age_s:g} s; whole run {time.monotonic() - started:.0f} s"
    )
    if rtsp_options:
        print(f"--quick: RTSP opened with OPENCV_FFMPEG_CAPTURE_OPTIONS={rtsp_options} (both children)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""A 2×2 wall of the demo scenes with overlays from the real models, saved as a screenshot.

The cameras are the demo's simulated ones (gate, lobby, street, and a still of two faces) served as
real MJPEG streams and shown through a real capture hub. The scenes are pure functions of the wall
clock (``app.sim.scenes``), so the test renders each camera's picture at a moment ``t0`` a few
seconds ahead, runs the shipped models on those pictures (COCO objects, plates on the gate's cars,
faces), and offers the findings as the vision service would, stamped ``t0``. When the tiles show the
frames of ``t0`` the findings belong with them and are drawn; the screenshot is taken then, so the
boxes sit on what they were found on even though detecting four pictures here takes longer than the
one second after which findings count as stale.

Saved to the artifacts folder and /tmp/wall_overlays.png; checked on its pixels: every box drawn on
its tile where it was found, the gate's and lobby's zones outlined, the faces blurred.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QRectF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.sim.media import open_source
from app.sim.mjpeg import MjpegServer
from app.sim.scenes import GateScene, open_scene
from app.site.demo import demo_site_path
from app.site.loader import load_site
from app.site.schema import Camera
from app.vision.detector import ObjectDetector
from app.vision.findings import Finding, FrameFindings
from app.vision.plates import PlateReader
from tests.ui.wall_streams import hub_for
from ui.pages.camera_wall import CameraWallPage, WallCamera
from ui.pages.wall_overlays import zone_shapes
from widgets.video_overlay import GROUPS, OverlayShape, is_current, map_box

MEDIA = Path(__file__).resolve().parents[2] / "resources" / "demo" / "media"
WAIT_MS = 40_000
LEAD_S = 4.0  # seconds to start the wall and show its first frames before t0


def _pixels(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(rgb.constBits(), np.uint8, rgb.bytesPerLine() * rgb.height())
    return (
        data.reshape(rgb.height(), rgb.bytesPerLine())[:, : rgb.width() * 3]
        .reshape(rgb.height(), rgb.width(), 3)
        .copy()
    )


def _rgb(colour: QColor) -> np.ndarray:
    return np.array([colour.red(), colour.green(), colour.blue()], np.int32)


def _still_video(folder: Path) -> Path:
    """zidane.jpg as a short video of that one picture: the simulator loops it, so every frame is it."""
    image = cv2.imread(str(MEDIA / "zidane.jpg"))
    assert image is not None
    path = folder / "faces.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (image.shape[1], image.shape[0]))
    for _ in range(10):  # OpenCV cannot rewind a one-frame file: it would loop black frames
        writer.write(image)
    writer.release()
    return path


def test_screenshot_of_a_2x2_wall_with_overlays_from_the_models(
    qtbot: QtBot, tmp_path: Path, themed_app: QApplication, artifacts_dir: Path
) -> None:
    site = load_site(demo_site_path()).site
    demo = {camera.id: camera for camera in site.camera}
    faces_video = _still_video(tmp_path)
    # camera id -> (media, name shown and burned in, detect classes, zones)
    plan: dict[str, tuple[str, str, tuple[str, ...], tuple[OverlayShape, ...]]] = {}
    for camera_id in ("gate-north", "b3-lobby", "b1-street"):
        camera = demo[camera_id]
        assert camera.media is not None
        plan[camera_id] = (camera.media, camera.display_name, camera.detect, zone_shapes(camera.zones))
    kerb = OverlayShape("kerb line", ((0.03, 0.86), (0.97, 0.86)), closed=False)
    plan["b1-street"] = (*plan["b1-street"][:3], (*plan["b1-street"][3], kerb))
    plan["b3-reception"] = (str(faces_video), "Building 3 reception", ("person", "face"), ())

    # The models (the real ones), loaded and run once before the moment is chosen.
    detector = ObjectDetector(wide=False)
    plates = PlateReader()
    from app.vision.faces import FaceDetector

    faces = FaceDetector()

    def render(camera_id: str, at: float) -> np.ndarray:
        media, name = plan[camera_id][0], plan[camera_id][1]
        source = open_source(media if media.startswith("scene:") else Path(media), name)
        try:
            return source.frame(at)
        finally:
            source.close()

    def detect(camera_id: str, at: float) -> FrameFindings:
        picture = render(camera_id, at)
        wanted = plan[camera_id][2]
        objects = detector.detect(picture, classes=set(wanted) - {"plate", "face"})
        items: list[Finding] = list(objects)
        if "plate" in wanted:
            vehicles = [f for f in objects if f.cls in ("car", "truck", "bus")]
            items += plates.read(picture, vehicles or None)
        if "face" in wanted:
            items += faces.detect(picture)
        return FrameFindings(camera_id, at, picture.shape[1], picture.shape[0], tuple(items))

    gate = open_scene("gate", plan["gate-north"][1])
    assert isinstance(gate, GateScene)
    for camera_id in plan:  # the first round loads the models
        detect(camera_id, time.time())
    started = time.time()
    for camera_id in plan:
        detect(camera_id, started)
    took = time.time() - started
    # A moment ahead (twice what detecting took, and room to start the wall) with a car stopped at
    # the gate's barrier, its plate readable.
    t0 = time.time() + 2 * took + LEAD_S
    while not (gate.stopped_at_barrier(t0) and gate.stopped_at_barrier(t0 + 1.0)):
        t0 += 0.1
    found = {camera_id: detect(camera_id, t0) for camera_id in plan}
    assert time.time() < t0 - 1.0, f"detecting took too long ({t0 - time.time():.1f} s left before t0)"
    by_kind = {cid: sorted(f.cls for f in ff.findings) for cid, ff in found.items()}
    print(
        f"findings at t0 (detecting four pictures took {took:.1f} s, {t0 - time.time():.1f} s left):", by_kind
    )
    assert "plate" in by_kind["gate-north"], (
        by_kind
    )  # the drawn cars are not COCO cars; their plates are real
    assert "person" in by_kind["b3-lobby"], by_kind
    assert by_kind["b1-street"].count("person") >= 2, by_kind
    assert by_kind["b3-reception"].count("face") >= 2, by_kind

    server = MjpegServer(fps=10)
    for camera_id, (media, name, _detect, _zones) in plan.items():
        server.add_stream(f"/{camera_id}", media, name)
    server.start()
    cameras = [Camera(id=cid, url=server.url_for(f"/{cid}"), name=entry[1]) for cid, entry in plan.items()]
    hub = hub_for(cameras, stall_s=2)
    walls = [WallCamera(cid, entry[1], zones=entry[3]) for cid, entry in plan.items()]
    page = CameraWallPage(walls, grid="2x2", findings=found.get, face_display="blur")
    qtbot.addWidget(page)
    try:
        page.resize(1280, 800)
        page.show()
        qtbot.waitExposed(page)
        page.start(hub)
        tiles = {cid: page.grid.tile(cid) for cid in plan}
        assert time.time() < t0, f"the wall started {time.time() - t0:.1f} s after the chosen moment"
        # Until the frames of t0 are shown the findings are too new for them and are not drawn.
        qtbot.waitUntil(lambda: all(t.frames_shown > 2 for t in tiles.values()), timeout=WAIT_MS)
        gate_tile = tiles["gate-north"]
        if time.time() < t0 - 1.5:
            assert gate_tile.overlay is not None and not is_current(gate_tile.overlay, gate_tile.frame_at)
        qtbot.waitUntil(lambda: all((t.frame_at or 0) >= t0 - 0.05 for t in tiles.values()), timeout=WAIT_MS)
        image = page.grab().toImage()
        for path in (Path("/tmp/wall_overlays.png"), artifacts_dir / "wall_2x2_overlays.png"):
            assert image.save(str(path))
        shown = {cid: (t.frame_at or 0) - t0 for cid, t in tiles.items()}
        assert all(-0.1 <= lag < 1.0 for lag in shown.values()), shown
        pixels = _pixels(image)
        ratio = image.width() / page.width()
        assert ratio == 1.0
        blurred: list[tuple[QRectF, np.ndarray]] = []  # (where on the page, the picture unblurred)
        for camera_id, tile in tiles.items():
            overlay = tile.overlay
            assert overlay is not None and overlay.at == t0
            picture = QRectF(tile.picture_rect().translated(tile.view.mapTo(page, QPoint(0, 0))))
            for box in overlay.boxes:
                rect = map_box(box.box, overlay.width, overlay.height, picture)
                if box.blur:
                    blurred.append((rect, _scaled_part(render(camera_id, t0), picture, rect)))
                    continue
                colour = _rgb(tile.view.colour(_colour_role(box.group)))  # type: ignore[attr-defined]
                middle = rect.center()
                edges = [(rect.left(), middle.y()), (rect.right(), middle.y()), (middle.x(), rect.bottom())]
                drawn = 0  # boxes overlap (a bus behind people): at least two of three edges must show
                for x, y in ((round(x), round(y)) for x, y in edges):
                    patch = pixels[y - 2 : y + 3, x - 2 : x + 3].astype(np.int32)
                    drawn += bool((np.abs(patch - colour).max(axis=2) <= 40).any())
                assert drawn >= 2, (camera_id, box)
        # The faces are blurred: with every outline switched off (the blur stays), little fine detail
        # is left inside each face box.
        assert len(blurred) >= 2
        for group in GROUPS:
            page.show_overlay_group(group, False)
        bare = _pixels(page.grab().toImage())
        for rect, raw in blurred:
            face = bare[
                round(rect.top()) + 4 : round(rect.bottom()) - 4,
                round(rect.left()) + 4 : round(rect.right()) - 4,
            ]
            assert _detail(face) < 0.2 * _detail(raw), f"the face at {rect} is not blurred"
        # The gate's and the lobby's zones are outlined where the site file puts them.
        for camera_id in ("gate-north", "b3-lobby"):
            tile = tiles[camera_id]
            picture = QRectF(tile.picture_rect().translated(tile.view.mapTo(page, QPoint(0, 0))))
            shape = tile.zones[0]
            zx = round(picture.left() + shape.points[0][0] * picture.width())
            zy = round(picture.top() + (shape.points[0][1] + shape.points[3][1]) / 2 * picture.height())
            patch = pixels[zy - 6 : zy + 7, zx - 2 : zx + 3].astype(np.int32)
            zone = _rgb(tile.view.colour("zoneColor"))  # type: ignore[attr-defined]
            assert (np.abs(patch - zone).max(axis=2) <= 40).any(), camera_id
    finally:
        page.stop()
        hub.stop()
        server.close()


def _colour_role(group: str) -> str:
    return {
        "person": "personColor",
        "vehicle": "vehicleColor",
        "two-wheeler": "twoWheelerColor",
        "plate": "plateColor",
        "face": "faceColor",
    }.get(group, "otherColor")


def _scaled_part(frame: np.ndarray, picture: QRectF, rect: QRectF) -> np.ndarray:
    """The unblurred picture under ``rect`` (RGB), at the tile's scale."""
    scaled = cv2.resize(
        frame, (round(picture.width()), round(picture.height())), interpolation=cv2.INTER_AREA
    )
    left, top = round(rect.left() - picture.left()), round(rect.top() - picture.top())
    right, bottom = round(rect.right() - picture.left()), round(rect.bottom() - picture.top())
    return scaled[top + 4 : bottom - 4, left + 4 : right - 4, ::-1]  # inside the outline


def _detail(pixels: np.ndarray) -> float:
    """Fine detail: the variance of the Laplacian (a blur removes it; a plain edge keeps little)."""
    grey = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())

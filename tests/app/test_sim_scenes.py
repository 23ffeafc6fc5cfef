"""Demo scenes: deterministic in wall-clock time, stamped, cheap, and served as MJPEG by name."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.sim.media import open_source
from app.sim.mjpeg import MjpegServer
from app.sim.plates import cjk_font_path, mounted_plate, plate_characters, plate_text
from app.sim.scenes import SCENE_NAMES, GateScene, LobbyScene, open_scene, scene_name
from app.sim.stamp import draw_stamp, read_stamp

T0 = 1_765_000_020.0  # a fixed wall-clock instant: 1_765_000_020 % 60 == 0


def jpeg(frame: np.ndarray, quality: int = 80) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), quality])
    assert ok
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert decoded is not None
    return np.asarray(decoded, np.uint8)


@pytest.mark.parametrize("size", [(640, 360), (320, 180), (1280, 720), (426, 240)])
def test_stamp_survives_jpeg_and_scaling(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(size[0])
    for i in range(20):
        frame = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)  # worst case: noise behind it
        t = T0 + i * 123.457
        draw_stamp(frame, t)
        shown = jpeg(cv2.resize(jpeg(frame), size, interpolation=cv2.INTER_AREA))
        assert read_stamp(shown) == pytest.approx(t, abs=0.0006)


def test_no_stamp_reads_as_none() -> None:
    rng = np.random.default_rng(1)
    assert read_stamp(rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)) is None
    assert read_stamp(np.zeros((360, 640, 3), np.uint8)) is None
    frame = np.zeros((360, 640, 3), np.uint8)
    draw_stamp(frame, T0)
    frame[-30:, 60:100] = 255  # part of the strip covered (a white sticker, say)
    assert read_stamp(frame) is None


def test_scene_names() -> None:
    assert scene_name("scene:gate") == "gate"
    from pathlib import Path

    assert scene_name(Path("/site/dir/scene:lobby")) == "lobby"  # as the site loader resolves it
    assert scene_name("media/bus.jpg") is None
    with pytest.raises(ValueError, match="scene:gate"):
        open_scene("garden", "x")


@pytest.mark.parametrize("name", SCENE_NAMES)
def test_every_scene_renders_stamped_frames_that_move(name: str) -> None:
    scene = open_source(f"scene:{name}", name)
    frames = [scene.frame(T0 + dt) for dt in (0.0, 1.0, 2.0, 2.0)]
    for frame, dt in zip(frames, (0.0, 1.0, 2.0, 2.0), strict=True):
        assert frame.shape == (360, 640, 3) and frame.dtype == np.uint8
        assert read_stamp(jpeg(frame)) == pytest.approx(T0 + dt, abs=0.0006)
    assert np.array_equal(frames[2], frames[3]), "the same instant renders the same picture"
    body = slice(30, 330)  # leave out the clock and the stamp
    assert any(not np.array_equal(frames[0][body], f[body]) for f in frames[1:3]), "something moves"


def test_lobby_ebike_comes_and_goes_on_schedule() -> None:
    lobby = LobbyScene("lobby")
    empty, parked = lobby.frame(T0 + 5), lobby.frame(T0 + 35)
    assert not lobby.ebike_in_view(T0 + 5) and lobby.ebike_in_view(T0 + 35) and lobby.ebike_parked(T0 + 35)

    # The red of the motorcycle's tank and fenders shows up only while it is in the lobby.
    def red(frame: np.ndarray) -> int:
        b, g, r = (frame[180:330, :440, i].astype(int) for i in range(3))  # the floor, not the poster
        return int(np.count_nonzero((r > 150) & (g < 80) & (b < 80)))

    assert red(empty) < 50 < 500 < red(parked)
    body = slice(30, 330)
    assert np.array_equal(lobby.frame(T0 + 60 + 35)[body], parked[body]), "the same again a minute later"


def test_gate_cars_carry_plates_of_both_kinds() -> None:
    gate = GateScene("gate")
    cycle = GateScene.CYCLE_S
    vehicles = [gate.vehicle(T0 + k * cycle) for k in range(6)]
    kinds = {v.kind for v in vehicles}
    assert kinds == {"blue", "green"}
    for v in vehicles:
        chars = plate_characters(v.plate)
        assert len(chars) == (8 if v.kind == "green" else 7)
        assert v.plate[2] == "·"
    assert gate.vehicle(T0).plate == GateScene("again").vehicle(T0).plate  # deterministic
    # At the barrier the car (and its plate) is in the picture; in the gap between cars it is not.
    start = (T0 // cycle) * cycle
    assert gate.stopped_at_barrier(start + 6)
    lane = (slice(150, 330), slice(200, 440))
    assert not np.array_equal(gate.frame(start + 6)[lane], gate.frame(start + 12.5)[lane])


def test_plate_renders_with_a_cjk_font() -> None:
    if cjk_font_path() is None:
        pytest.skip("no CJK font installed (fonts-wqy-microhei)")
    blue, green = (
        mounted_plate(plate_text(1, "blue"), "blue", 40),
        mounted_plate(plate_text(2, "green"), "green", 40),
    )
    assert blue.shape[1] / blue.shape[0] == pytest.approx(440 / 140, rel=0.15)
    assert green.shape[1] > blue.shape[1]
    border = blue[:2, :].reshape(-1, 3)
    assert border.max() < 60  # the dark holder around it
    b, g, r = (blue[10:30, 20:-20, i].astype(int) for i in range(3))
    assert np.count_nonzero((b > 150) & (r < 80)) > 100  # blue plate ...
    assert np.count_nonzero((b > 200) & (g > 200) & (r > 200)) > 30  # ... with white characters


def test_mjpeg_server_serves_a_scene_by_name() -> None:
    server = MjpegServer(fps=10)
    server.add_stream("/cam/lobby.mjpg", "scene:lobby", name="Lobby")
    with pytest.raises(ValueError, match="no scene"):
        server.add_stream("/cam/x.mjpg", "scene:nowhere")
    server.start()
    try:
        cap = cv2.VideoCapture(
            server.url_for("/cam/lobby.mjpg"),
            cv2.CAP_FFMPEG,
            [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 3000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 3000],
        )
        try:
            ages = []
            for _ in range(5):
                ok, frame = cap.read()
                assert ok
                stamp = read_stamp(frame)
                assert stamp is not None
                ages.append(time.time() - stamp)
        finally:
            cap.release()
        assert max(ages[1:]) < 0.5  # loopback MJPEG: frames are fresh
    finally:
        server.close()


def test_the_site_check_refuses_a_scene_the_simulator_cannot_draw(tmp_path: Path) -> None:
    """The scene names are one list (app.site.schema.SIM_SCENES): a typo is a site-file error."""
    from app.site.loader import SiteFileError, load_site
    from app.site.schema import SIM_SCENES

    assert SCENE_NAMES == SIM_SCENES
    site = tmp_path / "site.toml"
    camera = '[[camera]]\nid = "c"\nurl = "http://127.0.0.1:0/c.mjpg"\nsimulated = true\nmedia = "{}"\n'
    head = '[site]\nname = "S"\ntimezone = "UTC"\n'
    site.write_text(head + camera.format("scene:lobby"), encoding="utf-8")
    load_site(site)
    site.write_text(head + camera.format("scene:loby"), encoding="utf-8")
    with pytest.raises(SiteFileError) as refused:
        load_site(site)
    assert "there is no scene 'loby'" in str(refused.value.errors[0]) or "loby" in str(
        refused.value.errors[0]
    )

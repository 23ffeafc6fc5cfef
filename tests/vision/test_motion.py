"""Motion gating: a still scene costs almost no detector runs; movement is seen where it happens."""

from __future__ import annotations

import numpy as np
import pytest

from app.sim.scenes import LobbyScene, Sprite
from app.site.loader import load_site
from app.vision.detector import ObjectDetector
from app.vision.motion import MotionGate
from app.vision.pipeline import CameraPipeline
from tests.vision.test_demo_vision import CYCLE_START, DEMO, LOBBY
from tests.vision.vision_support import SHARED_CACHE  # noqa: F401  (the shared export cache)

FROZEN_PHASE = 5.0  # the receptionist stands still at this moment's pose; the e-bike is away


class StillLobby(LobbyScene):
    """The lobby with nothing moving: the burnt-in clock still ticks, as on a real DVR."""

    def draw(self, frame: np.ndarray, t: float) -> None:
        super().draw(frame, CYCLE_START + FROZEN_PHASE)


def noisy(frame: np.ndarray, rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    """Sensor noise: a real still camera never sends the same pixels twice."""
    noise = rng.normal(0.0, sigma, frame.shape)
    return np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def detector() -> ObjectDetector:
    d = ObjectDetector(confidence=0.1)
    d.load()
    return d


def lobby_pipeline(detector: ObjectDetector, gating: bool) -> CameraPipeline:
    site = load_site(DEMO).site
    camera = next(c for c in site.camera if c.id == LOBBY)
    return CameraPipeline(camera, detector, timezone=site.site.timezone, gating=gating)


def test_a_still_scene_runs_the_detector_under_a_tenth_as_often(detector: ObjectDetector) -> None:
    rng = np.random.default_rng(7)
    scene = StillLobby("Building 3 lobby")
    gated, ungated = lobby_pipeline(detector, True), lobby_pipeline(detector, False)
    for n in range(300):  # one minute at the default 5 detections a second
        at = CYCLE_START + n / 5
        frame = noisy(scene.frame(at), rng)
        gated.process(frame, at)
        if n < 20:  # without gating every frame costs a detection: 20 frames show it
            ungated.process(frame, at)
    assert ungated.detections == ungated.frames == 20
    assert gated.frames == 300
    assert gated.detections < 0.1 * gated.frames, gated.detections
    # The still scene's findings stand between detections: the receptionist is still shown.
    last = gated.process(noisy(scene.frame(CYCLE_START + 59.9), rng), CYCLE_START + 59.9)
    assert not last.detected
    assert any(f.cls == "person" for f in last.findings.findings)


def test_a_moving_sprite_is_motion_where_it_moves_and_the_masked_clock_is_not() -> None:
    rng = np.random.default_rng(3)
    still = StillLobby("Building 3 lobby")
    camera = next(c for c in load_site(DEMO).site.camera if c.id == LOBBY)
    gate = MotionGate(masks=camera.motion_masks)  # the demo masks the burnt-in clock and stamp
    for n in range(10):  # learn the background, clock ticking
        motion = gate.update(noisy(still.frame(CYCLE_START + n), rng))
    assert not motion.moving, motion
    frame = noisy(still.frame(CYCLE_START + 11), rng)
    Sprite.load("walker_coat.png").paste(frame, 200, 330, 0.6)  # someone steps in at x ~200
    motion = gate.update(frame)
    assert motion.moving
    x1, _, x2, y2 = max(motion.regions, key=lambda r: (r[2] - r[0]) * (r[3] - r[1]))
    assert x1 < 200 < x2 and y2 > 250
    unmasked = MotionGate()
    seen = [unmasked.update(noisy(still.frame(CYCLE_START + n / 5), rng)).moving for n in range(1, 11)]
    assert sum(seen) >= 5  # the ticking stamp is motion to a gate without the camera's masks

"""Demo camera scenes: a fixed camera's backdrop with moving sprites, deterministic in wall-clock time.

A panned still image shows video that moves but nothing that *happens*; detection, zone rules and the
wall need events. Each scene here is a fixed-camera view (the backdrop is drawn once) with sprites
composited per frame from images that ship with Wardroom (``resources/demo/media``, sources and
licences in its SOURCES.md): cars with rendered Chinese plates through a gate, an e-bike wheeled into
a lobby, people on a street, someone walking a corridor. Positions are pure functions of the wall
clock, so every simulator shows the same thing at the same moment and a test can predict it (e.g.
:meth:`LobbyScene.ebike_in_view`). A site file names a scene as ``media = "scene:<name>"``.

Cost (measured, 640x360): ~1 ms to compose a frame, JPEG encoding dominates; see the report in
tests/app/test_sim_scenes.py. This module imports without OpenCV (the site checker lists scene names).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.paths import RESOURCES
from app.site.schema import SCENE_PREFIX, SIM_SCENES

if TYPE_CHECKING:
    from app.sim.plates import PlateKind

SCENE_NAMES = SIM_SCENES  # one list: the site check refuses any other name
MEDIA_DIR = RESOURCES / "demo" / "media"
BASE_SIZE = (640, 360)  # scenes are laid out at this size and scaled if another is asked for


def scene_name(media: str | Path) -> str | None:
    """``"gate"`` for ``"scene:gate"`` (also as the last part of a path a loader resolved), else None."""
    text = media.name if isinstance(media, Path) else str(media)
    if text.startswith(SCENE_PREFIX):
        return text[len(SCENE_PREFIX) :]
    return None


def _cv2() -> Any:
    import cv2

    cv2.setNumThreads(1)
    return cv2


# -------------------------------------------------------------------------------------------- sprites


class Sprite:
    """A cut-out (BGR + alpha) kept pre-multiplied at the scales it is drawn at."""

    def __init__(self, rgba: np.ndarray) -> None:
        self._rgba = rgba
        self._cache: dict[tuple[int, bool], tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def load(cls, name: str) -> Sprite:
        return _load_sprite(name)

    @property
    def size(self) -> tuple[int, int]:
        return int(self._rgba.shape[1]), int(self._rgba.shape[0])

    def scaled(self, scale: float, flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(premultiplied BGR float32, 1 - alpha float32) at ``scale`` (quantised to 2 %: few resizes)."""
        key = (max(1, round(scale * 50)), flip)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        cv2 = _cv2()
        s = key[0] / 50
        w, h = max(1, round(self.size[0] * s)), max(1, round(self.size[1] * s))
        rgba = cv2.resize(self._rgba, (w, h), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        if flip:
            rgba = rgba[:, ::-1]
        alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
        entry = (rgba[:, :, :3].astype(np.float32) * alpha, 1.0 - alpha)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = entry
        return entry

    def paste(self, frame: np.ndarray, cx: float, bottom: float, scale: float, flip: bool = False) -> None:
        """Composite onto ``frame`` with the sprite's bottom centre (feet, wheels) at (cx, bottom)."""
        pre, inv = self.scaled(scale, flip)
        h, w = pre.shape[:2]
        x0, y0 = round(cx - w / 2), round(bottom - h)
        fx0, fy0 = max(0, x0), max(0, y0)
        fx1, fy1 = min(frame.shape[1], x0 + w), min(frame.shape[0], y0 + h)
        if fx0 >= fx1 or fy0 >= fy1:
            return
        sx, sy = fx0 - x0, fy0 - y0
        roi = frame[fy0:fy1, fx0:fx1]
        p = pre[sy : sy + fy1 - fy0, sx : sx + fx1 - fx0]
        a = inv[sy : sy + fy1 - fy0, sx : sx + fx1 - fx0]
        roi[:] = (roi * a + p).astype(np.uint8)


@cache
def _load_sprite(name: str) -> Sprite:
    cv2 = _cv2()
    path = MEDIA_DIR / "sprites" / name
    rgba = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"sprite {path} is missing or has no alpha channel")
    return Sprite(rgba)


def _image(name: str) -> np.ndarray:
    cv2 = _cv2()
    image = cv2.imread(str(MEDIA_DIR / name), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"scene image {MEDIA_DIR / name} is missing")
    return image


def _grain(image: np.ndarray, seed: int, amount: float = 6.0) -> np.ndarray:
    """A little fixed noise: drawn flats look less like a drawing (once, on the backdrop)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, amount, image.shape[:2])[:, :, None]
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _ramp(t: float, t0: float, t1: float) -> float:
    """0 before t0, 1 after t1, smooth in between."""
    if t <= t0:
        return 0.0
    if t >= t1:
        return 1.0
    x = (t - t0) / (t1 - t0)
    return x * x * (3 - 2 * x)


# --------------------------------------------------------------------------------------------- scenes


class Scene:
    """A fixed camera: a backdrop drawn once, sprites drawn per frame, then name, clock and stamp."""

    def __init__(self, title: str, size: tuple[int, int] = BASE_SIZE) -> None:
        self.title = title
        self.size = size
        self._backdrop = self.backdrop()

    def backdrop(self) -> np.ndarray:
        raise NotImplementedError

    def draw(self, frame: np.ndarray, t: float) -> None:
        raise NotImplementedError

    def frame(self, now: float) -> np.ndarray:
        """The picture at wall-clock time ``now`` (seconds since the epoch), stamped with it."""
        from app.sim.overlay import burn_in

        out = self._backdrop.copy()
        self.draw(out, now)
        if self.size != BASE_SIZE:
            out = _cv2().resize(out, self.size, interpolation=_cv2().INTER_AREA)
        return burn_in(out, self.title, now)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Vehicle:
    """One car through the gate: which one it is in the cycle, its plate, its colour."""

    index: int
    plate: str
    kind: PlateKind
    colour: tuple[int, int, int]


CAR_COLOURS = ((200, 200, 205), (40, 40, 45), (30, 30, 150), (150, 90, 30), (225, 225, 225), (70, 110, 70))


def _draw_car(colour: tuple[int, int, int], plate: np.ndarray) -> np.ndarray:
    """A car seen from the front (BGRA, 300 px wide) with ``plate`` on the bumper."""
    cv2 = _cv2()
    k = 2  # drawn at twice the size, then shrunk: smooth edges
    w, h = 300 * k, 210 * k
    img = np.zeros((h, w, 4), np.uint8)
    body = (*tuple(int(c) for c in colour), 255)
    dark = (*tuple(int(c * 0.55) for c in colour), 255)
    line = cv2.LINE_AA

    def poly(points: list[tuple[float, float]], col: tuple[int, ...]) -> None:
        cv2.fillPoly(img, [np.array([(x * k, y * k) for x, y in points], np.int32)], col, line)

    poly([(60, 20), (240, 20), (268, 95), (32, 95)], dark)  # cabin
    poly([(70, 28), (230, 28), (254, 92), (46, 92)], (70, 55, 50, 255))  # windscreen
    poly([(80, 32), (150, 32), (110, 88), (56, 88)], (110, 95, 90, 255))  # reflection
    cv2.rectangle(img, (8 * k, 150 * k), (52 * k, 205 * k), (20, 20, 20, 255), -1)  # tyres
    cv2.rectangle(img, (248 * k, 150 * k), (292 * k, 205 * k), (20, 20, 20, 255), -1)
    poly([(22, 95), (278, 95), (296, 130), (296, 185), (4, 185), (4, 130)], body)  # bonnet and front
    poly([(14, 78), (32, 78), (32, 96), (10, 96)], body)  # mirrors
    poly([(268, 78), (286, 78), (290, 96), (268, 96)], body)
    cv2.ellipse(img, (52 * k, 127 * k), (30 * k, 11 * k), 0, 0, 360, (230, 240, 245, 255), -1, line)
    cv2.ellipse(img, (248 * k, 127 * k), (30 * k, 11 * k), 0, 0, 360, (230, 240, 245, 255), -1, line)
    cv2.rectangle(img, (96 * k, 112 * k), (204 * k, 138 * k), (30, 30, 30, 255), -1, line)  # grille
    for y in range(117, 137, 6):
        cv2.line(img, (100 * k, y * k), (200 * k, y * k), (80, 80, 80, 255), k, line)
    cv2.rectangle(img, (4 * k, 160 * k), (296 * k, 185 * k), dark, -1, line)  # bumper
    out = cv2.resize(img, (300, 210), interpolation=cv2.INTER_AREA)
    # The plate at bumper height, centred.
    ph, pw = plate.shape[:2]
    y0, x0 = 148, 150 - pw // 2
    out[y0 : y0 + ph, x0 : x0 + pw, :3] = plate
    out[y0 : y0 + ph, x0 : x0 + pw, 3] = 255
    return out


class GateScene(Scene):
    """A barrier gate: every ``CYCLE_S`` a car drives up, stops at the barrier, it lifts, the car passes.

    Every third car is a new-energy car (green 8-character plate), the others blue. Timeline within a
    cycle: approach 0-4 s, stopped at the barrier 4-8 s (plate readable, ~75 px wide), barrier up
    7-11 s, drive through 8-11 s, empty lane 11-14 s.
    """

    CYCLE_S = 14.0
    PLATE_H = 26  # plate height in the car sprite at scale 1 (holder included ~30)

    def __init__(self, title: str, size: tuple[int, int] = BASE_SIZE) -> None:
        super().__init__(title, size)
        self._cars: dict[int, Sprite] = {}

    def vehicle(self, t: float) -> Vehicle:
        """The car of the cycle running at ``t``."""
        from app.sim.plates import plate_text

        index = int(t // self.CYCLE_S)
        kind: PlateKind = "green" if index % 3 == 0 else "blue"
        colour = CAR_COLOURS[index % len(CAR_COLOURS)]
        return Vehicle(index, plate_text(index, kind), kind, colour)

    def stopped_at_barrier(self, t: float) -> bool:
        """Whether the car is standing at the barrier (its plate steady and largest before it passes)."""
        return 4.0 <= t % self.CYCLE_S < 8.0

    def _car(self, vehicle: Vehicle) -> Sprite:
        from app.sim.plates import mounted_plate

        sprite = self._cars.get(vehicle.index)
        if sprite is None:
            plate = mounted_plate(vehicle.plate, vehicle.kind, self.PLATE_H)
            sprite = Sprite(_draw_car(vehicle.colour, plate))
            self._cars = {vehicle.index: sprite}  # one car at a time
        return sprite

    def backdrop(self) -> np.ndarray:
        cv2 = _cv2()
        w, h = BASE_SIZE
        bus = _image("bus.jpg")
        frame = np.zeros((h, w, 3), np.uint8)
        # Buildings behind the gate: the facade at the top of bus.jpg.
        frame[:150] = cv2.resize(bus[0:300, :], (w, 150), interpolation=cv2.INTER_AREA)
        # Road: the paving at the bottom of bus.jpg, widened into a perspective lane.
        paving = cv2.resize(bus[900:1080, :], (w, h - 150), interpolation=cv2.INTER_AREA)
        frame[150:] = (paving * 0.8).astype(np.uint8)
        # Gate walls left and right, a guard booth, lane markings.
        cv2.rectangle(frame, (0, 95), (175, 175), (150, 155, 160), -1)
        cv2.rectangle(frame, (465, 95), (640, 175), (150, 155, 160), -1)
        cv2.rectangle(frame, (0, 95), (175, 102), (110, 110, 115), -1)
        cv2.rectangle(frame, (465, 95), (640, 102), (110, 110, 115), -1)
        cv2.rectangle(frame, (500, 60), (600, 200), (190, 200, 205), -1)  # booth
        cv2.rectangle(frame, (512, 80), (588, 130), (90, 70, 60), -1)  # its window
        cv2.putText(frame, "GATE 1", (515, 160), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (40, 40, 40), 1, cv2.LINE_AA)
        cv2.line(frame, (200, 175), (40, 360), (210, 210, 210), 3, cv2.LINE_AA)
        cv2.line(frame, (440, 175), (600, 360), (210, 210, 210), 3, cv2.LINE_AA)
        cv2.line(frame, (150, 250), (490, 250), (40, 200, 230), 4, cv2.LINE_AA)  # stop line
        cv2.rectangle(frame, (472, 215), (492, 262), (60, 60, 60), -1)  # barrier post
        return _grain(frame, 1)

    def draw(self, frame: np.ndarray, t: float) -> None:
        cv2 = _cv2()
        phase = t % self.CYCLE_S
        vehicle = self.vehicle(t)
        approach = _ramp(phase, 0.0, 4.0)
        through = _ramp(phase, 8.0, 11.0)
        if phase < 11.0:
            # Far (small, high) -> at the barrier -> past the camera (large, off the bottom).
            scale = 0.35 + 0.5 * approach + 0.9 * through
            bottom = 190 + 90 * approach + 230 * through
            self._car(vehicle).paste(frame, 320, bottom, scale)
        lift = _ramp(phase, 7.0, 8.0) - _ramp(phase, 11.0, 12.5)
        angle = math.radians(90 * lift)
        x1 = 482 - 300 * math.cos(angle)
        y1 = 222 - 300 * math.sin(angle)
        cv2.line(frame, (482, 222), (round(x1), round(y1)), (30, 30, 200), 7, cv2.LINE_AA)
        cv2.line(frame, (482, 222), (round(x1), round(y1)), (235, 235, 235), 2, cv2.LINE_AA)


class LobbyScene(Scene):
    """A building lobby; every ``CYCLE_S`` someone wheels an e-bike in, leaves it, and takes it out again.

    Timeline within a cycle: 0-20 s empty but for the receptionist; 20-26 s the e-bike is wheeled in
    through the door; 26-44 s it stands in the lobby (the no-e-bike rule's case); 44-50 s it is
    wheeled out. :meth:`ebike_in_view` says when it is visible.
    """

    CYCLE_S = 60.0
    IN_VIEW = (20.0, 50.0)

    def ebike_in_view(self, t: float) -> bool:
        phase = t % self.CYCLE_S
        return self.IN_VIEW[0] <= phase < self.IN_VIEW[1]

    def ebike_parked(self, t: float) -> bool:
        """Whether the e-bike stands still well inside the lobby (fully in frame)."""
        return 26.0 <= t % self.CYCLE_S < 44.0

    def backdrop(self) -> np.ndarray:
        cv2 = _cv2()
        w, h = BASE_SIZE
        frame = np.zeros((h, w, 3), np.uint8)
        frame[:] = (200, 215, 225)  # back wall
        # Floor: perspective tiles from the back wall line (y=190) to the bottom.
        floor = np.array([(0, 190), (640, 190), (640, 360), (0, 360)], np.int32)
        cv2.fillPoly(frame, [floor], (150, 160, 165))
        for i in range(-8, 17):
            x = 320 + (i - 4) * 40
            cv2.line(frame, (x, 190), (320 + (x - 320) * 4, 360 + 510), (130, 138, 142), 1, cv2.LINE_AA)
        for y in (200, 214, 232, 256, 290, 336):
            cv2.line(frame, (0, y), (640, y), (130, 138, 142), 1, cv2.LINE_AA)
        # Glass entrance door on the left, a poster, the reception desk on the right.
        cv2.rectangle(frame, (40, 60), (170, 192), (120, 110, 100), -1)
        cv2.rectangle(frame, (48, 68), (162, 192), (215, 205, 170), -1)
        cv2.line(frame, (105, 68), (105, 192), (120, 110, 100), 3)
        poster = cv2.resize(_image("astronaut.png"), (80, 80), interpolation=cv2.INTER_AREA)
        frame[70:150, 300:380] = poster
        cv2.rectangle(frame, (296, 66), (384, 154), (60, 60, 60), 2)
        cv2.rectangle(frame, (450, 150), (630, 230), (90, 120, 150), -1)
        cv2.rectangle(frame, (450, 150), (630, 160), (60, 80, 100), -1)
        cv2.putText(frame, "B3", (560, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (90, 90, 90), 2, cv2.LINE_AA)
        return _grain(frame, 2)

    def draw(self, frame: np.ndarray, t: float) -> None:
        phase = t % self.CYCLE_S
        Sprite.load("walker_black.png").paste(
            frame, 540, 205 + 3 * math.sin(phase * math.pi / 3), 0.45
        )  # reception
        if not self.ebike_in_view(t):
            return
        # In through the door (x=105, small) to its spot (x=300, near), later back out.
        x = _ramp(phase, 20.0, 26.0) - _ramp(phase, 44.0, 50.0)
        cx = 105 + 195 * x
        bottom = 200 + 130 * x
        scale = 0.35 + 0.55 * x
        leaving = phase >= 44.0
        walker = Sprite.load("walker_coat.png")
        walking = 0.0 < x < 1.0
        if walking or not leaving:
            bob = 2 * math.sin(phase * 9) if walking else 0.0
            side = -1 if leaving else 1
            if walking:
                walker.paste(frame, cx - side * 70 * scale, bottom - 5 + bob, scale * 0.95)
        Sprite.load("ebike.png").paste(frame, cx, bottom, scale, flip=leaving)


class StreetScene(Scene):
    """A street (bus.jpg): people walk along the pavement in both directions, at their own pace."""

    # (sprite, period s, offset s, direction, scale, kerb y)
    WALKERS = (
        ("walker_coat.png", 17.0, 0.0, 1, 0.62, 330),
        ("walker_black.png", 23.0, 8.0, -1, 0.66, 345),
        ("walker_coat.png", 29.0, 19.0, -1, 0.5, 300),
    )

    def backdrop(self) -> np.ndarray:
        cv2 = _cv2()
        bus = _image("bus.jpg")  # 810x1080: the 16:9 band with the bus and the pavement
        band = bus[330 : 330 + 456, :]
        return cv2.resize(band, BASE_SIZE, interpolation=cv2.INTER_AREA)

    def people_in_view(self, t: float) -> int:
        return sum(1 for walker in self.WALKERS if -50 < self._x(walker, t) < 690)

    @staticmethod
    def _x(walker: tuple[str, float, float, int, float, int], t: float) -> float:
        _, period, offset, direction, _, _ = walker
        u = ((t + offset) % period) / period  # 0..1 across (and some way beyond) the frame
        x = -120 + 880 * u
        return x if direction > 0 else 640 - x

    def draw(self, frame: np.ndarray, t: float) -> None:
        for walker in self.WALKERS:
            name, _, _, direction, scale, kerb = walker
            bob = 2.5 * abs(math.sin(t * 5 + kerb))
            Sprite.load(name).paste(frame, self._x(walker, t), kerb - bob, scale, flip=direction < 0)


class CorridorScene(Scene):
    """A corridor in one-point perspective; someone walks its length towards the camera and back."""

    CYCLE_S = 24.0

    def backdrop(self) -> np.ndarray:
        cv2 = _cv2()
        w, h = BASE_SIZE
        frame = np.zeros((h, w, 3), np.uint8)
        vx, vy = 320, 150  # vanishing point
        far = [(270, 115), (370, 115), (370, 185), (270, 185)]

        def fill(points: list[tuple[int, int]], colour: tuple[int, int, int]) -> None:
            cv2.fillPoly(frame, [np.array(points, np.int32)], colour)

        fill([(0, 0), (640, 0), far[1], far[0]], (215, 220, 220))  # ceiling
        fill([(0, 360), (640, 360), far[2], far[3]], (120, 130, 140))  # floor
        fill([(0, 0), far[0], far[3], (0, 360)], (175, 190, 200))  # walls
        fill([(640, 0), far[1], far[2], (640, 360)], (165, 180, 190))
        cv2.rectangle(frame, far[0], far[2], (140, 150, 150), -1)  # end wall
        cv2.rectangle(frame, (300, 135), (340, 185), (70, 110, 160), -1)  # end door
        for depth in (0.25, 0.45, 0.62):  # side doors and ceiling lights at three depths

            def at(x: float, y: float, d: float = depth) -> tuple[int, int]:
                return (round(vx + (x - vx) * (1 - d)), round(vy + (y - vy) * (1 - d)))

            for side in (-1, 1):
                x0, x1 = (20, 70) if side < 0 else (570, 620)
                door = [at(x0, 110), at(x1, 110), at(x1, 330), at(x0, 330)]
                fill(door, (80, 100, 130))
            fill([at(260, 8), at(380, 8), at(380, 22), at(260, 22)], (250, 250, 245))
        cv2.putText(frame, "EXIT", (303, 130), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (40, 180, 40), 1, cv2.LINE_AA)
        return _grain(frame, 3)

    def draw(self, frame: np.ndarray, t: float) -> None:
        phase = t % self.CYCLE_S
        half = self.CYCLE_S / 2
        d = _ramp(phase, 0.0, half - 1) - _ramp(phase, half, self.CYCLE_S - 1)  # 0 far .. 1 near
        scale = 0.15 + 0.85 * d
        bottom = 185 + 165 * d
        sprite = "walker_black.png" if int(t // self.CYCLE_S) % 2 else "walker_coat.png"
        bob = 2 * abs(math.sin(t * 5)) * scale
        Sprite.load(sprite).paste(frame, 320 + 40 * d, bottom - bob, scale, flip=phase >= half)


SCENES: dict[str, Callable[[str, tuple[int, int]], Scene]] = {
    "gate": GateScene,
    "lobby": LobbyScene,
    "street": StreetScene,
    "corridor": CorridorScene,
}


def open_scene(name: str, title: str, size: tuple[int, int] = BASE_SIZE) -> Scene:
    """The scene ``name`` titled ``title``; ValueError naming the scenes there are if it is unknown."""
    factory = SCENES.get(name)
    if factory is None:
        known = ", ".join(SCENE_PREFIX + n for n in SCENE_NAMES)
        raise ValueError(f"there is no scene {name!r}; expected one of {known}")
    return factory(title, size)

"""Zone rules on real detections: line-crossing counts per direction (sprites walking over a lobby),
and the pure rule logic (schedules, dwell, once per object) on plain findings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.sim.scenes import LobbyScene, Sprite, _ramp
from app.site.loader import load_site
from app.site.schedule import parse_schedule
from app.site.schema import Camera
from app.vision.detector import ObjectDetector
from app.vision.findings import Finding
from app.vision.pipeline import CameraPipeline
from app.vision.rules import ClearAlarm, Crossing, RaiseAlarm, ZoneRules, side
from tests.vision.vision_support import SHARED_CACHE  # noqa: F401  (the shared export cache)

T0 = 1_800_000_000.0

SITE = """
[site]
name = "Rules"
timezone = "Asia/Shanghai"

[[camera]]
id = "hall"
url = "rtsp://127.0.0.1:8554/hall"
detect = ["person", "motorcycle", "bicycle"]
zones = [
  # Drawn from the bottom of the picture up its middle: "in" is a crossing to the right.
  { name = "door", rule = "line-crossing", line = [[0.5, 1.0], [0.5, 0.3]], direction = "in", alarm = true },
  { name = "floor", rule = "no-ebike", polygon = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]], dwell_s = 3 },
  { name = "night", rule = "no-person-at-night", polygon = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] },
]
"""

# (sprite, start s, end s, from x, to x): two walk right (in), one walks left (out), one at a time.
WALKS = (
    ("walker_coat.png", 1.0, 9.0, 60.0, 580.0),
    ("walker_black.png", 12.0, 20.0, 580.0, 60.0),
    ("walker_coat.png", 23.0, 31.0, 60.0, 580.0),
)


class Crossers(LobbyScene):
    """The demo lobby with its receptionist away and people walking across it, one at a time."""

    def draw(self, frame: np.ndarray, t: float) -> None:
        phase = t - T0
        for name, start, end, x0, x1 in WALKS:
            if start <= phase < end:
                u = _ramp(phase, start, end)
                bob = 2 * abs(np.sin(phase * 5))
                Sprite.load(name).paste(frame, x0 + (x1 - x0) * u, 330 - bob, 0.6, flip=x1 < x0)


def camera(tmp_path: Path) -> Camera:
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    return load_site(path).site.camera[0]


def test_sprites_crossing_a_line_are_counted_per_direction(tmp_path: Path) -> None:
    detector = ObjectDetector(confidence=0.1)
    pipeline = CameraPipeline(camera(tmp_path), detector, timezone="Asia/Shanghai")
    scene = Crossers("Hall")
    crossings: list[Crossing] = []
    alarms: list[RaiseAlarm] = []
    for n in range(34 * 5):
        at = T0 + n / 5
        result = pipeline.process(scene.frame(at), at)
        crossings += [a for a in result.actions if isinstance(a, Crossing)]
        alarms += [a for a in result.actions if isinstance(a, RaiseAlarm) and "door" in a.key]
    assert pipeline.rules.counts()["door"] == {"in": 2, "out": 1}, crossings
    assert [c.direction for c in crossings] == ["in", "out", "in"]
    assert len(alarms) == 2  # direction = "in": only those alarm
    assert alarms[0].category == "supervisory" and alarms[0].priority == "low"  # the rule's defaults


# ---------------------------------------------------------------------------------------- pure logic


def person(track: int, x: float, y: float, cls: str = "person") -> Finding:
    return Finding("object", cls, 0.9, (x - 20, y - 100, x + 20, y), track_id=track)


def test_no_person_at_night_follows_the_site_clock(tmp_path: Path) -> None:
    rules = ZoneRules(camera(tmp_path), "Asia/Shanghai")
    # 2027-01-15 14:00 UTC is 22:00 in Shanghai: night; 04:00 UTC is noon.
    night, noon = 1_800_021_600.0, 1_799_985_600.0
    assert parse_schedule("22:00-06:00").contains_epoch(night, "Asia/Shanghai")
    assert not parse_schedule("22:00-06:00").contains_epoch(noon, "Asia/Shanghai")
    day = [a for n in range(30) for a in rules.update([person(1, 300, 300)], noon + n / 5, 640, 360)]
    assert not [a for a in day if isinstance(a, RaiseAlarm)]
    actions = [a for n in range(30) for a in rules.update([person(2, 300, 300)], night + n / 5, 640, 360)]
    raised = [a for a in actions if isinstance(a, RaiseAlarm)]
    assert len(raised) == 1 and raised[0].key == "camera:hall/zone:night"
    assert (raised[0].category, raised[0].priority) == ("supervisory", "medium")
    assert not raised[0].snapshot


def test_an_ebike_alarms_once_after_its_dwell_and_clears_after_it_left(tmp_path: Path) -> None:
    rules = ZoneRules(camera(tmp_path), "Asia/Shanghai")
    noon = 1_799_985_600.0
    bike = [person(7, 300, 300, "motorcycle")]
    first = [a for n in range(14) for a in rules.update(bike, noon + n / 5, 640, 360)]  # 2.6 s
    assert not first
    more = [a for n in range(14, 40) for a in rules.update(bike, noon + n / 5, 640, 360)]
    # A new track id for the same bike (a missed frame) raises nothing new while the alarm stands.
    swap = [
        a
        for n in range(40, 60)
        for a in rules.update([person(8, 300, 300, "motorcycle")], noon + n / 5, 640, 360)
    ]
    assert [type(a) for a in more] == [RaiseAlarm] and not swap
    assert more[0].snapshot and more[0].priority == "high"
    gone = [a for n in range(60, 120) for a in rules.update([], noon + n / 5, 640, 360)]
    assert [type(a) for a in gone] == [ClearAlarm]
    # Outside the zone (above y = 0.5) it does not count.
    above = [
        a
        for n in range(40)
        for a in rules.update([person(9, 300, 100, "bicycle")], noon + 30 + n / 5, 640, 360)
    ]
    assert not above


@pytest.mark.parametrize(("x", "expected"), [(400.0, 1.0), (200.0, -1.0)])
def test_line_sides_are_as_documented(x: float, expected: float) -> None:
    """From the first point towards the second, positive is the right-hand side on screen."""
    assert np.sign(side((x, 200.0), (320.0, 360.0), (320.0, 108.0))) == expected


def test_a_slow_look_with_new_track_ids_still_counts_as_one_dwell(tmp_path: Path) -> None:
    """A busy CPU looks at the camera once a second and ByteTrack gives the moving e-bike a new id each
    time: the dwell still runs from its first sighting, and it alarms once."""
    rules = ZoneRules(camera(tmp_path), "Asia/Shanghai")
    noon = 1_799_985_600.0
    actions = [
        a
        for n in range(8)
        for a in rules.update([person(100 + n, 200 + 20 * n, 300, "bicycle")], noon + n, 640, 360)
    ]
    raised = [a for a in actions if isinstance(a, RaiseAlarm)]
    assert len(raised) == 1 and raised[0].track_ids == (103,)  # at 3 s, the bike then in view

"""ByteTrack on real detections: one walker crossing the lobby keeps one track id, so rules fire once."""

from __future__ import annotations

from collections import Counter

from app.vision.detector import ObjectDetector
from app.vision.tracking import Tracker
from tests.vision.test_rules import T0, Crossers
from tests.vision.vision_support import SHARED_CACHE  # noqa: F401  (the shared export cache)


def test_a_walker_keeps_one_track_id_across_the_picture() -> None:
    detector = ObjectDetector(confidence=0.1)
    tracker = Tracker({"person"})
    scene = Crossers("Hall")
    ids: list[int] = []
    frames = 0
    for n in range(int(1.5 * 5), int(8.5 * 5)):  # the first walk, 1 s to 9 s, at 5 frames a second
        at = T0 + n / 5
        tracked = tracker.update(detector.detect_raw(scene.frame(at)))
        walker = [f for f in tracked if f.box[3] > 250]  # feet on the floor (not the poster's astronaut)
        frames += 1
        if walker:
            assert walker[0].track_id is not None
            ids.append(walker[0].track_id)
    assert len(ids) >= 0.9 * frames
    (main, count), *_ = Counter(ids).most_common()
    assert count == len(ids), Counter(ids)  # never a second id for the same walker
    assert main >= 1


def test_a_new_tracker_gives_ids_of_its_own() -> None:
    """Each camera has its own tracker: ids do not leak between cameras."""
    detector = ObjectDetector(confidence=0.1)
    frame = Crossers("Hall").frame(T0 + 5)
    first, second = Tracker({"person"}), Tracker({"person"})
    for _ in range(3):
        a = first.update(detector.detect_raw(frame))
    b = second.update(detector.detect_raw(frame))
    assert a and b and {f.track_id for f in b} <= {f.track_id for f in a}
    assert min(f.track_id for f in b if f.track_id is not None) == 1

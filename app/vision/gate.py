"""A ``vehicle-gate`` zone: read the plates of vehicles in it, one access event per vehicle.

Why this shape:

- Only tracked vehicles whose footing (box bottom centre) stands inside the zone are read: a car
  parked across the road, or one without a track id yet, costs nothing. When no tracked vehicle
  stands in the zone, the zone itself is searched for plates (the object detector can miss a car;
  the plate is what matters here), and those plates are followed by their boxes.
- The same plate accepted again within ``repeat_s`` (60 s) of its last sighting at this gate is the
  same passage (a track lost at the barrier and found again), so it is not stored twice.
- A plate is accepted once the same text was read on two frames of one track (:class:`PlateVotes`);
  then one access event is stored, with a face-masked snapshot of that frame, and the track is not
  read again (its plate is shown from the accepted text): one car passing is one event, not one per
  frame, and the reader's cost stops once the car is known.
- The database work (snapshot file, rows, audit) runs on the vision worker's thread, never the GUI's.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.vision.findings import Box, Finding, FrameFindings
from app.vision.plates import VEHICLE_CLASSES

if TYPE_CHECKING:
    from app.storage.database import Database
    from app.vision.access import AccessInfo

log = logging.getLogger("wardroom.vision")

Point = tuple[float, float]
REPEAT_S = 60.0
"""The same plate accepted again at the same gate within this many seconds of its last sighting is the
same passage (a track lost and found again), not a new access event."""
LANE_GAP_S = 2.0
"""A plate in the lane unseen this long starts a new lane track when it shows again."""


class GateZone(Protocol):
    """What the watcher needs of a site zone: its name and polygon in the unit square."""

    @property
    def name(self) -> str: ...

    @property
    def polygon(self) -> Sequence[Point]: ...


class PlateReading(Protocol):
    def read(self, image_bgr: np.ndarray, vehicles: Sequence[Finding] | None = None) -> list[Finding]: ...

    def read_area(self, image_bgr: np.ndarray, area: Box) -> list[Finding]: ...


def _inside(point: Point, polygon: Sequence[Point]) -> bool:
    x, y = point
    result = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def _relative(plate: Box, vehicle: Box) -> Box:
    """``plate`` as fractions of ``vehicle``'s box (to draw an accepted plate on the moving car)."""
    vx1, vy1, vx2, vy2 = vehicle
    w, h = max(vx2 - vx1, 1e-6), max(vy2 - vy1, 1e-6)
    return ((plate[0] - vx1) / w, (plate[1] - vy1) / h, (plate[2] - vx1) / w, (plate[3] - vy1) / h)


def _absolute(fraction: Box, vehicle: Box) -> Box:
    vx1, vy1, vx2, vy2 = vehicle
    w, h = vx2 - vx1, vy2 - vy1
    return (vx1 + fraction[0] * w, vy1 + fraction[1] * h, vx1 + fraction[2] * w, vy1 + fraction[3] * h)


class GateWatcher:
    """Watches one ``vehicle-gate`` zone of one camera.

    ``mask`` blurs faces out of the access event's snapshot (default
    :func:`app.vision.privacy.mask_faces`); ``timezone`` is the site's (an expiry date is a local day).
    """

    def __init__(
        self,
        database: Database | None,
        camera_id: str,
        zone: GateZone,
        reader: PlateReading,
        *,
        timezone: str | None = None,
        mask: Callable[[np.ndarray], np.ndarray] | None = None,
        snapshots: bool = True,
        max_tracks: int = 512,
        repeat_s: float = REPEAT_S,
    ) -> None:
        from app.vision.plates import PlateVotes

        self.database = database
        self.camera_id = camera_id
        self.zone = zone
        self.reader = reader
        self.timezone = timezone
        self.snapshots = snapshots
        if mask is None:
            from app.vision.privacy import mask_faces

            mask = mask_faces
        self._mask = mask
        self.votes = PlateVotes(max_tracks=max_tracks)
        self._plate_on: OrderedDict[int, tuple[str, Box]] = OrderedDict()  # accepted: text, place on car
        self._max_tracks = max_tracks
        self.repeat_s = repeat_s
        self._last_seen: dict[str, float] = {}  # accepted plate -> when it was last seen here
        self._lane_plates: dict[int, tuple[Box, float]] = {}  # lane plates followed by their boxes
        self._next_lane_id = 0
        self.events: list[AccessInfo] = []  # the newest few stored (for the station's status)

    def in_zone(self, finding: Finding, width: int, height: int) -> bool:
        """Whether ``finding`` is a tracked vehicle standing in the zone (its box's bottom centre)."""
        if finding.kind != "object" or finding.cls not in VEHICLE_CLASSES or finding.track_id is None:
            return False
        x1, _y1, x2, y2 = finding.box
        return _inside(((x1 + x2) / 2 / width, y2 / height), self.zone.polygon)

    def update(self, frame_bgr: np.ndarray, findings: FrameFindings) -> list[Finding]:
        """Read the plates of the zone's vehicles in this frame; the plate findings for the overlay."""
        width, height = findings.width or frame_bgr.shape[1], findings.height or frame_bgr.shape[0]
        at = findings.frame_at
        vehicles = [f for f in findings.findings if self.in_zone(f, width, height)]
        if not vehicles:
            return self._lane(frame_bgr, at, width, height)
        shown: list[Finding] = []
        unread: list[Finding] = []
        for vehicle in vehicles:
            assert vehicle.track_id is not None
            known = self._plate_on.get(vehicle.track_id)
            if known is None:
                unread.append(vehicle)
            else:  # accepted already: drawn from what was read, not read again
                text, place = known
                self._last_seen[text] = at
                box = _absolute(place, vehicle.box)
                shown.append(Finding("plate", "plate", 1.0, box, track_id=vehicle.track_id, text=text))
        if not unread:
            return shown
        boxes = {v.track_id: v.box for v in unread}
        for plate in self.reader.read(frame_bgr, unread):
            shown.append(plate)
            if plate.text is None or plate.track_id is None:
                continue
            accepted = self.votes.add(plate.track_id, plate.text)
            if accepted is None:
                continue
            self._plate_on[plate.track_id] = (accepted, _relative(plate.box, boxes[plate.track_id]))
            while len(self._plate_on) > self._max_tracks:
                self._plate_on.popitem(last=False)
            self._accept(frame_bgr, at, plate, accepted)
        return shown

    def _lane(self, frame_bgr: np.ndarray, at: float, width: int, height: int) -> list[Finding]:
        """No tracked vehicle stands in the zone: look for plates in the zone itself.

        The COCO detector can miss a car (at night, seen too close, or a drawn one): the plate is
        still there to read. Such plates are followed by their own boxes (a plate that overlaps or
        sits near the last one within ``LANE_GAP_S`` is the same plate) under negative ids that never
        meet the tracker's, and vote as a track does.
        """
        xs = [x * width for x, _y in self.zone.polygon]
        ys = [y * height for _x, y in self.zone.polygon]
        shown = []
        for plate in self.reader.read_area(frame_bgr, (min(xs), min(ys), max(xs), max(ys))):
            x1, y1, x2, y2 = plate.box
            if not _inside(((x1 + x2) / 2 / width, (y1 + y2) / 2 / height), self.zone.polygon):
                continue
            lane_id = self._lane_track(plate.box, at)
            accepted = self.votes.accepted(lane_id)
            if accepted is None and plate.text is not None:
                accepted = self.votes.add(lane_id, plate.text)
                if accepted is not None:
                    self._accept(frame_bgr, at, plate, accepted)
            elif accepted is not None:
                self._last_seen[accepted] = at
            text = accepted if accepted is not None else plate.text
            shown.append(Finding("plate", "plate", plate.confidence, plate.box, text=text))
        return shown

    def _lane_track(self, box: Box, at: float) -> int:
        """The id of the lane plate ``box`` continues (near the last box of one seen lately), or a new one."""
        for lane_id, (last, seen) in list(self._lane_plates.items()):
            if at - seen > LANE_GAP_S:
                del self._lane_plates[lane_id]
                continue
            reach = max(last[2] - last[0], box[2] - box[0])
            near = abs((last[0] + last[2]) - (box[0] + box[2])) / 2 < reach
            near = near and abs((last[1] + last[3]) - (box[1] + box[3])) / 2 < reach
            if near:
                self._lane_plates[lane_id] = (box, at)
                return lane_id
        self._next_lane_id -= 1
        self._lane_plates[self._next_lane_id] = (box, at)
        return self._next_lane_id

    def _accept(self, frame_bgr: np.ndarray, at: float, plate: Finding, text: str) -> None:
        """Store the access event, unless the same plate was at this gate moments ago.

        A tracker that loses a car at the barrier and finds it again gives it a new id; the same plate
        seen again within ``repeat_s`` of its last sighting is the same passage, not a second one.
        """
        last = self._last_seen.get(text)
        self._last_seen[text] = at
        if len(self._last_seen) > self._max_tracks:
            oldest = min(self._last_seen, key=self._last_seen.__getitem__)
            del self._last_seen[oldest]
        if last is not None and 0 <= at - last < self.repeat_s:
            log.debug("camera %s: %s is still at the gate (seen %.1f s ago)", self.camera_id, text, at - last)
            return
        self._record(frame_bgr, at, plate, text)

    def _record(self, frame_bgr: np.ndarray, frame_at: float, plate: Finding, text: str) -> None:
        if self.database is None:
            return
        from app.vision.access import record_access

        seen_at = datetime.fromtimestamp(frame_at, UTC)
        snapshot_id = self._snapshot(frame_bgr, frame_at) if self.snapshots else None
        try:
            info = record_access(
                self.database,
                self.camera_id,
                text,
                seen_at,
                timezone=self.timezone,
                track_id=plate.track_id if plate.track_id is not None and plate.track_id >= 0 else None,
                confidence=plate.confidence,
                snapshot_id=snapshot_id,
            )
        except Exception:
            log.exception("camera %s: the access event of %s was not stored", self.camera_id, text)
            return
        self.events = [*self.events[-19:], info]
        log.info("camera %s, zone %s: %s, %s", self.camera_id, self.zone.name, text, info.status)

    def _snapshot(self, frame_bgr: np.ndarray, frame_at: float) -> int | None:
        from app.video.frames import Frame
        from app.video.snapshots import SnapshotFailed, take

        assert self.database is not None
        try:
            frame = Frame(frame_bgr, frame_at, 0)
            return take(self.database, frame, self.camera_id, None, source="vision", mask=self._mask).id
        except SnapshotFailed as exc:
            log.warning("camera %s: the access event goes without its snapshot: %s", self.camera_id, exc)
            return None

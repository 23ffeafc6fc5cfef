"""What capture hands its consumers: masked frames and each camera's state (plain, immutable data).

Every consumer (a wall tile, a snapshot, detection, ``cameras status``) sees frames only through a
:class:`FrameSource` it got from the station's (or a console's) capture hub, so privacy masks applied
in the capture layer cannot be bypassed, and one grabber per camera and stream serves them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

CameraState = Literal["connecting", "live", "stalled", "lost", "error", "disabled"]
Stream = Literal["main", "sub"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture: BGR, read-only (shared by every consumer), privacy masks already drawn.

    ``at`` is wall-clock seconds when the frame was taken: the stream's own time where it carries one,
    else its arrival. ``seq`` grows by one per frame of this grabber (a consumer skips what it saw).
    """

    image: np.ndarray
    at: float
    seq: int


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """A camera as its grabber (or, when nothing watches it, the light probe) last saw it."""

    camera_id: str
    state: CameraState
    reason: str = ""  # plain words when not live ("" when fine)
    fps: float = 0.0  # measured over the last few seconds
    width: int = 0
    height: int = 0
    last_frame_at: float | None = None  # wall-clock seconds of the newest frame
    since: float = 0.0  # wall-clock seconds when this state began


class FrameSource(Protocol):
    """A consumer's handle on one camera stream; ``release()`` when done (the grabber stops when the
    last consumer lets go)."""

    camera_id: str
    stream: Stream

    def latest(self) -> Frame | None: ...

    def status(self) -> CameraStatus: ...

    def release(self) -> None: ...

"""Shared result types of the vision pipeline.

The detector, the plate reader, the face detector and the wall's overlays all speak these
types, so findings travel between threads as immutable values and are drawn (never burned into
the pixels) by whoever displays them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FindingKind = Literal["object", "plate", "face"]
Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels of the frame


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing seen in one frame."""

    kind: FindingKind
    cls: str  # the COCO class name for objects; "plate"; "face"
    confidence: float
    box: Box
    track_id: int | None = None
    text: str | None = None  # a plate's normalised text (app.plate_text.normalise_plate); else None


@dataclass(frozen=True, slots=True)
class FrameFindings:
    """What the detector found in one frame of one camera (the overlay's data; never burned into pixels)."""

    camera_id: str
    frame_at: float  # the frame's time, epoch seconds
    width: int
    height: int
    findings: tuple[Finding, ...]

"""Detection findings and site zones turned into what a wall tile draws (plain overlay data).

The station's vision service keeps the newest :class:`~app.vision.findings.FrameFindings` per camera;
the wall asks for them on its paint timer through a callable ``latest(camera_id)`` (thread-safe, no
I/O) and hands each tile a :class:`~widgets.video_overlay.TileOverlay`. Widgets know no detector, so
the wording (class names in the operator's language, track ids, plate text) and the grouping of COCO
classes under the wall's toggles happen here, once per new set of findings, not once per paint.

Faces follow the site's ``[vision] face_display``: ``"blur"`` (the default) blurs the picture inside
each detected face box on the tile, ``"box"`` outlines it. A face is never labelled: it is detected
to be drawn and masked, never identified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, Literal

from PySide6.QtCore import QCoreApplication

from app.site.schema import Zone
from app.vision.findings import Finding, FrameFindings
from widgets.video_overlay import OverlayBox, OverlayShape, TileOverlay, UnitPoint

FindingsSource = Callable[[str], FrameFindings | None]  # camera id -> the newest findings, or None
FaceDisplay = Literal["box", "blur"]
FACE_DISPLAYS: Final[tuple[FaceDisplay, ...]] = ("blur", "box")

# Which toggle of the wall each detected class answers to.
GROUP_OF_CLASS: Final[dict[str, str]] = {
    "person": "person",
    "car": "vehicle",
    "truck": "vehicle",
    "bus": "vehicle",
    "motorcycle": "two-wheeler",
    "bicycle": "two-wheeler",
}


def _class_words() -> dict[str, str]:
    """The detected classes in the operator's language (looked up when findings are converted, so a
    language change shows on the next findings)."""
    translate = QCoreApplication.translate
    return {
        "person": translate("WallOverlay", "person"),
        "car": translate("WallOverlay", "car"),
        "truck": translate("WallOverlay", "truck"),
        "bus": translate("WallOverlay", "bus"),
        "motorcycle": translate("WallOverlay", "motorcycle"),
        "bicycle": translate("WallOverlay", "bicycle"),
        "plate": translate("WallOverlay", "plate"),
    }


def finding_box(finding: Finding, face_display: FaceDisplay, words: dict[str, str]) -> OverlayBox:
    """One finding as a box to draw: its group, its label, and whether the picture is blurred."""
    if finding.kind == "face":
        return OverlayBox(finding.box, "face", "", blur=face_display == "blur")
    if finding.kind == "plate":
        return OverlayBox(finding.box, "plate", finding.text or words["plate"])
    label = words.get(finding.cls, finding.cls)
    if finding.track_id is not None:
        label = f"{label} #{finding.track_id}"
    return OverlayBox(finding.box, GROUP_OF_CLASS.get(finding.cls, "other"), label)


def overlay_for(findings: FrameFindings, face_display: FaceDisplay = "blur") -> TileOverlay:
    """The tile overlay of one frame's findings (boxes stay in that frame's pixels)."""
    words = _class_words()
    return TileOverlay(
        at=findings.frame_at,
        width=findings.width,
        height=findings.height,
        boxes=tuple(finding_box(finding, face_display, words) for finding in findings.findings),
    )


def zone_shapes(zones: Iterable[Zone]) -> tuple[OverlayShape, ...]:
    """A camera's zones as outlines, and line-crossing zones (``line = [[x, y], [x, y]]``) as lines
    with arrows the way crossings count (``direction``)."""
    shapes: list[OverlayShape] = []
    for zone in zones:
        if zone.line is not None:
            shapes.append(OverlayShape(zone.name, _points(zone.line), closed=False, direction=zone.direction))
        elif zone.polygon:
            shapes.append(OverlayShape(zone.name, _points(zone.polygon), closed=True))
    return tuple(shapes)


def _points(points: Iterable[Iterable[float]]) -> tuple[UnitPoint, ...]:
    result: list[UnitPoint] = []
    for point in points:
        x, y = point
        result.append((float(x), float(y)))
    return tuple(result)

"""``wardroom detect IMAGE... [--json]``: the vision pipeline on still images, one row per finding.

Objects come from the station's own detector (:class:`app.vision.detector.ObjectDetector`), plates
from the plate reader (searching the vehicles found, as at a gate), faces from the face detector, so
a technician can check on a still what the cameras will report. The two-frame rule for plates does
not apply to a still. Rows: ``image``, ``kind`` (object / plate / face), ``class``, ``confidence``,
``box`` ([x1, y1, x2, y2] in the image's pixels), ``text`` (a plate's normalised text, else null).

Exit 2: an image that cannot be read (named, nothing printed for any image); exit 1: a model or its
package is missing (the message says what to install). Heavy libraries load only here.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.commands.common import EXIT_STORAGE, EXIT_USAGE, JsonOpt, err, print_json

if TYPE_CHECKING:
    import numpy as np

    from app.vision.findings import Finding

VEHICLES = frozenset({"car", "truck", "bus", "motorcycle"})
EXIT_MODELS = EXIT_STORAGE  # 1: "models missing" is a failure of this installation, not of the input


def _read_images(paths: list[Path]) -> list[tuple[Path, np.ndarray]]:
    import cv2

    cv2.setNumThreads(1)
    images: list[tuple[Path, np.ndarray]] = []
    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
        if image is None:
            why = "there is no such file" if not path.exists() else "it is not an image OpenCV can read"
            err(f"wardroom detect: cannot read {path}: {why}")
            raise typer.Exit(EXIT_USAGE)
        images.append((path, image))
    return images


def _row(image: Path, finding: Finding) -> dict[str, Any]:
    return {
        "image": str(image),
        "kind": finding.kind,
        "class": finding.cls,
        "confidence": round(finding.confidence, 4),
        "box": [round(v, 1) for v in finding.box],
        "text": finding.text,
    }


def detect_images(paths: list[Path]) -> list[dict[str, Any]]:
    """Every finding in every image, as rows (raises ModelMissing, or typer.Exit for a bad image)."""
    images = _read_images(paths)
    from app.vision.detector import ObjectDetector

    objects = ObjectDetector()
    objects.load()
    from app.vision.faces import FaceDetector
    from app.vision.plates import PlateReader

    plates = PlateReader()
    faces = FaceDetector()
    rows: list[dict[str, Any]] = []
    for path, image in images:
        found = objects.detect(image)
        vehicles = [f for f in found if f.cls in VEHICLES]
        found += plates.read(image, vehicles or None)
        found += faces.detect(image)
        rows.extend(_row(path, f) for f in found)
    return rows


def _missing() -> tuple[type[Exception], ...]:
    """The exceptions that mean "a model is not installed" (each says what to install)."""
    from app.vision.manifest import ModelMissing

    kinds: list[type[Exception]] = [ModelMissing]
    with contextlib.suppress(ImportError):
        from app.vision.ocr import PlateModelsMissing

        kinds.append(PlateModelsMissing)
    return tuple(kinds)


def detect(
    images: Annotated[list[Path], typer.Argument(help="Image files (JPEG, PNG ...).", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Find objects, plates and faces in still images (the same models as the cameras)."""
    try:
        rows = detect_images(images)
    except _missing() as exc:
        err(f"wardroom detect: {exc}")
        raise typer.Exit(EXIT_MODELS) from None
    except ImportError as exc:
        err(f"wardroom detect: a vision package is missing ({exc}); run installer/setup.sh")
        raise typer.Exit(EXIT_MODELS) from None
    if json_out:
        print_json(rows)
        return
    if not rows:
        typer.echo("nothing found")
        return
    width = max(len(r["image"]) for r in rows)
    for r in rows:
        box = ",".join(f"{v:.0f}" for v in r["box"])
        text = f"  {r['text']}" if r["text"] else ""
        typer.echo(
            f"{r['image']:<{width}}  {r['kind']:<6}  {r['class']:<12}  {r['confidence']:.2f}  [{box}]{text}"
        )

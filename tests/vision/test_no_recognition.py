"""Faces are detected, drawn and masked — never identified (a product decision, README "Vision").

This test fails the day a face-embedding or recognition model is shipped, loaded or stored:

- the model manifest lists only detectors whose classes say what they find (no face model whose
  task is anything but detection, no file named after a known recognition model);
- after the whole vision stack has run on a face photograph (objects, plates, faces, masking), no
  recognition package is imported, and no recognition model file is open or mapped by the process;
- no installed package in the environment ships a known recognition model next to our detectors
  that our code could reach through the manifest;
- the database schema (every table, after all migrations) has no column that could hold a face
  embedding, descriptor or identity.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, inspect

import models
from app.storage.database import Database
from app.vision.manifest import load_manifest
from tests.vision.vision_support import zidane_jpg

RECOGNITION_NAMES = re.compile(
    r"arcface|facenet|sface|insightface|antelope|buffalo_l|w600k|glint|mobilefacenet|vggface|openface|"
    r"deepface|dlib_face_recognition|face_recognition|faceid|face[_-]?embed|face[_-]?encod|"
    r"face[_-]?reid|adaface|magface|cosface|sphereface|edgeface|ghostfacenet",
    re.IGNORECASE,
)
RECOGNITION_MODULES = (
    "face_recognition",
    "face_recognition_models",
    "insightface",
    "deepface",
    "facenet_pytorch",
    "dlib",
    "keras_facenet",
    "mtcnn",
    "uniface",
)
EMBEDDING_COLUMNS = re.compile(
    r"embedding|descriptor|feature_?vector|face_?(id|print|key|hash|template|encoding|vector|signature)",
    re.IGNORECASE,
)


def test_the_manifest_holds_only_detectors() -> None:
    specs = load_manifest()
    assert specs, "the manifest lists the shipped models"
    for entry in specs.values():
        described = " ".join((entry.id, entry.package, entry.pip, entry.path, entry.task, entry.why))
        assert not RECOGNITION_NAMES.search(described), entry
        if "face" in entry.id or "face" in entry.classes:
            assert entry.task == "face-detect" and entry.classes == ("face",), entry
        assert "identity" not in entry.task and "embed" not in entry.task, entry


def test_the_vision_stack_loads_no_recognition_model() -> None:
    """Run objects, plates and faces (and masking) in a fresh process; then look at what it holds."""
    code = f"""
import sys, cv2
from app.vision.faces import FaceDetector
from app.vision.plates import PlateReader
from app.vision.privacy import mask_faces
image = cv2.imread({str(zidane_jpg())!r})
faces = FaceDetector().detect(image)
PlateReader().read(image)
mask_faces(image)
print(len(faces))
print("\\n".join(sorted(sys.modules)))
print("--maps--")
with open("/proc/self/maps") as maps:
    print(maps.read())
import os
for fd in os.listdir("/proc/self/fd"):
    try:
        print(os.readlink(f"/proc/self/fd/{{fd}}"))
    except OSError:
        pass
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    head, _, files = done.stdout.partition("--maps--")
    lines = head.split()
    assert lines[0] == "2"  # the faces were found: the stack really ran
    modules = set(lines[1:])
    assert not [m for m in modules if m.split(".")[0] in RECOGNITION_MODULES]
    assert not RECOGNITION_NAMES.search(files), RECOGNITION_NAMES.search(files)


def test_no_recognition_model_is_shipped_in_our_resources() -> None:
    root = Path(__file__).resolve().parents[2]
    shipped = [
        p for folder in ("resources", "models", "app") for p in (root / folder).rglob("*") if p.is_file()
    ]
    weights = [
        p for p in shipped if p.suffix.lower() in {".onnx", ".tflite", ".pt", ".pth", ".dat", ".h5", ".pb"}
    ]
    assert not [p for p in shipped if RECOGNITION_NAMES.search(p.name)]
    assert weights == [] or all(not RECOGNITION_NAMES.search(p.name) for p in weights)


def test_no_table_can_store_a_face_embedding(tmp_path: Path) -> None:
    with Database(f"sqlite:///{tmp_path / 'schema.sqlite3'}") as db:
        db.upgrade()
        inspector = inspect(db.engine)
        migrated = {
            (table, column["name"])
            for table in inspector.get_table_names()
            for column in inspector.get_columns(table)
        }
    suspicious = [(t, c) for t, c in migrated if EMBEDDING_COLUMNS.search(c)]
    assert suspicious == [], suspicious
    # Binary blobs are where an embedding would hide: none in any table the models declare.
    blobs = [
        (table.name, column.name)
        for table in models.Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    ]
    assert blobs == [], blobs


@pytest.mark.parametrize(
    "name", ["arcface_r100.onnx", "face_embedding", "w600k_mbf.onnx", "sface_2021dec.onnx"]
)
def test_the_name_check_would_notice(name: str) -> None:
    """Guard for the checks above: known recognition model names are caught."""
    assert RECOGNITION_NAMES.search(name)
    assert EMBEDDING_COLUMNS.search("face_embedding")

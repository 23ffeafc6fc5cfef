"""Shared by V1's vision tests: sample images that ship in packages, and one shared 16:9 export.

The detector's 16:9 re-export takes ~5 s; every test has its own WARDROOM_HOME, so without a shared
cache each test would export again. The cache is keyed by the model's sha256, so it is always right.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

SHARED_CACHE = Path(tempfile.gettempdir()) / "wardroom-test-vision-cache"
os.environ.setdefault("WARDROOM_VISION_CACHE", str(SHARED_CACHE))


def package_file(package: str, relative: str) -> Path:
    """A file shipped inside an installed package (found without importing it)."""
    found = importlib.util.find_spec(package)
    assert found is not None and found.origin is not None, f"{package} is not installed"
    path = Path(found.origin).parent / relative
    assert path.is_file(), path
    return path


def bus_jpg() -> Path:
    return package_file("ultralytics", "assets/bus.jpg")


def zidane_jpg() -> Path:
    return package_file("ultralytics", "assets/zidane.jpg")

"""The bundled demo site, and exporting it as a starting point for a real one.

The demo file lives under ``resources/demo`` with its media beside it (paths in a site file are
relative to the file), so exporting copies the file and only the media it names: the copy checks and
runs exactly like the original, wherever it is put.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from app.paths import RESOURCES

DEMO_FILE_NAME = "demo.toml"


def demo_site_path() -> Path:
    """The bundled demo site file (resources/demo/demo.toml)."""
    return RESOURCES / "demo" / DEMO_FILE_NAME


def _media_files(site_file: Path) -> list[Path]:
    """Media paths (relative to the site file) named by the demo's cameras."""
    data = tomllib.loads(site_file.read_text(encoding="utf-8"))
    names = [camera["media"] for camera in data.get("camera", []) if isinstance(camera.get("media"), str)]
    names = [name for name in names if not name.startswith("scene:")]  # built-in scenes: nothing to copy
    return sorted({Path(name) for name in names})


def export_demo(target_dir: Path) -> Path:
    """Write ``target_dir/demo.toml`` and the media it uses under ``target_dir/media/``; return the file.

    Existing files of the same names are overwritten (an export is a fresh copy); other files in
    ``target_dir`` are left alone.
    """
    source = demo_site_path()
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    for relative in _media_files(source):
        destination = target_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.parent / relative, destination)
    sources = source.parent / "media" / "SOURCES.md"
    if sources.is_file():
        (target_dir / "media").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sources, target_dir / "media" / "SOURCES.md")
    target = target_dir / DEMO_FILE_NAME
    shutil.copyfile(source, target)
    return target

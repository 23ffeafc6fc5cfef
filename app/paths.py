"""Where Wardroom keeps its files: one place, so tests and installers can redirect all of it.

``WARDROOM_HOME`` (used by tests and portable installs) puts data, logs and state under one folder;
otherwise the platform's user directories are used (platformdirs).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

APP_NAME = "wardroom"
REPO_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = REPO_ROOT / "resources"


def _home() -> Path | None:
    value = os.environ.get("WARDROOM_HOME")
    return Path(value) if value else None


def data_dir() -> Path:
    """User data: databases, snapshots, generated media."""
    home = _home()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    """Rotating logs and crash files."""
    home = _home()
    path = home / "log" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_dir() -> Path:
    """Small state such as the last-used site and UI preferences."""
    home = _home()
    path = home / "state" if home else Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` so a crash or power cut leaves the old file or the new one, never
    a torn one: written to a temporary file in the same folder, flushed to disk, then renamed over
    ``path`` (and the folder flushed, so the rename itself survives)."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if os.name == "posix":
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

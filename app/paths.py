"""Where Wardroom keeps its files: one place, so tests and installers can redirect all of it.

``WARDROOM_HOME`` (used by tests and portable installs) puts data, logs and state under one folder;
otherwise the platform's user directories are used (platformdirs).
"""

from __future__ import annotations

import os
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

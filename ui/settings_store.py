"""The GUI's own preferences (language for now), as one typed, versioned model.

Kept in ``state_dir()/ui-settings.json``. A missing, unreadable or unknown-version file falls back to
defaults rather than stopping the control room from opening; ``version`` lets a later release migrate
old files instead of guessing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from app.paths import atomic_write_text, state_dir

log = logging.getLogger("wardroom.ui")

Language = Literal["en", "zh_CN"]
SETTINGS_VERSION = 1


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = SETTINGS_VERSION
    language: Language = "en"


def settings_path() -> Path:
    return state_dir() / "ui-settings.json"


def load_settings() -> UiSettings:
    path = settings_path()
    if not path.exists():
        return UiSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        settings = UiSettings.model_validate(data)
    except (OSError, ValueError, ValidationError) as exc:
        log.warning("ignoring unreadable UI settings %s: %s", path, exc)
        return UiSettings()
    if settings.version != SETTINGS_VERSION:
        log.warning("UI settings %s have version %s; using defaults", path, settings.version)
        return UiSettings()
    return settings


def save_settings(settings: UiSettings) -> None:
    """Write atomically and flushed (temp file, fsync, rename): a crash never leaves half a file."""
    atomic_write_text(settings_path(), settings.model_dump_json(indent=2))

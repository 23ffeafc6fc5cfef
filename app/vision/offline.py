"""Keep ultralytics offline and its settings inside Wardroom's state folder.

Why: ultralytics by default writes settings to the user's home, checks PyPI for updates, installs
missing packages with pip and downloads fonts and weights from GitHub. A control room may have no
internet and must not change its own software; so before ultralytics is first imported the app sets
``YOLO_OFFLINE=1``, ``YOLO_AUTOINSTALL=0`` and ``YOLO_CONFIG_DIR`` under the state folder (read from
ultralytics' source: these are read at import). Call :func:`prepare` before any ``import ultralytics``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from app.paths import state_dir

_lock = threading.Lock()
_done: Path | None = None


def config_dir() -> Path:
    """Where ultralytics keeps its settings (and where a label font would go): the state folder."""
    path = state_dir() / "ultralytics"
    path.mkdir(parents=True, exist_ok=True)
    return path


def prepare() -> Path:
    """Set the offline switches (once per process) and return ultralytics' config folder."""
    global _done
    with _lock:
        if _done is not None:
            return _done
        folder = config_dir()
        os.environ["YOLO_OFFLINE"] = "1"
        os.environ["YOLO_AUTOINSTALL"] = "0"
        os.environ["YOLO_CONFIG_DIR"] = str(folder)
        os.environ.setdefault("YOLO_VERBOSE", "False")
        _done = folder
        return folder

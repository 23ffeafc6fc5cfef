"""What every simulated frame carries: the camera's name and clock, as DVRs burn in, and the time stamp.

Shared by the file sources (app/sim/media.py) and the scenes (app/sim/scenes.py), below both.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def _cv2() -> Any:
    import cv2

    cv2.setNumThreads(1)
    return cv2


def burn_in(frame: np.ndarray, name: str, wall_time: float | None = None) -> np.ndarray:
    """Draw the camera name and a clock on a dark strip at the top, and the time stamp strip, in place."""
    from app.sim.stamp import draw_stamp

    cv2 = _cv2()
    if wall_time is None:
        wall_time = time.time()
    draw_stamp(frame, wall_time)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(wall_time))
    text = f"{stamp}  {name}"
    cv2.rectangle(frame, (0, 0), (frame.shape[1], 24), (32, 32, 32), thickness=-1)
    cv2.putText(frame, text, (8, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (235, 235, 235), 1, cv2.LINE_AA)
    return frame

"""A tiny real site for GUI tests: one simulated Modbus PLC and one simulated camera from an image.

Everything it starts is real (a pymodbus server and an MJPEG server on 127.0.0.1 with port 0); the
image is drawn here so the test needs no file from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

SITE_NAME = "Test Ward"
PLC_ID = "panel-1"
CAMERA_ID = "gate"
CAMERA_NAME = "Gate camera"


def write_tiny_site(folder: Path) -> Path:
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    height, width = 480, 854
    ys, xs = np.mgrid[0:height, 0:width]
    image = np.dstack([(xs * 255 // width), (ys * 255 // height), np.full_like(xs, 96)]).astype(np.uint8)
    cv2.rectangle(image, (300, 150), (560, 330), (40, 40, 200), -1)
    cv2.imwrite(str(media / "gate.png"), image)
    site = folder / "tiny.toml"
    site.write_text(
        f"""
[site]
name = "{SITE_NAME}"
timezone = "Asia/Shanghai"

[[plc]]
id = "{PLC_ID}"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 0
poll_ms = 500
timeout_ms = 1000
simulated = true

[[point]]
id = "p.pressure"
plc = "{PLC_ID}"
address = "hr:0"
type = "uint16"
kind = "pressure"

[[camera]]
id = "{CAMERA_ID}"
name = "{CAMERA_NAME}"
url = "http://127.0.0.1:0/gate"
simulated = true
media = "media/gate.png"
""",
        encoding="utf-8",
    )
    return site

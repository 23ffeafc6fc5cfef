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


SENSOR_SITE_NAME = "Sensor Ward"
FAILING_PLC = "panel-a"  # the tests stop this PLC's simulator
LIVE_PLC = "panel-b"
FAILING_POINTS = ("a.pressure", "a.level", "a.temperature", "a.smoke")
LIVE_POINTS = ("b.pressure", "b.smoke")


def write_sensor_site(folder: Path) -> Path:
    """Two simulated Modbus PLCs with one point of each gauge shape, all in one building."""
    folder.mkdir(parents=True, exist_ok=True)
    plc = """
[[plc]]
id = "{id}"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = 0
poll_ms = 300
timeout_ms = 500
simulated = true
"""
    site = folder / "sensors.toml"
    site.write_text(
        f"""
[site]
name = "{SENSOR_SITE_NAME}"
timezone = "Asia/Shanghai"

[[building]]
id = "B1"
name = "Pump house"
{plc.format(id=FAILING_PLC)}
{plc.format(id=LIVE_PLC)}
[[point]]
id = "a.pressure"
plc = "{FAILING_PLC}"
address = "hr:0"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
building = "B1"
range = [0.0, 1.6]
alarms = [{{ limit = "low", value = 0.1 }}, {{ limit = "high", value = 1.4 }}]

[[point]]
id = "a.level"
plc = "{FAILING_PLC}"
address = "hr:1"
type = "uint16"
scale = 0.001
unit = "m"
kind = "level"
building = "B1"
range = [0.0, 4.0]
alarms = [{{ limit = "low", value = 1.5 }}]

[[point]]
id = "a.temperature"
plc = "{FAILING_PLC}"
address = "ir:0"
type = "int16"
scale = 0.1
unit = "°C"
kind = "temperature"
building = "B1"
range = [-20.0, 60.0]
alarms = [{{ limit = "high", value = 40.0 }}]

[[point]]
id = "a.smoke"
plc = "{FAILING_PLC}"
address = "di:0"
type = "bool"
kind = "smoke"
building = "B1"
alarms = [{{ limit = "on", priority = "fire", category = "fire" }}]

[[point]]
id = "b.pressure"
plc = "{LIVE_PLC}"
address = "hr:0"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
building = "B1"
range = [0.0, 1.6]
alarms = [{{ limit = "low", value = 0.1 }}]

[[point]]
id = "b.smoke"
plc = "{LIVE_PLC}"
address = "di:0"
type = "bool"
kind = "smoke"
building = "B1"
alarms = [{{ limit = "on", priority = "fire", category = "fire" }}]
""",
        encoding="utf-8",
    )
    return site

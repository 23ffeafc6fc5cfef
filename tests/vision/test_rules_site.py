"""Zone rule keys travel from the site file into the database (rev0008) and back out unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from app.site.loader import load_site
from app.site.sync import sync_site
from app.storage.database import Database
from models.site import Camera, CameraZone

SITE = """
[site]
name = "Zones"
timezone = "Asia/Shanghai"

[[camera]]
id = "hall"
url = "rtsp://127.0.0.1:8554/hall"
detect = ["person", "bicycle", "motorcycle"]
detect_fps = 2.5

[[camera.zones]]
name = "door"
rule = "line-crossing"
line = [[0.5, 1.0], [0.5, 0.3]]
direction = "in"
alarm = true

[[camera.zones]]
name = "floor"
rule = "no-ebike"
polygon = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]
dwell_s = 5
priority = "urgent"

[[camera.zones]]
name = "night"
rule = "no-person-at-night"
polygon = [[0, 0.5], [1, 0.5], [1, 1]]
schedule = "23:00-05:30"

[vision]
face_display = "box"
access_retention_days = 30
"""


def test_zone_rule_keys_are_synced_as_written(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    loaded = load_site(path)
    assert loaded.site.vision.face_display == "box" and loaded.site.vision.access_retention_days == 30
    db = Database(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    try:
        db.upgrade()
        sync_site(db, loaded)
        with db.session() as session:
            camera = session.scalars(select(Camera)).one()
            assert camera.detect_fps == 2.5
            zones = {z.name: z for z in session.scalars(select(CameraZone))}
            door, floor, night = zones["door"], zones["floor"], zones["night"]
            assert json.loads(door.line or "") == [[0.5, 1.0], [0.5, 0.3]]
            assert (door.direction, door.alarm, door.polygon) == ("in", True, "[]")
            assert (floor.dwell_s, floor.priority, floor.category, floor.line) == (5.0, "urgent", None, None)
            assert (night.schedule, night.dwell_s, night.direction) == ("23:00-05:30", None, None)
    finally:
        db.close()

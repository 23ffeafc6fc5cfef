"""A tile's caption and notice per camera state, its drop target, and the camera tree's search."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from widgets.camera_tree import CameraTree, TreeCamera
from widgets.video_tile import CAMERA_MIME, VideoTile, age_words, cameras_in


def test_states_show_in_caption_notice_and_style_property(qtbot: QtBot, themed_app: QApplication) -> None:
    tile = VideoTile("gate", "North gate")
    qtbot.addWidget(tile)
    assert tile.state == "connecting" and "Waiting for video" in tile.notice_text
    tile.set_frame(np.zeros((90, 160, 3), np.uint8), at=0.0)
    tile.set_state("live", fps=9.96)
    assert tile.has_signal and "10.0 fps" in tile.caption_text and tile.notice_text == ""
    tile.set_state("stalled", "no frame for 12 s", age_s=12.4)
    assert tile.property("tileState") == "stalled" and tile.has_picture, "stalled keeps the last picture"
    assert "stalled 12 s" in tile.caption_text and "No new picture for 12 s" in tile.notice_text
    tile.set_state("lost", "connection refused")
    assert not tile.has_picture and "connection refused" in tile.notice_text and "lost" in tile.caption_text
    assert tile.property("signal") == "lost"
    tile.set_state("disabled", "switched off")
    assert "Camera disabled" in tile.notice_text
    tile.assign("", "")
    assert tile.state == "empty" and "Drop a camera here" in tile.notice_text
    assert [age_words(s) for s in (4, 125, 7200)] == ["4 s", "2 min", "2 h"]


def test_tree_search_over_1000_cameras_and_drag_data(qtbot: QtBot, themed_app: QApplication) -> None:
    tree = CameraTree()
    qtbot.addWidget(tree)
    tree.set_cameras([TreeCamera(f"cam-{i:04d}", f"Stairwell {i}", f"Block {i % 25}") for i in range(1000)])
    assert tree.model.camera_count() == 1000 and tree.model.rowCount() == 25
    qtbot.keyClicks(tree.search_box, "CAM-0777")
    assert tree.shown_camera_ids() == ["cam-0777"]
    tree.set_search("stairwell 99")
    assert sorted(tree.shown_camera_ids()) == ["cam-0099"] + [f"cam-{i:04d}" for i in range(990, 1000)]
    tree.set_search("block 3")  # a building's name finds its cameras
    assert len(tree.shown_camera_ids()) == 40
    tree.set_search("")
    assert len(tree.shown_camera_ids()) == 1000
    mime = tree.mime_for("cam-0042")
    assert mime.hasFormat(CAMERA_MIME) and cameras_in(mime) == ["cam-0042"]
    with qtbot.waitSignal(tree.cameraActivated) as activated:
        tree.view.activated.emit(tree.view.model().index(0, 0, tree.view.model().index(0, 0)))
    assert activated.args == ["cam-0000"]

"""The building list: counts as plain data, highlighted in the palette's notice colours."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from widgets.building_list import BuildingList


def test_counts_and_highlight(qtbot: QtBot, themed_app: QApplication) -> None:
    buildings = BuildingList()
    qtbot.addWidget(buildings)
    buildings.add_building("B1", "Block 1")
    buildings.add_building("B2", "Block 2")
    buildings.set_counts({"B1": 0, "B2": 0})
    assert buildings.building_ids() == ["B1", "B2"]
    assert buildings.text_of("B2") == "Block 2" and not buildings.is_highlighted("B2")
    buildings.set_counts({"B2": 3})
    assert buildings.text_of("B2") == "Block 2\n3 abnormal" and buildings.is_highlighted("B2")
    item = buildings.item(1)
    assert item.toolTip() == "Block 2 — 3 abnormal"
    assert item.background().color() == buildings.colour("abnormalColor")
    assert buildings.item(0).data(Qt.ItemDataRole.BackgroundRole) is None
    buildings.setProperty("abnormalColor", QColor("#123456"))
    assert buildings.item(1).background().color() == QColor("#123456"), "a new QSS colour shows at once"


def test_without_a_stylesheet_the_palette_still_marks_trouble(qtbot: QtBot) -> None:
    buildings = BuildingList()
    qtbot.addWidget(buildings)
    assert buildings.colour("abnormalColor") == buildings.palette().color(
        buildings.palette().ColorRole.ToolTipBase
    )

"""The list of buildings beside the gauges, each with its count of abnormal points.

Plain data in (building ids, names, counts); a building with abnormal points is highlighted in the
palette's notice colours (``qproperty-abnormalColor``/``abnormalTextColor`` from the QSS), so a
building in trouble is never scrolled out of sight the way a tab was.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from widgets.style import ColourRoles, colour_property

Role = QPalette.ColorRole
# Without the stylesheet an abnormal building still stands out: the tooltip's notice colours.
_COLOUR_DEFAULTS: dict[str, Role] = {"abnormalColor": Role.ToolTipBase, "abnormalTextColor": Role.ToolTipText}


class BuildingList(ColourRoles, QListWidget):
    """The buildings with their abnormal-point counts; a building with any is highlighted.

    The order stays the site file's (an item does not move under the operator's pointer); abnormal
    items take the palette's notice colour, set from QSS as ``qproperty-abnormalColor``.
    """

    COLOUR_DEFAULTS = _COLOUR_DEFAULTS

    abnormalColor = colour_property("abnormalColor")
    abnormalTextColor = colour_property("abnormalTextColor")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("buildingList")
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setUniformItemSizes(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def add_building(self, building_id: str, name: str) -> None:
        item = QListWidgetItem(self)
        item.setData(Qt.ItemDataRole.UserRole, building_id)
        self._names[building_id] = name
        self._counts[building_id] = 0

    def building_ids(self) -> list[str]:
        return [str(self.item(row).data(Qt.ItemDataRole.UserRole)) for row in range(self.count())]

    def current_building(self) -> str | None:
        item = self.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def text_of(self, building_id: str) -> str:
        return self.item(self.building_ids().index(building_id)).text()

    def is_highlighted(self, building_id: str) -> bool:
        return self._counts.get(building_id, 0) > 0

    def set_names(self, names: dict[str, str]) -> None:
        """Display names (the "No building" group's is translated, so it changes with the language)."""
        self._names.update(names)
        self.show_counts()

    def _colours_changed(self) -> None:
        self.show_counts()

    def set_counts(self, counts: dict[str, int]) -> None:
        self._counts.update(counts)
        self.show_counts()

    def show_counts(self) -> None:
        highlight = self.colour("abnormalColor")
        ink = self.colour("abnormalTextColor")
        reworded = False
        for row in range(self.count()):
            item = self.item(row)
            building_id = str(item.data(Qt.ItemDataRole.UserRole))
            name = self._names.get(building_id, building_id)
            count = self._counts.get(building_id, 0)
            # Two lines, never wrapped: the name (elided if long; whole in the tooltip) and the count,
            # which stays whole however narrow the list gets.
            text = name + "\n" + self.tr("{count} abnormal").format(count=count) if count else name
            if item.text() != text:
                item.setText(text)
                item.setToolTip(text.replace("\n", " — "))
                reworded = True
            if count:
                item.setBackground(QBrush(highlight))
                item.setForeground(QBrush(ink))
            else:
                item.setData(Qt.ItemDataRole.BackgroundRole, None)
                item.setData(Qt.ItemDataRole.ForegroundRole, None)
        if reworded:
            self.doItemsLayout()  # an item that gained or lost its count line changes height

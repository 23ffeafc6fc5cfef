"""Helpers for state shown through dynamic properties.

Widgets never pick colours: they set a dynamic property (``linkState``, ``alarmState``, ``signal``)
and the one QSS palette (``resources/themes/isa101.qss``) maps it to a look with property selectors,
as PyDM does. Qt evaluates property selectors only when a widget is polished, so a property change
must re-polish the widget (and the children whose selectors depend on it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget


def colour_property(name: str) -> Any:
    """A ``QColor`` Qt property that the QSS sets (``qproperty-<name>``), so colours live in one palette.

    The owning widget keeps ``_colours: dict[str, QColor]``, answers ``colour(name)`` (its default when
    the QSS set nothing) and reacts in ``_colours_changed()``. A re-polish sets every qproperty again,
    so an unchanged colour changes nothing.
    """

    def getter(self: Any) -> QColor:
        return self.colour(name)

    def setter(self: Any, colour: QColor | str) -> None:
        new = QColor(colour)
        if self._colours.get(name) == new:
            return
        self._colours[name] = new
        self._colours_changed()

    return Property(QColor, getter, setter)


def set_style_property(widget: QWidget, name: str, value: str, *children: QWidget) -> bool:
    """Set a styling property and re-polish; returns False (and does nothing) if it is unchanged.

    Re-polishing is not free, so callers updating at a steady rate pay only for real changes.
    """
    if widget.property(name) == value:
        return False
    widget.setProperty(name, value)
    for target in (widget, *children):
        target.setProperty(name, value)
        style = target.style()
        style.unpolish(target)
        style.polish(target)
        target.update()
    return True

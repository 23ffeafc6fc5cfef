"""Helpers for state shown through dynamic properties.

Widgets never pick colours: they set a dynamic property (``linkState``, ``alarmState``, ``signal``)
and the one QSS palette (``resources/themes/isa101.qss``) maps it to a look with property selectors,
as PyDM does. Qt evaluates property selectors only when a widget is polished, so a property change
must re-polish the widget (and the children whose selectors depend on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

from PySide6.QtCore import Property
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget


def colour_property(name: str) -> Any:
    """A ``QColor`` Qt property that the QSS sets (``qproperty-<name>``), so colours live in one palette.

    The owning widget mixes in :class:`ColourRoles`, which keeps the colours set, answers
    ``colour(name)`` (its palette default when the QSS set nothing) and reacts in
    ``_colours_changed()``. A re-polish sets every qproperty again, so an unchanged colour changes
    nothing.
    """

    def getter(self: Any) -> QColor:
        return self.colour(name)

    def setter(self: Any, colour: QColor | str) -> None:
        new = QColor(colour)
        colours = self.__dict__.setdefault("_colours", {})
        if colours.get(name) == new:
            return
        colours[name] = new
        self._colours_changed()

    return Property(QColor, getter, setter)


class ColourRoles:
    """Mixed into a widget whose colours are :func:`colour_property` roles.

    ``COLOUR_DEFAULTS`` maps each role to the palette role it falls back on, so the widget draws in
    distinct colours even without the stylesheet, and no hex value lives in a widget.
    """

    COLOUR_DEFAULTS: ClassVar[Mapping[str, QPalette.ColorRole]] = {}

    def colour(self, name: str) -> QColor:
        """The colour of a role: set by QSS/``setProperty``, else its palette role."""
        colour = self.__dict__.get("_colours", {}).get(name)
        if colour is not None and colour.isValid():
            return QColor(colour)
        return cast(QWidget, self).palette().color(self.COLOUR_DEFAULTS[name])

    def _colours_changed(self) -> None:
        cast(QWidget, self).update()


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

"""The pages later issues build, each saying plainly what it will hold.

The wording lives here (in ``ui``, translated with ``tr``); ``widgets.placeholder_page`` only lays it
out. Each page re-words itself on ``LanguageChange``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QWidget

from widgets.placeholder_page import PlaceholderPage


class _Placeholder(PlaceholderPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._retranslate()

    def _texts(self) -> tuple[str, str]:
        raise NotImplementedError

    def _retranslate(self) -> None:
        self.set_texts(*self._texts())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


class MapPage(_Placeholder):
    def _texts(self) -> tuple[str, str]:
        return (
            self.tr("Map"),
            self.tr(
                "This page will show the buildings and floor plans of the site with the cameras, sensors "
                "and active alarms in their places, so an alarm can be located at a glance."
            ),
        )


class RecordsPage(_Placeholder):
    def _texts(self) -> tuple[str, str]:
        return (
            self.tr("Records"),
            self.tr(
                "This page will hold the ward's records: residents and households, volunteers and their "
                "service hours, elderly care, employment support, duty rosters, and registered vehicles "
                "and e-bikes. Every view and export of personal data will be audited."
            ),
        )

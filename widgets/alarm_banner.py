"""The always-visible alarm strip at the top of the main window.

It shows the single most important active alarm (fire first, then by priority, newest first; the
alarm engine decides which and passes it in as plain data) and how many are active. With no active
alarm it is a quiet grey line saying so: ISA-101 keeps colour for abnormal states, so the strip only
takes a colour (through the ``alarmState`` property and the QSS palette) when there is something to
act on.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from widgets.style import set_style_property

PRIORITIES: tuple[str, ...] = ("fire", "urgent", "high", "medium", "low")


class AlarmBanner(QFrame):
    """Plain data in: ``show_alarm(text, priority, active_count)`` or ``clear()``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmBanner")
        self._text = ""
        self._priority = "none"
        self._count = 0
        self._message = QLabel(self)
        self._message.setObjectName("bannerMessage")
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._counter = QLabel(self)
        self._counter.setObjectName("bannerCount")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self._message, 1)
        layout.addWidget(self._counter, 0)
        self.setProperty("alarmState", "")
        set_style_property(self, "alarmState", "none", self._message, self._counter)
        self._retranslate()

    @property
    def alarm_state(self) -> str:
        """``none`` or the priority of the alarm shown."""
        return self._priority

    @property
    def message(self) -> str:
        return self._message.text()

    def show_alarm(self, text: str, priority: str, active_count: int) -> None:
        """Show the alarm to act on first and the number of active alarms."""
        if priority not in PRIORITIES:
            raise ValueError(f"unknown alarm priority {priority!r}; expected one of {', '.join(PRIORITIES)}")
        self._text = text
        self._priority = priority
        self._count = max(active_count, 1)
        set_style_property(self, "alarmState", priority, self._message, self._counter)
        self._retranslate()

    def clear(self) -> None:
        """Back to the quiet "no active alarms" line."""
        self._text = ""
        self._priority = "none"
        self._count = 0
        set_style_property(self, "alarmState", "none", self._message, self._counter)
        self._retranslate()

    def _retranslate(self) -> None:
        if self._priority == "none":
            self._message.setText(self.tr("No active alarms"))
            self._counter.setText("")
        else:
            self._message.setText(self._text)
            self._counter.setText(self.tr("Active alarms: {count}").format(count=self._count))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

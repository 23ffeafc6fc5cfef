"""The always-visible alarm strip at the top of the main window.

It shows the single most important active alarm (fire first, then by priority, newest first; the
alarm engine decides which and passes it in as plain data) and how many are active. With no active
alarm it is a quiet grey line saying so: ISA-101 keeps colour for abnormal states, so the strip only
takes a colour (through the ``alarmState`` property and the QSS palette) when there is something to
act on.

It never claims calm that is not there. Until the alarm engine feeds it, the window also passes the
number of points whose value is beyond one of their alarm limits (``show_beyond_limits``, worked out
by the ui layer with the same rule the gauges use); with no alarm shown and such points present the
strip says how many (``alarmState`` ``beyond``) instead of "No active alarms".

With an occurrence id (``show_alarm(..., occurrence_id=...)``) a click on the strip emits
``clicked(id)``, so the window opens that alarm in the console. Where there is no sound device the
window turns on ``flash(True)``: while an alarm is shown the strip then blinks at ~1 Hz between its
priority look and a dim one (the ``blink`` property, styled in the QSS), only while it is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from widgets.elided_label import ElidedLabel
from widgets.shown_timer import ShownTimer
from widgets.style import set_style_property

PRIORITIES: tuple[str, ...] = ("fire", "urgent", "high", "medium", "low")
FLASH_INTERVAL_MS = 500  # one phase; on and off make ~1 Hz


class AlarmBanner(QFrame):
    """Plain data in: ``show_alarm(text, priority, count, occurrence_id)`` or ``show_calm()``.

    ``clicked(int)`` carries the occurrence id of the alarm shown (no click without one).
    """

    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmBanner")
        self._text = ""
        self._priority = "none"
        self._count = 0
        self._acknowledged = 0  # active alarms shown with no alarm waiting for acknowledgement
        self._beyond = 0
        self._occurrence: int | None = None
        self._flash = False
        self._dim = False
        self._blink_timer = ShownTimer(self, FLASH_INTERVAL_MS, self._blink, name="bannerFlash",
                                       on_show=self._bright, may_run=self._may_blink)  # fmt: skip
        self._message = ElidedLabel(parent=self)  # a narrow window elides; the tooltip has it whole
        self._message.setObjectName("bannerMessage")
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._counter = QLabel(self)
        self._counter.setObjectName("bannerCount")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self._message, 1)
        layout.addWidget(self._counter, 0)
        self.setProperty("alarmState", "")
        self.setProperty("blink", "")
        set_style_property(self, "blink", "off", self._message, self._counter)
        set_style_property(self, "alarmState", "none", self._message, self._counter)
        self._retranslate()

    @property
    def alarm_state(self) -> str:
        """``none`` or the priority of the alarm shown."""
        return self._priority

    @property
    def message(self) -> str:
        """The whole message (the strip may show it elided)."""
        return self._message.full_text

    @property
    def beyond_count(self) -> int:
        """How many points the strip was told are beyond one of their limits."""
        return self._beyond

    def show_beyond_limits(self, count: int) -> None:
        """How many points are beyond an alarm limit now (0: none), shown while no alarm is."""
        count = max(0, int(count))
        if count == self._beyond:
            return
        self._beyond = count
        self._apply_state()

    @property
    def occurrence_id(self) -> int | None:
        """The occurrence a click opens (None: no alarm shown, or shown without an id)."""
        return self._occurrence

    @property
    def flashing(self) -> bool:
        """Whether flash mode is on (it blinks only while an alarm is shown)."""
        return self._flash

    @property
    def dimmed(self) -> bool:
        """The blink phase now: True while the strip shows its dim look."""
        return self._dim

    def show_alarm(self, text: str, priority: str, count: int, occurrence_id: int | None = None) -> None:
        """Show the alarm to act on first (newest unacknowledged of the highest priority) and the count."""
        if priority not in PRIORITIES:
            raise ValueError(f"unknown alarm priority {priority!r}; expected one of {', '.join(PRIORITIES)}")
        self._text = text
        self._priority = priority
        self._count = max(count, 1)
        self._occurrence = occurrence_id
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if occurrence_id is not None else Qt.CursorShape.ArrowCursor
        )
        self._apply_state()
        self._blink_timer.resume()

    def show_calm(self, active: int = 0) -> None:
        """No alarm waits for acknowledgement. ``active`` alarms are still open (acknowledged): the
        strip says so rather than "No active alarms"; with none, the quiet line (or beyond-limits)."""
        self.clear()
        if active:
            self._acknowledged = active
            self._retranslate()

    def clear(self) -> None:
        """Back to the quiet "no active alarms" line."""
        self._text = ""
        self._priority = "none"
        self._count = 0
        self._acknowledged = 0
        self._occurrence = None
        self.unsetCursor()
        self._bright()
        self._blink_timer.stop()
        self._apply_state()

    def flash(self, on: bool) -> None:
        """Blink while an alarm is shown (the window's stand-in for a missing sound device)."""
        self._flash = bool(on)
        if self._flash:
            self._blink_timer.resume()
        else:
            self._blink_timer.stop()
            self._bright()

    def _may_blink(self) -> bool:
        return self._flash and self._priority != "none"

    def _bright(self) -> None:
        self._dim = False
        set_style_property(self, "blink", "off", self._message, self._counter)

    def _blink(self) -> None:
        if not self._may_blink():
            self._blink_timer.stop()
            self._bright()
            return
        self._dim = not self._dim
        set_style_property(self, "blink", "dim" if self._dim else "off", self._message, self._counter)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if (
            event.button() == Qt.MouseButton.LeftButton
            and self._occurrence is not None
            and self.rect().contains(event.position().toPoint())
        ):
            self.clicked.emit(self._occurrence)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _apply_state(self) -> None:
        state = self._priority
        if state == "none" and self._beyond:
            state = "beyond"
        set_style_property(self, "alarmState", state, self._message, self._counter)
        self._retranslate()

    def _retranslate(self) -> None:
        if self._priority == "none" and self._beyond:
            if self._beyond == 1:
                text = self.tr("1 point beyond its limits — alarm handling not yet active")
            else:
                text = self.tr("{count} points beyond their limits — alarm handling not yet active")
            self._message.set_full_text(text.format(count=self._beyond))
            self._counter.setText("")
        elif self._priority == "none" and self._acknowledged:
            self._message.set_full_text(self.tr("All active alarms are acknowledged"))
            self._counter.setText(self.tr("Active alarms: {count}").format(count=self._acknowledged))
        elif self._priority == "none":
            self._message.set_full_text(self.tr("No active alarms"))
            self._counter.setText("")
        else:
            self._message.set_full_text(self._text)
            self._counter.setText(self.tr("Active alarms: {count}").format(count=self._count))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

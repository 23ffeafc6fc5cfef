"""A small lamp with a label: the link state of one PLC or camera, for the status bar.

The state is a dynamic property (``linkState``: a PLC's ``unknown`` / ``connected`` / ``disconnected``,
a camera's ``connecting`` / ``live`` / ``stalled`` / ``lost`` / ``error`` / ``disabled``) so the QSS
palette decides the look: grey while things are normal, colour only when a link is down
(ISA-101). The reason a link is down goes in the tooltip and in ``reason``, in plain words, so the
operator can tell "refused" from "timed out" without opening a log.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from widgets.style import set_style_property

LINK_STATES: tuple[str, ...] = (
    "unknown",
    "connected",
    "disconnected",
    "connecting",
    "live",
    "stalled",
    "lost",
    "error",
    "disabled",
)
_FINE = frozenset({"connected", "live"})


class StatusLamp(QFrame):
    """One link lamp. Takes plain data: a kind ("plc"/"camera"), an id, a label and a state."""

    def __init__(self, kind: str, link_id: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLamp")
        self._kind = kind
        self._link_id = link_id
        self._label_text = label
        self._state = "unknown"
        self._reason = ""
        self._endpoint = ""
        self._dot = QLabel(self)
        self._dot.setObjectName("lampDot")
        self._dot.setFixedSize(12, 12)
        self._text = QLabel(label, self)
        self._text.setObjectName("lampText")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 1, 6, 1)
        layout.setSpacing(5)
        layout.addWidget(self._dot, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._text, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setProperty("linkState", "")
        set_style_property(self, "linkState", "unknown", self._dot, self._text)
        self._update_tooltip()

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def link_id(self) -> str:
        return self._link_id

    @property
    def state(self) -> str:
        return self._state

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def label(self) -> str:
        return self._label_text

    @property
    def dot(self) -> QLabel:
        """The coloured lamp itself (tests crop screenshots to it)."""
        return self._dot

    def set_state(self, state: str, reason: str = "", endpoint: str = "") -> None:
        """Show a new link state; an unknown state word is shown as ``unknown`` rather than raising."""
        if state not in LINK_STATES:
            state = "unknown"
        self._state = state
        self._reason = reason if state not in _FINE else ""  # unknown: why (a console: no station)
        if endpoint:
            self._endpoint = endpoint
        set_style_property(self, "linkState", state, self._dot, self._text)
        self._update_tooltip()

    def set_label(self, label: str) -> None:
        """Change the words beside the lamp (a summary lamp counts what it stands for)."""
        self._label_text = label
        self._text.setText(label)
        self._update_tooltip()

    def _state_words(self) -> str:
        words = {
            "unknown": self.tr("not yet checked"),
            "connected": self.tr("connected"),
            "disconnected": self.tr("disconnected"),
            "connecting": self.tr("connecting"),
            "live": self.tr("live"),
            "stalled": self.tr("stalled"),
            "lost": self.tr("lost"),
            "error": self.tr("error"),
            "disabled": self.tr("disabled"),
        }
        return words[self._state]

    def _update_tooltip(self) -> None:
        lines = [f"{self._label_text}: {self._state_words()}"]
        if self._reason:
            lines.append(self._reason)
        if self._endpoint:
            lines.append(self._endpoint)
        self.setToolTip("\n".join(lines))

    def changeEvent(self, event: QEvent) -> None:
        """Re-word the tooltip when the language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self._update_tooltip()
        super().changeEvent(event)

"""A redraw timer that runs only while its widget is shown (DESIGN §3, §8.4).

Every view that repaints on a timer wants the same three things: a bounded rate, one catch-up tick the
moment it is shown (so it does not show stale content for a tick), and no ticks at all while it is
hidden (another page is in front, or the window is minimised). :class:`ShownTimer` does that by
watching its widget's show and hide events, so a view does not override ``showEvent``/``hideEvent``
for it, and the rule is written once.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


def interval_for(rate_hz: float, max_hz: float) -> int:
    """The timer interval in ms for ``rate_hz``, never faster than ``max_hz`` (a non-positive rate: max)."""
    rate = min(max_hz, rate_hz) if rate_hz > 0 else max_hz
    return max(1, round(1000.0 / rate))


class ShownTimer(QTimer):
    """A ``QTimer`` owned by ``widget`` that starts when the widget is shown and stops when it is hidden.

    ``tick`` runs on every timeout. On show, ``on_show`` runs first (default: ``tick``; a view that
    must lay out before it paints passes its own), then the timer starts. ``may_run`` (default:
    always) says whether there is anything to tick for: a camera wall with no streams, or a page that
    was shut down, stays still even when shown.
    """

    def __init__(
        self,
        widget: QWidget,
        interval_ms: int,
        tick: Callable[[], object],
        *,
        name: str = "",
        on_show: Callable[[], object] | None = None,
        may_run: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(widget)
        if name:
            self.setObjectName(name)
        self.setInterval(max(1, int(interval_ms)))
        self.timeout.connect(tick)
        self._widget = widget
        self._on_show = tick if on_show is None else on_show
        self._may_run = may_run
        widget.installEventFilter(self)

    def may_run(self) -> bool:
        return self._may_run is None or bool(self._may_run())

    def resume(self) -> None:
        """Start now if the widget is shown and may run (something to tick for appeared)."""
        if self._widget.isVisible() and self.may_run():
            self.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget:
            kind = event.type()
            if kind == QEvent.Type.Show:
                if self.may_run():
                    self._on_show()
                    self.start()
            elif kind == QEvent.Type.Hide:
                self.stop()
        return False

"""The one place where core events cross into Qt.

Core services publish on ``app.events.EventBus`` from their own threads (the link monitor, the
simulators, the fieldbus pollers, later the alarm engine) and call subscribers on that thread. The bridge's
subscriber does nothing but emit a Qt signal carrying the (frozen, immutable) event. Receivers live
in the GUI thread and connect with ``Qt.QueuedConnection`` (``connect_queued``), so Qt copies the
call into the GUI thread's event queue: widgets are only ever touched by the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from app.events import EventBus, LinkStateChanged, ServiceStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged

log = logging.getLogger("wardroom.ui")


class CoreBridge(QObject):
    """Subscribes to the bus on creation; ``close()`` unsubscribes (call it before deleting)."""

    linkStateChanged = Signal(object)  # carries a LinkStateChanged
    serviceStateChanged = Signal(object)  # carries a ServiceStateChanged
    # The pollers publish a value only when it moves by its deadband, and a quality on change, so
    # these carry changes, not every scan; receivers store them and repaint on their own timers.
    pointValueChanged = Signal(object)  # carries a PointValueChanged
    pointQualityChanged = Signal(object)  # carries a PointQualityChanged

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._unsubscribers: list[Callable[[], None]] = [
            bus.subscribe(LinkStateChanged, self._on_link),
            bus.subscribe(ServiceStateChanged, self._on_service),
            bus.subscribe(PointValueChanged, self._on_value),
            bus.subscribe(PointQualityChanged, self._on_quality),
        ]

    @property
    def bus(self) -> EventBus:
        return self._bus

    def close(self) -> None:
        """Stop listening: after this no signal is emitted from a core thread."""
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()

    # Called on the publisher's thread: emit only, never touch a widget here.
    def _on_link(self, event: LinkStateChanged) -> None:
        self.linkStateChanged.emit(event)

    def _on_service(self, event: ServiceStateChanged) -> None:
        self.serviceStateChanged.emit(event)

    def _on_value(self, event: PointValueChanged) -> None:
        self.pointValueChanged.emit(event)

    def _on_quality(self, event: PointQualityChanged) -> None:
        self.pointQualityChanged.emit(event)


def connect_queued(signal: SignalInstance, slot: Callable[..., object]) -> None:
    """Connect so the slot always runs in the receiver's (GUI) thread, whatever thread emits."""
    signal.connect(slot, Qt.ConnectionType.QueuedConnection)
    log.debug("queued connection to %r", slot)

"""The one place where core events cross into Qt.

Core services publish on ``app.events.EventBus`` from their own threads (the link monitor, the
simulators, the fieldbus pollers, later the alarm engine) and call subscribers on that thread. The
bridge's subscribers never touch a widget. Receivers live in the GUI thread and connect with
``Qt.QueuedConnection`` (``connect_queued``), so Qt copies each call into the GUI thread's event queue.

Two kinds of traffic, two ways across:

- **Link, service and station-silence events** are rare and each one matters (a lamp turns red): one
  queued signal per event (``linkStateChanged``, ``serviceStateChanged``, ``stationSilenceChanged``).
- **Point events** come in bursts: when 50 PLCs drop at once, about 10,000 ``PointQualityChanged``
  arrive within a scan, and a queued signal costs about 13 µs of GUI-thread time each. So the
  publisher's thread only stores the event in a locked dict keyed by point id (the newest event of a
  point replaces an older one: each carries the point's whole reading, so nothing but superseded
  intermediate states is dropped). The first store after a flush posts *one* queued wake-up; the GUI
  thread then swaps the dict out and emits ``pointsChanged(list)`` with one event per point, at most
  once per ``FLUSH_INTERVAL_MS``. A burst of any size costs a handful of signals.
- **Alarm events** (``AlarmChanged``, published by the engine after the journal holds them) are kept
  in a list in publishing order (every transition counts: a new raising feeds the flood watch, a
  re-alarm sounds again) and emitted as ``alarmsChanged(list)`` on a wake-up and timer of their own,
  at most every ``ALARM_FLUSH_INTERVAL_MS``, so an alarm never waits for the points' slot. 500
  alarms in a second are a few dozen signals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance, Slot

from app.alarms.events import AlarmChanged
from app.events import EventBus, LinkStateChanged, ServiceStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fleet.feed import StationSilence

log = logging.getLogger("wardroom.ui")

FLUSH_INTERVAL_MS = 150  # point batches reach the GUI at most this often (100-200 ms: no visible lag)
ALARM_FLUSH_INTERVAL_MS = 50  # alarms have their own, shorter beat: they never wait behind the points

PointEvent = PointValueChanged | PointQualityChanged


class _Beat(QObject):
    """A GUI-thread flush at most every ``interval_ms``, woken by one queued signal per batch.

    Publishers call :meth:`wake` after storing under the bridge's lock whether a wake-up is already
    on its way (``posted``); the GUI thread then calls ``flush`` at once, or after the rest of the
    interval so the batch keeps filling meanwhile.
    """

    _wake = Signal()  # posted (queued) from a publisher thread: "there is a batch waiting"

    def __init__(self, name: str, interval_ms: int, flush: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.posted = False  # guarded by the bridge's lock: a wake-up (or the delay) is on its way
        self._interval_ms = interval_ms
        self._flush = flush
        self._last = -1e9  # monotonic seconds of the last flush (GUI thread only)
        self._delay = QTimer(self)
        self._delay.setObjectName(name)
        self._delay.setSingleShot(True)
        self._delay.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire 5 % early
        self._delay.timeout.connect(self.flush)
        self._wake.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)

    def wake(self) -> None:
        self._wake.emit()  # the only signal per batch that crosses threads

    def stop(self) -> None:
        self._delay.stop()

    @Slot()
    def _on_wake(self) -> None:
        wait_ms = self._last * 1000.0 + self._interval_ms - time.monotonic() * 1000.0
        if wait_ms > 1.0:
            self._delay.start(max(1, round(wait_ms)))
        else:
            self.flush()

    @Slot()
    def flush(self) -> None:
        self._last = time.monotonic()
        self._flush()


class CoreBridge(QObject):
    """Subscribes to the bus on creation; ``close()`` unsubscribes (call it before deleting)."""

    linkStateChanged = Signal(object)  # carries a LinkStateChanged
    serviceStateChanged = Signal(object)  # carries a ServiceStateChanged
    stationSilenceChanged = Signal(object)  # carries a StationSilence (consoles: a station stopped beating)
    # A list of PointValueChanged / PointQualityChanged, at most one per point id (the newest), in the
    # order their points first changed since the last batch. Receivers store them and repaint on their
    # own timers.
    pointsChanged = Signal(list)
    # A list of AlarmChanged in the order the engine published them (each already journaled, or marked
    # not recorded), at most once per ALARM_FLUSH_INTERVAL_MS.
    alarmsChanged = Signal(list)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._lock = threading.Lock()
        self._pending: dict[str, PointEvent] = {}
        self._alarms: list[AlarmChanged] = []
        self._batches = 0
        self._closed = False
        self._points_beat = _Beat("bridgeFlushDelay", FLUSH_INTERVAL_MS, self._flush_points, self)
        self._alarms_beat = _Beat("bridgeAlarmFlushDelay", ALARM_FLUSH_INTERVAL_MS, self._flush_alarms, self)
        self._unsubscribers: list[Callable[[], None]] = [
            bus.subscribe(LinkStateChanged, self._on_link),
            bus.subscribe(ServiceStateChanged, self._on_service),
            bus.subscribe(PointValueChanged, self._on_point),
            bus.subscribe(PointQualityChanged, self._on_point),
            bus.subscribe(AlarmChanged, self._on_alarm),
            bus.subscribe(StationSilence, self._on_silence),
        ]

    @property
    def bus(self) -> EventBus:
        return self._bus

    @property
    def batches(self) -> int:
        """How many ``pointsChanged`` batches were emitted (tests bound it)."""
        return self._batches

    def close(self) -> None:
        """Stop listening: after this no signal is emitted from a core thread, and no batch either."""
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._alarms.clear()
        self._points_beat.stop()
        self._alarms_beat.stop()

    # Called on the publisher's thread: emit or store only, never touch a widget here.
    def _on_link(self, event: LinkStateChanged) -> None:
        self.linkStateChanged.emit(event)

    def _on_service(self, event: ServiceStateChanged) -> None:
        self.serviceStateChanged.emit(event)

    def _on_silence(self, event: StationSilence) -> None:
        self.stationSilenceChanged.emit(event)

    def _on_point(self, event: PointEvent) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending[event.reading.point_id] = event
            if self._points_beat.posted:
                return
            self._points_beat.posted = True
        self._points_beat.wake()

    def _on_alarm(self, event: AlarmChanged) -> None:
        with self._lock:
            if self._closed:
                return
            self._alarms.append(event)
            if self._alarms_beat.posted:
                return
            self._alarms_beat.posted = True
        self._alarms_beat.wake()

    # GUI thread from here on.
    def _flush_points(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, {}
            self._points_beat.posted = False
            closed = self._closed
        if not closed and batch:
            self._batches += 1
            self.pointsChanged.emit(list(batch.values()))

    def _flush_alarms(self) -> None:
        with self._lock:
            alarms, self._alarms = self._alarms, []
            self._alarms_beat.posted = False
            closed = self._closed
        if not closed and alarms:
            self.alarmsChanged.emit(alarms)


def connect_queued(signal: SignalInstance, slot: Callable[..., object]) -> None:
    """Connect so the slot always runs in the receiver's (GUI) thread, whatever thread emits."""
    signal.connect(slot, Qt.ConnectionType.QueuedConnection)
    log.debug("queued connection to %r", slot)

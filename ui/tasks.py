"""Run one blocking call off the GUI thread and get its result back as a Qt signal.

The GUI thread only paints and handles input; anything that may wait on a disk, a socket or a
password hash (starting the station, checking a login) runs here instead. As in Orange's
``concurrent`` helpers, the task is a plain function that never touches a widget; its outcome comes
back through ``succeeded``/``failed``, which Qt queues into the GUI thread because this object lives
there and the worker thread emits.

Shutdown runs against one deadline (``ui.session``), so calls whose answers no longer matter
(history queries, drills) are *abandoned*, not joined: their threads are daemons, end on their own
timeouts, and never touch a deleted object. ``LatestCall`` keeps one query in flight at a time and
lets the newest request wait, so an operator clicking fast cannot start a thread per click.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger("wardroom.ui")


class BackgroundCall(QObject):
    """One call of ``fn`` on a worker thread. ``start()`` once; ``wait()`` before dropping it."""

    succeeded = Signal(object)  # fn's return value
    failed = Signal(object)  # the exception fn raised

    def __init__(self, name: str, fn: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._fn = fn
        # daemon: a call stuck past its own timeouts must not keep a closing application alive.
        self._thread = threading.Thread(target=self._run, name=f"wardroom-{name}", daemon=True)
        self._started = False
        self._gate = threading.Lock()
        self._abandoned = False

    @property
    def name(self) -> str:
        return self._name

    def start(self) -> None:
        if self._started:
            raise RuntimeError(f"background call {self._name!r} was already started")
        self._started = True
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout_s: float) -> bool:
        """Wait (bounded) for the call to end; True if it ended or never started."""
        if not self._started:
            return True
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("%s still running after %.1f s", self._name, timeout_s)
            return False
        return True

    def abandon(self) -> None:
        """Nobody waits for this call any more: its outcome is dropped, it is not joined.

        Shutdown does not wait for queries and drills (their owners ignore late answers anyway), so
        a call may end after its owner, and this object with it, was deleted. After ``abandon`` the
        worker thread never touches this QObject again, so the owner may be deleted at once.
        """
        with self._gate:
            self._abandoned = True

    def _run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported through the signal, and logged with its traceback
            log.exception("%s failed", self._name)
            self._emit(False, exc)
            return
        self._emit(True, result)

    def _emit(self, ok: bool, value: object) -> None:
        with self._gate:  # abandon() cannot slip in between the check and the (queued) emit
            if self._abandoned:
                log.debug("%s ended after it was abandoned; its outcome is dropped", self._name)
                return
            try:
                (self.succeeded if ok else self.failed).emit(value)
            except RuntimeError:  # deleted without abandon(): nobody is left to tell
                log.debug("%s ended after its owner was deleted", self._name)


class LatestCall(QObject):
    """At most one call running at a time, and of the calls asked for meanwhile only the newest.

    For queries the operator can fire faster than they answer (a trend's window buttons): each
    ``submit`` replaces the waiting call, so a burst of clicks costs one running query plus the last
    one asked for, never a thread per click. Outcomes come back as ``succeeded``/``failed`` on the
    owner's (GUI) thread; an owner that needs to drop superseded answers tags them itself.
    """

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._running: BackgroundCall | None = None
        self._waiting: Callable[[], object] | None = None
        self._closed = False
        self._started = 0

    @property
    def started(self) -> int:
        """How many calls were actually run (tests count them)."""
        return self._started

    def is_running(self) -> bool:
        return self._running is not None and self._running.is_running()

    def submit(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` now if nothing runs, else after the running call (replacing any waiting one)."""
        if self._closed:
            return
        if self._running is not None:
            self._waiting = fn
            return
        self._start(fn)

    def close(self) -> None:
        """Drop the waiting call and any outcome still to come; the running call is not waited for."""
        self._closed = True
        self._waiting = None
        if self._running is not None:
            self._running.abandon()

    def _start(self, fn: Callable[[], object]) -> None:
        call = BackgroundCall(self._name, fn, self)
        call.succeeded.connect(self._on_succeeded, Qt.ConnectionType.QueuedConnection)
        call.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._running = call
        self._started += 1
        call.start()

    def _finished(self) -> None:
        done, self._running = self._running, None
        if done is not None:
            done.deleteLater()  # a QObject child per call: delete it, or they pile up
        waiting, self._waiting = self._waiting, None
        if waiting is not None and not self._closed:
            self._start(waiting)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self._finished()
        if not self._closed:
            self.succeeded.emit(result)

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self._finished()
        if not self._closed:
            self.failed.emit(error)

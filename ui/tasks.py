"""Run one blocking call off the GUI thread and get its result back as a Qt signal.

The GUI thread only paints and handles input; anything that may wait on a disk, a socket or a
password hash (starting the station, checking a login) runs here instead. As in Orange's
``concurrent`` helpers, the task is a plain function that never touches a widget; its outcome comes
back through ``succeeded``/``failed``, which Qt queues into the GUI thread because this object lives
there and the worker thread emits. A task may take one argument, the call's
:class:`~app.workers.CancelToken`: ``cancel()`` and ``abandon()`` set it, and a long task checks
``token.cancelled`` (or sleeps on ``token.wait``) to end early. A task without parameters is called
as before.

Shutdown runs against one deadline (``ui.session``), so calls whose answers no longer matter
(history queries, drills) are *abandoned*, not joined: their threads are daemons, end on their own
timeouts, and never touch a deleted object. ``LatestCall`` keeps one query in flight at a time and
lets the newest request wait, so an operator clicking fast cannot start a thread per click.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.ui")

# A plain function, or one that takes the call's cancel token.
Task = Callable[[], object] | Callable[[CancelToken], object]


def takes_token(fn: Task) -> bool:
    """Whether ``fn`` has a required positional parameter (it is then passed the cancel token)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: call it plainly
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional and p.default is inspect.Parameter.empty for p in parameters)


class BackgroundCall(QObject):
    """One call of ``fn`` on a worker thread. ``start()`` once; ``wait()`` before dropping it."""

    succeeded = Signal(object)  # fn's return value
    failed = Signal(object)  # the exception fn raised

    def __init__(self, name: str, fn: Task, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._fn = fn
        self._with_token = takes_token(fn)
        # daemon: a call stuck past its own timeouts must not keep a closing application alive.
        self._worker = Worker(f"wardroom-{name}", self._run)
        self._started = False
        self._gate = threading.Lock()
        self._abandoned = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def token(self) -> CancelToken:
        """The cancel token the task receives (if it takes one)."""
        return self._worker.token

    def start(self) -> None:
        if self._started:
            raise RuntimeError(f"background call {self._name!r} was already started")
        self._started = True
        self._worker.start()

    def is_running(self) -> bool:
        return self._worker.is_alive()

    def cancel(self) -> None:
        """Ask the task to end early (its token); whatever it then returns or raises is still reported."""
        self._worker.cancel()

    def wait(self, timeout_s: float) -> bool:
        """Wait (bounded) for the call to end; True if it ended or never started."""
        if not self._started:
            return True
        if not self._worker.join(timeout_s):
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
        self._worker.cancel()

    def _run(self, token: CancelToken) -> None:
        try:
            if self._with_token:
                result = cast(Callable[[CancelToken], object], self._fn)(token)
            else:
                result = cast(Callable[[], object], self._fn)()
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
        self._waiting: Task | None = None
        self._closed = False
        self._started = 0

    @property
    def started(self) -> int:
        """How many calls were actually run (tests count them)."""
        return self._started

    def is_running(self) -> bool:
        return self._running is not None and self._running.is_running()

    def submit(self, fn: Task) -> None:
        """Run ``fn`` now if nothing runs, else after the running call (replacing any waiting one)."""
        if self._closed:
            return
        if self._running is not None:
            self._waiting = fn
            return
        self._start(fn)

    def close(self) -> None:
        """Drop the waiting call and any outcome still to come; the running call is cancelled (its
        token) but not waited for."""
        self._closed = True
        self._waiting = None
        if self._running is not None:
            self._running.abandon()

    def _start(self, fn: Task) -> None:
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

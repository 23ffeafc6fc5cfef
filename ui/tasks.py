"""Run one blocking call off the GUI thread and get its result back as a Qt signal.

The GUI thread only paints and handles input; anything that may wait on a disk, a socket or a
password hash (starting the station, checking a login) runs here instead. As in Orange's
``concurrent`` helpers, the task is a plain function that never touches a widget; its outcome comes
back through ``succeeded``/``failed``, which Qt queues into the GUI thread because this object lives
there and the worker thread emits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

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

    def _run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported through the signal, and logged with its traceback
            log.exception("%s failed", self._name)
            self.failed.emit(exc)
            return
        self.succeeded.emit(result)

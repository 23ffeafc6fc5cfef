"""Named background threads that stop by a deadline, and the cancel token they watch.

Every long-lived thread of the core (pollers, the historian, the database writer, capture, the
simulators) is a :class:`Worker`: its function receives a :class:`CancelToken` and returns soon after
the token is cancelled; ``stop(deadline_s)`` cancels it, joins for at most that long, and logs and
reports a thread that did not end, so a stuck call can never make a station's shutdown unbounded.
Threads are daemons: one still blocked in a library call after its deadline must not keep the
process alive.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("wardroom.workers")


class CancelToken:
    """Set once by whoever wants the work to end; the work checks it or sleeps on it."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds or until cancelled; True if cancelled."""
        return self._event.wait(timeout)


class Worker:
    """One named daemon thread running ``target(token)``; start once, stop with a deadline.

    ``on_cancel`` runs in ``stop`` right after the token is set, for work that sleeps somewhere the
    token cannot wake (an asyncio loop, a queue, a server's ``serve_forever``). ``stuck_level`` is
    the log level of "did not stop": lower it for work that may sit out a library call's own timeout
    and then end by itself (an OpenCV read).
    """

    def __init__(
        self,
        name: str,
        target: Callable[[CancelToken], object],
        *,
        on_cancel: Callable[[], object] | None = None,
        stuck_level: int = logging.ERROR,
    ) -> None:
        self.name = name
        self.token = CancelToken()
        self._on_cancel = on_cancel
        self._stuck_level = stuck_level
        # An exception ends the thread and goes to threading.excepthook (the bootstrap's hook logs it).
        self._thread = threading.Thread(target=target, args=(self.token,), name=name, daemon=True)
        self._started = False

    def start(self) -> Worker:
        if self._started:
            raise RuntimeError(f"worker {self.name!r} was already started")
        self._started = True
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def is_current(self) -> bool:
        """Whether the caller runs on this worker's thread."""
        return threading.current_thread() is self._thread

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the thread to end (bounded); True if it ended or never started."""
        if self._started and not self.is_current():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Ask the work to end (the token, then ``on_cancel``) without waiting for it."""
        first = not self.token.cancelled
        self.token.cancel()
        if first and self._on_cancel is not None:
            try:
                self._on_cancel()
            except Exception:
                log.exception("thread %s: cancelling failed", self.name)

    def stop(self, deadline_s: float) -> bool:
        """Cancel and join for at most ``deadline_s``; False (and logged) if the thread still runs.

        Called from the worker's own thread it only cancels (a thread cannot join itself).
        """
        deadline_s = max(0.0, deadline_s)
        self.cancel()
        if self.join(deadline_s):
            return True
        if self.is_current():
            return False
        log.log(self._stuck_level, "thread %s did not stop within %g s", self.name, deadline_s)
        return False


class DailyJob:
    """A housekeeping job on its own worker thread: first run ``first_run_s`` after :meth:`start`
    (once start-up has settled), then every ``every_s``. Subclasses say what one run does in
    :meth:`run_once`; ``runs`` counts the runs, failed ones too."""

    thread_name = "wardroom-daily"

    def __init__(self, *, first_run_s: float = 60.0, every_s: float = 86_400.0) -> None:
        self.first_run_s = first_run_s
        self.every_s = every_s
        self._worker: Worker | None = None
        self.runs = 0

    def start(self) -> None:
        self._worker = Worker(self.thread_name, self._run).start()

    def stop(self, timeout_s: float = 2.0) -> None:
        if self._worker is not None:
            self._worker.stop(timeout_s)
            self._worker = None

    def _run(self, token: CancelToken) -> None:
        wait = self.first_run_s
        while not token.wait(wait):
            self.run_once()
            wait = self.every_s

    def run_once(self) -> object:
        raise NotImplementedError

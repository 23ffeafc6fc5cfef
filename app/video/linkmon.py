"""The link monitor for cameras: is each camera of the site reachable right now?

Camera-only since the fieldbus pollers (:mod:`app.fieldbus`) report PLC links themselves, from the
requests they make anyway (``LinkStateChanged(kind="plc")``); a second client per PLC would only add
load and a second, possibly contradicting, verdict. One thread checks every target every
``interval_s`` (each check bounded by its own timeout) and publishes a :class:`LinkStateChanged` only
when a state changes, so the bus and the log carry transitions, not a heartbeat. Reasons are plain
words that name the device, the endpoint and what failed, because the person reading them is an
operator, not a developer.

:class:`LinkMonitor` and :class:`LinkTarget` stay generic (a target is any check returning a reason);
OpenCV is imported inside the camera check, so importing this module stays cheap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.events import EventBus, LinkKind, LinkStateChanged, LinkStatus
from app.site.schema import Camera
from app.workers import CancelToken, Worker

log = logging.getLogger("wardroom.linkmon")

Check = Callable[[], str | None]


@dataclass(frozen=True)
class LinkTarget:
    """One thing to watch. ``check`` returns None when the link is up, else the reason in plain words."""

    kind: LinkKind
    id: str
    endpoint: str
    check: Check


class LinkMonitor:
    """Checks every target periodically on one thread and publishes state changes on the bus."""

    def __init__(self, targets: Sequence[LinkTarget], bus: EventBus, interval_s: float = 3.0) -> None:
        self.targets = list(targets)
        self.bus = bus
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str], LinkStateChanged] = {
            (t.kind, t.id): LinkStateChanged(kind=t.kind, id=t.id, status="unknown", endpoint=t.endpoint)
            for t in self.targets
        }
        self._worker: Worker | None = None

    def start(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        self._worker = Worker("link-monitor", self._run, stuck_level=logging.INFO).start()

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop after the check in progress (if any); True if the thread ended within ``timeout_s``."""
        worker = self._worker
        if worker is None:
            return True
        return worker.stop(timeout_s)

    def states(self) -> dict[tuple[str, str], LinkStateChanged]:
        """The latest state per (kind, id); "unknown" until a target's first check finishes."""
        with self._lock:
            return dict(self._states)

    def check_now(self, target: LinkTarget) -> LinkStateChanged:
        """Run one check and publish if the state changed (used by the thread; handy in tests)."""
        try:
            reason = target.check()
        except Exception as exc:  # a broken check must not kill the monitor
            log.exception("link check of %s %s failed", target.kind, target.id)
            reason = f"the link check itself failed: {exc}"
        status: LinkStatus = "connected" if reason is None else "disconnected"
        event = LinkStateChanged(
            kind=target.kind, id=target.id, status=status, reason=reason or "", endpoint=target.endpoint
        )
        key = (target.kind, target.id)
        with self._lock:
            old = self._states.get(key)
            changed = old is None or (old.status, old.reason) != (event.status, event.reason)
            if changed:
                self._states[key] = event
        if changed:
            (log.info if status == "connected" else log.warning)("%s", event.describe())
            self.bus.publish(event)
        return event

    def _run(self, token: CancelToken) -> None:
        due = {id(t): time.monotonic() for t in self.targets}
        while not token.cancelled and self.targets:
            target = min(self.targets, key=lambda t: due[id(t)])
            delay = due[id(target)] - time.monotonic()
            if delay > 0 and token.wait(delay):
                break
            self.check_now(target)
            due[id(target)] = max(due[id(target)] + self.interval_s, time.monotonic())


# ------------------------------------------------------------------------------------------- checks


def camera_check(camera: Camera, url: str, timeout_ms: int = 3000) -> Check:
    """Open the stream and read one frame, with OpenCV's named timeouts."""

    def check() -> str | None:
        from app.video.capture import probe_camera

        return probe_camera(url, timeout_ms, camera_id=camera.id)

    return check


def camera_target(camera: Camera, url: str | None = None, timeout_ms: int = 3000) -> LinkTarget:
    """The link target for a camera; ``url`` overrides the file's (a simulated camera's actual URL)."""
    from app.video.capture import redact

    url = url or camera.url
    return LinkTarget("camera", camera.id, redact(url), camera_check(camera, url, timeout_ms))

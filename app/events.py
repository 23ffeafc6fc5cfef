"""The event bus: how core services tell the rest of the system that something happened.

Events are frozen dataclasses (messages, never shared mutable objects), so they may cross threads
freely. Subscribers are called on the publisher's thread and must return quickly: a GUI subscriber
(``ui.bridge``) only re-emits the event as a queued Qt signal; a slow consumer should hand the event
to its own queue. A subscriber that raises is logged and does not stop delivery to the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, TypeVar

log = logging.getLogger("wardroom.events")

LinkKind = Literal["plc", "camera"]
LinkStatus = Literal[
    "unknown", "connected", "disconnected", "connecting", "live", "stalled", "lost", "error", "disabled"
]
"""PLCs: unknown / connected / disconnected. Cameras: connecting, live, stalled (opened, no frame for
``[cameras] stall_s``), lost (cannot be reached or opened), error (reached but unusable), disabled."""
LINK_UP: frozenset[str] = frozenset({"connected", "live"})
LINK_DOWN: frozenset[str] = frozenset({"disconnected", "stalled", "lost", "error"})
"""A link in one of these states delivers nothing: its device is in fault (a camera: video lost)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every bus message."""

    at: datetime = field(default_factory=utcnow, kw_only=True)


@dataclass(frozen=True, slots=True)
class LinkStateChanged(Event):
    """A PLC or camera became reachable or unreachable. ``reason`` is in plain words when down."""

    kind: LinkKind
    id: str
    status: LinkStatus
    reason: str = ""
    endpoint: str = ""

    def describe(self) -> str:
        label = "PLC" if self.kind == "plc" else "camera"
        text = f"{label} {self.id} {self.status}"
        if self.endpoint:
            text += f" ({self.endpoint})"
        if self.reason:
            text += f": {self.reason}"
        return text


@dataclass(frozen=True, slots=True)
class ServiceStateChanged(Event):
    """A runtime service (simulator, monitor, database...) started, stopped or failed."""

    service: str
    status: Literal["starting", "running", "stopped", "failed"]
    detail: str = ""

    def describe(self) -> str:
        return f"{self.service} {self.status}" + (f": {self.detail}" if self.detail else "")


E = TypeVar("E", bound=Event)
Handler = Callable[[Event], None]


class EventBus:
    """Thread-safe publish/subscribe, synchronous delivery on the publisher's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: list[tuple[type[Event], Handler]] = []

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call ``handler`` for every published event of ``event_type``; returns an unsubscribe."""
        entry: tuple[type[Event], Handler] = (event_type, handler)  # type: ignore[assignment]
        with self._lock:
            self._handlers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._handlers:
                    self._handlers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = [h for t, h in self._handlers if isinstance(event, t)]
        for handler in targets:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %r", handler, event)

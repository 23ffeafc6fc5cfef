"""The bridge delivers core events, published on any thread, to slots on the GUI thread; point events
in batches (newest per point), at a bounded rate."""

from __future__ import annotations

import itertools
import threading
import time

from PySide6.QtCore import QObject, Slot
from pytestqt.qtbot import QtBot

from app.events import EventBus, LinkStateChanged, ServiceStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.quality import PointReading
from ui.bridge import FLUSH_INTERVAL_MS, CoreBridge, connect_queued


class _Receiver(QObject):
    """Records which thread each event arrived on."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[LinkStateChanged, int]] = []
        self.services: list[tuple[ServiceStateChanged, int]] = []

    @Slot(object)
    def on_link(self, event: LinkStateChanged) -> None:
        self.links.append((event, threading.get_ident()))

    @Slot(object)
    def on_service(self, event: ServiceStateChanged) -> None:
        self.services.append((event, threading.get_ident()))


def test_events_from_a_plain_thread_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    bus = EventBus()
    bridge = CoreBridge(bus)
    receiver = _Receiver()
    connect_queued(bridge.linkStateChanged, receiver.on_link)
    connect_queued(bridge.serviceStateChanged, receiver.on_service)
    link = LinkStateChanged(kind="camera", id="gate", status="disconnected", reason="timed out")
    service = ServiceStateChanged(service="link monitor", status="running")
    publisher_ids: list[int] = []

    def publish() -> None:
        publisher_ids.append(threading.get_ident())
        bus.publish(link)
        bus.publish(service)

    worker = threading.Thread(target=publish, name="test-publisher")
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: bool(receiver.links) and bool(receiver.services), timeout=5000)
    gui_thread = threading.get_ident()
    assert receiver.links == [(link, gui_thread)]
    assert receiver.services == [(service, gui_thread)]
    assert publisher_ids and publisher_ids[0] != gui_thread
    bridge.close()


def test_closed_bridge_emits_nothing(qtbot: QtBot) -> None:
    bus = EventBus()
    bridge = CoreBridge(bus)
    receiver = _Receiver()
    connect_queued(bridge.linkStateChanged, receiver.on_link)
    bridge.close()
    # A second, open bridge on the same bus is the sentinel: queued calls into the GUI thread arrive
    # in the order they were posted, so once its event arrived, anything the closed bridge had
    # posted before it would have arrived too. No sleep, no guessing how long "long enough" is.
    sentinel = CoreBridge(bus)
    seen = _Receiver()
    connect_queued(sentinel.linkStateChanged, seen.on_link)

    def publish() -> None:
        bus.publish(LinkStateChanged(kind="plc", id="p", status="connected"))

    worker = threading.Thread(target=publish, name="test-publisher")
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: len(seen.links) == 1, timeout=5000)
    assert receiver.links == []
    sentinel.close()


def _reading(point_id: str, value: float, quality: str = "good") -> PointReading:
    return PointReading(point_id, value, round(value), quality, 1_700_000_000.0)  # type: ignore[arg-type]


def test_point_events_reach_the_gui_thread_as_a_batch(qtbot: QtBot) -> None:
    bus = EventBus()
    bridge = CoreBridge(bus)
    arrived: list[tuple[list[object], int]] = []

    class Receiver(QObject):
        @Slot(list)
        def take(self, events: list[object]) -> None:
            arrived.append((events, threading.get_ident()))

    receiver = Receiver()
    connect_queued(bridge.pointsChanged, receiver.take)
    value = PointValueChanged(plc_id="panel", reading=_reading("p1", 0.42))
    failed = PointReading("p1", 0.42, 420, "comm-fail", 1_700_000_000.0, "PLC panel did not answer")
    quality = PointQualityChanged(plc_id="panel", reading=failed, previous="good")
    other = PointValueChanged(plc_id="panel", reading=_reading("p2", 7.0))

    def publish() -> None:
        bus.publish(value)
        bus.publish(other)
        bus.publish(quality)  # newer news of p1: replaces the value event in the batch

    worker = threading.Thread(target=publish, name="test-publisher")
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: bool(arrived), timeout=5000)
    events, thread = arrived[0]
    assert events == [quality, other] and thread == threading.get_ident()
    assert bridge.batches == 1
    bridge.close()


def test_a_burst_of_point_events_costs_a_handful_of_signals(qtbot: QtBot) -> None:
    """10,000 events (a 50-PLC outage) cross as a few batches; newest wins; no point is lost."""
    bus = EventBus()
    bridge = CoreBridge(bus)
    batches: list[tuple[float, list[PointValueChanged]]] = []

    class Receiver(QObject):
        @Slot(list)
        def take(self, events: list[PointValueChanged]) -> None:
            batches.append((time.monotonic(), events))

    receiver = Receiver()
    # The bridge emits on the GUI thread, so a plain connection runs the slot at emission time: the
    # timestamps below are the bridge's own, not delayed by the event queue.
    bridge.pointsChanged.connect(receiver.take)
    points, rounds = 1000, 10
    newest: dict[str, float] = {}

    def publish_burst() -> None:
        for round_ in range(rounds):
            for index in range(points):
                bus.publish(PointValueChanged(plc_id="panel", reading=_reading(f"p{index}", round_ * 1.0)))

    # While the GUI thread is busy (here: joining), a whole burst collapses into one batch.
    worker = threading.Thread(target=publish_burst, name="test-publisher")
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    qtbot.waitUntil(lambda: bool(batches), timeout=5000)
    qtbot.wait(3 * FLUSH_INTERVAL_MS)  # anything still pending has been flushed
    # One batch, as a rule; on a loaded machine the GUI thread may get one wake-up in mid-burst.
    assert len(batches) <= 2, f"{len(batches)} batches for one burst of {points * rounds} events"
    for _at, events in batches:
        for event in events:
            newest[event.reading.point_id] = float(event.reading.value or 0)
    assert len(batches[-1][1]) <= points and newest == {f"p{i}": rounds - 1.0 for i in range(points)}

    # While the GUI thread is free, events trickling in for a while are flushed at a bounded rate.
    batches.clear()
    stop = threading.Event()
    sent = [0]

    def publish_steadily() -> None:
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline and not stop.is_set():
            for index in range(points):
                sent[0] += 1
                bus.publish(PointValueChanged(plc_id="panel", reading=_reading(f"p{index}", sent[0])))
            time.sleep(0.005)  # pacing the publisher (not a wait for the code under test)

    started = time.monotonic()
    worker = threading.Thread(target=publish_steadily, name="test-publisher")
    worker.start()
    try:
        qtbot.waitUntil(lambda: not worker.is_alive(), timeout=30_000)
    finally:
        stop.set()
        worker.join(5)
    elapsed = time.monotonic() - started
    # The last value published arrives (in the last batch, as nothing follows it): nothing is stuck in
    # the bridge. Not necessarily as the batch's last event: a batch is in the order its points first
    # changed, so a flush in mid-round puts the next round's first points after its last ones.
    qtbot.waitUntil(
        lambda: bool(batches) and any(e.reading.value == sent[0] for e in batches[-1][1]), timeout=5000
    )
    interval = FLUSH_INTERVAL_MS / 1000
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(batches)]
    assert all(gap >= interval * 0.9 for gap in gaps), gaps  # at most one batch per interval
    assert len(batches) <= 2 + elapsed / interval, (len(batches), elapsed)
    assert sent[0] >= 10 * len(batches), "a batch carries many events, not one signal per event"
    seen = {event.reading.point_id for _, events in batches for event in events}
    assert seen == {f"p{i}" for i in range(points)}
    bridge.close()

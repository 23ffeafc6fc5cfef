"""The bridge delivers core events, published on any thread, to slots on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Slot
from pytestqt.qtbot import QtBot

from app.events import EventBus, LinkStateChanged, ServiceStateChanged
from ui.bridge import CoreBridge, connect_queued


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
    bus.publish(LinkStateChanged(kind="plc", id="p", status="connected"))
    qtbot.wait(50)
    assert receiver.links == []


def test_point_events_reach_the_gui_thread(qtbot: QtBot) -> None:
    from app.fieldbus.events import PointQualityChanged, PointValueChanged
    from app.fieldbus.quality import PointReading

    bus = EventBus()
    bridge = CoreBridge(bus)
    arrived: list[tuple[object, int]] = []

    class Receiver(QObject):
        @Slot(object)
        def take(self, event: object) -> None:
            arrived.append((event, threading.get_ident()))

    receiver = Receiver()
    connect_queued(bridge.pointValueChanged, receiver.take)
    connect_queued(bridge.pointQualityChanged, receiver.take)
    good = PointReading("p1", 0.42, 420, "good", 1_700_000_000.0)
    value = PointValueChanged(plc_id="panel", reading=good)
    failed = PointReading("p1", 0.42, 420, "comm-fail", 1_700_000_000.0, "PLC panel did not answer")
    quality = PointQualityChanged(plc_id="panel", reading=failed, previous="good")

    def publish() -> None:
        bus.publish(value)
        bus.publish(quality)

    worker = threading.Thread(target=publish, name="test-publisher")
    worker.start()
    worker.join(5)
    qtbot.waitUntil(lambda: len(arrived) == 2, timeout=5000)
    assert [event for event, _ in arrived] == [value, quality]
    assert {thread for _, thread in arrived} == {threading.get_ident()}
    bridge.close()

"""Fixtures for the poller tests: a real pymodbus server per test and a bus recorder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.events import EventBus
from tests.fieldbus.servers import ModbusServer, Recorder


@pytest.fixture
def modbus_server() -> Iterator[ModbusServer]:
    server = ModbusServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Iterator[Recorder]:
    rec = Recorder(bus)
    yield rec
    rec.unsubscribe()

"""The pollers against a misbehaving network: a fault proxy between poller and a real server.

Every fault runs at the same time on its own PLC (one proxy each), so the whole matrix costs one
outage. For each fault: no crash, no value ever credited to the wrong point (every register holds a
value derived from its own address, and every published value is checked), comm-fail reported
within ``poll_ms + 2 x timeout_ms``, reading again within 2 s after the proxy heals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import pytest

from app.events import EventBus, LinkStateChanged
from app.fieldbus.events import PointQualityChanged, PointValueChanged
from app.fieldbus.manager import FieldbusManager
from tests.faultproxy import FaultProxy
from tests.fieldbus.servers import ModbusServer, Recorder, make_site, point

POLL_MS, TIMEOUT_MS = 500, 1000
BOUND_S = (POLL_MS + 2 * TIMEOUT_MS) / 1000
RECOVERY_S = 2.0
ADDRESSES = [*range(0, 10), *range(100, 110)]  # two blocks of the same size: easy to confuse


@dataclass(frozen=True)
class Fault:
    name: str
    mode: str
    expect: str  # "comm-fail" | "stale" | "good"
    delay_ms: int = 0


FAULTS = [
    Fault("delay-small", "delay", "good", delay_ms=100),
    Fault("delay-long", "delay", "comm-fail", delay_ms=1500),
    Fault("blackhole", "blackhole", "comm-fail"),
    Fault("reset", "reset", "comm-fail"),
    Fault("reset-mid", "reset-mid", "comm-fail"),
    Fault("split", "split", "good"),
    Fault("garbage", "garbage", "comm-fail"),
    Fault("wrong-tid", "wrong-tid", "comm-fail"),
    Fault("wrong-unit", "wrong-unit", "comm-fail"),
    Fault("exception", "exception", "stale"),
]


def _value(address: int) -> int:
    return 1000 + address


@pytest.fixture
def server() -> Iterator[ModbusServer]:
    srv = ModbusServer(size=300)
    srv.start()
    srv.set_registers(0, [_value(a) for a in range(300)])
    yield srv
    srv.stop()


def _points(plc: str) -> list[dict[str, object]]:
    return [point(f"{plc}.hr{a}", plc, f"hr:{a}") for a in ADDRESSES]


def _expected(point_id: str) -> int:
    return _value(int(point_id.rsplit(".hr", 1)[1]))


def _run_matrix(
    faults: list[Fault],
    outage_s: float,
    server: ModbusServer,
    bus: EventBus,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong: list[str] = []
    timings: dict[str, str] = {}

    def check(event: PointValueChanged) -> None:
        if event.reading.raw != _expected(event.reading.point_id):
            wrong.append(f"{event.reading.point_id} got {event.reading.raw}")

    unsubscribe = bus.subscribe(PointValueChanged, check)
    proxies = {f.name: FaultProxy(server.port) for f in faults}
    ports = {name: proxy.start() for name, proxy in proxies.items()}
    plcs = [
        {
            "id": f.name,
            "protocol": "modbus-tcp",
            "host": "127.0.0.1",
            "port": ports[f.name],
            "poll_ms": POLL_MS,
            "timeout_ms": TIMEOUT_MS,
            "max_gap": 16,
        }
        for f in faults
    ]
    site = make_site(plcs, [p for f in faults for p in _points(f.name)])
    manager = FieldbusManager(site, bus)
    manager.start()
    try:
        recorder.wait_for(
            lambda: all(r.quality == "good" for r in manager.readings().values()),
            10,
            "every point good before the faults",
        )

        def quality(plc: str) -> set[str]:
            return {r.quality for pid, r in manager.readings().items() if pid.startswith(plc + ".")}

        def link_events(plc: str, since: float) -> list[LinkStateChanged]:
            return [
                e
                for e in recorder.between(since, time.monotonic() + 1)
                if isinstance(e, LinkStateChanged) and e.id == plc
            ]

        set_at: dict[str, float] = {}

        def faulted(plc: str) -> bool:
            return any(e.status == "disconnected" for e in link_events(plc, set_at[plc]))

        def all_are(plc: str, wanted: str) -> bool:
            return quality(plc) == {wanted}

        for fault in faults:
            proxies[fault.name].set_mode(fault.mode, delay_ms=fault.delay_ms)
            set_at[fault.name] = time.monotonic()
        faulted_at = time.monotonic()
        for fault in faults:
            if fault.expect == "comm-fail":
                recorder.wait_for(partial(faulted, fault.name), BOUND_S + 1, f"{fault.name}: fault event")
                (event,) = [
                    e for e in link_events(fault.name, set_at[fault.name]) if e.status == "disconnected"
                ]
                took = dict((id(e), t) for e, t in recorder.stamped())[id(event)] - set_at[fault.name]
                timings[fault.name] = f"fault after {took:.2f} s"
                assert took <= BOUND_S, f"{fault.name}: comm-fail after {took:.2f} s"
                assert quality(fault.name) == {"comm-fail"}, fault.name
            elif fault.expect == "stale":
                recorder.wait_for(partial(all_are, fault.name, "stale"), BOUND_S + 1, f"{fault.name}: stale")
        end = faulted_at + outage_s
        while time.monotonic() < end:  # hold the outage, checking the invariants all along
            for fault in faults:
                expected = {"comm-fail": {"comm-fail"}, "stale": {"stale"}, "good": {"good"}}[fault.expect]
                assert quality(fault.name) == expected, f"{fault.name}: {quality(fault.name)} in the outage"
            time.sleep(0.1)
        for fault in faults:
            if fault.expect != "comm-fail":
                assert not [
                    e for e in link_events(fault.name, set_at[fault.name]) if e.status == "disconnected"
                ], f"{fault.name}: must not be a PLC fault"

        healed_at: dict[str, float] = {}
        for fault in faults:
            proxies[fault.name].heal()
            healed_at[fault.name] = time.monotonic()
        for fault in faults:
            left = healed_at[fault.name] + RECOVERY_S - time.monotonic()
            recorder.wait_for(
                partial(all_are, fault.name, "good"),
                max(left, 0.01),
                f"{fault.name}: good again within {RECOVERY_S} s of healing",
            )
            back = [
                stamp
                for event, stamp in recorder.stamped()
                if isinstance(event, PointQualityChanged)
                and event.plc_id == fault.name
                and event.reading.quality == "good"
                and stamp > healed_at[fault.name]
            ]
            recovered = f"{max(back) - healed_at[fault.name]:.2f} s" if back else "(never left good)"
            timings[fault.name] = timings.get(fault.name, fault.expect) + f", good {recovered} after healing"
            if fault.expect == "comm-fail":
                assert link_events(fault.name, healed_at[fault.name])[-1].status == "connected"
        assert manager.running
    finally:
        manager.stop()
        unsubscribe()
        for proxy in proxies.values():
            proxy.stop()
    print("\n" + "\n".join(f"{name:12} {text}" for name, text in timings.items()))
    assert not wrong, wrong
    readings = manager.readings()
    assert all(r.raw == _expected(pid) for pid, r in readings.items())
    internal = [r for r in caplog.records if r.name.startswith("wardroom") and r.levelno >= logging.ERROR]
    assert not internal, [r.getMessage() for r in internal]


def test_every_fault_5_s_outage(
    server: ModbusServer, bus: EventBus, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    _run_matrix(FAULTS, 5.0, server, bus, recorder, caplog)


@pytest.mark.soak  # a minute of waiting: run beside the other tests (installer/run-tests.sh)
def test_blackhole_and_reset_60_s_outage(
    server: ModbusServer, bus: EventBus, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    faults = [f for f in FAULTS if f.name in ("blackhole", "reset")]
    _run_matrix(faults, 60.0, server, bus, recorder, caplog)

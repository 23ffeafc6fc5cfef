"""Leases are per connection: a serial line or a gateway is never split, globs pick by any member."""

from __future__ import annotations

from app.fleet.connections import connection_of, site_connections, wanted
from tests.fieldbus.servers import make_site, point


def _site():  # type: ignore[no-untyped-def]
    plcs = [
        {"id": "b3-panel", "protocol": "modbus-tcp", "host": "10.0.0.5", "port": 502},
        {"id": "b3-pump", "protocol": "modbus-tcp", "host": "10.0.0.5", "port": 502, "unit": 2},
        {"id": "b4-panel", "protocol": "modbus-tcp", "host": "10.0.0.6", "port": 502},
        {"id": "rtu-1", "protocol": "modbus-rtu", "serial_port": "/dev/ttyS1", "unit": 1},
        {"id": "b5-rtu", "protocol": "modbus-rtu", "serial_port": "/dev/ttyS1", "unit": 2},
        {"id": "demo", "protocol": "modbus-tcp", "simulated": True},
    ]
    points = [point(f"{p['id']}.x", str(p["id"]), "hr:1") for p in plcs]
    return make_site(plcs, points)


def test_devices_sharing_a_connection_share_a_lease() -> None:
    connections = {c.key: c for c in site_connections(_site())}
    assert connections["tcp:10.0.0.5:502"].plcs == ("b3-panel", "b3-pump")
    assert connections["serial:/dev/ttyS1"].plcs == ("rtu-1", "b5-rtu")
    assert connections["sim:demo"].plcs == ("demo",)
    assert connection_of(list(connections.values()))["plc:b5-rtu"] == "serial:/dev/ttyS1"


def test_a_glob_takes_whole_connections() -> None:
    chosen = wanted(site_connections(_site()), plcs="b5-*", cameras="")
    assert [c.key for c in chosen] == ["serial:/dev/ttyS1"], "the whole RS-485 line goes with one unit"
    chosen = wanted(site_connections(_site()), plcs="b3-*", cameras="")
    assert [c.plcs for c in chosen] == [("b3-panel", "b3-pump")]

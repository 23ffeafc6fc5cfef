"""The link monitor: is each PLC and camera of the site reachable right now?

Until the pollers and capture supervision of later issues exist, this is how the control room learns
that a device went dark. One thread checks every target every ``interval_s`` (each check bounded by
its own timeout) and publishes a :class:`LinkStateChanged` only when a state changes, so the bus and
the log carry transitions, not a heartbeat. Reasons are plain words that name the device, the
endpoint and what failed, because the person reading them is an operator, not a developer.

Heavy client libraries (pymodbus, snap7, OpenCV) are imported inside the checks, so importing this
module stays cheap.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.events import EventBus, LinkKind, LinkStateChanged, LinkStatus
from app.site.schema import Camera, Plc, Point

log = logging.getLogger("wardroom.linkmon")

Check = Callable[[], str | None]
# Modbus exceptions 10/11: a gateway answered for a device it cannot reach, so the link is down.
_GATEWAY_EXCEPTIONS = {10: "gateway path unavailable", 11: "the device behind the gateway did not respond"}


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
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._halt.clear()
        self._thread = threading.Thread(target=self._run, name="link-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop after the check in progress (if any); True if the thread ended within ``timeout_s``."""
        self._halt.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

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

    def _run(self) -> None:
        due = {id(t): time.monotonic() for t in self.targets}
        while not self._halt.is_set() and self.targets:
            target = min(self.targets, key=lambda t: due[id(t)])
            delay = due[id(target)] - time.monotonic()
            if delay > 0 and self._halt.wait(delay):
                break
            self.check_now(target)
            due[id(target)] = max(due[id(target)] + self.interval_s, time.monotonic())


# ------------------------------------------------------------------------------------------- checks


def _tcp_failure(label: str, host: str, port: int, timeout_s: float) -> str:
    """Why a TCP connection fails, in plain words (pymodbus only says that it failed)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return f"{label}: a connection attempt failed but the next one worked (an unstable link?)"
    except TimeoutError:
        return f"{label} did not answer a connection request within {timeout_s * 1000:.0f} ms"
    except ConnectionRefusedError:
        return f"{label} refused the connection (nothing is listening on port {port})"
    except socket.gaierror:
        return f"{label}: the host name {host} cannot be resolved"
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return f"{label} is unreachable (no route to {host})"
        return f"{label} could not be reached: {exc.strerror or exc}"


def _modbus_read(client: object, point: Point | None, protocol: str, unit: int) -> tuple[object, str]:
    """Read the PLC's first point (or holding register 0 when it has none); returns (reply, address)."""
    from app.site.address import parse_address, register_count

    if point is None:
        return client.read_holding_registers(0, count=1, device_id=unit), "hr:0"  # type: ignore[attr-defined]
    address = parse_address(point.address, protocol)
    index = address.index
    if address.area == "co":
        return client.read_coils(index, count=1, device_id=unit), point.address  # type: ignore[attr-defined]
    if address.area == "di":
        return (
            client.read_discrete_inputs(index, count=1, device_id=unit),  # type: ignore[attr-defined]
            point.address,
        )
    count = 1 if address.bit is not None else register_count(point.type)
    if address.area == "ir":
        return (
            client.read_input_registers(index, count=count, device_id=unit),  # type: ignore[attr-defined]
            point.address,
        )
    return (
        client.read_holding_registers(index, count=count, device_id=unit),  # type: ignore[attr-defined]
        point.address,
    )


def judge_modbus_reply(label: str, reply: object, address: str) -> str | None:
    """Any valid Modbus reply proves the link, except a gateway saying its device is gone."""
    if getattr(reply, "isError", lambda: False)():
        code = int(getattr(reply, "exception_code", 0) or 0)
        if code in _GATEWAY_EXCEPTIONS:
            return f"{label}: {_GATEWAY_EXCEPTIONS[code]} (Modbus exception {code} reading {address})"
    return None


def modbus_tcp_check(plc: Plc, points: Sequence[Point], host: str, port: int) -> Check:
    """One read of the PLC's first point over Modbus TCP, with one request budget and no retry."""
    first = next((p for p in points if p.plc == plc.id), None)
    timeout_s = plc.timeout_ms / 1000
    label = f"PLC {plc.id} at {host}:{port}"

    def check() -> str | None:
        from pymodbus.client import ModbusTcpClient
        from pymodbus.exceptions import ModbusException

        # Explicit timeout/retries: pymodbus' defaults (3 s x 3 retries) report a dead PLC after 12 s.
        client = ModbusTcpClient(
            host, port=port, timeout=timeout_s, retries=0, reconnect_delay=0, reconnect_delay_max=0
        )
        try:
            if not client.connect():
                return _tcp_failure(label, host, port, timeout_s)
            try:
                reply, address = _modbus_read(client, first, plc.protocol, plc.unit)
            except ModbusException:
                return (
                    f"{label} accepted the connection but did not answer a read of "
                    f"{first.address if first else 'hr:0'} within {plc.timeout_ms} ms"
                )
            return judge_modbus_reply(label, reply, address)
        finally:
            client.close()

    return check


def modbus_rtu_check(plc: Plc, points: Sequence[Point]) -> Check:
    """One read of the PLC's first point over its serial line."""
    first = next((p for p in points if p.plc == plc.id), None)
    serial_port = plc.serial_port or ""
    label = f"PLC {plc.id} (unit {plc.unit} on {serial_port or 'no serial port'})"

    def check() -> str | None:
        from pymodbus.client import ModbusSerialClient
        from pymodbus.exceptions import ModbusException

        if not serial_port:
            return f"{label}: no serial_port is set in the site file"
        if serial_port.startswith("/") and not Path(serial_port).exists():
            return f"serial port {serial_port} does not exist (PLC {plc.id})"
        client = ModbusSerialClient(
            serial_port,
            baudrate=plc.baudrate,
            parity=plc.parity,
            timeout=plc.timeout_ms / 1000,
            retries=0,
            reconnect_delay=0,
            reconnect_delay_max=0,
        )
        try:
            if not client.connect():
                return (
                    f"serial port {serial_port} could not be opened (in use or no permission; PLC {plc.id})"
                )
            try:
                reply, address = _modbus_read(client, first, plc.protocol, plc.unit)
            except ModbusException:
                where = first.address if first else "hr:0"
                return f"{label} did not answer a read of {where} within {plc.timeout_ms} ms"
            return judge_modbus_reply(label, reply, address)
        finally:
            client.close()

    return check


def s7_check(plc: Plc, host: str, port: int) -> Check:
    """An ISO-on-TCP connect with the PLC's rack and slot (what every S7 session starts with)."""
    timeout_s = plc.timeout_ms / 1000
    label = f"PLC {plc.id} at {host}:{port}"

    def check() -> str | None:
        from snap7.connection import ISOTCPConnection
        from snap7.error import S7TimeoutError

        remote_tsap = (1 << 8) | (plc.rack << 5) | plc.slot  # PG connection to rack/slot
        connection = ISOTCPConnection(host=host, port=port, local_tsap=0x0100, remote_tsap=remote_tsap)
        try:
            connection.connect(timeout=timeout_s)
        except S7TimeoutError:
            return (
                f"{label} accepted the TCP connection but did not answer the S7 connection request "
                f"within {plc.timeout_ms} ms"
            )
        except Exception as exc:
            if "TCP connection failed" in str(exc):
                return _tcp_failure(label, host, port, timeout_s)
            return f"{label} refused the S7 connection (rack {plc.rack}, slot {plc.slot}): {exc}"
        finally:
            connection.disconnect()
        return None

    return check


def camera_check(camera: Camera, url: str, timeout_ms: int = 3000) -> Check:
    """Open the stream and read one frame, with OpenCV's named timeouts."""

    def check() -> str | None:
        from app.video.capture import probe_camera

        return probe_camera(url, timeout_ms, camera_id=camera.id)

    return check


def plc_target(
    plc: Plc, points: Sequence[Point], host: str | None = None, port: int | None = None
) -> LinkTarget:
    """The link target for a PLC; ``host``/``port`` override the file's (a simulator's actual port)."""
    if plc.protocol == "modbus-rtu":
        return LinkTarget("plc", plc.id, plc.serial_port or "", modbus_rtu_check(plc, points))
    host = host or plc.host or "127.0.0.1"
    port = plc.effective_port if port is None else port
    check = s7_check(plc, host, port) if plc.protocol == "s7" else modbus_tcp_check(plc, points, host, port)
    return LinkTarget("plc", plc.id, f"{host}:{port}", check)


def camera_target(camera: Camera, url: str | None = None, timeout_ms: int = 3000) -> LinkTarget:
    """The link target for a camera; ``url`` overrides the file's (a simulated camera's actual URL)."""
    from app.video.capture import redact

    url = url or camera.url
    return LinkTarget("camera", camera.id, redact(url), camera_check(camera, url, timeout_ms))

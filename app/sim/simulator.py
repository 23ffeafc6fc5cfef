"""A simulated PLC: a real pymodbus TCP server (or a real S7 server) on loopback, with physics and drills.

The demo site, drills and tests need a PLC that speaks the real protocol, so that everything above it
(link monitor, pollers) is exercised exactly as in the field. The server runs in its own thread with
its own asyncio loop, so it neither blocks nor depends on the caller's threads.

Values come from a :class:`app.sim.physics.Plant` stepped by a ticker thread: calm drift, and the
drill conditions. The drill switches live *on the server itself* (see :mod:`app.sim.drillmap`: a
second Modbus unit id, or a drill data block on S7), so ``wardroom simulate trip`` in another process
drills whichever simulator serves the site, whether ``wardroom simulate``, ``wardroom station`` or the
GUI started it. A simulator given its site file's path announces its actual port in the simulators
registry (:mod:`app.sim.registry`) while it runs. :meth:`PlcSimulator.set_value` pins a value
(tests, set-up), which physics then leaves alone until a trip or restore of that point.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.sim import drillmap
from app.sim.modbus_server import ModbusBackend
from app.sim.physics import Plant
from app.sim.plc import Backend, SimPoint, build_points
from app.sim.values import served_value
from app.site.schema import Plc, Point
from app.workers import CancelToken, Worker

if TYPE_CHECKING:
    from app.sim.registry import SimulatorEntry

log = logging.getLogger("wardroom.sim")

DEFAULT_TICK_S = 0.5
MAX_STEP_S = 2.0  # a stalled ticker (suspended laptop) must not make physics jump


class PlcSimulator:
    """A simulated PLC for one ``[[plc]]`` entry: Modbus TCP, or S7 when the PLC's protocol is s7.

    ``vary`` turns the calm drift on (drills and physics run either way); ``seed`` makes the drift
    reproducible; ``site_path`` (the site file) makes the simulator announce itself in the registry;
    ``on_drill(point_id, tripped)`` is called (on the ticker thread) when a drill switch flips.
    """

    def __init__(
        self,
        plc: Plc,
        points: Sequence[Point],
        host: str = "127.0.0.1",
        *,
        vary: bool = True,
        tick_s: float = DEFAULT_TICK_S,
        seed: int | None = None,
        site_path: Path | None = None,
        on_drill: Callable[[str, bool], None] | None = None,
    ) -> None:
        if plc.protocol == "modbus-rtu":
            raise ValueError(f"PLC {plc.id}: a simulated modbus-rtu PLC is not supported (use modbus-tcp)")
        self.plc = plc
        self.host = host
        self.port = plc.effective_port
        self.site_path = site_path
        self._on_drill = on_drill
        served = build_points(plc, points)
        self._order = [sp.point.id for sp in served]
        self._points = {sp.point.id: sp for sp in served}
        self._plant = Plant([sp.point for sp in served], seed=seed, vary=vary)
        self._tick_s = tick_s
        self._lock = threading.Lock()
        self._kick = threading.Event()
        self._backend: Backend | None = None
        self._ticker: Worker | None = None
        self._entry: SimulatorEntry | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def drill_unit(self) -> int:
        """The Modbus unit id of this simulator's drill switches (see :mod:`app.sim.drillmap`)."""
        return drillmap.drill_unit(self.plc)

    def start(self) -> int:
        """Start serving; blocks until the server listens and returns the actual port."""
        if self._backend is not None:
            return self.port
        points = list(self._points.values())
        backend: Backend
        if self.plc.protocol == "s7":
            from app.sim.s7_server import S7Backend  # snap7 loads only for S7 PLCs

            backend = S7Backend(self.plc, self.host, self.port, points)
        else:
            backend = ModbusBackend(self.plc, self.host, self.port, points, self._kick.set)
        self.port = backend.start()
        with self._lock:
            for point_id in self._plant.tripped:  # drilled before start: serve those switches as on
                backend.set_drill(self._order.index(point_id), True)
            self._backend = backend
        self._ticker = Worker(f"plc-sim-tick-{self.plc.id}", self._tick, on_cancel=self._kick.set).start()
        if self.site_path is not None:
            self._register()
        log.info("simulated PLC %s (%s) listening on %s", self.plc.id, self.plc.protocol, self.endpoint)
        return self.port

    def _register(self) -> None:
        from app.sim import registry

        assert self.site_path is not None
        try:
            self._entry = registry.register(
                self.site_path, self.plc.id, self.plc.protocol, self.host, self.port
            )
        except OSError as exc:  # drills from other processes will not find it; serving still works
            log.warning("simulated PLC %s: could not write the simulators registry: %s", self.plc.id, exc)

    def _unregister(self) -> None:
        from app.sim import registry

        entry, self._entry = self._entry, None
        if entry is not None:
            try:
                registry.unregister(entry)
            except OSError as exc:
                log.warning(
                    "simulated PLC %s: could not update the simulators registry: %s", self.plc.id, exc
                )

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the ticker and the server; returns within about ``timeout_s``."""
        self._unregister()
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.stop(timeout_s / 2)
        if self._backend is not None:
            self._backend.stop(timeout_s / 2)
            self._backend = None
            log.info("simulated PLC %s stopped", self.plc.id)

    # ------------------------------------------------------------------------- values

    def _sp(self, point_id: str) -> SimPoint:
        sp = self._points.get(point_id)
        if sp is None:
            raise KeyError(f"PLC {self.plc.id} has no point {point_id!r}")
        return sp

    def set_value(self, point_id: str, value: float) -> None:
        """Serve ``value`` (engineering units) for a point from now on; physics leaves it alone."""
        with self._lock:
            sp = self._sp(point_id)
            sp.value = served_value(sp.point, float(value))
            self._plant.pin(point_id, sp.value)
            backend = self._backend
        if backend is not None:
            backend.write([sp])

    def value(self, point_id: str) -> float:
        """The engineering value currently served for a point (as a client would decode it)."""
        with self._lock:
            return self._sp(point_id).value

    # ------------------------------------------------------------------------- drills

    def trip(self, point_id: str) -> None:
        """Start the point's alarm condition, as a drill client writing its switch would."""
        self._drill(point_id, True)

    def restore(self, point_id: str) -> None:
        """End the point's alarm condition."""
        self._drill(point_id, False)

    def tripped(self) -> frozenset[str]:
        """The points whose drill condition physics applies (a switch flip shows from the next tick)."""
        with self._lock:
            return self._plant.tripped

    def _drill(self, point_id: str, on: bool) -> None:
        with self._lock:
            self._sp(point_id)
            backend = self._backend
            if backend is None:  # not serving: nobody else can see a switch, so drive physics directly
                (self._plant.trip if on else self._plant.restore)(point_id)
                return
        # The switch on the server is the one truth, whoever flips it; the ticker applies it.
        backend.set_drill(self._order.index(point_id), on)
        self._kick.set()

    def _sync_drills(self, switches: Sequence[bool]) -> list[tuple[str, bool]]:
        """Make physics follow the switches as served (caller holds the lock); returns the flips."""
        flips = []
        for point_id, on in zip(self._order, switches, strict=False):
            if on != self._plant.is_tripped(point_id):
                (self._plant.trip if on else self._plant.restore)(point_id)
                log.info("drill on PLC %s: %s %s", self.plc.id, "tripped" if on else "restored", point_id)
                flips.append((point_id, on))
        return flips

    def _tick(self, token: CancelToken) -> None:
        last = time.monotonic()
        while not token.cancelled:
            self._kick.wait(self._tick_s)
            self._kick.clear()
            if token.cancelled:
                break
            backend = self._backend
            if backend is None:
                continue
            try:
                switches = backend.drill_states()
                now = time.monotonic()
                dt, last = min(now - last, MAX_STEP_S), now
                with self._lock:
                    flips = self._sync_drills(switches)
                    moved = []
                    for point_id in self._plant.step(dt):
                        sp = self._points[point_id]
                        served = served_value(sp.point, self._plant.value(point_id))
                        if served != sp.value:
                            sp.value = served
                            moved.append(sp)
                if moved:
                    backend.write(moved)
                if self._on_drill is not None:
                    for point_id, on in flips:
                        self._on_drill(point_id, on)
            except Exception:  # a failed tick must not kill the simulator
                if not token.cancelled:
                    log.exception("simulated PLC %s: could not update values", self.plc.id)

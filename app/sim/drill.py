"""Fire drills on a *running* simulator: trip and restore a point's alarm condition from anywhere.

Used (through :class:`DrillService`, which checks the operator's role and audits) by
``wardroom simulate trip|restore`` and the GUI's Drill panel. Both know only the site file:
the switch of a point follows from it (:mod:`app.sim.drillmap`), the simulator's actual port from the
simulators registry (:mod:`app.sim.registry`), or from the file when its port is fixed. Before writing,
the client checks the fingerprint the simulator serves, so a file edited after the simulator started,
or a port now used by something else, is refused instead of tripping the wrong point.

Every simulator found for the PLC is drilled (the GUI and ``wardroom simulate`` may both run one).
Blocking, about ``timeout_s`` per simulator at worst: call it off the GUI thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.sim import drillmap
from app.site.schema import Plc, Point, SiteFile

if TYPE_CHECKING:
    from app.auth.permissions import HasRole
    from app.site.loader import LoadedSite
    from app.storage.database import Database

DRILL_PROTOCOLS = ("modbus-tcp", "s7")
DEFAULT_TIMEOUT_S = 1.0


class DrillError(Exception):
    """A drill could not be done; the message says why in plain words. ``exit_code`` for the CLI."""

    exit_code = 1


class UnknownPointError(DrillError):
    exit_code = 2


class NotDrillableError(DrillError):
    """The point exists but its PLC is not one of Wardroom's simulators."""

    exit_code = 2


class NoSimulatorError(DrillError):
    """No running simulator serves the point's PLC (or none serves this file's point list)."""

    exit_code = 1


@dataclass(frozen=True)
class DrillResult:
    point_id: str
    plc_id: str
    on: bool
    endpoints: tuple[str, ...]  # host:port of every simulator drilled


def _site(site: SiteFile | LoadedSite) -> SiteFile:
    return site if isinstance(site, SiteFile) else site.site


def drillable(plc: Plc) -> bool:
    return plc.simulated and plc.protocol in DRILL_PROTOCOLS


def drillable_points(site: SiteFile | LoadedSite) -> list[Point]:
    """Points worth a drill, in file order: sensors of simulated Modbus TCP and S7 PLCs.

    Left out (though ``trip`` accepts them): writable points, which are outputs the control room
    drives (a sounder), and ``other`` points without alarm limits (a run-hours counter), whose trip
    would mean nothing.
    """
    file = _site(site)
    plcs = {p.id for p in file.plc if drillable(p)}
    return [p for p in file.point if p.plc in plcs and not p.writable and (p.alarms or p.kind != "other")]


def locate(loaded: LoadedSite, point_id: str) -> drillmap.DrillTarget:
    """The point's drill switch; raises UnknownPointError / NotDrillableError with a plain message."""
    try:
        target = drillmap.locate(loaded.site, point_id)
    except drillmap.UnknownPoint:
        raise UnknownPointError(f"site file {loaded.path} has no point {point_id!r}") from None
    plc = target.plc
    if not plc.simulated:
        raise NotDrillableError(
            f"point {point_id} is on PLC {plc.id}, which is not simulated (simulated = false): "
            "drills act only on Wardroom's simulated PLCs"
        )
    if plc.protocol not in DRILL_PROTOCOLS:
        raise NotDrillableError(
            f"point {point_id} is on PLC {plc.id} ({plc.protocol}); drills need a simulated "
            "modbus-tcp or s7 PLC"
        )
    return target


def _candidates(loaded: LoadedSite, plc: Plc) -> list[tuple[str, int]]:
    """Endpoints to try: the registry's live entries, then the file's own port when it is fixed."""
    from app.sim import registry

    found = [(e.host, e.port) for e in registry.lookup(loaded.path, plc.id)]
    if plc.port:
        fixed = (plc.host or "127.0.0.1", plc.port)
        if fixed not in found:
            found.append(fixed)
    return found


def _modbus_switch(
    host: str, port: int, target: drillmap.DrillTarget, on: bool | None, timeout_s: float
) -> bool | str:
    """Set (or with ``on`` None, read) one switch; the switch's state, or why it failed."""
    from pymodbus.client import ModbusTcpClient
    from pymodbus.exceptions import ModbusException

    unit = drillmap.drill_unit(target.plc)
    client = ModbusTcpClient(host, port=port, timeout=timeout_s, retries=0)
    try:
        if not client.connect():
            return "nothing answers there"
        info = client.read_input_registers(0, count=drillmap.DRILL_INFO_REGISTERS, device_id=unit)
        if info.isError() or list(info.registers) != drillmap.modbus_info(target.point_ids):
            return "it serves a different point list (restart it after editing the site file)"
        if on is not None:
            reply = client.write_register(target.index, 1 if on else 0, device_id=unit)
            if reply.isError():
                return f"it refused the drill switch ({reply})"
        state = client.read_holding_registers(target.index, count=1, device_id=unit)
        if state.isError():
            return f"it refused to read the drill switch ({state})"
        return bool(state.registers[0])
    except (ModbusException, OSError) as exc:
        return f"no answer ({exc})"
    finally:
        client.close()


def _s7_switch(
    host: str, port: int, target: drillmap.DrillTarget, on: bool | None, timeout_s: float
) -> bool | str:
    """As :func:`_modbus_switch`, on the S7 drill data block.

    Connects with the pollers' bounded connect (:func:`app.fieldbus.s7.open_client`): snap7's own
    ``connect`` waits a fixed 5 s on a peer that accepts TCP but never answers.
    """
    from app.fieldbus.s7 import open_client, plain_reason

    db = target.db
    client = None
    try:
        client = open_client(host, port, target.plc.rack, target.plc.slot, timeout_s)
        head = bytes(client.db_read(db, 0, drillmap.S7_SWITCH_OFFSET))
        expected = drillmap.fingerprint_bytes(target.point_ids)
        expected += min(len(target.point_ids), 0xFFFF).to_bytes(2, "big")
        if head != expected:
            return "it serves a different point list (restart it after editing the site file)"
        offset = drillmap.S7_SWITCH_OFFSET + target.index
        if on is not None:
            client.db_write(db, offset, bytearray([1 if on else 0]))
        return bool(client.db_read(db, offset, 1)[0])
    except Exception as exc:  # snap7 raises its own error types, RuntimeError or OSError for a dead peer
        return f"no answer: it {plain_reason(exc, round(timeout_s * 1000))}"
    finally:
        if client is not None:
            client.disconnect()


def _switch(loaded: LoadedSite, point_id: str, on: bool | None, timeout_s: float) -> tuple[bool, list[str]]:
    """Set (or read, ``on`` None) the switch on every simulator found: (state, endpoints that answered)."""
    target = locate(loaded, point_id)
    plc = target.plc
    act = _s7_switch if plc.protocol == "s7" else _modbus_switch
    done: list[str] = []
    failures: list[str] = []
    state = False
    for host, port in _candidates(loaded, plc):
        outcome = act(host, port, target, on, timeout_s)
        if isinstance(outcome, bool) and (on is None or outcome is on):
            done.append(f"{host}:{port}")
            state = state or outcome
        else:
            failures.append(f"{host}:{port}: {outcome}")
    if not done:
        tried = f" (tried {'; '.join(failures)})" if failures else ""
        raise NoSimulatorError(
            f"no running simulator for PLC {plc.id} of site {loaded.path}: "
            f"start one with wardroom simulate --site {loaded.path}{tried}"
        )
    return state, done


def _result(loaded: LoadedSite, point_id: str, on: bool, timeout_s: float) -> DrillResult:
    _, done = _switch(loaded, point_id, on, timeout_s)
    plc_id = drillmap.locate(loaded.site, point_id).plc.id
    return DrillResult(point_id=point_id, plc_id=plc_id, on=on, endpoints=tuple(done))


def trip(loaded: LoadedSite, point_id: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> DrillResult:
    """Start the point's alarm condition on every running simulator of its PLC."""
    return _result(loaded, point_id, True, timeout_s)


def restore(loaded: LoadedSite, point_id: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> DrillResult:
    """End the point's alarm condition on every running simulator of its PLC."""
    return _result(loaded, point_id, False, timeout_s)


def is_tripped(loaded: LoadedSite, point_id: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """Whether the point's drill switch is on (on any running simulator of its PLC)."""
    state, _ = _switch(loaded, point_id, None, timeout_s)
    return state


# ---------------------------------------------------------------------- drills as an operator action
class DrillRefused(DrillError):
    """The operator's role may not run drills on this site (already audited)."""

    exit_code = 2


class DrillService:
    """Drills as an operator action: role-checked through the permissions table and audited.

    ``wardroom simulate trip|restore`` and the GUI's Drill panel both call this. On a real site a drill
    needs a role the table allows (supervisor, administrator); in demo mode the demo's duty officer may
    drill too. Every drill is audited as ``drill.trip`` / ``drill.restore`` under the operator, a
    refusal as ``drill.trip-refused`` / ``drill.restore-refused``, a failure with ``-failed``.
    """

    def __init__(self, db: Database | None, loaded: LoadedSite, *, demo: bool) -> None:
        """``db`` None (a GUI page shown without a database) logs the audit rows instead."""
        self.db = db
        self.loaded = loaded
        self.demo = demo

    def may_drill(self, role: str) -> bool:
        from app.auth.permissions import Action, allowed

        return allowed(role, Action.DRILL, demo=self.demo)

    def trip(self, operator: HasRole, point_id: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> DrillResult:
        return self._drill(operator, point_id, True, timeout_s)

    def restore(
        self, operator: HasRole, point_id: str, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> DrillResult:
        return self._drill(operator, point_id, False, timeout_s)

    def _drill(self, operator: HasRole, point_id: str, on: bool, timeout_s: float) -> DrillResult:
        from app.auth.permissions import Action, PermissionRefused, require

        action = "drill.trip" if on else "drill.restore"
        where = {"site": str(self.loaded.path), "demo": self.demo}
        try:
            require(operator, Action.DRILL, demo=self.demo)
        except PermissionRefused as exc:
            self._audit(operator.name, f"{action}-refused", point_id, {**where, "reason": str(exc)})
            raise DrillRefused(str(exc)) from exc
        try:
            result = (trip if on else restore)(self.loaded, point_id, timeout_s=timeout_s)
        except DrillError as exc:
            self._audit(operator.name, f"{action}-failed", point_id, {**where, "reason": str(exc)})
            raise
        self._audit(operator.name, action, point_id, {**where, "endpoints": list(result.endpoints)})
        return result

    def _audit(self, actor: str, action: str, point_id: str, details: dict[str, object]) -> None:
        from app.audit.chain import append

        if self.db is None:
            logging.getLogger("wardroom.sim").warning(
                "no database: %s by %s on %s not audited (%s)", action, actor, point_id, details
            )
            return
        self.db.write(lambda session: append(session, actor, action, point_id, details))

"""``wardroom points``: read, watch and (where the site allows) write PLC points from a terminal.

- ``points list --site FILE [--json]`` polls every PLC of the site once and prints every point with
  its quality; it exits 0 even when PLCs are down (a dead PLC is an answer, not a failure), 2 for a
  bad site file.
- ``points watch --site FILE POINT_ID ...`` streams changes until SIGINT/SIGTERM.
- ``points write --site FILE POINT_ID VALUE --user NAME`` writes a ``writable = true`` point; every
  attempt, refused or not, is audited under the named user.

Simulated PLCs with ``port = 0`` are found through the simulators registry, so these commands read
the simulator that ``wardroom simulate``, ``wardroom station`` or the GUI is running.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from app.fieldbus.quality import PointReading
    from app.site.loader import LoadedSite
    from app.site.schema import Point

points_app = typer.Typer(help="Read, watch and write PLC points.", no_args_is_help=True)

SiteOpt = Annotated[Path, typer.Option("--site", help="Site file (TOML).")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="Database URL for the audit record (default: as for other commands)."),
]
# Roles that may operate plant outputs; a records clerk keeps records, not pumps.
WRITE_ROLES = ("duty-officer", "supervisor", "administrator")


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _load(path: Path) -> LoadedSite:
    from app.site.loader import SiteFileError, load_site

    try:
        return load_site(path)
    except SiteFileError as exc:
        for error in exc.errors:
            _err(str(error))
        raise typer.Exit(2) from exc


def endpoints_for(loaded: LoadedSite) -> dict[str, tuple[str, int]]:
    """Where each simulated PLC answers now (a running simulator's registered port); others as filed."""
    from app.sim.registry import endpoint

    found: dict[str, tuple[str, int]] = {}
    for plc in loaded.site.plc:
        if plc.simulated and plc.protocol != "modbus-rtu":
            where = endpoint(loaded.path, plc.id, plc.host, plc.port)
            if where is not None:
                found[plc.id] = where
    return found


def reading_row(point: Point, reading: PointReading | None, now: float) -> dict[str, Any]:
    """One point as a JSON object with the fields scripts rely on.

    Always: id, value, raw, unit, quality, age_ms (plus plc and kind); ``error`` when not good.
    """
    from app.fieldbus.quality import never_read

    reading = reading or never_read(point.id)
    row: dict[str, Any] = {
        "id": point.id,
        "plc": point.plc,
        "kind": point.kind,
        "value": reading.value,
        "raw": reading.raw,
        "unit": point.unit,
        "quality": reading.quality,
        "age_ms": reading.age_ms(now),
    }
    if reading.quality != "good":
        row["error"] = reading.error or reading.quality
    return row


def _format_value(row: dict[str, Any]) -> str:
    value = row["value"]
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:.6g} {row['unit']}".rstrip()


def _format_row(row: dict[str, Any]) -> str:
    age = "" if row["age_ms"] is None else f"  ({row['age_ms'] / 1000:.1f} s old)"
    text = f"{row['id']:<32} {_format_value(row):>16}  {row['quality']}"
    if row["quality"] != "good":
        text += f"{age}: {row.get('error', '')}"
    return text


@points_app.command("list")
def points_list(
    site: SiteOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
    timeout_s: Annotated[
        float, typer.Option("--timeout", help="Give up on a PLC after this many seconds.")
    ] = 10.0,
) -> None:
    """Poll every PLC once and print each point with its value and quality."""
    from app.fieldbus.manager import poll_once

    loaded = _load(site)
    readings = poll_once(loaded.site, endpoints_for(loaded), timeout_s=timeout_s)
    now = time.time()
    rows = [reading_row(point, readings.get(point.id), now) for point in loaded.site.point]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(_format_row(row))


@points_app.command("watch")
def points_watch(
    site: SiteOpt,
    point_ids: Annotated[list[str], typer.Argument(help="Point ids to watch.")],
) -> None:
    """Stream value and quality changes of the given points until interrupted."""
    import signal
    import threading

    from app.events import EventBus, LinkStateChanged
    from app.fieldbus.events import PointQualityChanged, PointValueChanged
    from app.fieldbus.manager import FieldbusManager

    loaded = _load(site)
    points = {p.id: p for p in loaded.site.point}
    unknown = [pid for pid in point_ids if pid not in points]
    if unknown:
        _err(f"wardroom: no such point in {site}: {', '.join(unknown)}")
        raise typer.Exit(2)
    wanted = set(point_ids)
    plcs = {points[pid].plc for pid in point_ids}
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def show(event: PointValueChanged | PointQualityChanged) -> None:
        reading = event.reading
        if reading.point_id in wanted:
            row = reading_row(points[reading.point_id], reading, time.time())
            stamp = event.at.strftime("%H:%M:%S")
            print(f"{stamp} {_format_row(row)}", flush=True)

    def show_link(event: LinkStateChanged) -> None:
        if event.kind == "plc" and event.id in plcs:
            print(f"{event.at.strftime('%H:%M:%S')} {event.describe()}", flush=True)

    bus = EventBus()
    bus.subscribe(PointValueChanged, show)
    bus.subscribe(PointQualityChanged, show)
    bus.subscribe(LinkStateChanged, show_link)
    manager = FieldbusManager(loaded.site, bus, endpoints_for(loaded))
    manager.start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        manager.stop()


def _parse_value(point: Point, text: str) -> float | bool:
    if point.type == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "on", "yes"):
            return True
        if lowered in ("0", "false", "off", "no"):
            return False
        raise ValueError(f"{text!r} is not a value for bool point {point.id}; use on/off, true/false or 1/0")
    try:
        return float(text)
    except ValueError:
        unit = f" in {point.unit}" if point.unit else ""
        raise ValueError(f"{text!r} is not a number; point {point.id} takes a number{unit}") from None


@points_app.command("write")
def points_write(
    site: SiteOpt,
    point_id: Annotated[str, typer.Argument(help="Point id (must be writable = true in the site file).")],
    value: Annotated[str, typer.Argument(help="Engineering value (numbers), or on/off for bool points.")],
    user: Annotated[str, typer.Option("--user", help="Operator the write is recorded under.")],
    database: DatabaseOpt = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the PLC.")] = 5.0,
) -> None:
    """Write a value to a writable point (audited); any other point is refused with exit 2."""
    from app.audit import append
    from app.events import EventBus
    from app.fieldbus.manager import FieldbusManager, WriteError
    from app.storage.database import open_database
    from app.storage.engine import StorageError
    from app.users import UserService

    loaded = _load(site)
    point = next((p for p in loaded.site.point if p.id == point_id), None)
    try:
        db = open_database(database)
    except StorageError as exc:
        _err(f"wardroom: {exc}")
        raise typer.Exit(1) from exc

    def audit(action: str, details: dict[str, Any]) -> None:
        db.write(lambda s: append(s, user, action, point_id, {"site": str(loaded.path), **details}))

    try:
        operator = next((u for u in UserService(db).list() if u.name == user), None)
        refusal: str | None = None
        if operator is None:
            refusal = f"there is no user {user!r} (add one: wardroom users add NAME --role supervisor)"
        elif operator.role not in WRITE_ROLES:
            refusal = (f"user {user} is a {operator.role}; writing to the plant needs one of "
                       f"{', '.join(WRITE_ROLES)}")
        elif point is None:
            refusal = f"there is no point {point_id!r} in {site}"
        elif not point.writable:
            refusal = (f"point {point_id} is read-only: PLC writes are off unless the site file says "
                       f"writable = true for that point")
        parsed: float | bool | None = None
        if refusal is None and point is not None:
            try:
                parsed = _parse_value(point, value)
            except ValueError as exc:
                refusal = str(exc)
        if refusal is not None or parsed is None or point is None:
            audit("point.write-refused", {"value": value, "reason": refusal})
            _err(f"wardroom: refused: {refusal}")
            raise typer.Exit(2)

        manager = FieldbusManager(loaded.site, EventBus(), endpoints_for(loaded))
        manager.start()
        try:
            manager.write(point_id, parsed, timeout_s=timeout_s)
        except WriteError as exc:
            audit("point.write-failed", {"value": parsed, "reason": str(exc)})
            _err(f"wardroom: write failed: {exc}")
            raise typer.Exit(1) from exc
        finally:
            manager.stop()
        audit("point.write", {"value": parsed, "plc": point.plc, "address": point.address})
        typer.echo(f"wrote {value} to {point_id} ({point.address} on PLC {point.plc}) as {user}")
    finally:
        db.close()

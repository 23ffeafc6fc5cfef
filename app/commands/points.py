"""``wardroom points``: read, watch and (where the site allows) write PLC points from a terminal.

- ``points list --site FILE [--json]`` polls every PLC of the site once and prints every point with
  its quality; it exits 0 even when PLCs are down (a dead PLC is an answer, not a failure), 2 for a
  bad site file.
- ``points watch --site FILE POINT_ID ...`` streams changes until SIGINT/SIGTERM.
- ``points write --site FILE POINT_ID VALUE --user NAME`` (password on the first line of stdin) writes
  a ``writable = true`` point; every attempt, refused or not, is audited.
- ``--demo`` instead of ``--site`` means the bundled demo site (and, for a write, the demo database).

Simulated PLCs with ``port = 0`` are found through the simulators registry, so these commands read
the simulator that ``wardroom simulate``, ``wardroom station`` or the GUI is running.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.commands.common import (
    EXIT_STORAGE,
    EXIT_USAGE,
    DatabaseOpt,
    DemoOpt,
    JsonOpt,
    UserOpt,
    database_url,
    err,
    load_site_or_exit,
    open_db_or_exit,
    operator_or_exit,
    print_json,
    say,
    site_path,
    stop_signals,
    wait_until_stopped,
)

if TYPE_CHECKING:
    from app.fieldbus.quality import PointReading
    from app.fieldbus.writes import WriteFunction
    from app.site.loader import LoadedSite
    from app.site.schema import Point, SiteFile

points_app = typer.Typer(help="Read, watch and write PLC points.", no_args_is_help=True)

SiteOptional = Annotated[Path | None, typer.Option("--site", help="Site file (TOML); or --demo.")]


def endpoints_for(loaded: LoadedSite, site: SiteFile | None = None) -> dict[str, tuple[str, int]]:
    """Where each simulated PLC answers now (a running simulator's registered port); others as filed.

    ``site`` limits the lookup to its PLCs (a part of ``loaded``'s site, e.g. the one PLC of a write).
    """
    from app.sim.registry import endpoint

    found: dict[str, tuple[str, int]] = {}
    for plc in (site or loaded.site).plc:
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
    site: SiteOptional = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
    timeout_s: Annotated[
        float, typer.Option("--timeout", help="Give up on a PLC after this many seconds.")
    ] = 10.0,
) -> None:
    """Poll every PLC once and print each point with its value and quality.

    The quality of a point is one of: good; comm-fail (its PLC did not answer); stale (no good read
    for three poll periods); bad-config (its address or type does not work on its PLC); out-of-range
    (the value is outside the point's range); never-read (not read yet: the poll ended, e.g. at
    --timeout, before its PLC answered for it).

    Exits 0 even when PLCs are down (a dead PLC is an answer, not a failure); 2 for a bad site file.
    """
    from app.fieldbus.manager import poll_once

    loaded = load_site_or_exit(site_path(site, demo))
    readings = poll_once(loaded.site, endpoints_for(loaded), timeout_s=timeout_s)
    now = time.time()
    rows = [reading_row(point, readings.get(point.id), now) for point in loaded.site.point]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(_format_row(row))


@points_app.command("watch")
def points_watch(
    point_ids: Annotated[list[str], typer.Argument(help="Point ids to watch.")],
    site: SiteOptional = None,
    demo: DemoOpt = False,
) -> None:
    """Stream value and quality changes of the given points until interrupted."""
    from app.events import EventBus, LinkStateChanged
    from app.fieldbus.events import PointQualityChanged, PointValueChanged
    from app.fieldbus.manager import FieldbusManager

    loaded = load_site_or_exit(site_path(site, demo))
    points = {p.id: p for p in loaded.site.point}
    unknown = [pid for pid in point_ids if pid not in points]
    if unknown:
        err(f"wardroom: no such point in {loaded.path}: {', '.join(unknown)}")
        raise typer.Exit(EXIT_USAGE)
    wanted = set(point_ids)
    plcs = {points[pid].plc for pid in point_ids}

    def show(event: PointValueChanged | PointQualityChanged) -> None:
        reading = event.reading
        if reading.point_id in wanted:
            row = reading_row(points[reading.point_id], reading, time.time())
            stamp = event.at.strftime("%H:%M:%S")
            say(f"{stamp} {_format_row(row)}")

    def show_link(event: LinkStateChanged) -> None:
        if event.kind == "plc" and event.id in plcs:
            say(f"{event.at.strftime('%H:%M:%S')} {event.describe()}")

    bus = EventBus()
    bus.subscribe(PointValueChanged, show)
    bus.subscribe(PointQualityChanged, show)
    bus.subscribe(LinkStateChanged, show_link)
    with stop_signals() as stop:
        manager = FieldbusManager(loaded.site, bus, endpoints_for(loaded))
        manager.start()
        try:
            wait_until_stopped(stop)
        finally:
            manager.stop()


def plc_write_function(loaded: LoadedSite) -> WriteFunction:
    """Write through a poller of just the written point's PLC, started for the write and stopped after."""

    def write(part: SiteFile, point_id: str, value: float | bool, timeout_s: float) -> None:
        from app.events import EventBus
        from app.fieldbus.manager import FieldbusManager

        manager = FieldbusManager(part, EventBus(), endpoints_for(loaded, part))
        try:
            manager.start()
            manager.write(point_id, value, timeout_s=timeout_s)
        finally:
            manager.stop(2.0)

    return write


@points_app.command("write")
def points_write(
    point_id: Annotated[str, typer.Argument(help="Point id (must be writable = true in the site file).")],
    value: Annotated[str, typer.Argument(help="Engineering value (numbers), or on/off for bool points.")],
    user: UserOpt,
    site: SiteOptional = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the PLC.")] = 5.0,
) -> None:
    """Write a value to a writable point as --user (password: first line of stdin); audited.

    A refused write (login, role, point, value) exits 2, a failed one 1; the audit log holds
    point.write-requested before the PLC is touched, then point.write or point.write-failed. The
    checks and the audit live in ``app.fieldbus.writes``, the service the GUI uses too.
    """
    from app.fieldbus.writes import PlantWriter, WriteFailed, WriteNotRecorded, WriteRefused
    from app.storage.engine import StorageError

    loaded = load_site_or_exit(site_path(site, demo))
    db = open_db_or_exit(database_url(database, demo))
    try:
        writer = PlantWriter(db, loaded, plc_write_function(loaded))
        operator = operator_or_exit(
            db, user, site=loaded, on_refused=lambda why: writer.refuse(user, point_id, value, why)
        )
        outcome = writer.write(operator, point_id, value, timeout_s=timeout_s)
    except WriteRefused as exc:
        err(f"wardroom: refused: {exc.reason}")
        raise typer.Exit(EXIT_USAGE) from exc
    except WriteFailed as exc:
        err(f"wardroom: write failed: {exc.reason}")
        raise typer.Exit(1) from exc
    except WriteNotRecorded as exc:
        err(f"wardroom: {exc.reason}")
        raise typer.Exit(EXIT_STORAGE) from exc
    except StorageError as exc:
        err(f"wardroom: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()
    typer.echo(f"wrote {value} to {point_id} ({outcome.address} on PLC {outcome.plc_id}) as {outcome.user}")

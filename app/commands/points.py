"""``wardroom points``: read, watch and (where the site allows) write PLC points from a terminal.

- ``points list --site FILE [--json]`` prints every point with its quality: a PLC that a live
  station owns is read from that station's live table (one line on stderr names the station), so the
  CLI never opens a second connection beside it; the others (or all, with ``--direct``) are polled
  once. It exits 0 even when PLCs are down (a dead PLC is an answer, not a failure), 2 for a bad site
  file.
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
    read_station_tables,
    say,
    site_path,
    stop_signals,
    wait_until_stopped,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.fieldbus.quality import PointReading
    from app.fieldbus.writes import WriteFunction
    from app.fleet.requests import RequestOutcome
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


def _plc_part(site: SiteFile, plc_ids: set[str]) -> SiteFile:
    """``site`` with only these PLCs and their points (no cameras): what this command polls itself."""
    return site.model_copy(
        update={
            "plc": tuple(p for p in site.plc if p.id in plc_ids),
            "point": tuple(p for p in site.point if p.plc in plc_ids),
            "camera": (),
        }
    )


def live_holders(session: Session, site: SiteFile) -> dict[str, str]:
    """PLC id -> the live station that holds the lease of its connection (heartbeating, lease fresh).

    A silent station's or an expired lease's PLC is not in the answer: nobody polls it now, and its
    last values in the live table would look calm when they are not.
    """
    from app.fleet.clock import db_now
    from app.fleet.connections import connection_of, site_connections
    from app.fleet.leases import leases, stations

    now = db_now(session)
    live = {s.name for s in stations(session, now) if s.stopped_at is None and not s.silent()}
    held = leases(session)
    lease_of = connection_of(site_connections(site))
    holders: dict[str, str] = {}
    for plc in site.plc:
        member = f"plc:{plc.id}"
        lease = held.get(lease_of.get(member, ""))
        if lease is not None and lease.station in live and member in lease.members and not lease.expired(now):
            holders[plc.id] = lease.station
    return holders


def live_readings(session: Session, holders: dict[str, str]) -> dict[str, PointReading]:
    """The points of these PLCs as their stations last wrote them to ``live_points``.

    A good point's age is taken from the later of its row's last good read and its PLC's ``seen_at``
    in ``live_links``: a station rewrites a steady point only when it changes, and refreshes the PLC's
    newest good read instead (as the consoles' feed does).
    """
    from sqlalchemy import select

    from app.fleet.live import aged, reading_of
    from models.fleet import LiveLink, LivePoint

    if not holders:
        return {}
    keys = [f"plc:{plc}" for plc in holders]
    query = select(LiveLink.key, LiveLink.seen_at).where(LiveLink.key.in_(keys))
    seen = {key: at for key, at in session.execute(query)}
    rows = session.scalars(select(LivePoint).where(LivePoint.plc.in_(list(holders))))
    return {row.point: aged(reading_of(row), seen.get(f"plc:{row.plc}")) for row in rows}


def _from_stations(loaded: LoadedSite, url: str | None) -> tuple[dict[str, str], dict[str, PointReading]]:
    """Which PLCs live stations hold and their points' readings; ``({}, {})`` when none can be known.

    A database that cannot be opened or read is said on stderr and every PLC is polled directly: the
    list is still the answer asked for (as before there were stations). A SQLite file that does not
    exist yet has had no station, and is not created just to find that out.
    """

    def read(session: Session) -> tuple[dict[str, str], dict[str, PointReading]]:
        holders = live_holders(session, loaded.site)
        return holders, live_readings(session, holders)

    found = read_station_tables(
        url, read, about="which stations own the PLCs", otherwise="polling every PLC directly"
    )
    return found if found is not None else ({}, {})


@points_app.command("list")
def points_list(
    site: SiteOptional = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
    direct: Annotated[
        bool,
        typer.Option("--direct", help="Poll every PLC once myself, even those a live station owns."),
    ] = False,
    timeout_s: Annotated[
        float, typer.Option("--timeout", help="Give up on a PLC after this many seconds.")
    ] = 10.0,
) -> None:
    """Print each point with its value and quality: from the owning station, else polled once.

    A PLC that a live station owns (it holds the lease of the PLC's connection and heartbeats) is
    read from that station's live table in the database, and one line on stderr names the station;
    this command then opens no connection of its own beside it (a serial line allows only one). The
    other PLCs, or every PLC with --direct, are polled once. JSON rows say where each came from:
    "from": "station:NAME" or "direct".

    The quality of a point is one of: good; comm-fail (its PLC did not answer); stale (no good read
    for three poll periods); bad-config (its address or type does not work on its PLC); out-of-range
    (the value is outside the point's range); never-read (not read yet: the poll ended, e.g. at
    --timeout, before its PLC answered for it, or its station has not written it yet).

    Exits 0 even when PLCs are down (a dead PLC is an answer, not a failure); 2 for a bad site file.
    """
    from app.fieldbus.quality import PointReading

    loaded = load_site_or_exit(site_path(site, demo))
    holders: dict[str, str] = {}
    readings: dict[str, PointReading] = {}
    if not direct:
        holders, readings = _from_stations(loaded, database_url(database, demo))
    by_station: dict[str, list[str]] = {}
    for plc_id, station in holders.items():
        by_station.setdefault(station, []).append(plc_id)
    for station, plc_ids in sorted(by_station.items()):
        err(f"wardroom: reading PLC {', '.join(plc_ids)} from station {station}'s live table")
    polled = {p.id for p in loaded.site.plc if p.id not in holders}
    if polled:
        from app.fieldbus.manager import poll_once

        part = _plc_part(loaded.site, polled) if holders else loaded.site
        readings.update(poll_once(part, endpoints_for(loaded, part), timeout_s=timeout_s))
    now = time.time()
    rows = []
    for point in loaded.site.point:
        holder = holders.get(point.plc)
        reading = readings.get(point.id)
        if reading is None and holder is not None:
            unwritten = f"station {holder} has not written it yet"
            reading = PointReading(point.id, None, None, "never-read", None, unwritten)
        row = reading_row(point, reading, now)
        row["from"] = f"station:{holder}" if holder is not None else "direct"
        rows.append(row)
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


def connection_members(loaded: LoadedSite, key: str) -> list[str]:
    """The ``plc:<id>`` / ``camera:<id>`` behind connection ``key`` (the lease's members)."""
    from app.fleet.connections import site_connections

    return next((c.members for c in site_connections(loaded.site) if c.key == key), [])


def request_outcome_or_exit(outcome: RequestOutcome, what: str, timeout_s: float) -> None:
    """Print a station's outcome in a duty officer's words; exit 2 refused, 1 not done (DESIGN §10)."""
    from app.fleet.requests import DONE, EXPIRED, REFUSED, TIMED_OUT

    by = f"station {outcome.station}" if outcome.station else "the station"
    if outcome.status == DONE:
        return
    if outcome.status == REFUSED:
        err(f"wardroom: refused by {by}: {outcome.reason}")
    elif outcome.status == EXPIRED:
        err(f"wardroom: {what} was not done: {outcome.reason} (waited {timeout_s:g} s); nothing was sent")
    elif outcome.status == TIMED_OUT:
        err(
            f"wardroom: no outcome within {timeout_s:g} s: {outcome.reason}; check the result before "
            "trying again"
        )
    else:
        err(f"wardroom: {what} failed at {by}: {outcome.reason}")
    raise typer.Exit(outcome.exit_code)


@points_app.command("write")
def points_write(
    point_id: Annotated[str, typer.Argument(help="Point id (must be writable = true in the site file).")],
    value: Annotated[str, typer.Argument(help="Engineering value (numbers), or on/off for bool points.")],
    user: UserOpt,
    site: SiteOptional = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    timeout_s: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the outcome (the station's or the PLC's).")
    ] = 10.0,
) -> None:
    """Write a value to a writable point as --user (password: first line of stdin); audited.

    When a live station owns the point's PLC, the write is a request that station executes (and
    audits); otherwise this command takes the PLC connection's lease for the duration and writes
    itself. --timeout bounds the whole wait: a write not done by then is never done.

    A refused write (login, role, point, value) exits 2; a failed, expired or unanswered one 1. The
    audit log holds point.write-requested before the PLC is touched, then point.write or
    point.write-failed. The checks live in ``app.fieldbus.writes``, the service the GUI uses too.
    """
    from app.fieldbus.writes import PlantWriter, WriteFailed, WriteNotRecorded, WriteRefused
    from app.fleet import requests
    from app.fleet.connections import plc_connection_key
    from app.storage.engine import StorageError

    loaded = load_site_or_exit(site_path(site, demo))
    db = open_db_or_exit(database_url(database, demo))
    try:
        writer = PlantWriter(db, loaded, plc_write_function(loaded))
        operator = operator_or_exit(
            db, user, site=loaded, on_refused=lambda why: writer.refuse(user, point_id, value, why)
        )
        point, parsed = writer.check(operator, point_id, value)
        writer.record_request(operator.name, point, parsed)
        plc = next(p for p in loaded.site.plc if p.id == point.plc)
        key = plc_connection_key(plc)
        me = requests.origin_of("cli")
        try:
            with requests.owner_or_borrow(db, key, connection_members(loaded, key), me) as station:
                if station is None:
                    outcome = writer.perform(operator.name, point, parsed, timeout_s)
                    typer.echo(
                        f"wrote {value} to {point_id} ({outcome.address} on PLC {outcome.plc_id}) "
                        f"as {outcome.user}"
                    )
                    return
                asked = requests.submit_and_wait(
                    db, kind="point.write", target=point.id, lease=key, value=parsed, user=operator,
                    origin=me, timeout_s=timeout_s,
                )  # fmt: skip
        except requests.LeaseBusy as exc:
            writer.audit_failed(operator.name, point, parsed, f"PLC {plc.id}: {exc}")
            err(f"wardroom: write not done: PLC {plc.id}: {exc}")
            raise typer.Exit(1) from exc
        request_outcome_or_exit(asked, "the write", timeout_s)
        typer.echo(
            f"wrote {value} to {point_id} ({point.address} on PLC {point.plc}) as {operator.name}, "
            f"by station {asked.station}"
        )
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

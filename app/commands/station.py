"""``wardroom station``: run a site's services headless, one line per state change."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from app.fleet.leases import StationIdentity
    from app.station import Station
    from app.storage.database import Database

from app.commands.common import (
    EXIT_USAGE,
    DatabaseOpt,
    DemoOpt,
    database_url,
    err,
    load_site_or_exit,
    open_db_or_exit,
    say,
    say_err,
    site_path,
    start_logged_command,
    stop_signals,
    wait_until_stopped,
)

station_app = typer.Typer()

# Point qualities that `wardroom station` reports one line each (comm-fail is reported per PLC).
POINT_FAULTS = frozenset({"stale", "bad-config", "out-of-range"})


def running_elsewhere(db: Database, identity: StationIdentity) -> str | None:
    """Why this station must not start: another live process already runs under its name."""
    from app.fleet import leases
    from app.fleet.clock import db_now

    with db.session() as session:
        other = leases.running_elsewhere(session, identity, db_now(session))
    if other is None:
        return None
    return (
        f"a station named {identity.name!r} is already running (pid {other.pid} on {other.host}, "
        f"heartbeat {other.heartbeat_age_ms} ms ago); give this one another --name"
    )


def ownership_line(runtime: Station) -> str:
    """What the station polls, or that it is idle and why (who holds what it wants)."""
    owned = runtime.owned
    keeper = runtime.keeper
    held = keeper.held_by if keeper is not None else {}
    text = f"owns {', '.join(owned)}" if owned else (keeper.note() if keeper is not None else "owns nothing")
    if held:
        text += "; " + "; ".join(f"{key} is held by station {holder}" for key, holder in sorted(held.items()))
    return text


@station_app.command()
def station(
    site: Annotated[Path | None, typer.Option("--site", help="Site file (TOML); or --demo.")] = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    name: Annotated[
        str | None, typer.Option("--name", help="This station's name (default: the host name).")
    ] = None,
    plcs: Annotated[
        str, typer.Option("--plcs", help="Own only the PLCs whose id matches this glob (default: all).")
    ] = "*",
    cameras: Annotated[
        str, typer.Option("--cameras", help="Own only the cameras whose id matches this glob (default: all).")
    ] = "*",
    standby: Annotated[
        bool,
        typer.Option(
            "--standby",
            help="Own nothing at first; take over every device whose station goes silent (lease expired).",
        ),
    ] = False,
    events: Annotated[
        str,
        typer.Option(
            "--events",
            help="text: one line per state change (default); jsonl: one JSON line per committed alarm "
            "transition on stdout (the other lines go to stderr).",
        ),
    ] = "text",
) -> None:
    """Run the site's services headless; print one line per state change until SIGINT/SIGTERM."""
    import json

    from app.alarms.events import AlarmChanged
    from app.events import EventBus, LinkStateChanged, ServiceStateChanged
    from app.fieldbus.events import PointQualityChanged
    from app.station import Station, default_identity
    from app.storage.engine import name_sessions

    if events not in ("text", "jsonl"):
        err(f"wardroom station: --events is text or jsonl, not {events!r}")
        raise typer.Exit(EXIT_USAGE)
    jsonl = events == "jsonl"
    line = say_err if jsonl else say
    loaded = load_site_or_exit(site_path(site, demo))
    with stop_signals() as stop:
        start_logged_command()
        identity = default_identity(standby=standby, name=name)
        name_sessions(f"wardroom station {identity.name}")
        db = open_db_or_exit(database_url(database, demo))
        bus = EventBus()

        def show(event: LinkStateChanged | ServiceStateChanged | PointQualityChanged | AlarmChanged) -> None:
            stamp = event.at.strftime("%Y-%m-%dT%H:%M:%SZ")
            line(f"{stamp} {event.describe()}")

        def show_quality(event: PointQualityChanged) -> None:
            # Comm-fail is already one PLC line, and start-up "never-read -> good" would flood the
            # terminal: only the point-level faults (stale, bad address, out of range) and their end.
            if event.reading.quality in POINT_FAULTS or event.previous in POINT_FAULTS:
                show(event)

        bus.subscribe(LinkStateChanged, show)
        bus.subscribe(ServiceStateChanged, show)
        bus.subscribe(PointQualityChanged, show_quality)

        def show_alarm(event: AlarmChanged) -> None:
            t = event.transition
            if not jsonl:
                show(event)  # restored ones too: the operator sees what is still open after a restart
                return
            # Only what the journal holds: a line here is the promise that the transition survives.
            if t is not None and t.id is not None and event.view.recorded:
                record = {
                    "occurrence": t.occurrence_id,
                    "key": event.view.key,
                    "to": t.to_state,
                    "at": t.at.isoformat(),
                }
                say(json.dumps(record, ensure_ascii=False))

        bus.subscribe(AlarmChanged, show_alarm)
        if (busy := running_elsewhere(db, identity)) is not None:
            err(f"wardroom station: {busy}")
            db.close()
            raise typer.Exit(EXIT_USAGE)
        runtime = Station(loaded, db, bus, identity=identity, plcs=plcs, cameras=cameras, demo=demo)
        line(f"station {identity.name}: site {loaded.site.site.name!r} from {loaded.path}")
        try:
            runtime.start()
            line(f"station {identity.name}: {ownership_line(runtime)}")
            wait_until_stopped(stop)
            line("station: stopping")
        finally:
            runtime.stop()
            db.close()
    line("station: stopped")

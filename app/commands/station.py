"""``wardroom station``: run a site's services headless, one line per state change."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import (
    DatabaseOpt,
    DemoOpt,
    database_url,
    load_site_or_exit,
    open_db_or_exit,
    say,
    site_path,
    start_logged_command,
    stop_signals,
    wait_until_stopped,
)

station_app = typer.Typer()

# Point qualities that `wardroom station` reports one line each (comm-fail is reported per PLC).
POINT_FAULTS = frozenset({"stale", "bad-config", "out-of-range"})


@station_app.command()
def station(
    site: Annotated[Path | None, typer.Option("--site", help="Site file (TOML); or --demo.")] = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Run the site's services headless; print one line per state change until SIGINT/SIGTERM."""
    from app.events import EventBus, LinkStateChanged, ServiceStateChanged
    from app.fieldbus.events import PointQualityChanged
    from app.station import Station

    loaded = load_site_or_exit(site_path(site, demo))
    with stop_signals() as stop:
        start_logged_command()
        db = open_db_or_exit(database_url(database, demo))
        bus = EventBus()

        def show(event: LinkStateChanged | ServiceStateChanged | PointQualityChanged) -> None:
            stamp = event.at.strftime("%Y-%m-%dT%H:%M:%SZ")
            say(f"{stamp} {event.describe()}")

        def show_quality(event: PointQualityChanged) -> None:
            # Comm-fail is already one PLC line, and start-up "never-read -> good" would flood the
            # terminal: only the point-level faults (stale, bad address, out of range) and their end.
            if event.reading.quality in POINT_FAULTS or event.previous in POINT_FAULTS:
                show(event)

        bus.subscribe(LinkStateChanged, show)
        bus.subscribe(ServiceStateChanged, show)
        bus.subscribe(PointQualityChanged, show_quality)
        runtime = Station(loaded, db, bus)
        say(f"station: site {loaded.site.site.name!r} from {loaded.path}")
        try:
            runtime.start()
            wait_until_stopped(stop)
            say("station: stopping")
        finally:
            runtime.stop()
            db.close()
    say("station: stopped")

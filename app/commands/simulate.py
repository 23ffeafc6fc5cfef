"""``wardroom simulate``: serve a site's simulated PLCs, and run fire drills on them.

- ``wardroom simulate --site FILE`` serves the site's simulated PLCs (with physics) until SIGINT or
  SIGTERM, printing each one's endpoint; a drill on any of them is printed as it happens.
- ``wardroom simulate trip POINT_ID --site FILE --user NAME`` / ``restore`` flip the point's drill
  switch on the *running* simulator, whichever process runs it (this command, ``wardroom station`` or
  the GUI). A drill is an operator action: the password is read from the first line of stdin, the role
  is checked by ``app.sim.drill.DrillService`` and the drill audited. Exit 2: refused (login, role),
  unknown point, or its PLC is not simulated; exit 1: no running simulator found.
- ``--demo`` instead of ``--site``: the bundled demo site (and the demo database), where the demo's
  duty officer may drill too.
- ``wardroom simulate points --site FILE [--json]`` lists the drillable points.

Registered by ``app.cli`` as ``app.add_typer(simulate_app, name="simulate")``. Imports happen inside
the commands so that ``wardroom --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.commands.common import (
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
    start_logged_command,
    stop_signals,
    wait_until_stopped,
)

simulate_app = typer.Typer(
    help="Serve a site's simulated PLCs (wardroom simulate --site FILE) and run drills on them.",
    invoke_without_command=True,
    no_args_is_help=False,
)

SiteOpt = Annotated[Path | None, typer.Option("--site", help="Site file (TOML).")]
PointArg = Annotated[str, typer.Argument(help="Point id from the site file.")]
STOP_TIMEOUT_S = 4.0


def _demo(ctx: typer.Context, demo: bool) -> bool:
    """``--demo`` given to the sub-command or to ``wardroom simulate`` itself."""
    return demo or (isinstance(ctx.obj, tuple) and bool(ctx.obj[1]))


def _site_path(ctx: typer.Context, site: Path | None, demo: bool = False) -> Path:
    """``--site`` given to the sub-command, else to ``wardroom simulate`` itself, else the demo's."""
    given = ctx.obj[0] if isinstance(ctx.obj, tuple) else None
    return Path(site_path(site if site is not None else given, _demo(ctx, demo), "wardroom simulate"))


@simulate_app.callback()
def simulate(ctx: typer.Context, site: SiteOpt = None, demo: DemoOpt = False) -> None:
    """Serve the simulated PLCs of a site until interrupted (no sub-command), or run a drill."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = (site, demo)
        return
    _serve(_site_path(ctx, site, demo))


def _serve(path: Path) -> None:
    from app.sim.drillmap import drill_db, drill_unit, plc_points
    from app.sim.simulator import PlcSimulator

    loaded = load_site_or_exit(path)
    plcs = [p for p in loaded.site.plc if p.simulated]
    if not plcs:
        err(f"wardroom simulate: site file {path} has no simulated PLC (simulated = true)")
        raise typer.Exit(EXIT_USAGE)
    start_logged_command(stderr_level="WARNING")

    def on_drill(point_id: str, on: bool) -> None:
        say(f"simulate: drill {'TRIPPED' if on else 'restored'} {point_id}")  # ticker thread

    with stop_signals() as stop:
        running: list[PlcSimulator] = []
        try:
            for plc in plcs:
                points = plc_points(plc, loaded.site.point)
                try:
                    sim = PlcSimulator(plc, points, site_path=loaded.path, on_drill=on_drill)
                    sim.start()
                except Exception as exc:
                    err(f"simulate: PLC {plc.id} could not start: {exc}")
                    continue
                running.append(sim)
                where = (
                    f"drill data block DB{drill_db(plc, points)}"
                    if plc.protocol == "s7"
                    else f"drill unit {drill_unit(plc)}"
                )
                typer.echo(
                    f"simulate: PLC {plc.id} ({plc.protocol}) on {sim.endpoint}, "
                    f"{len(points)} point(s), {where}"
                )
            if not running:
                err("wardroom simulate: no simulated PLC could start")
                raise typer.Exit(1)
            typer.echo(f"simulate: serving site {loaded.site.site.name!r} from {loaded.path}; Ctrl+C to stop")
            wait_until_stopped(stop)
            typer.echo("simulate: stopping")
        finally:
            for sim in reversed(running):
                sim.stop(STOP_TIMEOUT_S / max(len(running), 1))
    typer.echo("simulate: stopped")


TimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", help="Seconds to wait for the outcome when a station runs the simulator."),
]


def _drill(
    ctx: typer.Context,
    point_id: str,
    site: Path | None,
    on: bool,
    user: str,
    demo: bool,
    database: str | None,
    timeout_s: float = 10.0,
) -> None:
    """Drill as an operator: a request to the live station holding ``sim:<plc>``, else directly.

    Acting directly, the command holds the simulator's lease for the duration. A refusal this
    command can see itself (role, unknown or undrillable point) is made, and audited, by
    ``DrillService`` as before, without asking any station.
    """
    from app.auth.users import UserService
    from app.commands.points import connection_members, request_outcome_or_exit
    from app.fleet import requests
    from app.fleet.connections import plc_connection_key
    from app.sim import drill

    # Library noise (pymodbus logs a refused connection at ERROR) is silenced by app.cli.main.
    demo = _demo(ctx, demo)
    loaded = load_site_or_exit(_site_path(ctx, site, demo))
    db = open_db_or_exit(database_url(database, demo))
    action = "drill.trip" if on else "drill.restore"
    verb = "tripped" if on else "restored"
    try:
        operator = operator_or_exit(db, user, site=loaded)
        service = drill.DrillService(db, loaded, demo=demo)
        act = service.trip if on else service.restore
        try:
            plc = drill.locate(loaded, point_id).plc
        except drill.DrillError:
            plc = None
        if plc is None or not service.may_drill(operator.role):
            result = act(operator, point_id)  # refused or failed, and audited, as before
        else:
            key = plc_connection_key(plc)
            me = requests.origin_of("cli")
            where = {"site": str(loaded.path), "demo": demo}
            try:
                with requests.owner_or_borrow(db, key, connection_members(loaded, key), me) as station:
                    if station is None:
                        result = act(operator, point_id)
                    else:
                        UserService(db).audit(
                            operator.name, f"{action}-requested", point_id, {**where, "station": station}
                        )
                        asked = requests.submit_and_wait(
                            db, kind=action, target=point_id, lease=key, value=None, user=operator, origin=me,
                            timeout_s=timeout_s,
                        )  # fmt: skip
                        request_outcome_or_exit(asked, f"the {action.split('.')[1]}", timeout_s)
                        typer.echo(f"{verb} {point_id} on simulated PLC {plc.id}, by station {asked.station}")
                        return
            except requests.LeaseBusy as exc:
                UserService(db).audit(
                    operator.name, f"{action}-failed", point_id, {**where, "reason": str(exc)}
                )
                err(f"wardroom simulate: {action.split('.')[1]} not done: PLC {plc.id}: {exc}")
                raise typer.Exit(1) from exc
    except drill.DrillError as exc:
        err(f"wardroom simulate: {'refused: ' if isinstance(exc, drill.DrillRefused) else ''}{exc}")
        raise typer.Exit(exc.exit_code) from exc
    finally:
        db.close()
    typer.echo(f"{verb} {point_id} on simulated PLC {result.plc_id} at {', '.join(result.endpoints)}")


@simulate_app.command("trip")
def trip(
    ctx: typer.Context,
    point_id: PointArg,
    user: UserOpt,
    site: SiteOpt = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    timeout_s: TimeoutOpt = 10.0,
) -> None:
    """Start the point's alarm condition on the running simulator (a drill) as --user; audited.

    When a live station runs the simulator, the drill is a request it executes (--timeout bounds
    the wait: refused exits 2, failed, expired or unanswered 1).
    """
    _drill(ctx, point_id, site, True, user, demo, database, timeout_s)


@simulate_app.command("restore")
def restore(
    ctx: typer.Context,
    point_id: PointArg,
    user: UserOpt,
    site: SiteOpt = None,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
    timeout_s: TimeoutOpt = 10.0,
) -> None:
    """End the point's alarm condition on the running simulator as --user; audited (as trip)."""
    _drill(ctx, point_id, site, False, user, demo, database, timeout_s)


@simulate_app.command("points")
def points(
    ctx: typer.Context,
    site: SiteOpt = None,
    demo: DemoOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List the points a drill can trip, with what a trip does to each."""
    from app.sim.drill import drillable_points
    from app.sim.physics import trip_description

    loaded = load_site_or_exit(_site_path(ctx, site, demo))
    rows = [
        {"id": p.id, "plc": p.plc, "kind": p.kind, "unit": p.unit, "trip": trip_description(p)}
        for p in drillable_points(loaded)
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(f"site file {loaded.path} has no point on a simulated PLC")
    for row in rows:
        typer.echo(f"{row['id']:<36} {row['plc']:<20} {row['trip']}")

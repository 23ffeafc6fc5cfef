"""``wardroom incidents``: create, follow up and list incidents from a terminal.

``create``, ``status``, ``note``, ``attach``, ``assign`` act as ``--user NAME`` (password on the first line of
stdin) through :mod:`app.incidents.service`, the service the console uses. Exit 0 done; 2 refused
(login, role, an illegal status move, an unknown id), with the reason on stderr; 1 storage failure.
``list`` reads the database only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from app.commands.common import (
    EXIT_STORAGE,
    EXIT_USAGE,
    DatabaseOpt,
    DemoOpt,
    JsonOpt,
    UserOpt,
    audit_refusal,
    database_url,
    err,
    open_db_or_exit,
    operator_or_exit,
    print_json,
)

if TYPE_CHECKING:
    from app.auth.users import UserInfo
    from app.incidents.service import IncidentService

incidents_app = typer.Typer(help="Incidents: create, change status, note, list.", no_args_is_help=True)

T = TypeVar("T")
IdArg = Annotated[int, typer.Argument(help="The incident's id (the id column of 'wardroom incidents list').")]


def _act(
    user: str,
    demo: bool,
    database: str | None,
    verb: str,
    target: str,
    do: Callable[[IncidentService, UserInfo], T],
) -> T:
    """Log ``user`` in (a failed login audited ``incident.<verb>-refused``), run ``do``; exit 2 / 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.incidents.service import IncidentRefused, IncidentService
    from app.storage.engine import StorageError

    db = open_db_or_exit(database_url(database, demo))
    try:
        operator = operator_or_exit(
            db, user, on_refused=audit_refusal(db, user, f"incident.{verb}-refused", target)
        )
        return do(IncidentService(db), operator)
    except IncidentRefused as exc:
        err(f"wardroom: refused: {exc.reason}")
        raise typer.Exit(EXIT_USAGE) from exc
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: nothing was recorded: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()


@incidents_app.command("create")
def incidents_create(
    title: Annotated[str, typer.Option("--title", help="What happened, in a few words.")],
    user: UserOpt,
    alarm: Annotated[
        list[int] | None, typer.Option("--alarm", help="An alarm id the incident holds (repeat for more).")
    ] = None,
    building: Annotated[str | None, typer.Option("--building", help="The building's site-file id.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="The duty team assigned (its name).")] = None,
    description: Annotated[str, typer.Option("--description", help="More words on what happened.")] = "",
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Create an incident (status new) from alarms or by hand; prints its id (--json: the row)."""
    row = _act(
        user,
        demo,
        database,
        "create",
        title[:80],
        lambda s, u: s.create(
            u, title, alarm_ids=alarm or [], building=building, description=description, team=team
        ),
    )
    if as_json:
        print_json([row.json_row()])
    else:
        typer.echo(str(row.id))


@incidents_app.command("status")
def incidents_status(
    incident_id: IdArg,
    status: Annotated[str, typer.Argument(help="new, in-progress, on-hold or closed.")],
    user: UserOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why (required to close a new incident).")] = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Change an incident's status (only the workflow's moves; reopening needs a supervisor)."""
    row = _act(
        user,
        demo,
        database,
        "status",
        f"incident:{incident_id}",
        lambda s, u: s.set_status(u, incident_id, status, reason),
    )
    typer.echo(f"incident {row.id} is now {row.status} (by {user})")


@incidents_app.command("note")
def incidents_note(
    incident_id: IdArg,
    text: Annotated[str, typer.Argument(help="The note.")],
    user: UserOpt,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Add a note to an incident."""
    _act(user, demo, database, "note", f"incident:{incident_id}", lambda s, u: s.note(u, incident_id, text))
    typer.echo(f"note added to incident {incident_id} by {user}")


@incidents_app.command("attach")
def incidents_attach(
    incident_id: IdArg,
    snapshot: Annotated[int, typer.Argument(help="The snapshot's id.")],
    user: UserOpt,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Keep a camera snapshot with an incident (it then outlives the snapshots' retention)."""
    _act(
        user,
        demo,
        database,
        "attach",
        f"incident:{incident_id}",
        lambda s, u: s.attach_snapshot(u, incident_id, snapshot),
    )
    typer.echo(f"snapshot {snapshot} attached to incident {incident_id} by {user}")


@incidents_app.command("assign")
def incidents_assign(
    incident_id: IdArg,
    team: Annotated[str, typer.Argument(help="The duty team's name.")],
    user: UserOpt,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Assign the duty team that follows an incident up."""
    row = _act(
        user,
        demo,
        database,
        "assign",
        f"incident:{incident_id}",
        lambda s, u: s.assign_team(u, incident_id, team),
    )
    typer.echo(f"incident {row.id} is assigned to {row.duty_team} (by {user})")


@incidents_app.command("list")
def incidents_list(
    status: Annotated[str | None, typer.Option("--status", help="Only incidents with this status.")] = None,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """List incidents, newest first."""
    from app.incidents.service import list_incidents

    db = open_db_or_exit(database_url(database, demo))
    try:
        with db.session() as session:
            rows = list_incidents(session, status)
    finally:
        db.close()
    if as_json:
        print_json([r.json_row() for r in rows])
        return
    for r in rows:
        alarms = ",".join(str(a) for a in r.alarm_ids) or "-"
        typer.echo(
            f"{r.id:>5} {r.status:<11} {r.priority:<7} {r.building or '-':<10} "
            f"{r.opened_at.isoformat()} {r.opened_by or '-':<12} alarms {alarms}  {r.title}"
        )

"""``wardroom alarms``: the alarm journal and the operator actions on it, from a terminal.

- ``list [--active] [--json]``, ``history --from ISO --to ISO [--json]``, ``kpi --from ISO --to ISO
  [--json]`` read the database only (``--database``, ``WARDROOM_DATABASE_URL`` or ``--demo``); the
  synced site row gives the time zone, the shelving limit and the flood threshold, so no site file is
  needed. Input times without an offset are in the site's time zone; ranges are ``[from, to)``.
- ``ack``, ``silence``, ``reset``, ``note``, ``shelve``, ``unshelve``, ``out-of-service``, ``return``
  act as ``--user NAME`` (password on the first line of stdin) through :mod:`app.alarms.actions`, the
  service the console uses. Exit 0 done; 2 refused (login, role, an action that does not fit the
  alarm's state, a lost race, an unknown id), with the reason on stderr; 1 storage failure.
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
    database_url,
    err,
    open_db_or_exit,
    operator_or_exit,
    parse_time_or_exit,
    print_json,
)

if TYPE_CHECKING:
    from datetime import datetime

    from app.alarms.actions import AlarmActions, SiteRules
    from app.alarms.views import AlarmView, TransitionView
    from app.auth.users import UserInfo
    from app.storage.database import Database

alarms_app = typer.Typer(help="Alarms: list, history, KPIs, and operator actions.", no_args_is_help=True)

T = TypeVar("T")

IdArg = Annotated[int, typer.Argument(help="The alarm's id (the id column of 'wardroom alarms list').")]
TargetArg = Annotated[
    str,
    typer.Argument(help="The alarm's id, or its key <point>/<limit> (e.g. b3.smoke/on).", metavar="ID|KEY"),
]
FromOpt = Annotated[str, typer.Option("--from", help="Start (ISO; without offset: site time), included.")]
ToOpt = Annotated[str, typer.Option("--to", help="End (ISO; without offset: site time), excluded.")]
POSITION = "cli"


# ---------------------------------------------------------------------------------------- reading


def _rules(db: Database) -> SiteRules:
    from app.alarms.actions import site_rules

    with db.session() as session:
        return site_rules(session)


def _reading(db: Database, fn: Callable[[Database], T]) -> T:
    """Run a read, then close the database; a storage failure is one plain line and exit 1."""
    try:
        return _reading_keep(db, fn)
    finally:
        db.close()


def _value_text(view: AlarmView) -> str:
    value = view.value
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:.6g}"


def _alarm_line(view: AlarmView, rules: SiteRules) -> str:
    acked = f"  acknowledged by {view.acknowledged_by}" if view.acknowledged_by else ""
    shelf = f"  shelved until {rules.clock(view.shelved_until)}" if view.shelved_until else ""
    return (
        f"{view.id:>6}  {rules.clock(view.raised_at)}  {view.building or '-':<6} {view.category:<11} "
        f"{view.priority:<7} {view.state:<18} {_value_text(view):>8}  {view.message}{acked}{shelf}"
    )


@alarms_app.command("list")
def alarms_list(
    active: Annotated[
        bool,
        typer.Option("--active", help="Every alarm not back to normal (shelved and out of service too)."),
    ] = False,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Alarms in console order (fire first, then priority, then newest); without --active the newest 500."""
    from app.alarms import journal

    db = open_db_or_exit(database_url(database, demo))

    def read(db: Database) -> tuple[list[AlarmView], SiteRules]:
        with db.session() as session:
            views = journal.open_alarms(session) if active else journal.newest(session)
        return views, _rules(db)

    views, rules = _reading(db, read)
    if as_json:
        print_json([v.json_row() for v in views])
        return
    for view in views:
        typer.echo(_alarm_line(view, rules))


@alarms_app.command("history")
def alarms_history(
    start: FromOpt,
    end: ToOpt,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """State changes with --from <= time < --to, oldest first."""
    from app.alarms import journal

    db = open_db_or_exit(database_url(database, demo))
    rules, t0, t1 = _period(db, start, end)

    def read(db: Database) -> list[TransitionView]:
        with db.session() as session:
            return journal.history(session, t0, t1)

    rows = _reading(db, read)
    if as_json:
        print_json([t.json_row() for t in rows])
        return
    for t in rows:
        by = f" by {t.by}" if t.by else ""
        note = f": {t.note}" if t.note else ""
        typer.echo(
            f"{rules.clock(t.at)}  alarm {t.occurrence_id} ({t.key}) {t.from_state} -> {t.to_state}{by}{note}"
        )


@alarms_app.command("kpi")
def alarms_kpi(
    start: FromOpt,
    end: ToOpt,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Alarm-system figures of the period beside their ISA-18.2 / EEMUA 191 targets."""
    from app.alarms.queries import kpi

    db = open_db_or_exit(database_url(database, demo))
    _, t0, t1 = _period(db, start, end)

    def read(db: Database) -> list[dict[str, object]]:
        with db.session() as session:
            rows = kpi(session, t0, t1)
        return [{"kpi": k.kpi, "value": k.value, "target": k.target, "unit": k.unit} for k in rows]

    rows = _reading(db, read)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        target = f"  (target {row['target']})" if row["target"] else ""
        typer.echo(f"{row['kpi']:<30} {row['value']:>10g} {row['unit']}{target}")


def _period(db: Database, start: str, end: str) -> tuple[SiteRules, datetime, datetime]:
    """The site's rules and ``[--from, --to)`` read in the site's time zone; exit 2 if backwards."""
    rules = _reading_keep(db, _rules)
    t0 = parse_time_or_exit(start, rules.timezone, "--from")
    t1 = parse_time_or_exit(end, rules.timezone, "--to")
    if t1 <= t0:
        db.close()
        err("wardroom: --to must be after --from")
        raise typer.Exit(EXIT_USAGE)
    return rules, t0, t1


def _reading_keep(db: Database, fn: Callable[[Database], T]) -> T:
    """:func:`_reading` that leaves the database open for the next read."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.storage.engine import StorageError

    try:
        return fn(db)
    except (StorageError, SQLAlchemyError) as exc:
        db.close()
        err(f"wardroom: the alarm journal could not be read: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc


# ---------------------------------------------------------------------------------------- acting


def _act(
    user: str,
    demo: bool,
    database: str | None,
    verb: str,
    target: str,
    do: Callable[[AlarmActions, UserInfo], T],
) -> T:
    """Log ``user`` in (a refusal audited ``alarm.<verb>-refused``), run ``do``; exits 2 / 1 on failure."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.alarms.actions import ActionRefused, AlarmActions, refuse_login
    from app.storage.engine import StorageError

    db = open_db_or_exit(database_url(database, demo))
    try:
        operator = operator_or_exit(
            db, user, on_refused=lambda why: refuse_login(db, user, verb, target, why)
        )
        return do(AlarmActions(db, position=POSITION), operator)
    except ActionRefused as exc:
        err(f"wardroom: refused: {exc.reason}")
        raise typer.Exit(EXIT_USAGE) from exc
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: nothing was recorded: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()


def _target(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.isdigit() else text


def _done(view: AlarmView, verb: str, who: str) -> None:
    from app.alarms.actions import done_words

    typer.echo(f"alarm {view.id} ({view.key}) {done_words(verb)} by {who}; it is now {view.state}")


@alarms_app.command("ack")
def alarms_ack(
    occurrence_id: IdArg,
    user: UserOpt,
    note: Annotated[str, typer.Option("--note", help="A note kept with the acknowledgement.")] = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Acknowledge an alarm as --user (password: first line of stdin)."""
    view = _act(
        user, demo, database, "ack", str(occurrence_id), lambda a, u: a.acknowledge(u, occurrence_id, note)
    )
    _done(view, "ack", user)


@alarms_app.command("silence")
def alarms_silence(user: UserOpt, demo: DemoOpt = False, database: DatabaseOpt = None) -> None:
    """Silence the alarm sound until a new alarm arrives (journaled and audited)."""
    _act(user, demo, database, "silence", "sound", lambda a, u: a.silence(u))
    typer.echo(f"sound silenced by {user} until a new alarm")


@alarms_app.command("reset")
def alarms_reset(
    occurrence_id: IdArg, user: UserOpt, demo: DemoOpt = False, database: DatabaseOpt = None
) -> None:
    """Reset a latched alarm whose condition has cleared."""
    view = _act(user, demo, database, "reset", str(occurrence_id), lambda a, u: a.reset(u, occurrence_id))
    _done(view, "reset", user)


@alarms_app.command("note")
def alarms_note(
    occurrence_id: IdArg,
    text: Annotated[str, typer.Argument(help="The note.")],
    user: UserOpt,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Add a note to an alarm's journal."""
    view = _act(user, demo, database, "note", str(occurrence_id), lambda a, u: a.note(u, occurrence_id, text))
    typer.echo(f"note added to alarm {view.id} ({view.key}) by {user}")


@alarms_app.command("shelve")
def alarms_shelve(
    target: TargetArg,
    user: UserOpt,
    minutes: Annotated[float, typer.Option("--minutes", help="How long (at most the site's shelve_max_h).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Shelve an alarm for a while (supervisor, administrator); it returns by itself."""
    view = _act(
        user, demo, database, "shelve", target, lambda a, u: a.shelve(u, _target(target), minutes, reason)
    )
    until = ""
    if view.shelved_until is not None:
        until = f" until {view.shelved_until.isoformat()}"
    typer.echo(f"alarm {view.id} ({view.key}) shelved by {user}{until}")


@alarms_app.command("unshelve")
def alarms_unshelve(
    target: TargetArg, user: UserOpt, demo: DemoOpt = False, database: DatabaseOpt = None
) -> None:
    """End a shelf now."""
    view = _act(user, demo, database, "unshelve", target, lambda a, u: a.unshelve(u, _target(target)))
    _done(view, "unshelve", user)


@alarms_app.command("out-of-service")
def alarms_out_of_service(
    target: TargetArg,
    user: UserOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why (required), e.g. the maintenance job.")],
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Take an alarm out of service (supervisor, administrator); by key even before it is raised."""
    view = _act(
        user,
        demo,
        database,
        "out-of-service",
        target,
        lambda a, u: a.out_of_service(u, _target(target), reason),
    )
    _done(view, "out-of-service", user)


@alarms_app.command("return")
def alarms_return(
    target: TargetArg, user: UserOpt, demo: DemoOpt = False, database: DatabaseOpt = None
) -> None:
    """Return an out-of-service alarm to service."""
    view = _act(user, demo, database, "return", target, lambda a, u: a.return_to_service(u, _target(target)))
    _done(view, "return", user)

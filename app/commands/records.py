"""``wardroom records``: residents, volunteers and hours, care visits, vehicles, duty rosters.

Every command that shows or changes personal data acts as ``--user NAME`` (password on the first line
of stdin) and goes through the records services, which check the role and audit (``resident.view``,
``records.export``, ``records.import``, ``resident.edit``; ``-refused`` for a refusal). Exit 0 done;
2 refused (login, role, bad input, a file refused whole or with no good row); 1 storage failure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

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
    site_timezone,
)

if TYPE_CHECKING:
    from app.records.access import Viewer
    from app.storage.database import Database

records_app = typer.Typer(
    help="Records: residents, volunteers, care, employment, duty, vehicles.", no_args_is_help=True
)

T = TypeVar("T")
KindArg = Annotated[
    str,
    typer.Argument(
        help="residents, elderly, volunteers, hours, vehicles, care-visits, overdue-visits, "
        "employment or on-duty."
    ),
]
ImportKindArg = Annotated[str, typer.Argument(help="residents, volunteers, hours, vehicles or care-visits.")]
SearchOpt = Annotated[
    str, typer.Option("--search", help="Part of a name, or its pinyin / pinyin initials (zw finds 张伟).")
]


def _as_operator(user: str, demo: bool, database: str | None) -> tuple[Database, Viewer]:
    from app.records.access import as_viewer

    db = open_db_or_exit(database_url(database, demo))
    operator = operator_or_exit(db, user)
    return db, as_viewer(operator)


def _run(db: Database, fn: Callable[[], T]) -> T:
    """Run a service call; refusals and bad input exit 2, storage failures exit 1, all in plain words."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.auth.permissions import PermissionRefused
    from app.records.export import ExportError
    from app.records.fields import FieldError
    from app.records.importer import ImportRefused
    from app.storage.engine import StorageError

    try:
        return fn()
    except PermissionRefused as exc:
        err(f"wardroom: refused: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    except (ImportRefused, FieldError, LookupError, ValueError) as exc:
        err(f"wardroom: {exc.args[0] if exc.args else exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    except ExportError as exc:
        err(f"wardroom: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    except (StorageError, SQLAlchemyError) as exc:
        err(f"wardroom: the database could not be used: {exc}")
        raise typer.Exit(EXIT_STORAGE) from exc
    finally:
        db.close()


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "" if value is None else str(value)


def _print_rows(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        typer.echo("  ".join(_text(v) for v in row.values()))


def _mapping(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        header, sep, field = pair.partition("=")
        if not sep:
            err(f"wardroom: --map {pair!r}: write HEADER=FIELD (FIELD empty to ignore the column)")
            raise typer.Exit(EXIT_USAGE)
        out[header.strip()] = field.strip()
    return out


@records_app.command("import")
def records_import(
    kind: ImportKindArg,
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file (header in row 1).")],
    user: UserOpt,
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet (default: the first).")] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Override the detected encoding (e.g. gbk, utf-8).")
    ] = None,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="HEADER=FIELD: read a column as this field.")
    ] = None,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Import records; good rows land in one transaction, refused rows are listed with row and reason."""
    from app.records.importer import import_file

    db, viewer = _as_operator(user, demo, database)
    report = _run(
        db,
        lambda: import_file(
            db, viewer, kind, file, encoding=encoding, sheet=sheet, mapping=_mapping(mapping or [])
        ),
    )
    if as_json:
        print_json([e.json_row() for e in report.refused])
    else:
        for e in report.refused:
            typer.echo(f"row {e.row}: {e.column or '-'}: {e.reason}")
    err(
        f"{report.landed} of {report.rows} row(s) imported as {kind} ({report.encoding}); "
        f"{len(report.refused)} refused"
        + ("; nothing was written" if report.landed == 0 and report.rows else "")
    )
    raise typer.Exit(report.exit_code)


@records_app.command("list")
def records_list(
    kind: KindArg,
    user: UserOpt,
    search: SearchOpt = "",
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many rows.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Rows to show.")] = 50,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """One page of records (ID numbers and phones masked unless your role may see them)."""
    from app.records.listing import list_rows

    db, viewer = _as_operator(user, demo, database)
    rows = _run(db, lambda: list_rows(db, viewer, kind, search, offset, limit))
    print_json(rows) if as_json else _print_rows(rows)


@records_app.command("show")
def records_show(
    kind: KindArg,
    record_id: Annotated[int, typer.Argument(help="The record's id (the id column of 'records list').")],
    user: UserOpt,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """One record in detail (every view of a person is audited)."""
    from app.records.listing import show

    db, viewer = _as_operator(user, demo, database)
    detail = _run(db, lambda: show(db, viewer, kind, record_id))
    if as_json:
        print_json([detail])
        return
    for key, value in detail.items():
        nested = isinstance(value, list) and bool(value) and isinstance(value[0], dict)
        typer.echo(f"{key}: {'' if nested else _text(value)}")
        if nested:
            for item in value:
                typer.echo("    " + "  ".join(_text(v) for v in item.values()))


@records_app.command("edit")
def records_edit(
    record_id: Annotated[int, typer.Argument(help="The resident's id.")],
    user: UserOpt,
    changes: Annotated[list[str], typer.Option("--set", help="FIELD=VALUE, e.g. --set phone=13800000000.")],
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Change a resident's fields (records clerk, administrator); audited with the fields changed."""
    from app.records.residents import ResidentService

    values = _mapping(changes)
    db, viewer = _as_operator(user, demo, database)
    changed = _run(db, lambda: ResidentService(db, viewer).edit(record_id, values))
    typer.echo(
        f"resident {record_id}: " + (f"changed {', '.join(changed)}" if changed else "nothing changed")
    )


@records_app.command("care-plan")
def records_care_plan(
    record_id: Annotated[int, typer.Argument(help="The resident's id.")],
    user: UserOpt,
    every: Annotated[int, typer.Option("--every", min=1, max=366, help="Visit every this many days.")],
    notes: Annotated[str, typer.Option("--notes", help="What the visits are for.")] = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Give a resident a care plan (or change it): the overdue-visit list counts from its interval."""
    from app.records.care import set_care_plan

    db, viewer = _as_operator(user, demo, database)
    created = _run(db, lambda: set_care_plan(db, viewer, record_id, every, notes))
    typer.echo(
        f"resident {record_id}: care plan {'made' if created else 'changed'}, a visit every {every} days"
    )


@records_app.command("export")
def records_export(
    kind: KindArg,
    out: Annotated[Path, typer.Argument(help="Target .csv or .xlsx file.")],
    user: UserOpt,
    search: SearchOpt = "",
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Export what 'records list' shows (with --search) to CSV or XLSX; audited."""
    from app.records.export import export

    db, viewer = _as_operator(user, demo, database)
    count = _run(db, lambda: export(db, viewer, kind, out, search))
    typer.echo(f"{count} {kind} row(s) written to {out}")


@records_app.command("on-duty")
def records_on_duty(
    user: UserOpt,
    at: Annotated[
        str | None, typer.Option("--at", help="ISO time (without offset: site time); default now.")
    ] = None,
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Who is on duty at --at (phones masked unless your role may see them)."""
    from datetime import UTC, datetime

    from app.auth.permissions import Action
    from app.records.access import require
    from app.records.duty import on_duty

    db, viewer = _as_operator(user, demo, database)
    when = parse_time_or_exit(at, site_timezone(db), "--at") if at else datetime.now(UTC)

    def read() -> list[dict[str, Any]]:
        require(db, viewer, Action.RESIDENTS_VIEW, "records.view-refused", "on-duty")
        with db.session() as session:
            return [d.json_row() for d in on_duty(session, when, unmasked=viewer.unmasked)]

    rows = _run(db, read)
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(f"no team is on duty at {when.isoformat()}")
    _print_rows(rows)


@records_app.command("employment-rate")
def records_employment_rate(
    start: Annotated[str, typer.Option("--from", help="Period start (ISO date), included.")],
    end: Annotated[
        str, typer.Option("--to", help="Period end (ISO date), excluded: the rate on this day's eve.")
    ],
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The employment rate of working-age residents at the end of [--from, --to) (counts only)."""
    from app.records.employment import FORMULA, employment_rate

    db = open_db_or_exit(database_url(database, demo))
    zone = site_timezone(db)
    t0 = parse_time_or_exit(start, zone, "--from")
    t1 = parse_time_or_exit(end, zone, "--to")

    def read() -> dict[str, Any]:
        from app.records.settings import load_rules

        with db.session() as session:
            rules = load_rules(session)
            local0, local1 = t0.astimezone(rules.zone()).date(), t1.astimezone(rules.zone()).date()
            if local1 <= local0:
                raise ValueError("--to must be after --from")
            return employment_rate(session, local0, local1, rules).json_row()

    row = _run(db, read)
    if as_json:
        print_json([row])
        return
    rate = "n/a (nobody employed or seeking)" if row["rate"] is None else f"{row['rate'] * 100:.1f} %"
    typer.echo(f"{row['from']} .. {row['to']}: employed {row['employed']}, seeking {row['seeking']}: {rate}")
    typer.echo(FORMULA)


@records_app.command("hours")
def records_hours(
    user: UserOpt,
    start: Annotated[str, typer.Option("--from", help="First day (ISO date), included.")],
    end: Annotated[str, typer.Option("--to", help="Last day (ISO date), excluded.")],
    by: Annotated[str, typer.Option("--by", help="volunteer or project.")] = "volunteer",
    as_json: JsonOpt = False,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Approved volunteer hours per volunteer or per project in [--from, --to)."""
    from datetime import date

    from app.records.volunteers import VolunteerService

    db, viewer = _as_operator(user, demo, database)

    def read() -> list[dict[str, Any]]:
        d0, d1 = date.fromisoformat(start), date.fromisoformat(end)
        return [t.json_row() for t in VolunteerService(db, viewer).totals(d0, d1, by)]

    rows = _run(db, read)
    print_json(rows) if as_json else _print_rows(rows)


@records_app.command("approve-hours")
def records_approve_hours(
    entry_ids: Annotated[
        list[int], typer.Argument(help="Ids of service-hour entries ('records list hours').")
    ],
    user: UserOpt,
    demo: DemoOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Approve service-hour entries (supervisor, administrator); only approved hours count."""
    from app.records.volunteers import VolunteerService

    db, viewer = _as_operator(user, demo, database)
    changed = _run(db, lambda: VolunteerService(db, viewer).approve(entry_ids))
    typer.echo(f"{changed} entr{'y' if changed == 1 else 'ies'} approved by {user}")

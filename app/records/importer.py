"""Importing records from CSV or XLSX: column mapping, row-level errors, one transaction.

How a file is judged: the header is mapped to fields (English ids or Chinese headers, or an explicit
mapping from the import dialog); a missing required column refuses the file whole. Then every row is
checked on its own (:class:`RowError`: row number as a spreadsheet shows it, column, reason); the good
rows are written in ONE transaction together with the ``records.import`` audit row, so a failure
leaves nothing half-written, and a file with no good row writes no record at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.audit import chain as audit
from app.auth.permissions import Action
from app.records.access import Viewer, require
from app.records.fields import FieldError, cell_text
from app.records.kinds import KINDS, Context, KindSpec, RowProblem
from app.records.settings import load_rules
from app.records.tabular import BAD_ROW, Table, TableError, read_table
from app.storage.database import Database

PREVIEW_ROWS = 20


class ImportRefused(Exception):
    """The whole file is refused (unreadable, a required column missing): nothing was written."""


@dataclass(frozen=True)
class RowError:
    """One refused row: its number as a spreadsheet shows it (header = 1), the column, the reason."""

    row: int
    column: str
    reason: str

    def json_row(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    kind: str
    path: str
    encoding: str
    rows: int = 0
    landed: int = 0
    refused: list[RowError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when a good row landed or there were no data rows; 2 when no row was good."""
        return 0 if self.landed > 0 or self.rows == 0 else 2


@dataclass
class Preview:
    """What the import dialog shows before anything is written."""

    headers: list[str]
    mapping: dict[str, str]  # file header -> field
    missing: list[str]  # required fields without a column
    unused: list[str]  # headers that map to no field
    rows: list[tuple[int, list[str]]]
    encoding: str


def spec_of(kind: str) -> KindSpec:
    try:
        return KINDS[kind]
    except KeyError:
        raise ImportRefused(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}") from None


def map_headers(spec: KindSpec, headers: list[str], explicit: dict[str, str] | None = None) -> dict[str, str]:
    """File header -> field, from ``explicit`` first, then English ids and Chinese headers."""
    mapping: dict[str, str] = {}
    explicit = explicit or {}
    for header in headers:
        if header in explicit:
            if explicit[header]:
                mapping[header] = explicit[header]
            continue
        wanted = header.strip().lower().replace(" ", "_")
        for column in spec.columns:
            if wanted == column.field or header.strip() in column.aliases:
                mapping[header] = column.field
                break
    return mapping


def missing_required(spec: KindSpec, mapping: dict[str, str]) -> list[str]:
    present = set(mapping.values())
    return [c.field for c in spec.columns if c.required and c.field not in present]


def _read(path: Path, encoding: str | None, sheet: str | None) -> Table:
    try:
        return read_table(path, encoding=encoding, sheet=sheet)
    except TableError as exc:
        raise ImportRefused(str(exc)) from exc


def preview(
    kind: str,
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Preview:
    spec = spec_of(kind)
    table = _read(path, encoding, sheet)
    found = map_headers(spec, table.headers, mapping)
    return Preview(
        table.headers,
        found,
        missing_required(spec, found),
        [h for h in table.headers if h not in found],
        [(n, [cell_text(c) for c in cells]) for n, cells in table.rows[:PREVIEW_ROWS]],
        table.encoding,
    )


def _describe(spec: KindSpec, fields: list[str]) -> str:
    by_field = {c.field: c for c in spec.columns}
    return ", ".join(f"{f} ({'/'.join(by_field[f].aliases)})" for f in fields)


def import_file(
    db: Database,
    viewer: Viewer,
    kind: str,
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import ``path`` as ``kind``; :class:`ImportRefused` when the file is refused whole."""
    spec = spec_of(kind)
    require(db, viewer, Action.RECORDS_IMPORT, "records.import-refused", f"{kind}:{path.name}")
    table = _read(path, encoding, sheet)
    found = map_headers(spec, table.headers, mapping)
    missing = missing_required(spec, found)
    if missing:
        raise ImportRefused(
            f"{path.name}: the file has no column for {_describe(spec, missing)}; nothing was imported"
        )
    report = ImportReport(kind, str(path), table.encoding, rows=len(table.rows))
    index = {f: table.headers.index(h) for h, f in found.items()}

    def work(session: Session) -> None:
        context = Context(session, load_rules(session), viewer)
        spec.prepare(context)
        accepted: list[Any] = []
        for position, (number, cells) in enumerate(table.rows):
            if cells and cells[0] == BAD_ROW:
                report.refused.append(
                    RowError(
                        number, "", f"the row is not readable text in {table.encoding} (broken encoding)"
                    )
                )
                continue
            values = {f: (cells[i] if i < len(cells) else None) for f, i in index.items()}
            try:
                accepted.append(spec.check(context, number, values))
            except RowProblem as problem:
                report.refused.append(RowError(number, problem.column, problem.reason))
            except FieldError as exc:  # pragma: no cover - kinds wrap these in RowProblem
                report.refused.append(RowError(number, "", str(exc)))
            if progress is not None and position % 500 == 0:
                progress(position, len(table.rows))
        if not accepted:
            return
        spec.write(context, accepted)
        report.landed = len(accepted)
        audit.append(
            session,
            viewer.name,
            "records.import",
            f"{kind}:{path.name}"[:200],
            {
                "rows": report.rows,
                "landed": report.landed,
                "refused": len(report.refused),
                "encoding": table.encoding,
            },
        )

    db.write(work, timeout_s=600)
    return report

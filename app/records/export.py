"""Exporting what a list shows to CSV or XLSX (by the file's extension), masked per role, audited.

The permission is checked by the service (a duty officer's export is refused here and audited as
``records.export-refused``, whatever a page shows); a done export is audited as ``records.export``
with the kind, the filter and the number of rows.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from app.audit import chain as audit
from app.auth.permissions import Action
from app.records.access import Viewer, require
from app.records.listing import list_rows
from app.storage.database import Database


class ExportError(Exception):
    """The file could not be written; nothing was audited as exported."""


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "" if value is None else value


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese right) or XLSX by extension."""
    headers = list(rows[0]) if rows else []
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("records")
        sheet.append(headers)
        for row in rows:
            sheet.append([_cell(row[h]) for h in headers])
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_cell(row[h]) for h in headers])


def export(db: Database, viewer: Viewer, kind: str, path: Path, search: str = "") -> int:
    """Write every row of ``kind`` that ``search`` shows to ``path``; returns the row count."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ExportError(f"{path.name}: export to a .csv or .xlsx file")
    require(db, viewer, Action.RECORDS_EXPORT, "records.export-refused", f"{kind}:{path.name}")
    rows = list_rows(db, viewer, kind, search, limit=None)
    try:
        write_rows(path, rows)
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from exc
    db.write(
        lambda s: audit.append(
            s,
            viewer.name,
            "records.export",
            f"{kind}:{path.name}"[:200],
            {"kind": kind, "rows": len(rows), "search": search, "unmasked": viewer.unmasked},
        )
    )
    return len(rows)

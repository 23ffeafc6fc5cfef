"""Reading a CSV or XLSX file as a header and numbered rows, whatever its encoding.

Encoding rules (the issue's, in order): a byte-order mark decides; else the file is UTF-8 when its
non-ASCII lines are mostly valid UTF-8 (a line that does not decode is then *one bad row*, refused,
the rest import); else GB18030 (a superset of GBK and GB2312); ``encoding`` overrides all of this.
Row numbers are the ones a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BAD_ROW = "\ue000undecodable\ue000"
"""Stands in for a line that does not decode; the importer refuses its row with the reason."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class TableError(Exception):
    """The file cannot be read as a table at all (refused whole)."""


@dataclass
class Table:
    """A file's header and its data rows as (row number, cells); ``encoding`` as decided."""

    headers: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    encoding: str = ""


def read_table(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    """The table in ``path``: XLSX by its extension (first sheet unless ``sheet``), else CSV."""
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    return _read_csv(path, encoding)


def _decode_lines(data: bytes, encoding: str | None) -> tuple[list[str], str]:
    if encoding is None:
        for bom, name in _BOMS:
            if data.startswith(bom):
                encoding = name
                break
    if encoding is not None:
        try:
            return data.decode(encoding).splitlines(keepends=True), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            if isinstance(exc, LookupError):
                raise TableError(f"unknown encoding {encoding!r}") from exc
            return _line_by_line(data, encoding), encoding
    try:
        return data.decode("utf-8").splitlines(keepends=True), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = data.splitlines(keepends=True)
    good = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    chosen = "utf-8" if good > bad else "gb18030"
    return _line_by_line(data, chosen), chosen


def _line_by_line(data: bytes, encoding: str) -> list[str]:
    out: list[str] = []
    for line in data.splitlines(keepends=True):
        try:
            out.append(line.decode(encoding))
        except UnicodeDecodeError:
            out.append(BAD_ROW + "\n")
    return out


def _read_csv(path: Path, encoding: str | None) -> Table:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    lines, used = _decode_lines(data, encoding)
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    # Commas, or tabs when the header has tabs and no commas (tags hold ';', so no sniffing for it).
    first = lines[0] if lines else ""
    dialect = csv.excel_tab if "\t" in first and "," not in first else csv.excel
    reader: Iterator[list[str]] = csv.reader(lines, dialect)
    try:
        headers = next(reader)
    except StopIteration:
        raise TableError(f"{path}: the file is empty (no header row)") from None
    except csv.Error as exc:
        raise TableError(f"{path}: not a CSV file ({exc})") from exc
    if headers and headers[0] == BAD_ROW:
        raise TableError(f"{path}: the header row is not readable text in {used}")
    table = Table([h.strip() for h in headers], encoding=used)
    number = 1
    try:
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            table.rows.append((number, list(record)))
    except csv.Error as exc:
        raise TableError(f"{path}: row {number + 1} breaks the CSV format ({exc})") from exc
    return table


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise TableError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise TableError(f"{path}: no sheet named {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        try:
            header = next(rows)
        except StopIteration:
            raise TableError(f"{path}: the sheet {ws.title!r} is empty (no header row)") from None
        table = Table(["" if h is None else str(h).strip() for h in header], encoding="xlsx")
        for number, values in enumerate(rows, start=2):
            cells = list(values)
            if not any(c is not None and str(c).strip() for c in cells):
                continue
            table.rows.append((number, cells))
        return table
    finally:
        book.close()

"""Load a site file and report *every* mistake as ``FILE:LINE: what is wrong and what is expected``.

Site files are written by installers and by outside tools, and a fire panel read through a wrong
setting fails silently. So the loader never stops at the first problem: it validates each record on
its own (one broken point does not hide the others), runs the cross-record checks on whatever could be
read, and maps each problem to the line of the offending key or value, in words an installer
understands rather than pydantic's.

The work is split in three: this module reads and validates; ``app.site.toml_lines`` finds the line
of a data path in the text; ``app.site.messages`` words pydantic's errors; ``app.site.checks`` holds
the cross-record checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.site.checks import (
    Loc,
    Problem,
    Record,
    SiteRecords,
    record_label,
    run_checks,
)
from app.site.messages import describe, did_you_mean, path_text
from app.site.schema import (
    AlarmSettings,
    Building,
    Camera,
    CameraSettings,
    HistorianSettings,
    Plc,
    Point,
    RecordsSettings,
    SecuritySettings,
    SiteFile,
    SiteInfo,
    VisionSettings,
)
from app.site.toml_lines import TomlLocator

M = TypeVar("M", bound=BaseModel)

__all__ = ["LoadedSite", "SiteError", "SiteFileError", "TomlLocator", "load_site"]

SECTIONS: dict[str, type[BaseModel]] = {"building": Building, "plc": Plc, "point": Point, "camera": Camera}
# Optional single tables beside [site], each validated on its own so its errors carry their line.
SETTINGS_TABLES: dict[str, type[BaseModel]] = {
    "historian": HistorianSettings,
    "security": SecuritySettings,
    "alarms": AlarmSettings,
    "cameras": CameraSettings,
    "vision": VisionSettings,
    "records": RecordsSettings,
}
_ALLOWED_SECTIONS = (
    "[site], [[building]], [[plc]], [[point]], [[camera]], [historian], [security], [alarms], [cameras], "
    "[vision], [records]"
)


@dataclass(frozen=True)
class SiteError:
    """One reported mistake. ``line`` 0 means the file as a whole (e.g. it cannot be read)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class SiteFileError(Exception):
    """The site file is not usable; ``errors`` holds every mistake found, in file order."""

    def __init__(self, errors: list[SiteError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class LoadedSite:
    """A validated site file with what the sync and the audit need (its text and SHA-256)."""

    path: Path
    text: str
    sha256: str
    site: SiteFile

    def media_path(self, camera: Camera) -> Path | None:
        """The camera's media file, resolved relative to the site file (as the file says it is)."""
        if camera.media is None:
            return None
        media = Path(camera.media)
        return media if media.is_absolute() else self.path.parent / media


def _validate(model: type[M], raw: Mapping[str, Any]) -> tuple[M | None, list[ErrorDetails]]:
    """Strict JSON-mode validation: "5020" is not a number, a TOML array is a tuple."""
    try:
        return model.model_validate_json(json.dumps(raw), strict=True), []
    except ValidationError as exc:
        return None, exc.errors(include_url=False)


def _read_record(
    model: type[M], raw: Mapping[str, Any], base: Loc, label: str, datetimes: set[Loc]
) -> tuple[M | None, frozenset[str], list[Problem]]:
    """Validate one table; on failure retry without the refused keys so its other checks still run."""
    problems: list[Problem] = []
    broken: set[str] = set()
    result, errors = _validate(model, raw)
    for error in errors:
        loc = tuple(error["loc"])
        full = (*base, *loc)
        problems.append(Problem(full, f"{label}: {describe(error, model, full in datetimes)}"))
        if loc and isinstance(loc[0], str):
            broken.add(loc[0])
    reported = {p.loc for p in problems}
    for loc in sorted((d for d in datetimes if d[: len(base)] == base and d not in reported), key=str):
        rel = loc[len(base) :]
        shown = f"{path_text(rel)} = {_value_at(raw, rel)}"
        message = f"{label}: {shown} is a date/time; expected text in double quotes"
        problems.append(Problem(loc, message))
        if rel and isinstance(rel[0], str):
            broken.add(rel[0])
    if broken:
        result, _ = _validate(model, {k: v for k, v in raw.items() if k not in broken})
    return result, frozenset(broken), problems


def _value_at(data: Any, loc: Sequence[str | int]) -> Any:
    for part in loc:
        data = data[part]
    return data


def _plain(value: Any, loc: Loc, datetimes: set[Loc]) -> Any:
    """TOML data -> JSON-able data; dates and times become ISO text and are remembered as mistakes."""
    if isinstance(value, dict):
        return {k: _plain(v, (*loc, k), datetimes) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, (*loc, i), datetimes) for i, v in enumerate(value)]
    if isinstance(value, dt.date | dt.time):
        datetimes.add(loc)
        return value.isoformat()
    return value


def _read_site(
    data: Mapping[str, Any], base_dir: Path, datetimes: set[Loc]
) -> tuple[SiteRecords, list[Problem]]:
    problems: list[Problem] = []
    for key, value in data.items():
        if key in SECTIONS or key in SETTINGS_TABLES or key == "site":
            continue
        written = f"[[{key}]]" if isinstance(value, list) else f"[{key}]" if isinstance(value, dict) else key
        hint = did_you_mean(key, ["site", *SECTIONS, *SETTINGS_TABLES])
        problems.append(Problem((key,), f"unknown section {written}{hint} (allowed: {_ALLOWED_SECTIONS})"))
    site: SiteInfo | None = None
    site_raw = data.get("site")
    if site_raw is None:
        message = 'missing required table [site] (with name = "..." and timezone = "...")'
        problems.append(Problem(("site",), message))
    elif not isinstance(site_raw, dict):
        problems.append(Problem(("site",), "site must be one table: write [site] (single brackets) once"))
    else:
        site, _, found = _read_record(SiteInfo, site_raw, ("site",), "[site]", datetimes)
        problems += found
    for table, table_model in SETTINGS_TABLES.items():
        table_raw = data.get(table)
        if table_raw is None:
            continue
        if not isinstance(table_raw, dict):
            problems.append(Problem((table,), f"{table} must be one table: write [{table}] once"))
            continue
        _, _, found = _read_record(table_model, table_raw, (table,), f"[{table}]", datetimes)
        problems += found
    sections: dict[str, list[Record[Any]]] = {}
    for section, model in SECTIONS.items():
        items = data.get(section, [])
        records: list[Record[Any]] = []
        if not isinstance(items, list):
            problems.append(
                Problem((section,), f"{section} must be written as [[{section}]] tables (double brackets)")
            )
            items = []
        for index, raw in enumerate(items):
            label = record_label(section, index, raw)
            if not isinstance(raw, dict):
                problems.append(Problem((section, index), f"{label} must be a table {{ key = value, ... }}"))
                continue
            result, broken, found = _read_record(model, raw, (section, index), label, datetimes)
            problems += found
            records.append(Record(section, index, raw, result, broken))
        sections[section] = records
    return (
        SiteRecords(
            base_dir=base_dir,
            site=site,
            site_raw=site_raw if isinstance(site_raw, dict) else {},
            buildings=sections["building"],
            plcs=sections["plc"],
            points=sections["point"],
            cameras=sections["camera"],
        ),
        problems,
    )


# ------------------------------------------------------------------------------------------- loading

_TOML_POSITION = re.compile(
    r"^(?P<reason>.*) \((?:at line (?P<line>\d+), column (?P<col>\d+)|at end of document)\)$"
)


def _toml_error(display: str, text: str, exc: tomllib.TOMLDecodeError) -> SiteError:
    match = _TOML_POSITION.match(str(exc))
    reason = match.group("reason") if match else str(exc)
    hint = ""
    if reason.startswith("Invalid value"):
        hint = '; text needs double quotes, e.g. name = "Gate"'
    elif reason.startswith(("Cannot overwrite", "Cannot declare")):
        hint = "; each key and [table] may be given only once"
    if match and match.group("line"):
        message = f"not valid TOML: {reason} (column {match.group('col')}){hint}"
        return SiteError(display, int(match.group("line")), message)
    locator = TomlLocator(text)
    if locator.unclosed_line is not None:
        message = f"not valid TOML: {reason}: the bracket opened here is never closed"
        return SiteError(display, locator.unclosed_line, message)
    return SiteError(display, locator.last_line, f"not valid TOML: {reason} at the end of the file{hint}")


def _read_text(path: Path, display: str) -> tuple[bytes, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        message = f"cannot read the site file: {exc.strerror or exc}"
        raise SiteFileError([SiteError(display, 0, message)]) from None
    try:
        return data, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        raise SiteFileError([SiteError(display, line, message)]) from None


def load_site(path: str | Path) -> LoadedSite:
    """Read, validate and check a site file; raise SiteFileError listing every error with its line."""
    display = str(path)
    file_path = Path(path)
    raw_bytes, text = _read_text(file_path, display)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteFileError([_toml_error(display, text, exc)]) from None
    datetimes: set[Loc] = set()
    plain = _plain(data, (), datetimes)
    records, problems = _read_site(plain, file_path.parent, datetimes)
    problems += run_checks(records)
    if problems:
        raise SiteFileError(_located(display, text, problems))
    try:
        site = SiteFile.model_validate_json(json.dumps(plain), strict=True)
    except ValidationError as exc:  # every part passed on its own; this would be a schema bug
        locator = TomlLocator(text)
        errors = [
            SiteError(display, locator.line_of(tuple(e["loc"])), describe(e, SiteFile, False))
            for e in exc.errors(include_url=False)
        ]
        raise SiteFileError(errors) from None
    return LoadedSite(
        path=file_path.resolve(), text=text, sha256=hashlib.sha256(raw_bytes).hexdigest(), site=site
    )


def _located(display: str, text: str, problems: Sequence[Problem]) -> list[SiteError]:
    locator = TomlLocator(text)
    errors: list[SiteError] = []
    seen: set[tuple[int, str]] = set()
    for problem in problems:
        line = locator.line_of(problem.loc)
        message = problem.message
        if problem.first_at is not None:
            message += f" (first defined at line {locator.line_of(problem.first_at)})"
        if (line, message) not in seen:
            seen.add((line, message))
            errors.append(SiteError(display, line, message))
    return sorted(errors, key=lambda e: e.line)  # stable: same-line errors keep their check order

"""Load a site file and report *every* mistake as ``FILE:LINE: what is wrong and what is expected``.

Site files are written by installers and by outside tools, and a fire panel read through a wrong
setting fails silently. So the loader never stops at the first problem: it validates each record on
its own (one broken point does not hide the others), runs the cross-record checks on whatever could be
read, and maps each problem to the line of the offending key or value, in words an installer
understands rather than pydantic's.

``tomllib`` gives values but no positions, so ``TomlLocator`` re-scans the text (already known to be
valid TOML) and records the line of every table header, key and array element by its data path.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import hashlib
import json
import re
import tomllib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.site.checks import (
    Loc,
    Problem,
    Record,
    SiteRecords,
    check_site_file,
    did_you_mean,
    q,
    record_label,
    run_checks,
)
from app.site.schema import Building, Camera, Plc, Point, SiteFile, SiteInfo

M = TypeVar("M", bound=BaseModel)

__all__ = ["LoadedSite", "SiteError", "SiteFileError", "TomlLocator", "check_site_file", "load_site"]

SECTIONS: dict[str, type[BaseModel]] = {"building": Building, "plc": Plc, "point": Point, "camera": Camera}
_ALLOWED_SECTIONS = "[site], [[building]], [[plc]], [[point]], [[camera]]"


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


# ------------------------------------------------------------------------------------------- locating


class _Stop(Exception):
    """The scanner met something it does not understand: keep what was found so far."""


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class TomlLocator:
    """Line numbers of table headers, keys and array elements, by data path.

    ``lines[("point", 2, "alarms", 1, "priority")]`` is the line of that key. Only the structure is
    scanned (strings, brackets, comments); values are skipped. On text tomllib refused, the scan stops
    where it gets lost, and ``unclosed_line`` tells where an array or inline table was opened but never
    closed (tomllib reports those at "end of document", which helps nobody).
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._pos = 0
        self._aot_counts: dict[Loc, int] = {}
        self.lines: dict[Loc, int] = {}
        self.unclosed_line: int | None = None
        with contextlib.suppress(_Stop, IndexError):
            self._scan()

    @property
    def last_line(self) -> int:
        stripped = self._text.rstrip()
        return self._line_at(len(stripped)) if stripped else 1

    def line_of(self, loc: Loc) -> int:
        """The line of ``loc``, else of its nearest located parent (a missing key: its table's header)."""
        for n in range(len(loc), 0, -1):
            line = self.lines.get(loc[:n])
            if line is not None:
                return line
        return 1

    # -- scanning
    def _line_at(self, pos: int) -> int:
        return bisect.bisect_right(self._starts, pos)

    def _peek(self) -> str:
        return self._text[self._pos] if self._pos < len(self._text) else ""

    def _skip_ws(self) -> None:
        while self._peek() in (" ", "\t") and self._peek():
            self._pos += 1

    def _skip_trivia(self) -> None:
        """Whitespace, newlines and comments."""
        while True:
            c = self._peek()
            if c and c in " \t\r\n":
                self._pos += 1
            elif c == "#":
                end = self._text.find("\n", self._pos)
                self._pos = len(self._text) if end < 0 else end
            else:
                return

    def _scan(self) -> None:
        table: Loc = ()
        while True:
            self._skip_trivia()
            if self._pos >= len(self._text):
                return
            start = self._pos
            table = self._header() if self._peek() == "[" else self._keyval(table)
            if self._pos == start:
                raise _Stop

    def _mark(self, loc: Loc, line: int) -> None:
        for n in range(1, len(loc)):
            self.lines.setdefault(loc[:n], line)
        self.lines[loc] = line

    def _resolve(self, keys: Sequence[str]) -> Loc:
        """Header keys -> data path: an array of tables stands for its last element so far."""
        resolved: Loc = ()
        for key in keys:
            resolved = (*resolved, key)
            count = self._aot_counts.get(resolved)
            if count:
                resolved = (*resolved, count - 1)
        return resolved

    def _header(self) -> Loc:
        line = self._line_at(self._pos)
        is_array = self._text.startswith("[[", self._pos)
        self._pos += 2 if is_array else 1
        keys = self._key()
        self._skip_ws()
        closing = "]]" if is_array else "]"
        if not self._text.startswith(closing, self._pos):
            raise _Stop
        self._pos += len(closing)
        if not is_array:
            path = self._resolve(keys)
            self._mark(path, line)
            return path
        full = (*self._resolve(keys[:-1]), keys[-1])
        index = self._aot_counts.get(full, 0)
        self._aot_counts[full] = index + 1
        self.lines.setdefault(full, line)
        self._mark((*full, index), line)
        return (*full, index)

    def _keyval(self, table: Loc) -> Loc:
        line = self._line_at(self._pos)
        path = (*table, *self._key())
        self._mark(path, line)
        self._skip_ws()
        if self._peek() != "=":
            raise _Stop
        self._pos += 1
        self._skip_ws()
        self._value(path)
        return table

    def _key(self) -> list[str]:
        keys: list[str] = []
        while True:
            self._skip_ws()
            c = self._peek()
            if c == '"':
                keys.append(self._basic_string())
            elif c == "'":
                keys.append(self._literal_string())
            else:
                match = _BARE_KEY.match(self._text, self._pos)
                if match is None:
                    raise _Stop
                keys.append(match.group())
                self._pos = match.end()
            self._skip_ws()
            if self._peek() != ".":
                return keys
            self._pos += 1

    def _value(self, path: Loc) -> None:
        text, pos = self._text, self._pos
        c = self._peek()
        if c == "[":
            self._array(path)
        elif c == "{":
            self._inline_table(path)
        elif text.startswith('"""', pos) or text.startswith("'''", pos):
            self._multiline(text[pos : pos + 3])
        elif c == '"':
            self._basic_string()
        elif c == "'":
            self._literal_string()
        else:
            while self._pos < len(text) and text[self._pos] not in ",]}#\r\n":
                self._pos += 1
            if self._pos == pos:
                raise _Stop

    def _array(self, path: Loc) -> None:
        opener = self._line_at(self._pos)
        self._pos += 1
        index = 0
        while True:
            self._skip_trivia()
            if self._pos >= len(self._text):
                self.unclosed_line = opener
                raise _Stop
            if self._peek() == "]":
                self._pos += 1
                return
            element = (*path, index)
            self.lines[element] = self._line_at(self._pos)
            self._value(element)
            self._skip_trivia()
            if self._peek() == ",":
                self._pos += 1
                index += 1
            elif self._peek() != "]":
                if self._pos >= len(self._text):
                    self.unclosed_line = opener
                raise _Stop

    def _inline_table(self, path: Loc) -> None:
        opener = self._line_at(self._pos)
        self._pos += 1
        while True:
            self._skip_trivia()
            if self._pos >= len(self._text):
                self.unclosed_line = opener
                raise _Stop
            if self._peek() == "}":
                self._pos += 1
                return
            line = self._line_at(self._pos)
            sub = (*path, *self._key())
            self._mark(sub, line)
            self._skip_ws()
            if self._peek() != "=":
                raise _Stop
            self._pos += 1
            self._skip_ws()
            self._value(sub)
            self._skip_trivia()
            if self._peek() == ",":
                self._pos += 1
            elif self._peek() != "}":
                raise _Stop

    def _basic_string(self) -> str:
        text, start = self._text, self._pos
        self._pos += 1
        while self._pos < len(text):
            c = text[self._pos]
            if c == "\\":
                self._pos += 2
            elif c == '"':
                self._pos += 1
                raw = text[start : self._pos]
                try:
                    decoded = json.loads(raw)
                except ValueError:
                    decoded = raw[1:-1]
                return decoded if isinstance(decoded, str) else raw[1:-1]
            elif c == "\n":
                raise _Stop
            else:
                self._pos += 1
        raise _Stop

    def _literal_string(self) -> str:
        end = self._text.find("'", self._pos + 1)
        if end < 0:
            raise _Stop
        value = self._text[self._pos + 1 : end]
        self._pos = end + 1
        return value

    def _multiline(self, delimiter: str) -> None:
        text = self._text
        self._pos += 3
        while self._pos < len(text):
            if delimiter == '"""' and text[self._pos] == "\\":
                self._pos += 2
            elif text.startswith(delimiter, self._pos):
                self._pos += 3
                for _ in range(2):  # up to two quotes may end the content itself
                    if self._peek() == delimiter[0]:
                        self._pos += 1
                return
            else:
                self._pos += 1
        raise _Stop


# ---------------------------------------------------------------------------------- schema messages


def _path_text(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _annotation_at(model: type[BaseModel], loc: Sequence[str | int]) -> Any:
    """The type the schema expects at ``loc`` inside ``model`` (None when unknown)."""
    current: Any = model
    for part in loc:
        current = _strip_optional(current)
        if isinstance(part, int):
            args = get_args(current)
            if get_origin(current) is not tuple or not args:
                return None
            current = args[0] if args[-1] is Ellipsis else (args[part] if part < len(args) else None)
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return None
    return _strip_optional(current)


def _choices(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    annotation = _annotation_at(model, loc)
    return [str(a) for a in get_args(annotation)] if get_origin(annotation) is Literal else []


def _kind(value: object, is_datetime: bool) -> str:
    if is_datetime:
        return "a date/time"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a value of another kind"


def _unquote_hint(value: object, wanted: str) -> str:
    if not isinstance(value, str):
        return ""
    if wanted in ("int", "float"):
        try:
            float(value)
        except ValueError:
            return ""
        return " (write the number without quotes)"
    if wanted == "bool" and value in ("true", "false"):
        return " (write true or false without quotes)"
    return ""


_EXPECTED = {
    "int_type": ("int", "a whole number"),
    "int_parsing": ("int", "a whole number"),
    "int_from_float": ("int", "a whole number"),
    "float_type": ("float", "a number"),
    "float_parsing": ("float", "a number"),
    "string_type": ("str", "text in double quotes"),
    "bool_type": ("bool", "true or false"),
    "bool_parsing": ("bool", "true or false"),
    "tuple_type": ("list", "a list in square brackets [ ... ]"),
    "list_type": ("list", "a list in square brackets [ ... ]"),
    "model_type": ("table", "a table { key = value, ... }"),
    "model_attributes_type": ("table", "a table { key = value, ... }"),
    "dict_type": ("table", "a table { key = value, ... }"),
}


def _shape(loc: Sequence[str | int]) -> str:
    names = [p for p in loc if isinstance(p, str)]
    if names and names[-1] == "range":
        return "[low, high]"
    if names and names[-1] == "polygon":
        return "[x, y]"
    return ""


def _describe(error: ErrorDetails, model: type[BaseModel], is_datetime: bool) -> str:
    """One pydantic error in an installer's words (without the record label)."""
    loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    path = _path_text(loc)
    shown = f"{path} = {value}" if is_datetime else f"{path} = {q(value)}"
    parent = f" in {_path_text(loc[:-1])}" if len(loc) > 1 else ""
    if kind == "missing":
        if loc and isinstance(loc[-1], int):
            shape = _shape(loc)
            return f"{_path_text(loc[:-1])} has too few items; expected {shape or 'more items'}"
        choices = _choices(model, loc)
        hint = f" (one of {', '.join(choices)})" if choices else ""
        return f'missing required key "{loc[-1]}"{parent}{hint}'
    if kind == "extra_forbidden":
        owner = _annotation_at(model, loc[:-1]) if len(loc) > 1 else model
        allowed = list(owner.model_fields) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
        listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f'unknown key "{loc[-1]}"{parent}{did_you_mean(str(loc[-1]), allowed)}{listing}'
    if kind == "literal_error":
        choices = _choices(model, loc)
        listing = ", ".join(choices) if choices else str(ctx.get("expected", "")).replace("'", "")
        return f"{shown} is not valid; expected one of {listing}{did_you_mean(str(value), choices)}"
    if kind in _EXPECTED:
        wanted, words = _EXPECTED[kind]
        return f"{shown} is {_kind(value, is_datetime)}; expected {words}{_unquote_hint(value, wanted)}"
    if kind in ("too_long", "too_short"):
        actual = ctx.get("actual_length", len(value) if isinstance(value, list) else "?")
        shape = _shape(loc)
        expected = f"{ctx.get('max_length', '')} items {shape}".strip() if kind == "too_long" else (
            f"at least {ctx.get('min_length', '')} items"
        )
        return f"{path} has {actual} items; expected {expected}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": f"{ctx.get('ge')} or more",
            "greater_than": f"more than {ctx.get('gt')}",
            "less_than_equal": f"at most {ctx.get('le')}",
            "less_than": f"less than {ctx.get('lt')}",
        }[kind]
        return f"{shown} is out of range; expected {words}"
    if kind == "string_too_short":
        return f'{path} must not be empty ("")'
    if kind == "finite_number":
        return f"{shown} is not a finite number"
    return f"{path}: {error['msg']}"


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
        problems.append(Problem(full, f"{label}: {_describe(error, model, full in datetimes)}"))
        if loc and isinstance(loc[0], str):
            broken.add(loc[0])
    reported = {p.loc for p in problems}
    for loc in sorted((d for d in datetimes if d[: len(base)] == base and d not in reported), key=str):
        rel = loc[len(base) :]
        shown = f"{_path_text(rel)} = {_value_at(raw, rel)}"
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
        if key in SECTIONS or key == "site":
            continue
        written = f"[[{key}]]" if isinstance(value, list) else f"[{key}]" if isinstance(value, dict) else key
        hint = did_you_mean(key, ["site", *SECTIONS])
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
            SiteError(display, locator.line_of(tuple(e["loc"])), _describe(e, SiteFile, False))
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

"""pydantic's validation errors in an installer's words.

pydantic says ``Input should be 'modbus-tcp', 'modbus-rtu' or 's7' [type=literal_error, ...]``; an
installer needs ``protocol = "modbus" is not valid; expected one of modbus-tcp, modbus-rtu, s7``. This
module turns one error (its location, kind and input) into such a sentence, looking up in the schema
what was expected there (a literal's choices, a table's allowed keys). Line numbers and record labels
are added by the loader.
"""

from __future__ import annotations

import difflib
import json
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

__all__ = ["describe", "did_you_mean", "path_text", "q"]


def q(value: object) -> str:
    """Show a value the way it is written in TOML (double-quoted strings, true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(q(v) for v in value) + "]"
    return str(value)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``; did you mean "x"?`` suffix for typos, or ''. A cut-short word ("prot") means its completion."""
    options = list(choices)
    prefixed = [c for c in options if len(word) >= 3 and c.startswith(word) and c != word]
    close = prefixed[:1] or difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def path_text(loc: Sequence[str | int]) -> str:
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


def describe(error: ErrorDetails, model: type[BaseModel], is_datetime: bool) -> str:
    """One pydantic error in an installer's words (without the record label)."""
    loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    path = path_text(loc)
    shown = f"{path} = {value}" if is_datetime else f"{path} = {q(value)}"
    parent = f" in {path_text(loc[:-1])}" if len(loc) > 1 else ""
    if kind == "missing":
        if loc and isinstance(loc[-1], int):
            shape = _shape(loc)
            return f"{path_text(loc[:-1])} has too few items; expected {shape or 'more items'}"
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
        expected = (
            f"{ctx.get('max_length', '')} items {shape}".strip()
            if kind == "too_long"
            else (f"at least {ctx.get('min_length', '')} items")
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

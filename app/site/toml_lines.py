"""Where things are in a TOML text: the line of every table header, key and array element.

``tomllib`` gives values but no positions, and a site-file error is only useful at its line
(``FILE:LINE: ...``). So ``TomlLocator`` re-scans the text (normally already known to be valid TOML)
and records the line of every table header, key and array element by its data path. It knows nothing
of site files: the loader asks it for lines, the checks never see text.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Sequence

Loc = tuple[str | int, ...]
"""A data path into the parsed file, e.g. ``("point", 2, "alarms", 1, "priority")``."""

__all__ = ["Loc", "TomlLocator"]


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

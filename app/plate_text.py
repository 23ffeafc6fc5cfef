"""Licence-plate text: the one normaliser and the one matcher, shared by vision and records.

A plate read by OCR and a plate typed into a spreadsheet must compare equal when they are the same
plate, so both go through :func:`normalise_plate` before they are stored or compared: NFKC (full-width
``Ａ１２`` becomes ``A12``), upper case, no spaces, and the separator dot ``·`` (and its look-alikes,
``.`` and ``-``) dropped. ``京A·12345`` and ``京a 12345`` are both ``京A12345``.

OCR confuses a few shapes on plates; :func:`match_plate` tolerates one such confusion (0/D, 8/B, 1/I,
5/S, 2/Z) so a registered ``京A12D45`` read as ``京A12045`` still matches, but an exact match always
wins and two or more confusions do not match. This module is pure (no database, no Qt) and sits at
the bottom of ``app/`` so both sides can import it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

SEPARATORS = "·•・.-_"
CONFUSABLE_PAIRS: tuple[tuple[str, str], ...] = (("0", "D"), ("8", "B"), ("1", "I"), ("5", "S"), ("2", "Z"))
_CONFUSABLE = frozenset(frozenset(pair) for pair in CONFUSABLE_PAIRS)

# The provinces' one-character abbreviations that start a mainland plate.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Blue (and yellow) plates: province + letter + 5 letters/digits. Green new-energy plates: 6 after the
# letter. A few special last characters exist (学 for driving schools, 警 police, 挂 trailers ...).
_BLUE = re.compile(rf"^[{PROVINCES}][A-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]$")
_GREEN = re.compile(rf"^[{PROVINCES}][A-Z][A-HJ-NP-Z0-9]{{6}}$")

K = TypeVar("K")


def normalise_plate(text: str) -> str:
    """The stored and compared form of a plate: NFKC, upper case, no whitespace, no separators."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in SEPARATORS)


def plate_kind(plate: str) -> str | None:
    """``"blue"`` (7 characters), ``"green"`` (8, new energy) or None for text that is no mainland plate.

    ``plate`` must already be normalised. OCR output that is no plate (a sticker, a partial read) is
    dropped on this test before it can be matched against anything.
    """
    if _BLUE.match(plate):
        return "blue"
    if _GREEN.match(plate):
        return "green"
    return None


def confusions(read: str, registered: str) -> int | None:
    """How many positions differ only by a confusable pair; None when the two cannot be the same plate
    (other lengths, or a position that differs in some other way)."""
    if len(read) != len(registered):
        return None
    count = 0
    for a, b in zip(read, registered, strict=True):
        if a == b:
            continue
        if frozenset((a, b)) not in _CONFUSABLE:
            return None
        count += 1
    return count


@dataclass(frozen=True)
class PlateMatch:
    """What a read plate matched: the registered entry's key and its plate, and whether a confusable
    character was forgiven on the way."""

    key: object
    plate: str
    exact: bool


def match_plate(read: str, registered: Mapping[K, str] | Iterable[tuple[K, str]]) -> PlateMatch | None:
    """The registered plate ``read`` is: exact first, else the single one within one confusion.

    ``registered`` maps a key (a vehicle id) to its normalised plate. Two registered plates both one
    confusion away is ambiguous: no match, since claiming the wrong vehicle is worse than none.
    """
    pairs = registered.items() if isinstance(registered, Mapping) else registered
    near: list[tuple[K, str]] = []
    for key, plate in pairs:
        if plate == read:
            return PlateMatch(key, plate, exact=True)
        if confusions(read, plate) == 1:
            near.append((key, plate))
    if len(near) == 1:
        return PlateMatch(near[0][0], near[0][1], exact=False)
    return None


def confusable_variants(plate: str) -> list[str]:
    """Every plate one confusion away from ``plate`` (for an indexed lookup instead of a scan)."""
    swap = {a: b for pair in CONFUSABLE_PAIRS for a, b in (pair, pair[::-1])}
    return [plate[:i] + swap[ch] + plate[i + 1 :] for i, ch in enumerate(plate) if ch in swap]

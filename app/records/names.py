"""Search keys for names: full pinyin and initials, written with the name.

Why precomputed: a search box that turns ``zw`` into every 张伟, 赵文 and 周薇 must not convert 100,000
names on every keystroke. The keys are computed once, at write time, and stored in indexed columns,
so a pinyin search is an index range scan (``app.records.residents``).
"""

from __future__ import annotations

import re
from typing import Any, cast

from pypinyin import Style, lazy_pinyin

_WORD = re.compile(r"[A-Za-z0-9]+")


def _latin_words(chunk: str) -> list[str]:
    return _WORD.findall(chunk)


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower-case ASCII: 张伟 -> (``zhangwei``, ``zw``); Latin names keep
    their words (``Wang Fang`` -> (``wangfang``, ``wf``))."""
    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors=cast(Any, _latin_words)) if s]
    syllables = [re.sub(r"[^a-z0-9]", "", s.lower()) for s in syllables]
    syllables = [s for s in syllables if s]
    return "".join(syllables)[:200], "".join(s[0] for s in syllables)[:200]


def search_key(text: str) -> str | None:
    """The query as a pinyin key when it is one (letters only), else None (search the name itself)."""
    value = text.strip().lower().replace(" ", "")
    return value if value and re.fullmatch(r"[a-z]+", value) else None


def name_parts(name: str, longest: int = 4) -> set[str]:
    """Every part of ``name`` up to ``longest`` characters, lower-cased, spaces dropped (张伟华 ->
    张, 伟, 华, 张伟, 伟华, 张伟华)."""
    text = "".join(name.lower().split())
    return {text[i : i + k] for k in range(1, longest + 1) for i in range(len(text) - k + 1)}


def search_part(text: str) -> str:
    """The query as it is compared with stored parts."""
    return "".join(text.lower().split())

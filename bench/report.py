"""What every benchmark prints: percentiles, "median [min-max]" cells, aligned tables, the machine."""

from __future__ import annotations

import contextlib
import math
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; inf (something never seen) sorts last; nan when there is nothing."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def cell(values: Sequence[float], fmt: str = ".1f", scale: float = 1.0) -> str:
    """median [min-max] over the repetitions (one value alone; "-" for none)."""
    vals = [v * scale for v in values if not math.isnan(v)]
    if not vals:
        return "-"

    def f(v: float) -> str:
        return "inf" if math.isinf(v) else format(v, fmt)

    if len(vals) == 1:
        return f(vals[0])
    return f"{f(statistics.median(vals))} [{f(min(vals))}-{f(max(vals))}]"


def table(head: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None = None) -> None:
    """The first column left-aligned, the others right; widths from the contents unless given."""
    if widths is None:
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for index, row in enumerate([head, *rows]):
        line = " ".join(
            f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        print(line)
        if index == 0:
            print("-" * len(line))


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"

"""The parts a report is made of: plain data, so builders stay Qt-free and testable without a screen.

Why blocks rather than HTML: the same report is printed (Qt), checked by tests and measured by the
benchmark; and a long table is a *stream* of rows (:class:`RowStream`) that the renderer paints page
by page, so a journal of 20,000 rows never exists in memory as one document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    """A small table laid out with the text (fits in memory: figures, KPIs, a timeline)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    caption: str = ""


@dataclass(frozen=True)
class RowStream:
    """A long table, painted page by page: ``rows()`` is called once and read lazily.

    ``widths`` are the columns' relative widths; cells longer than their column are cut with "…".
    """

    columns: Sequence[str]
    widths: Sequence[float]
    rows: Callable[[], Iterator[Sequence[str]]]
    caption: str = ""


@dataclass(frozen=True)
class Picture:
    """A picture as printed: BGR pixels already masked (or deliberately not, audited)."""

    image: np.ndarray
    caption: str
    masked: bool = True


@dataclass(frozen=True)
class Series:
    label: str
    ts: np.ndarray  # epoch seconds
    values: np.ndarray  # NaN breaks the line


@dataclass(frozen=True)
class LineChart:
    """A trend chart (drawn by the renderer with pyqtgraph and exported as an image)."""

    title: str
    unit: str
    series: Sequence[Series]
    marks: Sequence[float] = ()  # epoch seconds of events to mark (the alarm's raising)


@dataclass(frozen=True)
class BarChart:
    title: str
    labels: Sequence[str]
    values: Sequence[float]
    unit: str = ""


Block = Heading | Paragraph | Table | RowStream | Picture | LineChart | BarChart


@dataclass
class Report:
    """One report as it will be printed; ``report_id`` goes into every page's footer."""

    report_id: str
    kind: str  # incident, shift, journal, monthly
    lang: str
    title: str
    site_name: str
    generated_at: datetime
    generated_by: str
    blocks: list[Block] = field(default_factory=list)
    footer_note: str = ""

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def pictures(self) -> Iterable[Picture]:
        return (b for b in self.blocks if isinstance(b, Picture))

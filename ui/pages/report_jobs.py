"""Making a report from the GUI without blocking it: read on a worker, draw the charts on the GUI
thread, paint and record the PDF on a worker; or show it in Qt's print preview.

The report model is built by the same ``app.reports`` builders as ``wardroom report``, and a saved
PDF is hashed and recorded by the same :func:`app.reports.issue.record_pdf`, so a PDF saved from the
console verifies exactly like one from the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from app.reports.issue import record_pdf
from app.reports.model import Block, Paragraph, Report, RowStream
from app.storage.database import Database
from ui.reports.pdf import paint_report, prerender_charts, render_pdf, setup_a4
from ui.tasks import BackgroundCall

Build = Callable[[], Report]
PREVIEW_ROWS = 400
"""A print preview paints on the GUI thread (Qt's dialog asks for it there), so a long table shows
only its first rows in the preview (about nine pages); the saved PDF holds them all."""


def _first_rows(rows: Callable[[], Iterator[Sequence[str]]]) -> Callable[[], Iterator[Sequence[str]]]:
    def first() -> Iterator[Sequence[str]]:
        return islice(rows(), PREVIEW_ROWS)

    return first


def preview_of(report: Report) -> Report:
    """The report with each long table cut to :data:`PREVIEW_ROWS` rows, saying so under it."""
    blocks: list[Block] = []
    for block in report.blocks:
        if isinstance(block, RowStream):
            blocks.append(replace(block, rows=_first_rows(block.rows)))
            blocks.append(
                Paragraph(f"… (preview: the first {PREVIEW_ROWS} rows; the saved PDF holds every row)")
            )
        else:
            blocks.append(block)
    return replace(report, blocks=blocks)


@dataclass(frozen=True)
class Saved:
    report_id: str
    path: Path
    pages: int
    sha256: str


class ReportJobs(QObject):
    """Runs report jobs for one page; outcomes come back as signals on the GUI thread."""

    saved = Signal(object)  # Saved
    failed = Signal(object)  # the exception
    previewReady = Signal(object)  # the QPrintPreviewDialog, shown

    def __init__(self, db: Database | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._calls: set[BackgroundCall] = set()
        self._closed = False
        self.preview: QPrintPreviewDialog | None = None

    def _call(self, name: str, fn: Callable[[], object], ok: Callable[[Any], None]) -> None:
        call = BackgroundCall(name, fn, self)
        self._calls.add(call)

        def finish(outcome: object, handler: Callable[[Any], None]) -> None:
            self._calls.discard(call)
            call.deleteLater()
            if not self._closed:
                handler(outcome)

        call.succeeded.connect(lambda r: finish(r, ok), Qt.ConnectionType.QueuedConnection)
        call.failed.connect(lambda e: finish(e, self.failed.emit), Qt.ConnectionType.QueuedConnection)
        call.start()

    def save_pdf(self, build: Build, path: Path, target: str, unmasked_reason: str = "") -> None:
        """Build (worker), draw charts (GUI), paint + hash + record (worker), then ``saved``."""
        db = self._db
        if db is None:
            self.failed.emit(RuntimeError("reports need the database (none is open)"))
            return

        def painted(report: Report) -> None:
            images = prerender_charts(report)

            def paint() -> Saved:
                partial = path.with_name(path.name + ".part")
                try:
                    done = render_pdf(report, partial, images)
                    partial.replace(path)
                finally:
                    partial.unlink(missing_ok=True)
                digest = record_pdf(
                    db, report, path, target=target, pages=done.pages, unmasked_reason=unmasked_reason
                )
                return Saved(report.report_id, path, done.pages, digest)

            self._call("report-paint", paint, self.saved.emit)

        self._call("report-build", build, painted)

    def print_preview(self, build: Build, parent: QWidget) -> None:
        """Build on a worker, then open Qt's print preview (A4), from which a real printer prints."""

        def show(report: Report) -> None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            setup_a4(printer)
            dialog = QPrintPreviewDialog(printer, parent)
            dialog.setObjectName("reportPreview")
            dialog.setWindowTitle(f"{report.title} ({report.report_id})")
            shown = preview_of(report)
            dialog.paintRequested.connect(lambda device: paint_report(shown, device))
            dialog.finished.connect(dialog.deleteLater)
            self.preview = dialog
            dialog.open()
            self.previewReady.emit(dialog)

        self._call("report-preview", build, show)

    def busy(self) -> bool:
        return bool(self._calls)

    def shutdown(self) -> None:
        self._closed = True
        for call in list(self._calls):
            call.abandon()
        self._calls.clear()

"""The import dialog: pick a file and a kind, preview it with its column mapping, import, read the
row-level error report.

The preview and the import run on a worker (a big workbook takes seconds to read); the dialog only
shows their results. Which header maps to which field can be changed per column before importing;
a required field without a column keeps the Import button off and says which one is missing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.records.access import Viewer
from app.records.importer import ImportReport, Preview, import_file, preview, spec_of
from app.records.kinds import KINDS
from app.storage.database import Database
from ui.tasks import LatestCall

ENCODINGS: tuple[str, ...] = ("", "utf-8", "gb18030", "gbk")


class ImportDialog(QDialog):
    imported = Signal()

    def __init__(self, db: Database, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle(self.tr("Import records"))
        self.resize(900, 640)
        self._db = db
        self._viewer = viewer
        self._preview: Preview | None = None
        self._file = QLineEdit(self)
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self._browse)
        self._kind = QComboBox(self)
        self._kind.addItems(list(KINDS))
        self._encoding = QComboBox(self)
        self._encoding.addItem(self.tr("detect"), "")
        for name in ENCODINGS[1:]:
            self._encoding.addItem(name, name)
        show = QPushButton(self.tr("Preview"), self)
        show.clicked.connect(self.load_preview)
        row = QHBoxLayout()
        row.addWidget(self._file, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow(self.tr("File"), row)
        form.addRow(self.tr("Kind"), self._kind)
        form.addRow(self.tr("Encoding"), self._encoding)
        self._mapping = QTableWidget(0, 2, self)
        self._mapping.setHorizontalHeaderLabels([self.tr("Column in the file"), self.tr("Field")])
        self._mapping.horizontalHeader().setStretchLastSection(True)
        self._mapping.setColumnWidth(0, 220)
        self._mapping.verticalHeader().setVisible(False)
        self._rows = QTableWidget(0, 0, self)
        self._rows.setObjectName("importPreview")
        self._message = QLabel(self)
        self._message.setWordWrap(True)
        self._errors = QTableWidget(0, 3, self)
        self._errors.setObjectName("importErrors")
        self._errors.setHorizontalHeaderLabels([self.tr("Row"), self.tr("Column"), self.tr("Reason")])
        self._errors.horizontalHeader().setStretchLastSection(True)
        self._errors.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self._go = buttons.addButton(self.tr("Import"), QDialogButtonBox.ButtonRole.ActionRole)
        self._go.setEnabled(False)
        self._go.clicked.connect(self.run_import)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(show)
        layout.addWidget(QLabel(self.tr("Column mapping"), self))
        layout.addWidget(self._mapping, 1)
        layout.addWidget(QLabel(self.tr("First rows"), self))
        layout.addWidget(self._rows, 1)
        layout.addWidget(self._message)
        layout.addWidget(self._errors, 1)
        layout.addWidget(buttons)
        self._call = LatestCall("records-import", self)
        self._call.succeeded.connect(self._on_result)
        self._call.failed.connect(self._on_failed)

    # ------------------------------------------------------------------ for tests and the page
    def set_file(self, path: Path, kind: str = "residents") -> None:
        self._file.setText(str(path))
        self._kind.setCurrentText(kind)

    @property
    def message(self) -> str:
        return self._message.text()

    @property
    def error_rows(self) -> list[tuple[str, str, str]]:
        out: list[tuple[str, str, str]] = []
        for r in range(self._errors.rowCount()):
            texts = [_text(self._errors.item(r, c)) for c in range(3)]
            out.append((texts[0], texts[1], texts[2]))
        return out

    def shutdown(self) -> None:
        self._call.close()

    # ------------------------------------------------------------------ work
    @Slot()
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a file"), "", self.tr("Spreadsheets (*.csv *.xlsx)")
        )
        if path:
            self._file.setText(path)
            self.load_preview()

    def _options(self) -> tuple[str, Path, str | None]:
        return self._kind.currentText(), Path(self._file.text().strip()), self._encoding.currentData() or None

    @Slot()
    def load_preview(self) -> None:
        kind, path, encoding = self._options()
        self._go.setEnabled(False)
        self._message.setText(self.tr("Reading the file…"))
        self._call.submit(lambda: ("preview", preview(kind, path, encoding=encoding)))

    def _chosen_mapping(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for r in range(self._mapping.rowCount()):
            header = _text(self._mapping.item(r, 0))
            combo = self._mapping.cellWidget(r, 1)
            assert isinstance(combo, QComboBox)
            out[header] = combo.currentData() or ""
        return out

    @Slot()
    def run_import(self) -> None:
        kind, path, encoding = self._options()
        mapping = self._chosen_mapping()
        db, viewer = self._db, self._viewer
        self._go.setEnabled(False)
        self._message.setText(self.tr("Importing…"))
        self._call.submit(
            lambda: ("import", import_file(db, viewer, kind, path, encoding=encoding, mapping=mapping))
        )

    @Slot(object)
    def _on_result(self, result: object) -> None:
        assert isinstance(result, tuple)
        what, value = result
        if what == "preview":
            self._show_preview(value)
        else:
            self._show_report(value)

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self._message.setText(str(error))

    def _show_preview(self, found: Preview) -> None:
        self._preview = found
        spec = spec_of(self._kind.currentText())
        self._mapping.setRowCount(len(found.headers))
        for r, header in enumerate(found.headers):
            self._mapping.setItem(r, 0, QTableWidgetItem(header))
            combo = QComboBox(self._mapping)
            combo.addItem(self.tr("(ignore)"), "")
            for column in spec.columns:
                label = f"{column.field} ({'/'.join(column.aliases)})" + (" *" if column.required else "")
                combo.addItem(label, column.field)
            combo.setCurrentIndex(max(0, combo.findData(found.mapping.get(header, ""))))
            combo.currentIndexChanged.connect(self._check_mapping)
            self._mapping.setCellWidget(r, 1, combo)
        self._rows.setColumnCount(len(found.headers))
        self._rows.setHorizontalHeaderLabels(found.headers)
        self._rows.setRowCount(len(found.rows))
        for r, (_number, cells) in enumerate(found.rows):
            for c, value in enumerate(cells[: len(found.headers)]):
                self._rows.setItem(r, c, QTableWidgetItem(value))
        self._check_mapping()

    @Slot()
    def _check_mapping(self) -> None:
        if self._preview is None:
            return
        chosen = set(self._chosen_mapping().values())
        spec = spec_of(self._kind.currentText())
        missing = [c.field for c in spec.columns if c.required and c.field not in chosen]
        if missing:
            self._message.setText(
                self.tr("Required fields without a column: {what}").format(what=", ".join(missing))
            )
        else:
            self._message.setText(
                self.tr("{count} rows previewed ({what}); ready to import.").format(
                    count=len(self._preview.rows), what=self._preview.encoding
                )
            )
        self._go.setEnabled(not missing)

    def _show_report(self, report: ImportReport) -> None:
        self._message.setText(
            self.tr("{count} of {total} rows imported; {error} refused.").format(
                count=report.landed, total=report.rows, error=len(report.refused)
            )
        )
        self._errors.setRowCount(len(report.refused))
        for r, e in enumerate(report.refused):
            for c, value in enumerate((str(e.row), e.column, e.reason)):
                self._errors.setItem(r, c, QTableWidgetItem(value))
        if report.landed:
            self.imported.emit()


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""

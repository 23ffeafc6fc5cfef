"""Editing a resident: the fields a records clerk may change, checked by the service on save.

The dialog shows what the service refused in its own words and stays open, so nothing typed is lost;
the save runs on a worker and is audited by the service with the names of the fields changed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.records.access import Viewer
from app.records.residents import ResidentService
from app.storage.database import Database
from ui.tasks import LatestCall

FIELDS: tuple[str, ...] = ("name", "gender", "birth_date", "id_number", "phone", "registration", "tags")


class EditResidentDialog(QDialog):
    saved = Signal()

    def __init__(
        self,
        db: Database,
        viewer: Viewer,
        resident_id: int,
        current: dict[str, Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("editResident")
        self.setWindowTitle(self.tr("Edit resident {name}").format(name=current.get("name", resident_id)))
        self._db = db
        self._viewer = viewer
        self._id = resident_id
        self._initial: dict[str, str] = {}
        self._edits: dict[str, QLineEdit] = {}
        labels = {
            "name": self.tr("Name"),
            "gender": self.tr("Gender (男/女)"),
            "birth_date": self.tr("Birth date (2024-05-01)"),
            "id_number": self.tr("ID number"),
            "phone": self.tr("Phone"),
            "registration": self.tr("Registration (户籍/流动)"),
            "tags": self.tr("Tags (separated by ;)"),
        }
        form = QFormLayout()
        for field in FIELDS:
            value = current.get(field, "")
            text = ";".join(value) if isinstance(value, list) else ("" if value is None else str(value))
            self._initial[field] = text
            edit = QLineEdit(text, self)
            edit.setObjectName(f"edit-{field}")
            self._edits[field] = edit
            form.addRow(labels[field], edit)
        self._message = QLabel(self)
        self._message.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._message)
        layout.addWidget(buttons)
        self._call = LatestCall("records-edit", self)
        self._call.succeeded.connect(self._on_saved)
        self._call.failed.connect(self._on_failed)

    @property
    def message(self) -> str:
        return self._message.text()

    def field(self, name: str) -> QLineEdit:
        return self._edits[name]

    def shutdown(self) -> None:
        self._call.close()

    @Slot()
    def save(self) -> None:
        changes = {f: e.text() for f, e in self._edits.items() if e.text() != self._initial[f]}
        if not changes:
            self.accept()
            return
        db, viewer, resident_id = self._db, self._viewer, self._id
        self._message.setText(self.tr("Saving…"))
        self._call.submit(lambda: ResidentService(db, viewer).edit(resident_id, changes))

    @Slot(object)
    def _on_saved(self, changed: object) -> None:
        self._message.setText(self.tr("Saved."))
        self.saved.emit()
        self.accept()

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self._message.setText(str(error))

"""Settings: the interface language (switched live, remembered) and what this station runs on.

The language is saved in ``state_dir()`` so the next start opens in it. The facts below it (site file,
database, who is signed in) help a technician on the phone with an operator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from ui.i18n import LANGUAGES, Translations
from ui.settings_store import load_settings, save_settings

log = logging.getLogger("wardroom.ui")


@dataclass(frozen=True)
class StationFacts:
    """What the settings page shows about this station (plain strings)."""

    site_file: str
    database: str
    user: str
    role: str


class SettingsPage(QWidget):
    def __init__(
        self, translations: Translations, facts: StationFacts, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPage")
        self._translations = translations
        self._title = QLabel(self)
        self._title.setObjectName("pageTitle")

        self._language_box = QGroupBox(self)
        self._language = QComboBox(self._language_box)
        self._language.setObjectName("languageChoice")
        for code, name in LANGUAGES.items():
            self._language.addItem(name, code)
        self._language.setCurrentIndex(max(self._language.findData(translations.language), 0))
        self._language_label = QLabel(self._language_box)
        self._language_note = QLabel(self._language_box)
        self._language_note.setObjectName("pageNote")
        self._language_note.setWordWrap(True)
        self._language.setMinimumWidth(220)
        language_form = QFormLayout(self._language_box)
        language_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        language_form.addRow(self._language_label, self._language)
        language_form.addRow(self._language_note)

        self._station_box = QGroupBox(self)
        self._facts_labels = [QLabel(self._station_box) for _ in range(4)]
        station_form = QFormLayout(self._station_box)
        values = (facts.site_file, facts.database, facts.user, facts.role)
        for label, value in zip(self._facts_labels, values, strict=True):
            shown = QLabel(value, self._station_box)
            shown.setWordWrap(True)
            station_form.addRow(label, shown)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self._title)
        layout.addWidget(self._language_box)
        layout.addWidget(self._station_box)
        layout.addStretch(1)
        self._retranslate()
        self._language.currentIndexChanged.connect(self._on_language_chosen)

    @property
    def language_choice(self) -> QComboBox:
        return self._language

    def choose_language(self, code: str) -> None:
        """Select a language as if the operator picked it (switches and saves)."""
        index = self._language.findData(code)
        if index < 0:
            raise ValueError(f"unknown language {code!r}")
        self._language.setCurrentIndex(index)

    @Slot(int)
    def _on_language_chosen(self, index: int) -> None:
        code = str(self._language.itemData(index))
        if not self._translations.install(code):
            return
        settings = load_settings()
        try:
            save_settings(settings.model_copy(update={"language": code}))
        except OSError as exc:  # the switch still works for this session
            log.warning("cannot save the language choice: %s", exc)

    def _retranslate(self) -> None:
        self._title.setText(self.tr("Settings"))
        self._language_box.setTitle(self.tr("Language"))
        self._language_label.setText(self.tr("Interface language:"))
        self._language_note.setText(self.tr("The change applies at once and is remembered on this computer."))
        self._station_box.setTitle(self.tr("This station"))
        texts = (self.tr("Site file:"), self.tr("Database:"), self.tr("Signed in as:"), self.tr("Role:"))
        for label, text in zip(self._facts_labels, texts, strict=True):
            label.setText(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

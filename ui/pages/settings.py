"""Settings: the interface language (switched live, remembered), what this station runs on, drills.

The language is saved in ``state_dir()`` so the next start opens in it. The facts below it (site file,
database, who is signed in) help a technician on the phone with an operator. The Drill panel
(:mod:`ui.pages.drills`) trips and restores the simulated PLCs' points; the page scrolls, since a
site may have many of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.auth.users import UserInfo
from app.site.loader import LoadedSite
from app.site.schema import SiteFile
from app.storage.database import Database
from ui.i18n import LANGUAGES, Translations, role_name
from ui.pages.drills import DrillPanel
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
        self,
        translations: Translations,
        facts: StationFacts,
        parent: QWidget | None = None,
        *,
        site: SiteFile | None = None,
        demo: bool = False,
        db: Database | None = None,
        console: bool = False,
        user_info: UserInfo | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPage")
        self._translations = translations
        scroll = QScrollArea(self)
        scroll.setObjectName("settingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget(scroll)
        content.setObjectName("settingsContent")
        self._title = QLabel(content)
        self._title.setObjectName("pageTitle")

        self._language_box = QGroupBox(content)
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

        self._station_box = QGroupBox(content)
        self._facts_labels = [QLabel(self._station_box) for _ in range(4)]
        station_form = QFormLayout(self._station_box)
        self._role = facts.role
        values = (facts.site_file, facts.database, facts.user, role_name(facts.role))
        self._fact_values: list[QLabel] = []
        for label, value in zip(self._facts_labels, values, strict=True):
            shown = QLabel(value, self._station_box)
            shown.setWordWrap(True)
            self._fact_values.append(shown)
            station_form.addRow(label, shown)

        self._drills: DrillPanel | None = None
        if site is not None:
            self._drills = DrillPanel(
                site,
                user=facts.user,
                role=facts.role,
                demo=demo,
                db=db,
                console=console,
                user_info=user_info,
                parent=content,
            )

        layout = QVBoxLayout(content)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self._title)
        layout.addWidget(self._language_box)
        layout.addWidget(self._station_box)
        if self._drills is not None:
            layout.addWidget(self._drills, 1)  # the drill list takes the room that is left
        else:
            layout.addStretch(1)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._retranslate()
        self._language.currentIndexChanged.connect(self._on_language_chosen)

    @property
    def language_choice(self) -> QComboBox:
        return self._language

    @property
    def drills(self) -> DrillPanel | None:
        """The Drill panel (None when the page was built without a site)."""
        return self._drills

    def attach_station(self, loaded: LoadedSite) -> None:
        """The station's simulators run: drills can reach them."""
        if self._drills is not None:
            self._drills.attach(loaded)

    def shutdown(self) -> None:
        """Abandon a drill in progress (never waits)."""
        if self._drills is not None:
            self._drills.shutdown()

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
        self._fact_values[3].setText(role_name(self._role))  # the role id in words of the language

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

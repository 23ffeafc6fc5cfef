"""Live language switching (English source strings, Simplified Chinese translation).

Strings are marked with ``self.tr()`` in ``ui/`` and ``widgets/``; ``pyside6-lupdate`` collects them
into ``resources/i18n/wardroom_zh_CN.ts`` and ``pyside6-lrelease`` compiles the ``.qm`` loaded here
(both are committed; a test checks the ``.qm`` matches the ``.ts``). Installing a translator makes Qt
send ``LanguageChange`` to every widget, and each widget re-words itself in ``changeEvent`` (the
``retranslateUi`` pattern), so switching needs no restart. Qt's own ``qtbase`` catalogue is loaded
too, so standard buttons (OK, Cancel) follow the language.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.paths import RESOURCES

log = logging.getLogger("wardroom.ui")

I18N_DIR = RESOURCES / "i18n"
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}


def catalogue_path(language: str) -> Path:
    return I18N_DIR / f"wardroom_{language}.qm"


class Translations:
    """Owns the installed translators of one application."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self._installed: list[QTranslator] = []
        self._language = "en"

    @property
    def language(self) -> str:
        return self._language

    def install(self, language: str) -> bool:
        """Switch to ``language``; False (and English) if its catalogue cannot be loaded."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
        self._remove()
        self._language = "en"
        if language == "en":
            QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
            return True
        ours = QTranslator(self._app)
        if not ours.load(str(catalogue_path(language))):
            log.error("cannot load translation %s; staying in English", catalogue_path(language))
            return False
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        qt_own = QTranslator(self._app)
        for translator in ((qt_own if qt_own.load(f"qtbase_{language}", qt_dir) else None), ours):
            if translator is not None:
                self._app.installTranslator(translator)
                self._installed.append(translator)
        QLocale.setDefault(QLocale(language))
        self._language = language
        log.info("language switched to %s", language)
        return True

    def _remove(self) -> None:
        for translator in self._installed:
            self._app.removeTranslator(translator)
            translator.deleteLater()
        self._installed.clear()


def role_name(role: str) -> str:
    """A user role (``models.users.ROLES``: ``duty-officer`` ...) in words of the current language.

    The role ids are data (stored, typed on the command line), never shown raw; an unknown id (a
    role a newer version added) is shown as it is rather than hidden.
    """
    names = {
        "duty-officer": QCoreApplication.translate("Roles", "duty officer"),
        "supervisor": QCoreApplication.translate("Roles", "supervisor"),
        "records-clerk": QCoreApplication.translate("Roles", "records clerk"),
        "administrator": QCoreApplication.translate("Roles", "administrator"),
    }
    return names.get(role, role)

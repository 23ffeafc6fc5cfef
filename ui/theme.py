"""The look: one QSS palette for the whole application, and a font that can show Chinese.

Widgets carry no colours; ``resources/themes/isa101.qss`` holds the ISA-101 palette (grey, colour only
for abnormal states). The Fusion style under it looks the same on every desktop, so what a test
screenshots is what an operator sees.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from app.paths import RESOURCES

log = logging.getLogger("wardroom.ui")

THEME_PATH = RESOURCES / "themes" / "isa101.qss"
ICONS_DIR = RESOURCES / "icons"
ICONS_TOKEN = "@ICONS@"  # in the QSS: url(@ICONS@/x.svg), since QSS resolves relative URLs from the cwd
# Checked in order; the first installed one is the fallback for Chinese glyphs.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Droid Sans Fallback",
)
LATIN_FAMILIES: tuple[str, ...] = ("Noto Sans", "DejaVu Sans", "Liberation Sans", "Segoe UI", "Helvetica")


def load_stylesheet(path: Path = THEME_PATH) -> str:
    """The palette's text with icon URLs made absolute."""
    return path.read_text(encoding="utf-8").replace(ICONS_TOKEN, ICONS_DIR.as_posix())


def pick_families(installed: list[str]) -> list[str]:
    """A Latin family first (when present) then a CJK-capable one, as a per-glyph fallback list."""
    available = set(installed)
    families = [name for name in LATIN_FAMILIES if name in available][:1]
    families += [name for name in CJK_FAMILIES if name in available][:1]
    return families


def apply_theme(app: QApplication) -> str | None:
    """Fusion style, the palette's stylesheet and the font; returns the CJK family chosen, if any."""
    app.setStyle("Fusion")
    families = pick_families(QFontDatabase.families())
    cjk = next((name for name in families if name in CJK_FAMILIES), None)
    if families:
        font = QFont(app.font())
        font.setFamilies(families)
        app.setFont(font)
    if cjk is None:
        log.warning("no CJK font installed: Chinese text may show as boxes (install fonts-noto-cjk)")
    app.setStyleSheet(load_stylesheet())
    return cjk

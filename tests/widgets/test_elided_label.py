"""The elided label: shows what fits, keeps the whole text in its tooltip, asks for little width."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from widgets.elided_label import ElidedLabel

LONG = "3 points beyond their limits — alarm handling not yet active"


def test_elides_to_its_width_and_keeps_the_text_whole(qtbot: QtBot) -> None:
    label = ElidedLabel(LONG)
    qtbot.addWidget(label)
    label.resize(label.sizeHint())
    label.show()
    qtbot.waitExposed(label)
    assert label.text() == LONG and label.full_text == LONG and label.toolTip() == LONG
    label.resize(120, label.height())
    QApplication.processEvents()
    assert label.text() != LONG and label.text().endswith("…")
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    assert label.full_text == LONG and label.toolTip() == LONG
    assert label.minimumSizeHint().width() < 120, "a narrow window can shrink it"
    label.set_full_text("calm")
    assert label.text() == "calm" and label.toolTip() == "calm"

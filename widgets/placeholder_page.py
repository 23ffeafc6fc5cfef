"""A page that is not built yet and says plainly what it will hold.

The shell's navigation lists every page the product will have, so operators and reviewers see the
whole shape from the first release; a page whose issue is still open must not pretend to work. The
texts come from the caller (already translated), so this widget holds no product knowledge.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget


class PlaceholderPage(QWidget):
    """A heading and a paragraph, centred in the page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("placeholderPage")
        self._title = QLabel(self)
        self._title.setObjectName("placeholderTitle")
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._body = QLabel(self)
        self._body.setObjectName("placeholderBody")
        self._body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._body.setWordWrap(True)
        self._body.setMaximumWidth(680)
        # Stretches, not an alignment flag: an aligned word-wrapped label gets its narrow size hint
        # and a height for the wrong width, which clips the text.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self._body, 4)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self._title)
        layout.addSpacing(12)
        layout.addLayout(row)
        layout.addStretch(3)

    @property
    def title(self) -> str:
        return self._title.text()

    @property
    def body(self) -> str:
        return self._body.text()

    def set_texts(self, title: str, body: str) -> None:
        self._title.setText(title)
        self._body.setText(body)

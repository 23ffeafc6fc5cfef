"""Uncaught errors reach the operator: the excepthook's text is shown in a dialog on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.bootstrap import install_excepthook
from ui.main import ErrorReporter, show_previous_crash


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


# The hook hands the error on to the previous hook too, which is pytest's: the error is deliberate here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_error_in_a_worker_thread_is_shown_on_the_gui_thread(qtbot: QtBot) -> None:
    reporter = ErrorReporter()
    restore = install_excepthook(reporter.report)
    try:

        def fail() -> None:
            raise RuntimeError("the pump-room camera thread broke")

        worker = threading.Thread(target=fail, name="test-failing-worker")
        worker.start()
        worker.join(5)
        qtbot.waitUntil(lambda: bool(_boxes()), timeout=5000)
        (box,) = _boxes()
        qtbot.addWidget(box)  # closed by the harness even if an assertion below fails
        assert "the pump-room camera thread broke" in box.detailedText()
        assert "test-failing-worker" in box.detailedText()
        box.close()
    finally:
        restore()


def test_previous_crash_is_shown_once_without_blocking(qtbot: QtBot) -> None:
    shown = show_previous_crash("Fatal Python error: Segmentation fault", None)
    qtbot.addWidget(shown)
    (box,) = _boxes()
    assert box is shown
    assert not box.isModal()
    assert "Segmentation fault" in box.detailedText()
    box.close()

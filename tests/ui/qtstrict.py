"""Strict Qt hooks and fixtures shared by tests/ui and tests/widgets (imported by their conftests).

- Any Qt warning (``qWarning``, a stylesheet that does not parse, "QThread: Destroyed while thread
  is still running", a bad property) fails the test: during setup and the test itself through
  pytest-qt's ``qt_log_level_fail`` marker (``strict_setup``), during teardown through a message
  handler installed around it (``strict_teardown``), since pytest-qt stops capturing after the call.
- ``themed_app``: the application styled with the real ISA-101 palette and fonts, so widget tests
  also exercise the stylesheet.

The shared harness (tests/conftest.py) already fails on leaked threads, timers and QThreads.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

# Messages of the offscreen test platform itself, not of our code.
PLATFORM_NOISE: tuple[str, ...] = (r"This plugin does not support propagateSizeHints\(\)",)
_NOISE = re.compile("|".join(PLATFORM_NOISE))
_QUIET = (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg)


@pytest.hookimpl(tryfirst=True)
def strict_setup(item: pytest.Item) -> None:
    """Hook (``pytest_runtest_setup``): mark before pytest-qt starts capturing."""
    item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
    item.add_marker(pytest.mark.qt_log_ignore(*PLATFORM_NOISE))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def strict_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
    """Hook (``pytest_runtest_teardown``): Qt warnings while closing widgets and fixtures fail too."""
    messages: list[str] = []

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if mode not in _QUIET and not _NOISE.search(message):
            messages.append(f"{mode.name}: {message}")

    previous = qInstallMessageHandler(handler)
    try:
        result = yield
    finally:
        qInstallMessageHandler(previous)
    if messages:
        pytest.fail("Qt warnings during teardown:\n  " + "\n  ".join(messages), pytrace=False)
    return result


@pytest.fixture
def themed_app(qapp: QApplication) -> Iterator[QApplication]:
    """The session's QApplication with the product's theme (unstyled again afterwards)."""
    from ui.theme import apply_theme

    apply_theme(qapp)
    yield qapp
    qapp.setStyleSheet("")

"""Fixtures of the vision tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cjk_font() -> Path:
    """The CJK font plates are rendered with; installer/setup.sh installs it, so a missing one is a
    broken install and fails the test rather than skipping it."""
    from app.sim.plates import cjk_font_path

    path = cjk_font_path()
    if path is None:
        pytest.fail(
            "no CJK font to render plates with: install Debian fonts-wqy-microhei (installer/setup.sh)"
        )
    return path

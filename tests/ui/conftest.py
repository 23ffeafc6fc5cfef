"""Qt warnings fail these tests (setup, call and teardown); see tests/ui/qtstrict.py."""

from __future__ import annotations

from tests.ui.qtstrict import strict_setup, strict_teardown, themed_app

pytest_runtest_setup = strict_setup
pytest_runtest_teardown = strict_teardown

__all__ = ["themed_app"]

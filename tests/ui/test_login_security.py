"""The GUI sign-in obeys the site file's ``[security]`` table (``ui.main.login_policy``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.auth.users import UserService
from app.site.loader import load_site
from app.storage.database import open_database
from tests.ui.sites import write_tiny_site
from ui.login import LoginDialog
from ui.main import login_policy

CHECK_TIMEOUT_MS = 15_000  # argon2 on two shared cores


def test_lockout_attempts_2_locks_the_gui_login_after_two_wrong_passwords(
    qtbot: QtBot, themed_app: QApplication, tmp_path: Path
) -> None:
    path = write_tiny_site(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8") + "\n[security]\nlockout_attempts = 2\nlockout_minutes = 20\n",
        encoding="utf-8",
    )
    loaded = load_site(path)
    db = open_database(f"sqlite:///{tmp_path / 'gui.sqlite3'}")
    try:
        users = UserService(db, policy=login_policy(loaded))
        assert (users.max_attempts, users.lockout_s) == (2, 20 * 60)
        users.add("li.wei", "duty-officer", "correct horse battery")
        dialog = LoginDialog(users.authenticate, loaded.site.site.name)
        qtbot.addWidget(dialog)
        dialog.show()
        errors = []
        for password in ("nope nope", "nope nope", "correct horse battery"):
            dialog.fill("li.wei", password)
            dialog.ok_button().click()
            qtbot.waitUntil(lambda: not dialog.busy, timeout=CHECK_TIMEOUT_MS)
            errors.append(dialog.error_text)
        assert errors[0] == "wrong user name or password"
        assert "locked for 20 minutes" in errors[1]
        assert errors[2].startswith("li.wei is locked until ") and "(site time)" in errors[2]
        assert dialog.user is None
    finally:
        db.close()

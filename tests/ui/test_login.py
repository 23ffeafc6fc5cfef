"""Sign-in and first-administrator dialogs against a real user service on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from app.auth.users import UserInfo, UserService
from app.storage.database import Database, open_database
from ui.login import CreateAdminDialog, LoginDialog

CHECK_TIMEOUT_MS = 15_000  # argon2 on two shared cores


@pytest.fixture
def users(tmp_path: Path) -> Iterator[UserService]:
    db: Database = open_database(f"sqlite:///{tmp_path / 'users.sqlite3'}")
    try:
        yield UserService(db, max_attempts=3, lockout_s=60)
    finally:
        db.close()


def test_wrong_password_is_refused_in_plain_words(
    qtbot: QtBot, themed_app: QApplication, users: UserService
) -> None:
    users.add("li.wei", "duty-officer", "correct horse battery")
    dialog = LoginDialog(users.authenticate, "Test Ward")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.fill("li.wei", "wrong password")
    dialog.ok_button().click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=CHECK_TIMEOUT_MS)
    assert dialog.error_text == "wrong user name or password"
    assert dialog.isVisible() and dialog.user is None


def test_right_password_signs_in(qtbot: QtBot, themed_app: QApplication, users: UserService) -> None:
    users.add("li.wei", "duty-officer", "correct horse battery")
    dialog = LoginDialog(users.authenticate, "Test Ward")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.fill("li.wei", "correct horse battery")
    with qtbot.waitSignal(dialog.accepted, timeout=CHECK_TIMEOUT_MS):
        dialog.ok_button().click()
    assert isinstance(dialog.user, UserInfo)
    assert (dialog.user.name, dialog.user.role) == ("li.wei", "duty-officer")
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_lockout_message_reaches_the_operator(
    qtbot: QtBot, themed_app: QApplication, users: UserService
) -> None:
    users.add("li.wei", "duty-officer", "correct horse battery")
    dialog = LoginDialog(users.authenticate, "Test Ward")
    qtbot.addWidget(dialog)
    dialog.show()
    for _ in range(3):
        dialog.fill("li.wei", "nope nope")
        dialog.ok_button().click()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=CHECK_TIMEOUT_MS)
    assert "locked" in dialog.error_text


def test_empty_fields_are_refused_without_a_check(qtbot: QtBot, users: UserService) -> None:
    dialog = LoginDialog(users.authenticate, "Test Ward")
    qtbot.addWidget(dialog)
    dialog.ok_button().click()
    assert not dialog.busy
    assert dialog.error_text == "Enter your user name and password."


def test_first_start_creates_the_administrator(
    qtbot: QtBot, themed_app: QApplication, users: UserService, artifacts_dir: Path
) -> None:
    assert not users.has_administrator()

    def create(name: str, password: str) -> UserInfo:
        return users.add(name, "administrator", password, actor="first-start")

    dialog = CreateAdminDialog(create, "Test Ward")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.fill("admin", "long enough secret", "another secret")
    dialog.ok_button().click()
    assert "differ" in dialog.error_text
    dialog.fill("admin", "short")
    dialog.ok_button().click()
    assert "at least 8" in dialog.error_text
    dialog.fill("admin", "long enough secret")
    assert dialog.grab().save(str(artifacts_dir / "create_admin.png"))
    with qtbot.waitSignal(dialog.accepted, timeout=CHECK_TIMEOUT_MS):
        dialog.ok_button().click()
    assert dialog.user is not None and dialog.user.role == "administrator"
    assert users.has_administrator()


def test_service_refusal_is_shown(qtbot: QtBot, users: UserService) -> None:
    """A name the user service refuses comes back as its own plain-words message."""

    def create(name: str, password: str) -> UserInfo:
        return users.add(name, "administrator", password, actor="first-start")

    dialog = CreateAdminDialog(create, "Test Ward")
    qtbot.addWidget(dialog)
    dialog.fill("two words", "long enough secret")
    dialog.ok_button().click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=CHECK_TIMEOUT_MS)
    assert "contains a space" in dialog.error_text

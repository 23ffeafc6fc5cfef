"""Sign-in, and the first-start dialog that creates the site's administrator.

Checking a password means an argon2id hash and a database write (failed attempts and lockouts are
audited), so the check runs on a worker thread (``BackgroundCall``) while the dialog stays
responsive; the buttons are disabled meanwhile so an operator cannot fire two attempts. Errors are
shown in the plain words of ``AuthError`` ("wrong user name or password", "locked for 5 minutes").
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.auth.users import AuthError, UserInfo
from ui.tasks import BackgroundCall

log = logging.getLogger("wardroom.ui")

MIN_ADMIN_PASSWORD = 8


class _CredentialsDialog(QDialog):
    """Shared plumbing: a form, an error line, OK/Cancel, and one background check at a time."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setModal(True)
        self.setMinimumWidth(420)
        self._user: UserInfo | None = None
        self._call: BackgroundCall | None = None
        self._note = QLabel(self)
        self._note.setObjectName("dialogNote")
        self._note.setWordWrap(True)
        self._form = QFormLayout()
        self._error = QLabel(self)
        self._error.setObjectName("loginError")
        self._error.setWordWrap(True)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.accepted.connect(self._submit)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._note)
        layout.addLayout(self._form)
        layout.addWidget(self._error)
        layout.addWidget(self._buttons)

    def _line_edit(self, object_name: str, *, secret: bool = False) -> QLineEdit:
        """One form field; object names are what the QSS and the tests address."""
        field = QLineEdit(self)
        field.setObjectName(object_name)
        if secret:
            field.setEchoMode(QLineEdit.EchoMode.Password)
        return field

    @property
    def user(self) -> UserInfo | None:
        """The signed-in (or created) user once the dialog was accepted."""
        return self._user

    @property
    def error_text(self) -> str:
        return self._error.text()

    @property
    def busy(self) -> bool:
        return self._call is not None

    def ok_button(self) -> QPushButton:
        return self._buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _run(self, name: str, fn: Callable[[], object]) -> None:
        self._error.clear()
        self._set_busy(True)
        call = BackgroundCall(name, fn, self)
        call.succeeded.connect(self._on_succeeded, Qt.ConnectionType.QueuedConnection)
        call.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._call = call
        call.start()

    def _set_busy(self, busy: bool) -> None:
        for button in self._buttons.buttons():
            button.setEnabled(not busy)
        for row in range(self._form.rowCount()):
            item = self._form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            field = item.widget() if item is not None else None
            if field is not None:
                field.setEnabled(not busy)

    def _finish_call(self) -> None:
        call, self._call = self._call, None
        if call is not None:
            call.wait(5.0)
            call.deleteLater()
        self._set_busy(False)

    @Slot(object)
    def _on_succeeded(self, user: object) -> None:
        self._finish_call()
        if isinstance(user, UserInfo):
            self._user = user
        self.accept()

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self._finish_call()
        if isinstance(error, AuthError | ValueError):
            self._error.setText(str(error))
        else:
            self._error.setText(self.tr("The check could not be done: {error}").format(error=error))

    def _submit(self) -> None:
        raise NotImplementedError

    def reject(self) -> None:
        if self._call is not None:  # a check is running: let it finish first
            return
        super().reject()

    def done(self, result: int) -> None:
        if self._call is not None and result == QDialog.DialogCode.Rejected:
            return
        super().done(result)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        raise NotImplementedError


class LoginDialog(_CredentialsDialog):
    """User name and password, checked by ``authenticate`` (``UserService.authenticate``)."""

    def __init__(
        self, authenticate: Callable[[str, str], UserInfo], site_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self._authenticate = authenticate
        self._site_name = site_name
        self._name = self._line_edit("userField")
        self._password = self._line_edit("passwordField", secret=True)
        self._name_label = QLabel(self)
        self._password_label = QLabel(self)
        self._form.addRow(self._name_label, self._name)
        self._form.addRow(self._password_label, self._password)
        self._retranslate()

    def fill(self, name: str, password: str) -> None:
        """Type the credentials in (tests, and a future "remember user" option)."""
        self._name.setText(name)
        self._password.setText(password)

    def _submit(self) -> None:
        name = self._name.text().strip()
        password = self._password.text()
        if not name or not password:
            self._error.setText(self.tr("Enter your user name and password."))
            return
        self._password.clear()
        authenticate = self._authenticate
        self._run("login", lambda: authenticate(name, password))

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Wardroom — sign in"))
        self._note.setText(self.tr("Sign in to the control room of {site}.").format(site=self._site_name))
        self._name_label.setText(self.tr("User name:"))
        self._password_label.setText(self.tr("Password:"))
        self.ok_button().setText(self.tr("Sign in"))


class CreateAdminDialog(_CredentialsDialog):
    """First start of a real site: nobody can sign in until an administrator exists."""

    def __init__(
        self, create: Callable[[str, str], UserInfo], site_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("createAdminDialog")
        self._create = create
        self._site_name = site_name
        self._name = self._line_edit("userField")
        self._password = self._line_edit("passwordField", secret=True)
        self._confirm = self._line_edit("confirmField", secret=True)
        self._labels = [QLabel(self) for _ in range(3)]
        for label, field in zip(self._labels, (self._name, self._password, self._confirm), strict=True):
            self._form.addRow(label, field)
        self._retranslate()

    def fill(self, name: str, password: str, confirm: str | None = None) -> None:
        self._name.setText(name)
        self._password.setText(password)
        self._confirm.setText(password if confirm is None else confirm)

    def _submit(self) -> None:
        name = self._name.text().strip()
        password = self._password.text()
        if not name:
            self._error.setText(self.tr("Enter a user name for the administrator."))
            return
        if len(password) < MIN_ADMIN_PASSWORD:
            self._error.setText(
                self.tr("The password must have at least {count} characters.").format(
                    count=MIN_ADMIN_PASSWORD
                )
            )
            return
        if password != self._confirm.text():
            self._error.setText(self.tr("The two passwords differ. Type the same password twice."))
            return
        create = self._create
        self._run("create-administrator", lambda: create(name, password))

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Wardroom — create the administrator"))
        self._note.setText(
            self.tr(
                "{site} has no administrator yet. Create one now: the administrator adds the other "
                "users (duty officers, supervisors, records clerks)."
            ).format(site=self._site_name)
        )
        texts = (self.tr("User name:"), self.tr("Password:"), self.tr("Repeat password:"))
        for label, text in zip(self._labels, texts, strict=True):
            label.setText(text)
        self.ok_button().setText(self.tr("Create administrator"))

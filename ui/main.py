"""The GUI entry point: ``run_gui`` (called lazily by ``wardroom gui`` / ``wardroom`` / ``--demo``).

Start-up order: the Qt application; logging, the crash file (a previous crash is shown once) and the
excepthook; theme, fonts and language; the site file; the database (migrated); who is signed in
(demo: an audited automatic sign-in, no dialog; a real site: the sign-in dialog, and on a first
start the dialog that creates the administrator); then the main window, shown at once while the
station starts on a worker thread. A console (``console=True``) embeds no station: after sign-in
it compares the site file with the database's copy (showing the database's version, and saying so,
when they differ) and follows the stations through the database. Shutdown (window closed, SIGINT or
SIGTERM) stops the camera grabbers, then the station, then closes the database, and returns 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from app.auth.permissions import ADMINISTRATOR, DUTY_OFFICER
from app.auth.users import LoginPolicy, UserInfo, UserService
from app.bootstrap import start_entry_point
from app.paths import RESOURCES, atomic_write_text, state_dir
from app.site.demo import demo_site_path
from app.site.loader import LoadedSite, SiteFileError, load_site
from app.storage.database import Database, open_database
from app.storage.engine import StorageError, demo_database_url, name_sessions, shown_url
from ui.console_source import agreed_site
from ui.i18n import Translations
from ui.login import CreateAdminDialog, LoginDialog
from ui.main_window import REPORT_ENV
from ui.pages.settings import StationFacts
from ui.session import GuiSession
from ui.settings_store import load_settings
from ui.theme import apply_theme

log = logging.getLogger("wardroom.ui")

DEMO_MARKER = "demo"
ICON_PATH = RESOURCES / "icons" / "wardroom.svg"
SIGNAL_TICK_MS = 200  # lets Python run its signal handlers while Qt's loop waits


# ---------------------------------------------------------------------- which site
def last_site_file() -> Path:
    return state_dir() / "last_site.txt"


def remember_site(path: Path | None) -> None:
    """Remember the site for the next ``wardroom`` without arguments (None = the demo)."""
    try:
        atomic_write_text(last_site_file(), DEMO_MARKER if path is None else str(path.resolve()))
    except OSError as exc:
        log.warning("cannot remember the last site: %s", exc)


def choose_site(site_path: Path | None, demo: bool) -> tuple[Path, bool]:
    """(site file, demo?): the demo if asked, the given file, else the last used site, else the demo."""
    if demo:
        return demo_site_path(), True
    if site_path is not None:
        return site_path, False
    try:
        remembered = last_site_file().read_text(encoding="utf-8").strip()
    except OSError:
        remembered = ""
    if remembered and remembered != DEMO_MARKER:
        path = Path(remembered)
        if path.is_file():
            return path, False
        log.warning("the last used site %s is gone; opening the demo site", path)
    return demo_site_path(), True


def describe_database(url: str) -> str:
    """The database URL with any password hidden (shown in Settings)."""
    return shown_url(url)


# ---------------------------------------------------------------------- errors shown to the operator
class ErrorReporter(QObject):
    """Receives error texts from any thread; shows them on the GUI thread, one box at a time."""

    reported = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._box: QMessageBox | None = None
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(self, text: str) -> None:
        self.reported.emit(text)

    @Slot(str)
    def _show(self, text: str) -> None:
        if self._box is not None and self._box.isVisible():
            self._box.setDetailedText(text)
            return
        box = QMessageBox(QMessageBox.Icon.Critical, self.tr("Wardroom — unexpected error"), "")
        box.setText(
            self.tr(
                "Something went wrong inside Wardroom. It has been written to the log; the details are below."
            )
        )
        box.setDetailedText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._forget)
        self._box = box
        box.show()

    @Slot()
    def _forget(self) -> None:
        self._box = None


def show_previous_crash(text: str, parent: QWidget | None) -> QMessageBox:
    """The previous run died hard: say so once, without blocking the start (keep the box referenced)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QApplication.translate("Startup", "Wardroom — previous crash"))
    box.setText(
        QApplication.translate(
            "Startup",
            "Wardroom stopped unexpectedly the last time it ran. The report below was saved in the log "
            "folder; please pass it on to your technician.",
        )
    )
    box.setDetailedText(text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    return box


def show_fatal(title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, title, text)
    box.exec()


# ---------------------------------------------------------------------- signals (SIGINT/SIGTERM)
class _StopOnSignal:
    """SIGINT/SIGTERM close every window (dialogs included); Python runs handlers on a timer tick."""

    def __init__(self, app: QApplication) -> None:
        self.requested = False
        self._app = app
        self._previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        self._tick = QTimer()
        self._tick.setObjectName("signalTick")
        self._tick.timeout.connect(self._noop)
        self._tick.start(SIGNAL_TICK_MS)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: closing", signal.Signals(signum).name)
        self.requested = True
        QTimer.singleShot(0, self._app.closeAllWindows)

    def _noop(self) -> None:
        pass

    def restore(self) -> None:
        self._tick.stop()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


# ---------------------------------------------------------------------- sign-in
def login_policy(loaded: LoadedSite) -> LoginPolicy:
    """The site file's ``[security]`` lockout rules (the file is newer than the synced copy)."""
    security = loaded.site.security
    return LoginPolicy(security.lockout_attempts, security.lockout_minutes, loaded.site.site.timezone)


def sign_in(users: UserService, loaded: LoadedSite, demo: bool) -> UserInfo | None:
    """Who runs this session; None if the operator cancelled."""
    if demo:
        user = users.ensure_user("demo", DUTY_OFFICER)
        users.record_login(user, "demo auto-login")
        return user
    name = loaded.site.site.name
    if not users.has_administrator():

        def create(user_name: str, password: str) -> UserInfo:
            return users.add(user_name, ADMINISTRATOR, password, actor="first-start")

        dialog = CreateAdminDialog(create, name)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.user is None:
            return None
        users.record_login(dialog.user, "created as the first administrator")
        return dialog.user
    login = LoginDialog(users.authenticate, name)
    if login.exec() != QDialog.DialogCode.Accepted or login.user is None:
        return None
    return login.user


# ---------------------------------------------------------------------- the entry point
def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication([sys.argv[0] if sys.argv else "wardroom"])
    app.setApplicationName("Wardroom")
    app.setDesktopFileName("wardroom")
    if ICON_PATH.exists():
        app.setWindowIcon(QIcon(str(ICON_PATH)))
    return app


def run_gui(site_path: Path | None, demo: bool, database_url: str | None, console: bool = False) -> int:
    """Open the control room; returns the process exit code (0 after a clean close or SIGTERM)."""
    app = _application()
    reporter = ErrorReporter()
    previous_crash, restore_hooks = start_entry_point(reporter.report)
    translations = Translations(app)
    translations.install(load_settings().language)
    cjk = apply_theme(app)
    log.info("GUI starting (font fallback for Chinese: %s)", cjk or "none")
    stopper = _StopOnSignal(app)
    db: Database | None = None
    try:
        path, demo = choose_site(site_path, demo)
        try:
            loaded = load_site(path)
        except SiteFileError as exc:
            show_fatal(
                app.translate("Startup", "Wardroom — site file"),
                "\n".join(str(error) for error in exc.errors),
            )
            return 2
        remember_site(None if demo else path)
        url = database_url or (demo_database_url() if demo else None)
        name_sessions(f"wardroom {'console' if console else 'gui'} {socket.gethostname()}")
        try:
            db = open_database(url)
        except StorageError as exc:
            show_fatal(app.translate("Startup", "Wardroom — database"), str(exc))
            return 1
        user = sign_in(UserService(db, policy=login_policy(loaded)), loaded, demo)
        if user is None or stopper.requested:
            log.info("sign-in cancelled; closing")
            return 0
        site_note = ""
        if console:  # before the window: it is built from the site it shows (start-up may block)
            agreed = agreed_site(db, loaded)
            loaded, site_note = agreed.loaded, agreed.message
        facts = StationFacts(
            site_file=str(loaded.path), database=describe_database(db.url), user=user.name, role=user.role
        )
        report = os.environ.get(REPORT_ENV)
        session = GuiSession(
            loaded,
            db,
            translations,
            facts,
            demo=demo,
            report_path=Path(report) if report else None,
            user=user,
            console=console,
            site_note=site_note,
            console_name=f"console {user.name}@{socket.gethostname()}",
        )
        app.setQuitOnLastWindowClosed(False)
        session.window.closed.connect(app.quit)
        session.start()
        crash_box = show_previous_crash(previous_crash, session.window) if previous_crash else None
        try:
            if not stopper.requested:
                app.exec()
        finally:
            if crash_box is not None:
                crash_box.close()
            session.shutdown()
            session.window.deleteLater()
        return 0
    finally:
        stopper.restore()
        if db is not None:
            db.close()
        restore_hooks()
        log.info("GUI stopped")

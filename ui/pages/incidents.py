"""Incidents & reports: the incident list and its detail (timeline, notes, attachments, status buttons,
PDF and print preview), and the period reports (shift, journal, monthly).

Everything that reads or writes goes through ``app`` services on a worker thread (``ui.tasks``), so
the GUI thread only paints; refusals come back in the service's words on the message line. The
status buttons offer only the moves :mod:`app.incidents.workflow` allows from the current status,
and the service checks the role again. The console's "Create incident" hands its selected alarms to
:meth:`IncidentsPage.create_from_alarms`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, QEvent, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.auth.permissions import Action, allowed
from app.auth.users import UserInfo
from app.incidents.service import IncidentRow, IncidentService, get_incident, list_incidents
from app.incidents.timeline import Entry, assemble, snapshots
from app.incidents.workflow import next_statuses
from app.reports.common import Request
from app.reports.issue import permit_unmasked
from app.reports.masking import DEFAULT_MASK, no_mask
from app.reports.model import Report
from app.storage.database import Database
from ui.pages.alarms import ReasonDialog, refusal_text
from ui.pages.report_jobs import ReportJobs, Saved
from ui.tasks import BackgroundCall

THUMB = QSize(160, 90)


@dataclass(frozen=True)
class Attachment:
    snapshot_id: int
    camera: str
    taken_at: datetime
    thumb: QImage


@dataclass(frozen=True)
class Detail:
    row: IncidentRow
    timeline: list[Entry]
    attachments: list[Attachment]


def _thumb(path: Path) -> QImage:
    image = QImage(str(path))
    if image.isNull():
        return image
    return image.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class IncidentsPage(QWidget):
    """The page (see the module docstring)."""

    def __init__(
        self,
        db: Database | None = None,
        user: UserInfo | None = None,
        *,
        timezone: str = "UTC",
        language: Callable[[], str] = lambda: "zh_CN",
        snapshot_root: Callable[[], Path] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("incidentsPage")
        self._db = db
        self._user = user
        self._zone = ZoneInfo(timezone)
        self._language = language
        self._snapshot_root = snapshot_root
        self._calls: set[BackgroundCall] = set()
        self._closed = False
        self._rows: list[IncidentRow] = []
        self._detail: Detail | None = None
        self._show_next: int | None = None  # a new incident to show once the list has it
        self._dialog: ReasonDialog | None = None
        self.jobs = ReportJobs(db, self)
        self.jobs.saved.connect(self._saved)
        self.jobs.failed.connect(self._refused)
        self.last_saved: Saved | None = None

        self._title = QLabel(self)
        self._title.setObjectName("pageTitle")
        # ------------------------------------------------------------ list
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("incidentTable")
        self._plain(self.table)
        self.table.itemSelectionChanged.connect(self._selected)
        self.refresh_button = QPushButton(self)
        self.refresh_button.clicked.connect(self.refresh)
        list_box = QWidget(self)
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(self.table, 1)
        list_layout.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignLeft)
        # ------------------------------------------------------------ detail
        self.heading = QLabel(self)
        self.heading.setObjectName("incidentHeading")
        self.heading.setWordWrap(True)
        self.facts = QLabel(self)
        self.facts.setWordWrap(True)
        self.status_buttons: dict[str, QPushButton] = {}
        status_bar = QHBoxLayout()
        for status in ("in-progress", "on-hold", "closed"):
            button = QPushButton(self)
            button.setObjectName(f"incident-{status}")
            button.clicked.connect(lambda _=False, s=status: self.ask_status(s))
            self.status_buttons[status] = button
            status_bar.addWidget(button)
        status_bar.addStretch(1)
        self.timeline = QTableWidget(0, 5, self)
        self.timeline.setObjectName("incidentTimeline")
        self._plain(self.timeline)
        self.note_edit = QLineEdit(self)
        self.note_edit.setObjectName("incidentNote")
        self.note_button = QPushButton(self)
        self.note_button.clicked.connect(lambda: self.add_note(self.note_edit.text()))
        note_bar = QHBoxLayout()
        note_bar.addWidget(self.note_edit, 1)
        note_bar.addWidget(self.note_button)
        self.attachments = QListWidget(self)
        self.attachments.setObjectName("incidentAttachments")
        self.attachments.setViewMode(QListWidget.ViewMode.IconMode)
        self.attachments.setIconSize(THUMB)
        self.attachments.setFixedHeight(THUMB.height() + 44)
        self.attachments.setFlow(QListWidget.Flow.LeftToRight)
        self.attachments.setWrapping(False)
        self.attach_edit = QLineEdit(self)
        self.attach_edit.setObjectName("attachSnapshot")
        self.attach_edit.setMaximumWidth(140)
        self.attach_button = QPushButton(self)
        self.attach_button.clicked.connect(self._attach_typed)
        attach_bar = QHBoxLayout()
        self._attach_label = QLabel(self)
        attach_bar.addWidget(self._attach_label)
        attach_bar.addWidget(self.attach_edit)
        attach_bar.addWidget(self.attach_button)
        attach_bar.addStretch(1)
        team_bar = QHBoxLayout()  # a row of its own: beside the snapshots it does not fit at 800 px
        self._team_label = QLabel(self)
        self.team_edit = QLineEdit(self)
        self.team_edit.setObjectName("incidentTeam")
        self.team_edit.setMaximumWidth(180)
        self.team_button = QPushButton(self)
        self.team_button.clicked.connect(lambda: self.assign_team(self.team_edit.text()))
        team_bar.addWidget(self._team_label)
        team_bar.addWidget(self.team_edit)
        team_bar.addWidget(self.team_button)
        team_bar.addStretch(1)
        self.unmasked = QCheckBox(self)
        self.unmasked.setObjectName("printUnmasked")
        self.unmasked_reason = QLineEdit(self)
        self.unmasked_reason.setObjectName("unmaskedReason")
        self.preview_button = QPushButton(self)
        self.preview_button.clicked.connect(self.print_preview)
        self.pdf_button = QPushButton(self)
        self.pdf_button.clicked.connect(self._ask_pdf)
        print_bar = QHBoxLayout()
        print_bar.addWidget(self.preview_button)
        print_bar.addWidget(self.pdf_button)
        print_bar.addWidget(self.unmasked)
        print_bar.addWidget(self.unmasked_reason, 1)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.heading)
        detail_layout.addWidget(self.facts)
        detail_layout.addLayout(status_bar)
        detail_layout.addWidget(self.timeline, 1)
        detail_layout.addLayout(note_bar)
        detail_layout.addWidget(self.attachments)
        detail_layout.addLayout(attach_bar)
        detail_layout.addLayout(team_bar)
        detail_layout.addLayout(print_bar)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(list_box)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        # ------------------------------------------------------------ reports
        self.reports = ReportsPanel(self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("incidentTabs")
        self.tabs.addTab(splitter, "")
        self.tabs.addTab(self.reports, "")
        self.message = QLabel(self)
        self.message.setObjectName("incidentMessage")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(self._title)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        self._retranslate()
        self._enable()

    # ------------------------------------------------------------------ reading
    @staticmethod
    def _plain(table: QTableWidget) -> None:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def clock(self, at: datetime | None) -> str:
        return at.astimezone(self._zone).strftime("%Y-%m-%d %H:%M:%S") if at is not None else "-"

    @property
    def rows(self) -> list[IncidentRow]:
        return list(self._rows)

    @property
    def detail(self) -> Detail | None:
        return self._detail

    def refresh(self) -> None:
        db = self._db
        if db is None:
            self.say(self.tr("Incidents need the database (none is open)."))
            return

        def read() -> list[IncidentRow]:
            with db.session() as session:
                return list_incidents(session)

        self._call("incidents-list", read, self._listed)

    def _listed(self, rows: list[IncidentRow]) -> None:
        keep = self._show_next or (self._detail.row.id if self._detail is not None else None)
        self._show_next = None
        self._rows = rows
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for n, r in enumerate(rows):
            cells = (str(r.id), r.status, r.priority, r.building or "-", self.clock(r.opened_at), r.title)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r.id)
                self.table.setItem(n, column, item)
        self.table.blockSignals(False)
        if keep is not None:
            self.select(keep)

    def select(self, incident_id: int) -> bool:
        for n, r in enumerate(self._rows):
            if r.id == incident_id:
                self.table.selectRow(n)
                self.load(incident_id)
                return True
        return False

    def _selected(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.load(int(items[0].data(Qt.ItemDataRole.UserRole)))

    def load(self, incident_id: int) -> None:
        db = self._db
        if db is None:
            return
        root = self._snapshot_root() if self._snapshot_root is not None else None

        def read() -> Detail | None:
            with db.session() as session:
                row = get_incident(session, incident_id)
                if row is None:
                    return None
                entries = assemble(session, incident_id)
                shots = [
                    Attachment(s.id, s.camera, s.taken_at, _thumb(root / s.path) if root else QImage())
                    for s in snapshots(session, incident_id)
                ]
            return Detail(row, entries, shots)

        self._call("incident-detail", read, self._show)

    def _show(self, detail: Detail | None) -> None:
        self._detail = detail
        if detail is None:
            self.heading.clear()
            self.facts.clear()
            self.timeline.setRowCount(0)
            self.attachments.clear()
            self._enable()
            return
        r = detail.row
        self.heading.setText(f"#{r.id} {r.title}")
        self.facts.setText(
            self.tr(
                "Status: {status} · priority: {priority} · building: {building} · opened {at} by {by} · "
                "duty team: {team}"
            ).format(
                status=r.status,
                priority=r.priority,
                building=r.building or "-",
                at=self.clock(r.opened_at),
                by=r.opened_by or "-",
                team=r.duty_team or "-",
            )
        )
        self.timeline.setRowCount(len(detail.timeline))
        for n, e in enumerate(detail.timeline):
            for column, text in enumerate((self.clock(e.at), e.kind, e.what, e.by or "-", e.text)):
                self.timeline.setItem(n, column, QTableWidgetItem(text))
        self.attachments.clear()
        for a in detail.attachments:
            item = QListWidgetItem(f"#{a.snapshot_id} {a.camera}\n{self.clock(a.taken_at)}")
            if not a.thumb.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(a.thumb)))
            self.attachments.addItem(item)
        self._enable()

    # ------------------------------------------------------------------ actions
    def _service(self) -> IncidentService | None:
        if self._db is None or self._user is None:
            self.say(self.tr("Incidents need the database and a signed-in operator."))
            return None
        return IncidentService(self._db)

    def _act(
        self, name: str, fn: Callable[[IncidentService, UserInfo], Any], done: Callable[[Any], None]
    ) -> None:
        service, user = self._service(), self._user
        if service is None or user is None:
            return
        self._call(name, lambda: fn(service, user), done)

    def create_from_alarms(self, alarm_ids: Sequence[int], title: str) -> None:
        """The console's "Create incident": a new incident holding these alarms, then shown here."""
        ids = list(alarm_ids)

        def made(row: IncidentRow) -> None:
            self.say(self.tr("Incident {id} created.").format(id=row.id))
            self._show_next = row.id
            self.refresh()

        self._act("incident-create", lambda s, u: s.create(u, title, alarm_ids=ids), made)

    def ask_create(self, alarm_ids: Sequence[int]) -> None:
        ids = list(alarm_ids)
        self._ask(
            self.tr("Create incident"), self.tr("Title:"), lambda text: self.create_from_alarms(ids, text)
        )

    def ask_status(self, status: str) -> None:
        if self._detail is None:
            return
        if self._detail.row.status == "new" and status == "closed":
            self._ask(
                self.tr("Close as a false alarm"), self.tr("Reason:"), lambda t: self.set_status(status, t)
            )
        else:
            self.set_status(status)

    def set_status(self, status: str, reason: str = "") -> None:
        if self._detail is None:
            return
        incident = self._detail.row.id
        self._act(
            "incident-status",
            lambda s, u: s.set_status(u, incident, status, reason),
            lambda row: self._changed(
                self.tr("Incident {id} is now {status}.").format(id=row.id, status=row.status)
            ),
        )

    def add_note(self, text: str) -> None:
        if self._detail is None or not text.strip():
            return
        incident = self._detail.row.id

        def noted(_note: object) -> None:
            self.note_edit.clear()
            self._changed(self.tr("Note added."))

        self._act("incident-note", lambda s, u: s.note(u, incident, text), noted)

    def assign_team(self, team: str) -> None:
        """Assign the duty team (by its name) that follows the incident up."""
        if self._detail is None or not team.strip():
            return
        incident, name = self._detail.row.id, team.strip()
        self._act(
            "incident-assign",
            lambda s, u: s.assign_team(u, incident, name),
            lambda row: self._changed(
                self.tr("Incident {id} is assigned to {team}.").format(id=row.id, team=name)
            ),
        )

    def attach_snapshot(self, snapshot_id: int) -> None:
        if self._detail is None:
            return
        incident = self._detail.row.id
        self._act(
            "incident-attach",
            lambda s, u: s.attach_snapshot(u, incident, snapshot_id),
            lambda _r: self._changed(self.tr("Snapshot {id} attached.").format(id=snapshot_id)),
        )

    def _attach_typed(self) -> None:
        text = self.attach_edit.text().strip().lstrip("#")
        if text.isdigit():
            self.attach_snapshot(int(text))
            self.attach_edit.clear()
        else:
            self.say(self.tr("Type the snapshot's number (shown on the camera wall after a snapshot)."))

    def _changed(self, text: str) -> None:
        self.say(text)
        self.refresh()

    # ------------------------------------------------------------------ printing
    def _request(self) -> Request | None:
        user = self._user
        if user is None or self._db is None:
            self.say(self.tr("Reports need the database and a signed-in operator."))
            return None
        reason = ""
        if self.unmasked.isChecked():
            target = f"incident:{self._detail.row.id}" if self._detail is not None else "report"
            try:
                reason = permit_unmasked(self._db, user, target, self.unmasked_reason.text())
            except Exception as exc:  # ReportRefused, or the database failing
                self._refused(exc)
                return None
        lang = self._language()
        return Request(
            user.name,
            lang if lang in ("zh_CN", "en") else "zh_CN",
            datetime.now(UTC),
            no_mask if reason else DEFAULT_MASK,
            reason,
        )

    def _incident_build(self) -> tuple[Callable[[], Report], str, str] | None:
        if self._detail is None or self._db is None:
            return None
        request = self._request()
        if request is None:
            return None
        db, incident = self._db, self._detail.row.id
        root = self._snapshot_root() if self._snapshot_root is not None else Path()

        def build() -> Report:
            from app.reports.incident import build_incident_report

            with db.session() as session:
                return build_incident_report(session, incident, request, root)

        return build, f"incident:{incident}", request.unmasked_reason

    def save_pdf(self, path: Path) -> None:
        job = self._incident_build()
        if job is not None:
            build, target, reason = job
            self.say(self.tr("Writing {path}…").format(path=path))
            self.jobs.save_pdf(build, path, target, reason)

    def _ask_pdf(self) -> None:
        dialog = QFileDialog(self, self.tr("Save the report as PDF"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("PDF (*.pdf)")
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda name: self.save_pdf(Path(name)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def print_preview(self) -> None:
        job = self._incident_build()
        if job is not None:
            self.jobs.print_preview(job[0], self)

    def _saved(self, saved: Saved) -> None:
        self.last_saved = saved
        self.say(
            self.tr(
                "Report {id} saved to {path} ({pages} pages); it verifies with 'wardroom report verify'."
            ).format(id=saved.report_id, path=saved.path, pages=saved.pages)
        )

    # ------------------------------------------------------------------ plumbing
    def _ask(self, title: str, prompt: str, then: Callable[[str], None]) -> None:
        dialog = ReasonDialog(title, prompt, self)
        self._dialog = dialog
        dialog.accepted.connect(lambda: then(dialog.text.text().strip()))
        dialog.finished.connect(lambda _r: setattr(self, "_dialog", None))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @property
    def dialog(self) -> ReasonDialog | None:
        return self._dialog

    def _enable(self) -> None:
        role = self._user.role if self._user is not None else ""
        current = self._detail.row.status if self._detail is not None else None
        moves = next_statuses(current) if current is not None else []
        for status, button in self.status_buttons.items():
            action = Action.INCIDENT_REOPEN if current == "closed" else Action.INCIDENT_STATUS
            button.setVisible(status in moves)
            button.setEnabled(status in moves and allowed(role, action))
        has = self._detail is not None and self._db is not None
        for widget in (
            self.note_button,
            self.attach_button,
            self.team_button,
            self.preview_button,
            self.pdf_button,
        ):
            widget.setEnabled(has)
        may_unmask = allowed(role, Action.PRINT_UNMASKED)
        self.unmasked.setVisible(may_unmask)
        self.unmasked_reason.setVisible(may_unmask)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)

    def _refused(self, error: object) -> None:
        self.say(self.tr("Refused: {reason}").format(reason=refusal_text(error)))

    def _call(self, name: str, fn: Callable[[], object], ok: Callable[[Any], None]) -> None:
        call = BackgroundCall(name, fn, self)
        self._calls.add(call)

        def finish(outcome: object, handler: Callable[[Any], None]) -> None:
            self._calls.discard(call)
            call.deleteLater()
            if not self._closed:
                handler(outcome)

        call.succeeded.connect(lambda r: finish(r, ok), Qt.ConnectionType.QueuedConnection)
        call.failed.connect(lambda e: finish(e, self._refused), Qt.ConnectionType.QueuedConnection)
        call.start()

    def busy(self) -> bool:
        return bool(self._calls) or self.jobs.busy() or self.reports.jobs.busy()

    def shutdown(self) -> None:
        self._closed = True
        for call in list(self._calls):
            call.abandon()
        self._calls.clear()
        self.jobs.shutdown()
        self.reports.shutdown()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._rows:
            self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        self._title.setText(self.tr("Incidents & reports"))
        self.tabs.setTabText(0, self.tr("Incidents"))
        self.tabs.setTabText(1, self.tr("Period reports"))
        self.table.setHorizontalHeaderLabels(
            [
                "#",
                self.tr("Status"),
                self.tr("Priority"),
                self.tr("Building"),
                self.tr("Opened"),
                self.tr("Title"),
            ]
        )
        self.timeline.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("Kind"), self.tr("What"), self.tr("By"), self.tr("Text")]
        )
        self.refresh_button.setText(self.tr("Refresh"))
        words = {
            "in-progress": self.tr("In progress"),
            "on-hold": self.tr("On hold"),
            "closed": self.tr("Close"),
        }
        for status, button in self.status_buttons.items():
            button.setText(words[status])
        if self._detail is not None and self._detail.row.status == "closed":
            self.status_buttons["in-progress"].setText(self.tr("Reopen"))
        self.note_edit.setPlaceholderText(self.tr("A note for the record"))
        self.note_button.setText(self.tr("Add note"))
        self._attach_label.setText(self.tr("Snapshots:"))
        self.attach_edit.setPlaceholderText(self.tr("snapshot #"))
        self.attach_button.setText(self.tr("Attach"))
        self._team_label.setText(self.tr("Duty team:"))
        self.team_edit.setPlaceholderText(self.tr("team name"))
        self.team_button.setText(self.tr("Assign"))
        self.preview_button.setText(self.tr("Print preview…"))
        self.pdf_button.setText(self.tr("Save PDF…"))
        self.unmasked.setText(self.tr("Unmasked, because:"))
        self.unmasked_reason.setPlaceholderText(self.tr("reason (audited)"))


class ReportsPanel(QWidget):
    """The period reports: shift, alarm journal, monthly summary, as PDF or print preview."""

    def __init__(self, page: IncidentsPage) -> None:
        super().__init__(page)
        self.setObjectName("reportsPanel")
        self._page = page
        self.jobs = ReportJobs(page._db, self)
        self.jobs.saved.connect(page._saved)
        self.jobs.failed.connect(page._refused)
        self.kind = QComboBox(self)
        self.kind.setObjectName("reportKind")
        for key in ("shift", "journal", "monthly"):
            self.kind.addItem("", key)
        now = QDateTime.currentDateTime()
        self.start = QDateTimeEdit(now.addSecs(-8 * 3600), self)
        self.end = QDateTimeEdit(now, self)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.month = QLineEdit(datetime.now().strftime("%Y-%m"), self)
        self.month.setObjectName("reportMonth")
        self.preview_button = QPushButton(self)
        self.preview_button.clicked.connect(self.print_preview)
        self.pdf_button = QPushButton(self)
        self.pdf_button.clicked.connect(self._ask_pdf)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        form = QFormLayout()
        self._labels = [QLabel(self) for _ in range(4)]
        form.addRow(self._labels[0], self.kind)
        form.addRow(self._labels[1], self.start)
        form.addRow(self._labels[2], self.end)
        form.addRow(self._labels[3], self.month)
        buttons = QGridLayout()
        buttons.addWidget(self.preview_button, 0, 0)
        buttons.addWidget(self.pdf_button, 0, 1)
        buttons.setColumnStretch(2, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._retranslate()
        self._kind_changed()

    def _kind_changed(self) -> None:
        monthly = self.kind.currentData() == "monthly"
        for widget in (self.start, self.end, self._labels[1], self._labels[2]):
            widget.setEnabled(not monthly)
        self.month.setEnabled(monthly)
        self._labels[3].setEnabled(monthly)

    def _site_time(self, edit: QDateTimeEdit) -> datetime:
        """The edit's wall-clock time read on the site's clock (as the CLI reads times without offset)."""
        local = edit.dateTime().toPython()
        assert isinstance(local, datetime)
        return local.replace(tzinfo=self._page._zone, second=0, microsecond=0).astimezone(UTC)

    def _build(self) -> tuple[Callable[[], Report], str] | None:
        page = self._page
        db = page._db
        request = page._request()
        if db is None or request is None:
            return None
        kind = str(self.kind.currentData())
        if kind == "monthly":
            month = self.month.text().strip()

            def monthly() -> Report:
                from app.reports.period import build_monthly_report

                with db.session() as session:
                    return build_monthly_report(session, month, request)

            return monthly, f"monthly:{month}"
        start, end = self._site_time(self.start), self._site_time(self.end)
        if end <= start:
            page.say(self.tr("The period must end after it starts."))
            return None
        if kind == "journal":
            from app.reports.journal import build_journal_report

            return (lambda: build_journal_report(db.session, start, end, request)), f"journal:{start}/{end}"

        def shift() -> Report:
            from app.reports.period import build_shift_report

            return build_shift_report(db.session, start, end, request)

        return shift, f"shift:{start.isoformat()}/{end.isoformat()}"

    def save_pdf(self, path: Path) -> None:
        job = self._build()
        if job is not None:
            self._page.say(self.tr("Writing {path}…").format(path=path))
            self.jobs.save_pdf(job[0], path, job[1])

    def print_preview(self) -> None:
        job = self._build()
        if job is not None:
            self.jobs.print_preview(job[0], self)

    def _ask_pdf(self) -> None:
        dialog = QFileDialog(self, self.tr("Save the report as PDF"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("PDF (*.pdf)")
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(lambda name: self.save_pdf(Path(name)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def shutdown(self) -> None:
        self.jobs.shutdown()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    def _retranslate(self) -> None:
        for index, text in enumerate(
            (self.tr("Shift report"), self.tr("Alarm journal"), self.tr("Monthly summary"))
        ):
            self.kind.setItemText(index, text)
        for label, text in zip(
            self._labels,
            (self.tr("Report:"), self.tr("From:"), self.tr("To:"), self.tr("Month:")),
            strict=True,
        ):
            label.setText(text)
        self.preview_button.setText(self.tr("Print preview…"))
        self.pdf_button.setText(self.tr("Save PDF…"))
        self.note.setText(
            self.tr(
                "Times are the site's. Every saved PDF carries a report id in its footer and its SHA-256 is "
                "recorded in the audit log, so 'wardroom report verify FILE.pdf' can tell an altered copy."
            )
        )

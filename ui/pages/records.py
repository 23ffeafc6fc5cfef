"""The records page: residents, elderly, overdue visits, volunteers, hours, vehicles and care visits.

Paged from the database, never loaded whole: the first page of a query comes from one call to the
records services on a worker (:class:`ui.tasks.LatestCall`, so fast typing costs one query plus the
newest), and further pages as the table scrolls (:class:`widgets.record_table.PagedTableModel`). The
search box matches part of a name, its pinyin or pinyin initials (``zw`` finds 张伟) after a short
pause in typing. Selecting a row shows its detail on the right (each detail view of a person is
audited by the service). Import, export and edit are offered by role (``app.auth.permissions``), and
the services check again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabBar,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.auth.permissions import Action
from app.records.access import Viewer, as_viewer
from app.records.employment import FORMULA, EmploymentRate, employment_rate
from app.records.listing import list_rows, show
from app.records.residents import PAGE_SIZE, ResidentFilter, ResidentService
from app.records.settings import HEALTH_TAGS, load_rules
from app.storage.database import Database
from ui.tasks import LatestCall
from widgets.record_table import PagedTableModel, RecordTableView, cell_text

SEARCH_PAUSE_MS = 250
DETAIL_PAUSE_MS = 300
KINDS: tuple[str, ...] = (
    "residents",
    "elderly",
    "overdue-visits",
    "volunteers",
    "hours",
    "vehicles",
    "care-visits",
    "employment",
    "on-duty",
)
COLUMN_KEYS: dict[str, tuple[str, ...]] = {
    "residents": (
        "id",
        "name",
        "gender",
        "age",
        "building",
        "unit",
        "household",
        "id_number",
        "phone",
        "tags",
    ),
    "elderly": ("id", "name", "gender", "age", "building", "unit", "phone", "tags"),
    "overdue-visits": (
        "id",
        "name",
        "age",
        "building",
        "unit",
        "last_visit",
        "interval_days",
        "days_overdue",
    ),
    "volunteers": ("id", "name", "phone", "skills", "joined_on", "active"),
    "hours": ("id", "volunteer", "project", "date", "hours", "approved"),
    "vehicles": ("id", "plate", "kind", "owner", "valid_until", "active"),
    "care-visits": ("id", "resident", "at", "kind", "visitor", "notes", "follow_up_due"),
    "employment": ("id", "resident", "status", "employer", "position", "started_on", "ended_on"),
    "on-duty": ("team", "member", "role", "phone", "from", "to"),
}
SORTABLE = {"id", "name", "age", "building"}
MAX_COLUMN_PX = 220


@dataclass(frozen=True)
class PageResult:
    """One answer of the list worker, tagged so a superseded answer is dropped."""

    generation: int
    offset: int
    rows: list[dict[str, Any]]
    total: int | None
    rate: EmploymentRate | None = None
    tags: dict[str, str] | None = None


def fetch_page(
    db: Database,
    viewer: Viewer,
    kind: str,
    search: str,
    sort: str,
    offset: int,
    generation: int,
    tag: str | None = None,
) -> PageResult:
    """Runs on a worker: one page of ``kind`` (plus the count on a residents' first page, and this
    year's employment rate on the employment list's)."""
    if kind == "residents":
        service = ResidentService(db, viewer)
        flt = ResidentFilter(search=search, tag=tag)
        rows = service.page(flt, offset, PAGE_SIZE + 1, sort=sort)
        if offset:
            return PageResult(generation, offset, rows, None)
        with db.session() as session:
            tags = load_rules(session).tags
        return PageResult(generation, offset, rows, service.count(flt), tags=tags)
    rows = list_rows(db, viewer, kind, search, offset, PAGE_SIZE + 1)
    rate = None
    if kind == "employment" and offset == 0:
        with db.session() as session:
            rules = load_rules(session)
            today = rules.today()
            rate = employment_rate(session, date(today.year, 1, 1), today + timedelta(days=1), rules)
    return PageResult(generation, offset, rows, None, rate)


class RecordsPage(QWidget):
    """Records bound to the services as the logged-in ``user``."""

    def __init__(self, db: Database, user: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordsPage")
        self._db = db
        self._viewer = as_viewer(user)
        self._generation = 0
        self._kind = "residents"
        self._sort = "id"
        self._detail_key: tuple[str, int] | None = None

        self._tabs = QTabBar(self)
        self._tabs.setObjectName("recordKinds")
        for _kind in KINDS:
            self._tabs.addTab("")
        self._tabs.currentChanged.connect(self._on_kind)
        self._search = QLineEdit(self)
        self._search.setObjectName("recordSearch")
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(self._on_search_text)
        self._tag = QComboBox(self)
        self._tag.setObjectName("recordTag")
        self._tag.addItem("", None)  # the site's tags come with the first page (no I/O here)
        self._tag.currentIndexChanged.connect(self.refresh)
        self._count = QLabel(self)
        self._count.setObjectName("recordCount")
        self._import = QPushButton(self)
        self._import.clicked.connect(self._open_import)
        self._export = QPushButton(self)
        self._export.clicked.connect(self._ask_export)
        self._edit = QPushButton(self)
        self._edit.clicked.connect(self._open_edit)
        self._approve = QPushButton(self)
        self._approve.setObjectName("approveHours")
        self._approve.clicked.connect(self.approve_selected)
        self._approve.setVisible(False)
        self._import.setVisible(self._viewer.may(Action.RECORDS_IMPORT))
        self._export.setVisible(self._viewer.may(Action.RECORDS_EXPORT))
        self._edit.setVisible(self._viewer.may(Action.RECORDS_EDIT))
        self._edit.setEnabled(False)
        self._status = QLabel(self)
        self._status.setObjectName("recordStatus")
        self._status.setWordWrap(True)

        self._model = PagedTableModel(self._columns("residents"), self)
        self._model.moreWanted.connect(self._more)
        self._model.sortWanted.connect(self._on_sort)
        self._table = RecordTableView(self)
        self._table.setModel(self._model)
        self._table.setSortingEnabled(False)
        self._table.horizontalHeader().setSectionsClickable(True)
        self._table.horizontalHeader().sectionClicked.connect(self._on_header)
        self._table.selectionModel().selectionChanged.connect(self._on_selection)
        self._detail = QTextBrowser(self)
        self._detail.setObjectName("recordDetail")
        self._detail.setOpenLinks(False)

        top = QHBoxLayout()
        top.addWidget(self._search, 1)
        top.addWidget(self._tag)
        top.addWidget(self._count)
        top.addWidget(self._edit)
        top.addWidget(self._approve)
        top.addWidget(self._import)
        top.addWidget(self._export)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self._table)
        split.addWidget(self._detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self._tabs)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self._status)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(self.refresh)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(DETAIL_PAUSE_MS)
        self._detail_timer.timeout.connect(self._load_detail)
        self._list_call = LatestCall("records-list", self)
        self._list_call.succeeded.connect(self._on_page)
        self._list_call.failed.connect(self._on_failed)
        self._detail_call = LatestCall("records-detail", self)
        self._detail_call.succeeded.connect(self._on_detail)
        self._detail_call.failed.connect(self._on_failed)
        self._dialogs: list[QWidget] = []
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self._search.setFocus)
        self._retranslate()

    # ------------------------------------------------------------------ public
    @property
    def model(self) -> PagedTableModel:
        return self._model

    @property
    def table(self) -> RecordTableView:
        return self._table

    @property
    def search_box(self) -> QLineEdit:
        return self._search

    @property
    def detail(self) -> QTextBrowser:
        return self._detail

    @property
    def count_text(self) -> str:
        return self._count.text()

    @property
    def status_text(self) -> str:
        return self._status.text()

    def set_kind(self, kind: str) -> None:
        self._tabs.setCurrentIndex(KINDS.index(kind))

    @Slot()
    def refresh(self) -> None:
        """Ask for the first page of the current kind and search (off the GUI thread)."""
        self._search_timer.stop()
        self._generation += 1
        generation, kind, search, sort = self._generation, self._kind, self._search.text(), self._sort
        db, viewer, tag = self._db, self._viewer, self._tag.currentData()
        self._tag.setVisible(kind == "residents")
        self._status.setText(self.tr("Searching…"))
        self._list_call.submit(lambda: fetch_page(db, viewer, kind, search, sort, 0, generation, tag))

    def shutdown(self) -> None:
        self._search_timer.stop()
        self._detail_timer.stop()
        self._list_call.close()
        self._detail_call.close()
        for name in ("_export_call", "_approve_call"):
            call = getattr(self, name, None)
            if call is not None:
                call.close()
        for dialog in self._dialogs:
            shutdown = getattr(dialog, "shutdown", None)
            if shutdown is not None:
                shutdown()

    # ------------------------------------------------------------------ Qt
    def showEvent(self, event: Any) -> None:
        """Read again each time the page is shown: records change elsewhere (imports, the demo's
        first start filling its ward while the window is already up)."""
        super().showEvent(event)
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

    # ------------------------------------------------------------------ wording
    def _headers(self) -> dict[str, str]:
        return {
            "id": self.tr("No."),
            "name": self.tr("Name"),
            "gender": self.tr("Gender"),
            "age": self.tr("Age"),
            "building": self.tr("Building"),
            "unit": self.tr("Unit"),
            "household": self.tr("Household"),
            "id_number": self.tr("ID number"),
            "phone": self.tr("Phone"),
            "tags": self.tr("Tags"),
            "last_visit": self.tr("Last visit"),
            "interval_days": self.tr("Interval (days)"),
            "days_overdue": self.tr("Days overdue"),
            "skills": self.tr("Skills"),
            "joined_on": self.tr("Joined"),
            "active": self.tr("Active"),
            "volunteer": self.tr("Volunteer"),
            "project": self.tr("Project"),
            "date": self.tr("Date"),
            "hours": self.tr("Hours"),
            "approved": self.tr("Approved"),
            "plate": self.tr("Plate"),
            "kind": self.tr("Kind"),
            "owner": self.tr("Owner"),
            "valid_until": self.tr("Valid until"),
            "resident": self.tr("Resident"),
            "at": self.tr("When"),
            "visitor": self.tr("Visitor"),
            "notes": self.tr("Notes"),
            "follow_up_due": self.tr("Follow-up due"),
            "birth_date": self.tr("Born"),
            "registration": self.tr("Registration"),
            "moved_in": self.tr("Moved in"),
            "moved_out": self.tr("Moved out"),
            "household_members": self.tr("Household members"),
            "vehicles": self.tr("Vehicles"),
            "care_plan_days": self.tr("Visit every (days)"),
            "care_records": self.tr("Care records"),
            "employment": self.tr("Employment"),
            "resident_id": self.tr("Resident no."),
            "owner_id": self.tr("Owner no."),
            "description": self.tr("Description"),
            "activity": self.tr("Activity"),
            "follow_up": self.tr("Follow-up"),
            "status": self.tr("Status"),
            "employer": self.tr("Employer"),
            "position": self.tr("Position"),
            "started_on": self.tr("Started"),
            "ended_on": self.tr("Ended"),
            "team": self.tr("Team"),
            "member": self.tr("Member"),
            "role": self.tr("Role"),
            "from": self.tr("From"),
            "to": self.tr("To"),
        }

    def _columns(self, kind: str) -> list[tuple[str, str]]:
        headers = self._headers()
        return [(key, headers.get(key, key)) for key in COLUMN_KEYS[kind]]

    def _retranslate(self) -> None:
        names = (
            self.tr("Residents"),
            self.tr("Aged 60+"),
            self.tr("Overdue visits"),
            self.tr("Volunteers"),
            self.tr("Service hours"),
            self.tr("Vehicles"),
            self.tr("Care visits"),
            self.tr("Employment"),
            self.tr("On duty now"),
        )
        for index, name in enumerate(names):
            self._tabs.setTabText(index, name)
        self._search.setPlaceholderText(self.tr("Search by name, pinyin or initials (zw finds 张伟)"))
        self._import.setText(self.tr("Import…"))
        self._export.setText(self.tr("Export…"))
        self._edit.setText(self.tr("Edit…"))
        self._approve.setText(self.tr("Approve hours"))
        self._tag.setItemText(0, self.tr("All tags"))

    # ------------------------------------------------------------------ list
    @Slot(int)
    def _on_kind(self, index: int) -> None:
        self._kind = KINDS[index]
        self._sort = "id"
        self._model.set_columns(self._columns(self._kind))
        self._detail.clear()
        self._detail_key = None
        self._edit.setEnabled(False)
        self._approve.setVisible(self._kind == "hours" and self._viewer.may(Action.VOLUNTEER_HOURS_APPROVE))
        self._approve.setEnabled(False)
        self.refresh()

    @Slot(str)
    def _on_search_text(self, _text: str) -> None:
        self._search_timer.start()

    @Slot(int)
    def _on_header(self, column: int) -> None:
        self._model.sort(column)

    @Slot(str)
    def _on_sort(self, key: str) -> None:
        if self._kind == "residents" and key in SORTABLE and key != self._sort:
            self._sort = key
            self.refresh()

    @Slot(int)
    def _more(self, offset: int) -> None:
        generation, kind, search, sort = self._generation, self._kind, self._search.text(), self._sort
        db, viewer, tag = self._db, self._viewer, self._tag.currentData()
        self._list_call.submit(lambda: fetch_page(db, viewer, kind, search, sort, offset, generation, tag))

    @Slot(object)
    def _on_page(self, result: object) -> None:
        assert isinstance(result, PageResult)
        if result.generation != self._generation:
            return  # an answer to a search the operator already changed
        rows = result.rows[:PAGE_SIZE]
        more = len(result.rows) > PAGE_SIZE
        if result.offset == 0:
            self._model.reset_rows(rows, more)
            self._fit_columns()
        else:
            self._model.append_rows(rows, more)
        if result.tags is not None and self._tag.count() == 1:
            for tag, label in result.tags.items():
                if self._viewer.unmasked or tag not in HEALTH_TAGS:
                    self._tag.addItem(f"{label} ({tag})" if label else tag, tag)
        self._count.setToolTip("")
        if result.total is not None:
            self._count.setText(self.tr("{count} residents").format(count=result.total))
        elif result.rate is not None:
            rate = "—" if result.rate.rate is None else f"{result.rate.rate * 100:.1f} %"
            self._count.setText(
                self.tr("Employment rate this year: {value} ({count} employed, {total} seeking)").format(
                    value=rate, count=result.rate.employed, total=result.rate.seeking
                )
            )
            self._count.setToolTip(FORMULA)
        elif result.offset == 0:
            self._count.setText(
                self.tr("{count}+ shown").format(count=len(rows))
                if more
                else self.tr("{count} shown").format(count=len(rows))
            )
        self._status.setText("")

    def _fit_columns(self) -> None:
        """Columns as wide as the first page's contents (and their header), at most MAX_COLUMN_PX."""
        self._table.resizeColumnsToContents()
        header = self._table.horizontalHeader()
        for column in range(self._model.columnCount()):
            header.resizeSection(column, min(header.sectionSize(column) + 12, MAX_COLUMN_PX))

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self._status.setText(self.tr("Could not read the records: {error}").format(error=error))

    # ------------------------------------------------------------------ detail
    @Slot(QItemSelection, QItemSelection)
    def _on_selection(self, *_args: object) -> None:
        rows = self._table.selectionModel().selectedRows()
        record = self._model.row_data(rows[0].row()) if rows else None
        if record is None or "id" not in record:
            return
        detail_kind = "residents" if self._kind in ("elderly", "overdue-visits") else self._kind
        self._detail_key = (detail_kind, int(record["id"]))
        self._edit.setEnabled(detail_kind == "residents")
        self._approve.setEnabled(self._kind == "hours" and not record.get("approved", True))
        self._detail_timer.start()

    @Slot()
    def _load_detail(self) -> None:
        if self._detail_key is None:
            return
        kind, record_id = self._detail_key
        db, viewer = self._db, self._viewer
        self._detail_call.submit(lambda: (kind, record_id, show(db, viewer, kind, record_id)))

    @Slot(object)
    def _on_detail(self, result: object) -> None:
        assert isinstance(result, tuple)
        kind, record_id, detail = result
        if (kind, record_id) != self._detail_key:
            return
        headers = self._headers()
        lines = []
        for key, value in detail.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                items = "".join(
                    f"<li>{_html(' · '.join(cell_text(v) for v in item.values()))}</li>" for item in value
                )
                lines.append(f"<p><b>{_html(headers.get(key, key))}</b></p><ul>{items}</ul>")
            else:
                shown = cell_text(value) if value not in ("", None, []) else "—"
                lines.append(f"<b>{_html(headers.get(key, key))}</b>: {_html(shown)}<br>")
        self._detail.setHtml("".join(lines))
        self._last_detail = detail

    # ------------------------------------------------------------------ actions
    @Slot()
    def _open_import(self) -> None:
        from ui.pages.records_import import ImportDialog

        dialog = ImportDialog(self._db, self._viewer, self)
        dialog.imported.connect(self.refresh)
        self._dialogs.append(dialog)
        dialog.open()

    @Slot()
    def _open_edit(self) -> None:
        if self._detail_key is None or self._detail_key[0] != "residents":
            return
        from ui.pages.records_edit import EditResidentDialog

        current = getattr(self, "_last_detail", None)
        dialog = EditResidentDialog(self._db, self._viewer, self._detail_key[1], current or {}, self)
        dialog.saved.connect(self.refresh)
        self._dialogs.append(dialog)
        dialog.open()

    @Slot()
    def approve_selected(self) -> None:
        """Approve the selected service-hour entry (supervisors; the service checks and audits)."""
        if self._detail_key is None or self._detail_key[0] != "hours":
            return
        from app.records.volunteers import VolunteerService

        db, viewer, entry = self._db, self._viewer, self._detail_key[1]
        self._approve.setEnabled(False)
        self._approve_call = LatestCall("records-approve", self)
        self._approve_call.succeeded.connect(lambda _count: self.refresh())
        self._approve_call.failed.connect(lambda error: self._status.setText(str(error)))
        self._approve_call.submit(lambda: VolunteerService(db, viewer).approve([entry]))

    @Slot()
    def _ask_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export records"), f"{self._kind}.xlsx", self.tr("Spreadsheets (*.xlsx *.csv)")
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Export what the list shows (kind and search) to ``path`` off the GUI thread."""
        from app.records.export import export

        db, viewer, kind, search = self._db, self._viewer, self._kind, self._search.text()
        self._export_call = LatestCall("records-export", self)
        self._export_call.succeeded.connect(
            lambda count: self._status.setText(
                self.tr("{count} rows exported to {where}").format(count=count, where=str(path))
            )
        )
        self._export_call.failed.connect(lambda error: self._status.setText(str(error)))
        self._export_call.submit(lambda: export(db, viewer, kind, path, search))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

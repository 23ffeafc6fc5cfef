"""The Drill panel (in Settings): trip and restore a simulated PLC's points, as ``wardroom simulate`` does.

Why it looks and behaves this way:

- **Who may drill.** Drills make sprinklers "open" and smoke detectors "see smoke" on the screens of
  everyone watching, so on a real site only the roles the permissions table allows
  (``app.auth.permissions``: supervisor, administrator) may run them; a duty officer sees the panel
  disabled with the reason. The demo signs in a duty officer automatically and exists to be tried, so
  in demo mode the panel is enabled for everyone and titled "Demo drills". The panel only hides what
  the service (``app.sim.drill.DrillService``) would refuse: the service checks the role again.
- **Never on a real plant.** Only points of *simulated* PLCs are listed (``app.sim.drill``): a drill
  writes a switch on Wardroom's own simulator, never a PLC output. A drill is still an operator
  action: the service audits it (``drill.trip`` / ``drill.restore``) with the user, as the CLI does.
- **Never on the GUI thread.** A drill talks to the simulator over TCP (up to about a second per
  simulator), so it runs as a :class:`~ui.tasks.BackgroundCall`; one drill at a time, the buttons wait
  for its answer, and the answer is shown in plain words. Closing the window does not wait for it.
- **A console asks the owner.** A console (``wardroom gui --console``) opens no Modbus connection at
  all: it does not read the switches (their state shows "—"), and Trip/Restore become a request row
  (``app.fleet.requests.submit_and_wait``, kinds ``drill.trip``/``drill.restore`` on the simulator's
  lease ``sim:<plc>``) that the station owning the simulator executes and audits; the panel shows
  the outcome (done, refused, failed, expired) and which station answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.auth.permissions import Action, allowed
from app.auth.users import UserInfo
from app.sim import drill
from app.sim.physics import trip_direction, trip_target
from app.sim.values import initial_value
from app.site.loader import LoadedSite
from app.site.schema import Point, SiteFile
from app.storage.database import Database
from ui.i18n import role_name
from ui.tasks import BackgroundCall

log = logging.getLogger("wardroom.ui")

_COLUMNS = 3  # point, when tripped, drill state
REQUEST_TIMEOUT_S = 10.0  # a console's drill request: the whole wait for the owning station


def may_drill(role: str, demo: bool) -> bool:
    """What the permissions table says (supervisors and administrators; in the demo, everyone)."""
    return allowed(role, Action.DRILL, demo=demo)


@dataclass(frozen=True)
class DrillOperator:
    """Who drills from the panel, in which mode, and the database the service audits into."""

    name: str
    role: str
    demo: bool
    db: Database | None = None
    info: UserInfo | None = None  # the signed-in user (a console's request carries it)


def read_switches(loaded: LoadedSite, point_ids: Sequence[str]) -> dict[str, bool | None]:
    """Each point's drill switch (blocking: a worker thread's job); None where no simulator answered."""
    states: dict[str, bool | None] = {}
    for point_id in point_ids:
        try:
            states[point_id] = drill.is_tripped(loaded, point_id)
        except drill.DrillError:
            states[point_id] = None
    return states


@dataclass(frozen=True)
class RequestedDrill:
    """A console's drill request and its outcome (``done``/``refused``/``failed``/``expired``/...)."""

    point_id: str
    on: bool
    status: str
    reason: str
    station: str

    @property
    def done(self) -> bool:
        return self.status == "done"


class DrillUnavailable(RuntimeError):
    """A console cannot drill: this build has no request service (``app.fleet.requests``)."""


def request_drill(point: Point, on: bool, user: DrillOperator, origin: str) -> RequestedDrill:
    """Ask the station owning the point's simulator to trip or restore it (blocking: a worker's job)."""
    try:
        from app.fleet import requests
    except ImportError as exc:
        raise DrillUnavailable(
            "this console cannot send drill requests (the station request service is not installed)"
        ) from exc
    if user.db is None or user.info is None:
        raise DrillUnavailable("a console drills through the database as the signed-in user; none here")
    outcome = requests.submit_and_wait(
        user.db,
        kind="drill.trip" if on else "drill.restore",
        target=point.id,
        lease=f"sim:{point.plc}",
        value=None,
        user=user.info,
        origin=origin,
        timeout_s=REQUEST_TIMEOUT_S,
    )
    log.info("drill request by %s: %s %s -> %s %s", user.name, "trip" if on else "restore", point.id,
             outcome.status, outcome.reason)  # fmt: skip
    return RequestedDrill(point.id, on, str(outcome.status), outcome.reason or "", outcome.station or "")


def run_drill(loaded: LoadedSite, point_id: str, on: bool, user: DrillOperator) -> drill.DrillResult:
    """Trip or restore one point through the drill service (role-checked, audited; blocking)."""
    service = drill.DrillService(user.db, loaded, demo=user.demo)
    result = service.trip(user, point_id) if on else service.restore(user, point_id)
    verb = "trip" if on else "restore"
    log.info("drill by %s: %s %s on %s", user.name, verb, point_id, ", ".join(result.endpoints))
    return result


class DrillPanel(QGroupBox):
    """Drillable points of the site's simulated PLCs, with Trip and Restore for the selected one."""

    def __init__(
        self,
        site: SiteFile,
        *,
        user: str,
        role: str,
        demo: bool,
        db: Database | None = None,
        console: bool = False,
        user_info: UserInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("drillPanel")
        self._console = console  # requests to the owning station; never a connection of our own
        self._user_info = user_info
        self._user = user
        self._role = role
        self._demo = demo
        self._allowed = may_drill(role, demo)
        self._db = db  # where the drill service audits (the session's database)
        self._points: list[Point] = drill.drillable_points(site)
        self._loaded: LoadedSite | None = None
        self._calls: list[BackgroundCall] = []
        self._busy = False
        self._closed = False
        self._states: dict[str, bool | None] = {p.id: None for p in self._points}
        self._result_text = ""
        self._result_args: dict[str, str] = {}

        self._note = QLabel(self)
        self._note.setObjectName("pageNote")
        self._note.setWordWrap(True)
        self._table = QTableWidget(len(self._points), _COLUMNS, self)
        self._table.setObjectName("drillTable")
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.verticalHeader().setVisible(False)
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self._table.setMinimumHeight(220)
        self._table.itemSelectionChanged.connect(self._update_buttons)
        self._trip = QPushButton(self)
        self._trip.setObjectName("drillTrip")
        self._trip.clicked.connect(self.trip_selected)
        self._restore = QPushButton(self)
        self._restore.setObjectName("drillRestore")
        self._restore.clicked.connect(self.restore_selected)
        self._result = QLabel(self)
        self._result.setObjectName("drillResult")
        self._result.setWordWrap(True)
        self._result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self._trip)
        buttons.addWidget(self._restore)
        buttons.addWidget(self._result, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self._note)
        layout.addWidget(self._table)
        layout.addLayout(buttons)
        for row, point in enumerate(self._points):
            item = QTableWidgetItem(point.id)
            item.setData(Qt.ItemDataRole.UserRole, point.id)
            self._table.setItem(row, 0, item)
            self._table.setItem(row, 1, QTableWidgetItem())
            self._table.setItem(row, 2, QTableWidgetItem())
        self._table.setEnabled(self._allowed and bool(self._points))
        self._retranslate()

    # ------------------------------------------------------------------ public
    @property
    def allowed(self) -> bool:
        return self._allowed

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def result_text(self) -> str:
        return self._result.text()

    @property
    def note_text(self) -> str:
        """Who may drill here and what a drill does, as the panel says it."""
        return self._note.text()

    @property
    def trip_button(self) -> QPushButton:
        return self._trip

    @property
    def restore_button(self) -> QPushButton:
        return self._restore

    def point_ids(self) -> list[str]:
        return [p.id for p in self._points]

    def drill_state(self, point_id: str) -> bool | None:
        """True tripped, False normal, None not known (the simulators were not asked yet)."""
        return self._states.get(point_id)

    def attach(self, loaded: LoadedSite) -> None:
        """The station runs its simulators: drills can reach them now; read the switches' states
        (not on a console: that would open a connection to a simulator another station owns)."""
        if self._closed:
            return
        self._loaded = loaded
        self._update_buttons()
        if self._allowed and self._points and not self._console:
            ids = self.point_ids()
            self._run("drill-states", lambda: read_switches(loaded, ids), self._on_states)

    def select(self, point_id: str) -> None:
        """Select a point's row, as the operator would by clicking it."""
        for row in range(self._table.rowCount()):
            item = self._table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == point_id:
                self._table.selectRow(row)
                return
        raise KeyError(f"no drillable point {point_id!r}")

    def selected(self) -> str | None:
        rows = self._table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self._table.item(rows[0].row(), 0)
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    @Slot()
    def trip_selected(self) -> None:
        self._drill(True)

    @Slot()
    def restore_selected(self) -> None:
        self._drill(False)

    def shutdown(self) -> None:
        """Abandon a drill in progress (never waits); its answer is ignored. Safe to call twice.

        The drill itself is one request to the simulator with its own timeout: it completes or
        fails on its daemon thread whether or not anyone waits, and the simulator stops right after.
        """
        self._closed = True
        for call in self._calls:
            call.abandon()
        self._calls.clear()

    # ------------------------------------------------------------------ drills
    def _drill(self, on: bool) -> None:
        point_id, loaded = self.selected(), self._loaded
        if point_id is None or loaded is None or self._busy or not self._allowed or self._closed:
            return
        user = DrillOperator(self._user, self._role, self._demo, self._db, self._user_info)
        if self._console:
            point = next(p for p in self._points if p.id == point_id)
            origin = f"console:{self._user}"
            self._show_result(self.tr("Asking the station that owns the simulator…"))
            self._run(f"drill-{point_id}", lambda: request_drill(point, on, user, origin), self._on_requested)
            return
        self._show_result(self.tr("Asking the simulator…"))
        self._run(f"drill-{point_id}", lambda: run_drill(loaded, point_id, on, user), self._on_drilled)

    def _run(self, name: str, fn: Callable[[], object], done: Callable[[object], None]) -> None:
        running = []
        for call in self._calls:
            if call.is_running():
                running.append(call)
            else:
                call.deleteLater()  # a finished call is a QObject child: delete it, or they pile up
        call = BackgroundCall(name, fn, self)
        call.succeeded.connect(done, Qt.ConnectionType.QueuedConnection)
        call.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._calls = [*running, call]
        self._busy = True
        self._update_buttons()
        call.start()

    @Slot(object)
    def _on_states(self, states: object) -> None:
        self._busy = False
        if self._closed or not isinstance(states, dict):
            return
        self._states.update(states)
        self._show_states()
        self._update_buttons()

    @Slot(object)
    def _on_drilled(self, result: object) -> None:
        self._busy = False
        if self._closed or not isinstance(result, drill.DrillResult):
            return
        self._states[result.point_id] = result.on
        where = ", ".join(result.endpoints)
        if result.on:
            text = self.tr("Tripped {point} on the simulator at {where}.")
        else:
            text = self.tr("Restored {point} on the simulator at {where}.")
        self._show_result(text.format(point=result.point_id, where=where))
        self._show_states()
        self._update_buttons()

    @Slot(object)
    def _on_requested(self, result: object) -> None:
        self._busy = False
        if self._closed or not isinstance(result, RequestedDrill):
            return
        if result.done:
            self._states[result.point_id] = result.on
            if result.on:
                text = self.tr("Station {station} tripped {point}.")
            else:
                text = self.tr("Station {station} restored {point}.")
            self._show_result(text.format(station=result.station or "?", point=result.point_id))
        else:
            why = f"{result.status}: {result.reason}" if result.reason else result.status
            self._show_result(self.tr("The drill did not run: {error}").format(error=why))
        self._show_states()
        self._update_buttons()

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self._busy = False
        if self._closed:
            return
        self._show_result(self.tr("The drill did not run: {error}").format(error=error))
        self._update_buttons()

    # ------------------------------------------------------------------ showing
    def _show_result(self, text: str) -> None:
        self._result.setText(text)

    def _update_buttons(self) -> None:
        ready = self._allowed and self._loaded is not None and not self._busy and not self._closed
        chosen = self.selected()
        self._trip.setEnabled(ready and chosen is not None and self._states.get(chosen) is not True)
        self._restore.setEnabled(ready and chosen is not None and self._states.get(chosen) is not False)

    def _show_states(self) -> None:
        words = {True: self.tr("tripped"), False: self.tr("normal"), None: "—"}
        for row, point in enumerate(self._points):
            item = self._table.item(row, 2)
            if item is not None:
                item.setText(words[self._states.get(point.id)])

    def _what_trip_does(self, point: Point) -> str:
        if point.type == "bool":
            limits = {a.limit for a in point.alarms}
            on = "on" in limits or ("off" not in limits and initial_value(point) == 0.0)
            return self.tr("turns on") if on else self.tr("turns off")
        value = f"{trip_target(point):g} {point.unit}".strip()
        if trip_direction(point) == "down":
            return self.tr("falls to {value}").format(value=value)
        return self.tr("rises to {value}").format(value=value)

    def _retranslate(self) -> None:
        self.setTitle(self.tr("Demo drills") if self._demo else self.tr("Drills"))
        if not self._points:
            note = self.tr("This site has no simulated PLC, so there is nothing to drill.")
        elif not self._allowed:
            note = self.tr(
                "Only a supervisor or an administrator may run drills; you are signed in as {role}."
            ).format(role=role_name(self._role))
        elif self._demo:
            note = self.tr(
                "In the demo anyone may run drills. A drill changes only the simulated PLC's values "
                "(a sprinkler opens, a detector sees smoke), never a real plant; watch it on the "
                "Sensors page."
            )
        else:
            note = self.tr(
                "A drill changes only the simulated PLC's values, never a real plant; watch it on the "
                "Sensors page. Drills are logged with your name."
            )
        if self._console and self._points and self._allowed:
            note += " " + self.tr(
                "On this console a drill is a request: the station that runs the simulator carries it "
                "out, and the drill state is not read here."
            )
        self._note.setText(note)
        self._table.setHorizontalHeaderLabels(
            [self.tr("Point"), self.tr("When tripped, it…"), self.tr("Drill state")]
        )
        for row, point in enumerate(self._points):
            item = self._table.item(row, 1)
            if item is not None:
                item.setText(self._what_trip_does(point))
        self._trip.setText(self.tr("Trip"))
        self._restore.setText(self.tr("Restore"))
        self._show_states()
        self._update_buttons()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)

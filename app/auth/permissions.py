"""Who may do what: the one permissions table every service asks (DESIGN §6, §10).

Each row of :data:`TABLE` names the actions it covers and the roles that may do them. Services call
:func:`require` (or :func:`allowed`) with an :class:`Action`; nothing else in ``app/`` or ``ui/`` keeps a
tuple of roles. The GUI may hide a button from :func:`allowed`, but the service checks again.

Demo mode is a mode, not a role: the demo signs in a duty officer automatically and exists to be tried,
so in demo mode drills are open to every role (:data:`DEMO_ALSO`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from models.users import ROLES

DUTY_OFFICER = "duty-officer"
SUPERVISOR = "supervisor"
RECORDS_CLERK = "records-clerk"
ADMINISTRATOR = "administrator"


class Action(StrEnum):
    """Something an operator does that a role may or may not do."""

    ALARM_ACKNOWLEDGE = "alarm.acknowledge"
    ALARM_SILENCE = "alarm.silence"
    ALARM_RESET = "alarm.reset"
    ALARM_NOTE = "alarm.note"
    SNAPSHOT = "snapshot.take"
    ALARM_SHELVE = "alarm.shelve"
    OUT_OF_SERVICE = "point.out-of-service"
    DRILL = "drill.run"
    PRINT_UNMASKED = "report.print-unmasked"
    PLANT_WRITE = "point.write"
    RESIDENTS_VIEW = "residents.view"
    RECORDS_UNMASKED = "records.view-unmasked"
    RECORDS_EDIT = "records.edit"
    RECORDS_IMPORT = "records.import"
    RECORDS_EXPORT = "records.export"
    VOLUNTEER_HOURS_APPROVE = "volunteer-hours.approve"
    INCIDENT_CREATE = "incident.create"
    INCIDENT_NOTE = "incident.note"
    INCIDENT_STATUS = "incident.status"
    INCIDENT_REOPEN = "incident.reopen"
    USERS_MANAGE = "users.manage"
    SETTINGS_EDIT = "settings.edit"
    AUDIT_VIEW = "audit.view"
    ACCESS_VIEW = "access.view"


@dataclass(frozen=True)
class Row:
    """One row of the table: what it covers (in words), its actions, and the roles allowed."""

    text: str
    actions: tuple[Action, ...]
    roles: frozenset[str]


A = Action
TABLE: tuple[Row, ...] = (
    Row(
        "acknowledge, silence, reset, note alarms; snapshots",
        (A.ALARM_ACKNOWLEDGE, A.ALARM_SILENCE, A.ALARM_RESET, A.ALARM_NOTE, A.SNAPSHOT),
        frozenset({DUTY_OFFICER, SUPERVISOR, ADMINISTRATOR}),
    ),
    Row(
        "shelve / out of service; drills on a real site; print unmasked",
        (A.ALARM_SHELVE, A.OUT_OF_SERVICE, A.DRILL, A.PRINT_UNMASKED),
        frozenset({SUPERVISOR, ADMINISTRATOR}),
    ),
    Row(
        "plant write (points marked writable)",
        (A.PLANT_WRITE,),
        frozenset({DUTY_OFFICER, SUPERVISOR, ADMINISTRATOR}),
    ),
    Row(
        "see residents (ID number and phone masked)",
        (A.RESIDENTS_VIEW,),
        frozenset({DUTY_OFFICER, SUPERVISOR, RECORDS_CLERK, ADMINISTRATOR}),
    ),
    Row(
        "see unmasked ID numbers, phones and health tags; edit, import, export records",
        (A.RECORDS_UNMASKED, A.RECORDS_EDIT, A.RECORDS_IMPORT, A.RECORDS_EXPORT),
        frozenset({RECORDS_CLERK, ADMINISTRATOR}),
    ),
    Row(
        "approve volunteer hours",
        (A.VOLUNTEER_HOURS_APPROVE,),
        frozenset({SUPERVISOR, ADMINISTRATOR}),
    ),
    Row(
        "incidents: create, note, change status",
        (A.INCIDENT_CREATE, A.INCIDENT_NOTE, A.INCIDENT_STATUS),
        frozenset({DUTY_OFFICER, SUPERVISOR, ADMINISTRATOR}),
    ),
    Row(
        "reopen a closed incident",
        (A.INCIDENT_REOPEN,),
        frozenset({SUPERVISOR, ADMINISTRATOR}),
    ),
    Row(
        "users and settings",
        (A.USERS_MANAGE, A.SETTINGS_EDIT),
        frozenset({ADMINISTRATOR}),
    ),
    Row(
        "see vehicle access events at the gates (plates, times)",
        (A.ACCESS_VIEW,),
        frozenset({DUTY_OFFICER, SUPERVISOR, ADMINISTRATOR}),
    ),
    Row(
        "see the audit log",
        (A.AUDIT_VIEW,),
        frozenset({SUPERVISOR, ADMINISTRATOR}),
    ),
)
del A

DEMO_ALSO: frozenset[Action] = frozenset({Action.DRILL})
"""Actions every role may do in demo mode (the demo signs in a duty officer to try things)."""

_ROLES_OF: dict[Action, frozenset[str]] = {action: row.roles for row in TABLE for action in row.actions}


def _check_table() -> None:
    missing = set(Action) - set(_ROLES_OF)
    twice = [a for a in Action if sum(a in row.actions for row in TABLE) > 1]
    unknown = {role for row in TABLE for role in row.roles} - set(ROLES)
    if missing or twice or unknown:
        raise RuntimeError(f"permissions table is inconsistent: {missing=} {twice=} {unknown=}")


_check_table()


class HasRole(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


class PermissionRefused(Exception):
    """The user's role may not do the action; the message says so in an operator's words."""

    def __init__(self, user: str, role: str, action: Action) -> None:
        self.user = user
        self.role = role
        self.action = action
        allowed_roles = ", ".join(roles_for(action))
        super().__init__(f"user {user} is a {role}; {describe(action)} needs one of: {allowed_roles}")


def roles_for(action: Action) -> tuple[str, ...]:
    """The roles allowed ``action``, in the order of ``models.users.ROLES``."""
    return tuple(role for role in ROLES if role in _ROLES_OF[action])


def allowed(role: str, action: Action, *, demo: bool = False) -> bool:
    """Whether ``role`` may do ``action`` (in demo mode, also the :data:`DEMO_ALSO` actions)."""
    return role in _ROLES_OF[action] or (demo and action in DEMO_ALSO)


def require(user: HasRole, action: Action, *, demo: bool = False) -> None:
    """Raise :class:`PermissionRefused` unless ``user``'s role may do ``action``."""
    if not allowed(user.role, action, demo=demo):
        raise PermissionRefused(user.name, user.role, action)


_WORDS: dict[Action, str] = {
    Action.PLANT_WRITE: "writing to the plant",
    Action.DRILL: "a drill on a real site",
    Action.USERS_MANAGE: "managing users",
    Action.SETTINGS_EDIT: "changing settings",
    Action.AUDIT_VIEW: "reading the audit log",
    Action.PRINT_UNMASKED: "printing pictures unmasked",
    Action.INCIDENT_REOPEN: "reopening a closed incident",
}


def describe(action: Action) -> str:
    """The action in a few words for a refusal message."""
    return _WORDS.get(action, action.value)

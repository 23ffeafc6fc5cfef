"""Which status moves an incident may make, and what each needs: the one place that decides.

The moves, as the issue gives them: new → in-progress; new → closed (a false alarm, with a reason);
in-progress ↔ on-hold; in-progress or on-hold → closed; closed → in-progress (reopen, by a supervisor
or an administrator). Anything else is refused with words a duty officer understands. Who may change
a status at all is the permissions table's (``incident.status``); reopening additionally needs
``incident.reopen``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.permissions import Action, allowed, roles_for
from models.incidents import INCIDENT_STATUSES


@dataclass(frozen=True)
class Move:
    """A legal move: the permission it needs and whether a reason must be given."""

    action: Action
    needs_reason: bool = False
    words: str = ""


MOVES: dict[tuple[str, str], Move] = {
    ("new", "in-progress"): Move(Action.INCIDENT_STATUS, words="taken in hand"),
    ("new", "closed"): Move(Action.INCIDENT_STATUS, needs_reason=True, words="closed as a false alarm"),
    ("in-progress", "on-hold"): Move(Action.INCIDENT_STATUS, words="put on hold"),
    ("on-hold", "in-progress"): Move(Action.INCIDENT_STATUS, words="resumed"),
    ("in-progress", "closed"): Move(Action.INCIDENT_STATUS, words="closed"),
    ("on-hold", "closed"): Move(Action.INCIDENT_STATUS, words="closed"),
    ("closed", "in-progress"): Move(Action.INCIDENT_REOPEN, words="reopened"),
}


class MoveRefused(Exception):
    """The move is not allowed; the message says why in an operator's words."""


def next_statuses(current: str) -> list[str]:
    """The statuses an incident in ``current`` may move to, in workflow order (for status buttons)."""
    return [to for to in INCIDENT_STATUSES if (current, to) in MOVES]


def check(current: str, to: str, role: str, reason: str) -> Move:
    """The move from ``current`` to ``to`` if ``role`` may make it with this ``reason``; else refuse."""
    if to not in INCIDENT_STATUSES:
        known = ", ".join(INCIDENT_STATUSES)
        raise MoveRefused(f"'{to}' is not an incident status (use one of: {known})")
    if current == to:
        raise MoveRefused(f"the incident is already {current}")
    move = MOVES.get((current, to))
    if move is None:
        possible = ", ".join(next_statuses(current)) or "none"
        raise MoveRefused(f"an incident that is {current} cannot become {to} (it may become: {possible})")
    if not allowed(role, move.action):
        roles = ", ".join(roles_for(move.action))
        raise MoveRefused(
            f"a {role} may not make an incident {to} from {current}; that needs one of: {roles}"
        )
    if move.needs_reason and not reason.strip():
        raise MoveRefused("closing a new incident as a false alarm needs a reason (--reason TEXT)")
    return move

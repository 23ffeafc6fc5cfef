"""Who is looking at records, what they may see, and the audit of what they did.

Every records service takes a :class:`Viewer`; the checks happen here, in the services, so a page that
forgot to hide a button still cannot export. A refusal is audited (``<noun>.<verb>-refused``) in its
own transaction before it is raised, so it is on record even though the work was not done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.audit import chain as audit
from app.auth.permissions import Action, PermissionRefused, allowed
from app.storage.database import Database

MAX_TARGET = 200


@dataclass(frozen=True)
class Viewer:
    """The logged-in operator acting on records (a ``UserInfo`` fits: it has name and role)."""

    name: str
    role: str

    def may(self, action: Action) -> bool:
        return allowed(self.role, action)

    @property
    def unmasked(self) -> bool:
        """Whether ID numbers, phones and health tags are shown in full."""
        return self.may(Action.RECORDS_UNMASKED)


def as_viewer(user: Any) -> Viewer:
    """A :class:`Viewer` from anything with ``name`` and ``role`` (``UserInfo``)."""
    return Viewer(str(user.name), str(user.role))


def require(db: Database, viewer: Viewer, action: Action, refused: str, target: str) -> None:
    """Raise :class:`PermissionRefused` unless ``viewer`` may ``action``; audit the refusal first."""
    if viewer.may(action):
        return
    exc = PermissionRefused(viewer.name, viewer.role, action)
    db.write(lambda s: audit.append(s, viewer.name, refused, target[:MAX_TARGET], {"reason": str(exc)}))
    raise exc

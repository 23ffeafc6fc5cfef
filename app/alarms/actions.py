"""Operator actions on alarms: acknowledge, silence, reset, note, shelve, out of service.

The console and ``wardroom alarms`` call these, so both apply the same rules:

- who may: the permissions table (:mod:`app.auth.permissions`), checked here again even where the
  GUI hid a button;
- whether the action fits the alarm's state: :func:`app.alarms.lifecycle.step`, the one place that
  decides a state change;
- the first commit wins: the state change is a conditional update (:func:`app.alarms.journal.move`),
  decided inside one write transaction (``BEGIN IMMEDIATE`` on SQLite), so a second console or the CLI
  acting on the same alarm at the same moment is told "already acknowledged by X at T";
- the state change, its ``operator_actions`` row and its audit row are written in ONE transaction: all
  three are in the journal, or none is.

Every refusal (role, state, lost race, unknown alarm, a shelf too long, a missing reason) raises
:class:`ActionRefused` with words for the operator, after an ``alarm.<verb>-refused`` audit row written
in a transaction of its own. The station's engine reads the journal every half second and adopts what
was written here, so an action from any process reaches every console within a second.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.alarms import journal
from app.alarms.journal import NewAlarm
from app.alarms.lifecycle import ANNOUNCED, OVERLAYS, Event, Refused, State, Status, step
from app.alarms.views import AlarmView
from app.audit import chain as audit
from app.auth.permissions import Action, PermissionRefused, require
from app.auth.users import UserInfo, site_zone
from app.events import utcnow
from app.storage import bus
from app.storage.database import Database
from models.alarms import AlarmDefinition, AlarmOccurrence, AlarmTransition, OperatorAction
from models.site import SITE_KEY, Point, Site
from models.users import User

Target = int | str
"""An occurrence id (``alarms list``'s ``id``) or an alarm key such as ``"<point>/<limit>"``."""

MAX_AUDIT_TARGET = 200
T = TypeVar("T")

# verb (audit ``alarm.<verb>``, operator_actions.action) -> (permission, lifecycle event)
_VERBS: dict[str, tuple[Action, Event | None]] = {
    "ack": (Action.ALARM_ACKNOWLEDGE, "ack"),
    "silence": (Action.ALARM_SILENCE, None),
    "reset": (Action.ALARM_RESET, "reset"),
    "note": (Action.ALARM_NOTE, None),
    "shelve": (Action.ALARM_SHELVE, "shelve"),
    "unshelve": (Action.ALARM_SHELVE, "unshelve"),
    "out-of-service": (Action.OUT_OF_SERVICE, "out-of-service"),
    "return": (Action.OUT_OF_SERVICE, "return"),
}
_DONE_WORDS: dict[str, str] = {
    "ack": "acknowledged",
    "reset": "reset",
    "shelve": "shelved",
    "unshelve": "unshelved",
    "out-of-service": "taken out of service",
    "return": "returned to service",
}


class ActionRefused(Exception):
    """The action was not done; ``reason`` says why in a duty officer's words (already audited)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refusal(Exception):
    """Raised inside the write transaction (rolling it back); audited and re-raised outside."""

    def __init__(self, reason: str, target: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.target = target


@dataclass(frozen=True)
class SiteRules:
    """The synced site's alarm rules (the database's, so commands need no site file)."""

    timezone: str = "UTC"
    shelve_max_h: float = 8.0
    flood_per_10min: int = 10

    @property
    def zone(self) -> ZoneInfo:
        return site_zone(self.timezone)

    def clock(self, at: datetime) -> str:
        """``at`` on the site's wall clock, e.g. ``2026-12-07 14:05:03``."""
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")


def site_rules(session: Session) -> SiteRules:
    site = session.scalar(select(Site).where(Site.key == SITE_KEY))
    if site is None:
        return SiteRules()
    return SiteRules(site.timezone, site.shelve_max_h, site.flood_per_10min)


def _load(session: Session, occurrence_id: int) -> AlarmOccurrence | None:
    return session.scalar(
        select(AlarmOccurrence)
        .where(AlarmOccurrence.id == occurrence_id)
        .options(
            selectinload(AlarmOccurrence.definition).selectinload(AlarmDefinition.point),
            selectinload(AlarmOccurrence.acknowledged_by),
        )
    )


def _open_by_key(session: Session, key: str) -> AlarmOccurrence | None:
    occ_id = session.scalar(
        select(AlarmOccurrence.id).where(AlarmOccurrence.alarm_key == key, AlarmOccurrence.state != "normal")
    )
    return None if occ_id is None else _load(session, occ_id)


def _status(session: Session, occ: AlarmOccurrence) -> Status:
    """The lifecycle status of an occurrence as the journal knows it.

    Whether the condition is present follows from the state, except under an overlay (shelved, out of
    service, suppressed), where the engine follows the condition without journaling it: there the
    state before the overlay began tells (an alarm shelved while active is taken as still active, so
    unshelving it announces it again rather than losing it).
    """
    latch = bool(occ.definition.latch) if occ.definition is not None else False
    state = occ.state
    if state not in OVERLAYS:
        return Status(state=state, active=state in ("unacknowledged", "acknowledged"), latch=latch)  # type: ignore[arg-type]
    rows = session.execute(
        select(AlarmTransition.from_state, AlarmTransition.to_state)
        .where(AlarmTransition.occurrence_id == occ.id)
        .order_by(AlarmTransition.id.desc())
    ).all()
    active = False
    by_design = state == "suppressed"
    for from_state, to_state in rows:
        if to_state not in OVERLAYS:
            active = to_state in ("unacknowledged", "acknowledged")
            break
        by_design = by_design or from_state == "suppressed"
    return Status(state=state, active=active, latch=latch, suppressed_by_design=by_design)  # type: ignore[arg-type]


def _last_change(session: Session, occ_id: int) -> tuple[str, str | None, datetime] | None:
    """(to_state, by whom, when) of the occurrence's newest transition."""
    row = session.execute(
        select(AlarmTransition.to_state, User.name, AlarmTransition.at)
        .outerjoin(User, User.id == AlarmTransition.by_user_id)
        .where(AlarmTransition.occurrence_id == occ_id)
        .order_by(AlarmTransition.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


class AlarmActions:
    """The operator actions on alarms, for one console position (``position`` names it)."""

    def __init__(self, db: Database, *, position: str = "", clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.position = position
        self.clock = clock

    # ------------------------------------------------------------------------------ queries

    def rules(self) -> SiteRules:
        with self.db.session() as session:
            return site_rules(session)

    # ------------------------------------------------------------------------------ actions

    def acknowledge(self, user: UserInfo, occurrence_id: int, note: str = "") -> AlarmView:
        """Acknowledge one alarm (``note`` is kept on the transition)."""
        details = {"note": note} if note else {}
        return self._change(user, "ack", occurrence_id, note=note, details=details)

    def acknowledge_all(self, user: UserInfo, occurrence_ids: Iterable[int]) -> list[AlarmView]:
        """Acknowledge those of the alarms shown that still need it; return the ones acknowledged.

        Alarms that no longer need it (acknowledged elsewhere meanwhile, ended) are passed over
        without a refusal: the operator asked for "everything shown", not for each one.
        """
        ids = list(dict.fromkeys(occurrence_ids))
        self._permit(user, "ack", "all shown")
        at = self.clock()

        def do(session: Session) -> list[AlarmView]:
            rules = site_rules(session)
            done: list[AlarmView] = []
            for occ_id in ids:
                occ = _load(session, occ_id)
                if occ is None or occ.state not in ANNOUNCED:
                    continue
                done.append(self._apply(session, rules, user, "ack", occ, at, "", {}, None))
            return done

        return self._write(user, "ack", "all shown", do)

    def silence(self, user: UserInfo) -> None:
        """Silence the sound until a new alarm: an action, not a state (journaled and audited)."""
        self._permit(user, "silence", "sound")
        at = self.clock()

        def do(session: Session) -> None:
            self._record(session, user, "silence", at, target="sound", occ=None, details={})

        self._write(user, "silence", "sound", do)

    def reset(self, user: UserInfo, occurrence_id: int) -> AlarmView:
        """Reset a latched alarm whose condition is gone (it ends)."""
        return self._change(user, "reset", occurrence_id)

    def note(self, user: UserInfo, occurrence_id: int, text: str) -> AlarmView:
        """Add a note to an alarm's journal (any state, ended ones included)."""
        target = str(occurrence_id)
        self._permit(user, "note", target)
        text = text.strip()
        at = self.clock()

        def do(session: Session) -> AlarmView:
            if not text:
                raise _Refusal("the note is empty", target)
            occ = _load(session, occurrence_id)
            if occ is None:
                raise _Refusal(f"there is no alarm {occurrence_id}", target)
            self._record(session, user, "note", at, target=occ.alarm_key, occ=occ, details={"text": text})
            view = journal.get(session, occ.id)
            assert view is not None
            return view

        return self._write(user, "note", target, do)

    def shelve(self, user: UserInfo, target: Target, minutes: float, reason: str) -> AlarmView:
        """Shelve for ``minutes`` (at most the site's ``shelve_max_h``) with a reason; ends by itself.

        By key with no open occurrence, the alarm is opened directly shelved.
        """
        reason = reason.strip()

        def check(rules: SiteRules, target_text: str) -> None:
            if not reason:
                raise _Refusal("shelving needs a reason", target_text)
            if minutes <= 0:
                raise _Refusal("shelving needs a duration of more than 0 minutes", target_text)
            if minutes > rules.shelve_max_h * 60:
                raise _Refusal(
                    f"an alarm may be shelved for at most {rules.shelve_max_h:g} hours "
                    f"({rules.shelve_max_h * 60:g} minutes) on this site; {minutes:g} minutes asked",
                    target_text,
                )

        def until(at: datetime) -> datetime:
            return at + timedelta(minutes=minutes)

        return self._change(
            user,
            "shelve",
            target,
            note=reason,
            details={"reason": reason, "minutes": minutes},
            check=check,
            shelved_until=until,
        )

    def unshelve(self, user: UserInfo, target: Target) -> AlarmView:
        return self._change(user, "unshelve", target)

    def out_of_service(self, user: UserInfo, target: Target, reason: str) -> AlarmView:
        """Take an alarm out of service (e.g. before maintenance); by key it may not be raised yet."""
        reason = reason.strip()

        def check(_rules: SiteRules, target_text: str) -> None:
            if not reason:
                raise _Refusal("taking an alarm out of service needs a reason", target_text)

        return self._change(
            user, "out-of-service", target, note=reason, details={"reason": reason}, check=check
        )

    def return_to_service(self, user: UserInfo, target: Target) -> AlarmView:
        return self._change(user, "return", target)

    # ------------------------------------------------------------------------------ the work

    def _change(
        self,
        user: UserInfo,
        verb: str,
        target: Target,
        *,
        note: str = "",
        details: dict[str, Any] | None = None,
        check: Callable[[SiteRules, str], None] | None = None,
        shelved_until: Callable[[datetime], datetime] | None = None,
    ) -> AlarmView:
        target_text = str(target)
        self._permit(user, verb, target_text)
        at = self.clock()
        extra = dict(details or {})

        def do(session: Session) -> AlarmView:
            rules = site_rules(session)
            if check is not None:
                check(rules, target_text)
            until = shelved_until(at) if shelved_until is not None else None
            occ = self._find(session, verb, target)
            if occ is None:
                assert isinstance(target, str)
                return self._open_in_overlay(session, rules, user, verb, target, at, note, extra, until)
            return self._apply(session, rules, user, verb, occ, at, note, extra, until)

        return self._write(user, verb, target_text, do)

    def _find(self, session: Session, verb: str, target: Target) -> AlarmOccurrence | None:
        """The occurrence meant; None only for shelve / out-of-service by key with none open."""
        if isinstance(target, int):
            occ = _load(session, target)
            if occ is None:
                raise _Refusal(f"there is no alarm {target}", str(target))
            if occ.state == "normal" and verb in ("shelve", "out-of-service"):
                hint = f" (use its key {occ.alarm_key})" if occ.definition is not None else ""
                raise _Refusal(
                    f"alarm {target} has ended; a new one would be another alarm{hint}", str(target)
                )
            return occ
        occ = _open_by_key(session, target)
        if occ is None and verb not in ("shelve", "out-of-service"):
            raise _Refusal(f"alarm {target} is not open (nothing to {verb.replace('-', ' ')})", target)
        return occ

    def _apply(
        self,
        session: Session,
        rules: SiteRules,
        user: UserInfo,
        verb: str,
        occ: AlarmOccurrence,
        at: datetime,
        note: str,
        details: dict[str, Any],
        until: datetime | None,
    ) -> AlarmView:
        event = _VERBS[verb][1]
        assert event is not None
        status = _status(session, occ)
        try:
            new_state: State = step(status, event).status.state
        except Refused as exc:
            raise _Refusal(self._refused_words(session, rules, verb, occ, str(exc)), occ.alarm_key) from exc
        fields: dict[str, Any] = {}
        if verb == "ack":
            fields.update(acknowledged_at=at, acknowledged_by_id=user.id)
        if verb == "shelve":
            fields["shelved_until"] = until
        if verb == "unshelve":
            fields["shelved_until"] = None
        if new_state == "normal":
            fields["cleared_at"] = at
            if occ.returned_at is None:
                fields["returned_at"] = at
        moved = journal.move(
            session,
            occ.id,
            occ.state,
            new_state,
            at,
            by_user_id=user.id,
            by_name=user.name,
            note=note,
            fields=fields,
        )
        if moved is None:  # someone else's commit came first (PostgreSQL; SQLite serialises writes)
            session.expire_all()
            fresh = _load(session, occ.id)
            assert fresh is not None
            raise _Refusal(
                self._refused_words(session, rules, verb, fresh, f"it is now {fresh.state}"), occ.alarm_key
            )
        view, _transition = moved
        details = {**details, "from": occ.state, "to": new_state}
        if until is not None:
            details["until"] = until.isoformat()
        self._record(session, user, verb, at, target=occ.alarm_key, occ=occ, details=details)
        return view

    def _open_in_overlay(
        self,
        session: Session,
        rules: SiteRules,
        user: UserInfo,
        verb: str,
        key: str,
        at: datetime,
        note: str,
        details: dict[str, Any],
        until: datetime | None,
    ) -> AlarmView:
        """Shelve / take out of service an alarm that is not raised: open it in that state."""
        definition = session.scalar(
            select(AlarmDefinition)
            .where(AlarmDefinition.key == key)
            .options(selectinload(AlarmDefinition.point).selectinload(Point.building))
        )
        if definition is None or definition.retired:
            raise _Refusal(
                f"there is no open alarm {key} and no alarm definition {key} "
                "(a definition key is <point>/<limit>, e.g. b3.smoke/on)",
                key,
            )
        point = definition.point
        state = "shelved" if verb == "shelve" else "out-of-service"
        new = NewAlarm(
            key=key,
            source=f"point:{point.key}",
            category=definition.category,
            priority=definition.priority,
            message=definition.message or f"{point.key}: {definition.limit} alarm ({point.kind})",
            state=state,
            building=point.building.key if point.building is not None else None,
            definition_key=key,
            shelved_until=until,
        )
        view, transition = journal.raise_alarm(
            session, new, at, note=note, by_user_id=user.id, by_name=user.name
        )
        if transition is None:  # opened meanwhile (another station, PostgreSQL): act on that one
            occ = _load(session, view.id or 0)
            assert occ is not None
            return self._apply(session, rules, user, verb, occ, at, note, details, until)
        occ = _load(session, view.id or 0)
        details = {**details, "from": "normal", "to": state, "opened": True}
        if until is not None:
            details["until"] = until.isoformat()
        self._record(session, user, verb, at, target=key, occ=occ, details=details)
        return view

    def _refused_words(
        self, session: Session, rules: SiteRules, verb: str, occ: AlarmOccurrence, why: str
    ) -> str:
        """The words of a refusal: "already acknowledged by X at T (site time)" and its kin."""
        if verb == "ack" and occ.acknowledged_at is not None:
            who = f" by {occ.acknowledged_by.name}" if occ.acknowledged_by is not None else ""
            return f"already acknowledged{who} at {rules.clock(occ.acknowledged_at)} (site time)"
        last = _last_change(session, occ.id)
        about_condition = why.startswith(("its condition", "acknowledge it first"))
        if last is not None and last[1] is not None and not about_condition:
            to_state, name, when = last
            return f"{why}: made {to_state} by {name} at {rules.clock(when)} (site time)"
        return why

    def _record(
        self,
        session: Session,
        user: UserInfo,
        verb: str,
        at: datetime,
        *,
        target: str,
        occ: AlarmOccurrence | None,
        details: dict[str, Any],
    ) -> None:
        """The operations-journal row and the audit row of an action, in the caller's transaction."""
        session.add(
            OperatorAction(
                at=at,
                user_id=user.id,
                position=self.position,
                action=verb,
                target=target,
                occurrence_id=occ.id if occ is not None else None,
                details=json.dumps(details, ensure_ascii=False, default=str),
            )
        )
        session.flush()
        audit_details = dict(details)
        if occ is not None:
            audit_details["occurrence"] = occ.id
        if self.position:
            audit_details["position"] = self.position
        audit.append(
            session, user.name, f"alarm.{verb}", target=target[:MAX_AUDIT_TARGET], details=audit_details
        )

    def _permit(self, user: UserInfo, verb: str, target: str) -> None:
        try:
            require(user, _VERBS[verb][0])
        except PermissionRefused as exc:
            self._refuse(user, verb, target, str(exc))

    def _refuse(self, user: UserInfo, verb: str, target: str, reason: str) -> NoReturn:
        details: dict[str, Any] = {"reason": reason}
        if self.position:
            details["position"] = self.position
        self.db.write(
            lambda s: audit.append(
                s, user.name, f"alarm.{verb}-refused", target=target[:MAX_AUDIT_TARGET], details=details
            )
        )
        raise ActionRefused(reason)

    def _write(self, user: UserInfo, verb: str, target: str, fn: Callable[[Session], T]) -> T:
        def ordered(session: Session) -> T:
            bus.serialize(session)  # before any row lock: transitions commit in id order
            result = fn(session)
            bus.notify(session, "alarms")
            return result

        try:
            return self.db.write(ordered)
        except _Refusal as refusal:
            self._refuse(user, verb, refusal.target or target, refusal.reason)


def refuse_login(db: Database, name: str, verb: str, target: str, reason: str) -> None:
    """Audit ``alarm.<verb>-refused`` for an operator whose login failed (the CLI's ``--user``)."""
    db.write(
        lambda s: audit.append(
            s,
            name or "anonymous",
            f"alarm.{verb}-refused",
            target=target[:MAX_AUDIT_TARGET],
            details={"reason": reason},
        )
    )


def done_words(verb: str) -> str:
    """The past tense of a verb for a confirmation line ("acknowledged", "returned to service")."""
    return _DONE_WORDS.get(verb, verb)

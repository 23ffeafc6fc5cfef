"""The ISA-18.2 / IEC 62682 lifecycle of one alarm occurrence, as a pure function.

The engine, the operator actions and every console decide a state change through :func:`step` and
nothing else, so the rules (what acknowledging a returned alarm does, when a fire alarm latches,
what a shelf hides) exist once and can be checked exhaustively without a database or a clock.

An occurrence is in exactly one of the states of ``models.alarms.ALARM_STATES``. Three of them are
*overlays* an operator or the design puts over the alarm (``shelved``, ``out-of-service``,
``suppressed``): while one holds, the condition is still followed (``Status.active``) but nothing is
announced, and when it ends the alarm comes back as its condition is then: ``unacknowledged`` if
active (announced again), else ``normal``. ``normal`` ends an occurrence: a later activation is a
new occurrence.

Latching (fire alarms by default): the condition going away does not end the alarm; after it is
acknowledged and its condition is gone it waits in ``latched`` until an operator resets it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

State = Literal[
    "normal",
    "unacknowledged",
    "acknowledged",
    "rtn-unacknowledged",
    "latched",
    "shelved",
    "suppressed",
    "out-of-service",
]
Event = Literal[
    "activate",  # the condition is present (after its on-delay)
    "clear",  # the condition is gone (after its off-delay and deadband)
    "ack",
    "reset",
    "shelve",
    "unshelve",
    "shelf-expired",
    "out-of-service",
    "return",
    "suppress",  # suppressed by design (suppress_when point on)
    "unsuppress",
]

OVERLAYS: frozenset[str] = frozenset({"shelved", "suppressed", "out-of-service"})
ANNOUNCED: frozenset[str] = frozenset({"unacknowledged", "rtn-unacknowledged"})
"""States that need an operator's acknowledgement (they flash and sound)."""
OPEN_STATES: frozenset[str] = frozenset(
    {"unacknowledged", "acknowledged", "rtn-unacknowledged", "latched", *OVERLAYS}
)
"""Every state of an occurrence that has not ended."""
OPERATOR_EVENTS: frozenset[str] = frozenset(
    {"ack", "reset", "shelve", "unshelve", "out-of-service", "return"}
)

# Every (from, to) pair that may ever be journaled; the tests hold step() to it.
LEGAL: frozenset[tuple[str, str]] = frozenset(
    {
        ("normal", "unacknowledged"),
        ("unacknowledged", "acknowledged"),
        ("unacknowledged", "rtn-unacknowledged"),
        ("acknowledged", "normal"),
        ("acknowledged", "latched"),
        ("rtn-unacknowledged", "unacknowledged"),
        ("rtn-unacknowledged", "normal"),
        ("rtn-unacknowledged", "latched"),
        ("latched", "normal"),
        ("latched", "unacknowledged"),
        *(
            (s, "shelved")
            for s in (
                "normal",
                "unacknowledged",
                "acknowledged",
                "rtn-unacknowledged",
                "latched",
                "suppressed",
            )
        ),
        *(
            (s, "out-of-service")
            for s in (
                "normal",
                "unacknowledged",
                "acknowledged",
                "rtn-unacknowledged",
                "latched",
                "shelved",
                "suppressed",
            )
        ),
        *(
            (s, "suppressed")
            for s in ("normal", "unacknowledged", "acknowledged", "rtn-unacknowledged", "latched")
        ),
        *((s, t) for s in OVERLAYS for t in ("unacknowledged", "normal")),
        ("shelved", "suppressed"),
        ("out-of-service", "suppressed"),
    }
)


@dataclass(frozen=True)
class Status:
    """What the lifecycle needs to know of one alarm: its state, its condition, whether it latches.

    ``suppressed_by_design`` remembers a ``suppress_when`` that holds while a shelf or an
    out-of-service is on top of it, so ending those returns the alarm to ``suppressed``.
    """

    state: State = "normal"
    active: bool = False
    latch: bool = False
    suppressed_by_design: bool = False


@dataclass(frozen=True)
class Step:
    """The outcome of one event: the new status, and whether its state changed (a transition)."""

    status: Status
    changed: bool


class Refused(Exception):
    """An operator action that does not fit the alarm's state; the message is for the operator."""


def _back_from_overlay(status: Status) -> Status:
    """Where an alarm goes when a shelf, out-of-service or suppression ends: as its condition is."""
    if status.suppressed_by_design:
        return replace(status, state="suppressed")
    return replace(status, state="unacknowledged" if status.active else "normal")


def step(status: Status, event: Event) -> Step:
    """Apply one event; return the new status. Raise :class:`Refused` for an operator action that
    does not fit (acknowledging an acknowledged alarm, resetting one whose condition persists...).

    Condition and design events never raise: they are facts, and an overlay absorbs them.
    """
    state = status.state
    new = _next(status, event)
    return Step(new, new.state != state)


def _next(s: Status, event: Event) -> Status:
    state = s.state
    if event == "activate":
        s = replace(s, active=True)
        if state == "normal" and s.suppressed_by_design:
            return replace(s, state="suppressed")
        if state in ("normal", "rtn-unacknowledged", "latched"):
            return replace(s, state="unacknowledged")
        return s
    if event == "clear":
        s = replace(s, active=False)
        if state == "unacknowledged":
            return replace(s, state="rtn-unacknowledged")
        if state == "acknowledged":
            return replace(s, state="latched" if s.latch else "normal")
        return s
    if event == "ack":
        if state == "unacknowledged":
            return replace(s, state="acknowledged")
        if state == "rtn-unacknowledged":
            return replace(s, state="latched" if s.latch else "normal")
        if state in ("acknowledged", "latched"):
            raise Refused("already acknowledged")
        raise Refused(f"an alarm that is {state} cannot be acknowledged")
    if event == "reset":
        if state == "latched":
            return replace(s, state="normal")
        if state in ("acknowledged", "unacknowledged") and s.active:
            raise Refused("its condition is still present: it can be reset once it has cleared")
        if state == "rtn-unacknowledged":
            raise Refused("acknowledge it first")
        raise Refused(f"only a latched alarm can be reset; this one is {state}")
    if event == "shelve":
        if state in ("shelved", "out-of-service"):
            raise Refused(f"already {state}")
        return replace(
            s, state="shelved", suppressed_by_design=s.suppressed_by_design or state == "suppressed"
        )
    if event in ("unshelve", "shelf-expired"):
        if state != "shelved":
            if event == "shelf-expired":
                return s
            raise Refused(f"not shelved (it is {state})")
        return _back_from_overlay(s)
    if event == "out-of-service":
        if state == "out-of-service":
            raise Refused("already out of service")
        return replace(
            s, state="out-of-service", suppressed_by_design=s.suppressed_by_design or state == "suppressed"
        )
    if event == "return":
        if state != "out-of-service":
            raise Refused(f"not out of service (it is {state})")
        return _back_from_overlay(s)
    if event == "suppress":
        s = replace(s, suppressed_by_design=True)
        if state in ("shelved", "out-of-service", "suppressed") or (state == "normal" and not s.active):
            return s  # a quiet alarm needs no occurrence to be suppressed: it is remembered
        return replace(s, state="suppressed")
    if event == "unsuppress":
        s = replace(s, suppressed_by_design=False)
        if state == "suppressed":
            return _back_from_overlay(s)
        return s
    raise ValueError(f"unknown alarm event {event!r}")

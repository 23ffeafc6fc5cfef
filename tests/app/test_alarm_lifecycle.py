"""The ISA-18.2 lifecycle (app.alarms.lifecycle) over random sequences of conditions and actions."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from app.alarms.lifecycle import LEGAL, Refused, Status, step
from models.alarms import ALARM_STATES

ALL_EVENTS = (
    "activate", "clear", "ack", "reset", "shelve", "unshelve", "shelf-expired",
    "out-of-service", "return", "suppress", "unsuppress",
)


def run(status: Status, *events: str) -> Status:
    for event in events:
        status = step(status, event).status  # type: ignore[arg-type]
    return status


def test_every_state_of_the_lifecycle_is_a_state_the_journal_accepts() -> None:
    assert {s for pair in LEGAL for s in pair} == set(ALARM_STATES)


def test_the_textbook_cycle() -> None:
    s = run(Status(), "activate")
    assert s.state == "unacknowledged"
    assert run(s, "ack").state == "acknowledged"
    assert run(s, "ack", "clear").state == "normal"
    assert run(s, "clear").state == "rtn-unacknowledged"
    assert run(s, "clear", "ack").state == "normal"
    assert run(s, "clear", "activate").state == "unacknowledged"


def test_a_latching_alarm_waits_for_reset_after_ack_and_clear() -> None:
    s = run(Status(latch=True), "activate", "ack", "clear")
    assert s.state == "latched"
    assert run(Status(latch=True), "activate", "clear", "ack").state == "latched"
    assert run(s, "reset").state == "normal"
    with pytest.raises(Refused, match="still present"):
        run(Status(latch=True), "activate", "ack", "reset")


def test_acknowledging_twice_is_refused_with_a_reason() -> None:
    s = run(Status(), "activate", "ack")
    with pytest.raises(Refused, match="already acknowledged"):
        step(s, "ack")


def test_a_shelf_hides_the_condition_and_returns_the_alarm_as_it_is_then() -> None:
    s = run(Status(), "activate", "shelve")
    assert s.state == "shelved"
    assert run(s, "clear", "shelf-expired").state == "normal"
    assert run(s, "shelf-expired").state == "unacknowledged"  # still active: announced again
    assert run(Status(), "shelve", "activate", "unshelve").state == "unacknowledged"


def test_out_of_service_and_suppression_nest() -> None:
    s = run(Status(), "activate", "suppress")
    assert s.state == "suppressed"
    s = run(s, "out-of-service")
    assert s.state == "out-of-service"
    assert run(s, "return").state == "suppressed"  # the design suppression still holds
    assert run(s, "unsuppress", "return").state == "unacknowledged"


class Lifecycle(RuleBasedStateMachine):
    """Random conditions, qualities (no event at all while a value is not good) and operator acts."""

    def __init__(self) -> None:
        super().__init__()
        self.status = Status()
        self.latch = False
        self.journal: list[tuple[str, str, str]] = []
        self.seen: set[str] = {"normal"}

    @rule(latch=st.booleans())
    def new_alarm(self, latch: bool) -> None:
        if self.status.state == "normal":
            self.status = Status(latch=latch)

    @rule(event=st.sampled_from(ALL_EVENTS))
    def apply(self, event: str) -> None:
        before = self.status
        try:
            result = step(before, event)  # type: ignore[arg-type]
        except Refused:
            assert event in ("ack", "reset", "shelve", "unshelve", "out-of-service", "return")
            return
        after = result.status
        assert result.changed == (after.state != before.state)
        if result.changed:
            assert (before.state, after.state) in LEGAL, (before, event, after)
            self.journal.append((before.state, event, after.state))
            # A latched alarm ends only by an operator's reset, and only with its condition gone.
            if before.state == "latched" and after.state == "normal":
                assert event == "reset" and not after.active
            # A latching alarm never ends straight from acknowledged or returned-unacknowledged.
            if before.latch and before.state in ("acknowledged", "rtn-unacknowledged"):
                assert after.state != "normal"
            # A shelf ends by itself when it expires.
            if event == "shelf-expired":
                assert before.state == "shelved" and after.state != "shelved"
        elif event == "shelf-expired":
            assert before.state != "shelved"
        self.status = after
        self.seen.add(after.state)

    @invariant()
    def announced_means_unacknowledged(self) -> None:
        s = self.status
        if s.state == "unacknowledged":
            assert s.active
        if s.state == "rtn-unacknowledged":
            assert not s.active
        if s.state == "latched":
            assert s.latch and not s.active
        if s.state == "suppressed":
            assert s.suppressed_by_design


def test_a_quiet_suppressed_alarm_opens_no_occurrence_until_it_activates() -> None:
    s = run(Status(), "suppress")
    assert s.state == "normal" and s.suppressed_by_design
    s = run(s, "activate")
    assert s.state == "suppressed"  # recorded, never announced
    assert run(s, "clear", "unsuppress").state == "normal"
    assert run(s, "unsuppress").state == "unacknowledged"


def test_random_walks_reach_every_state() -> None:
    """The walk is not stuck near ``normal``: every state is reached by some short sequence."""
    import random

    rng = random.Random(7)
    seen: set[str] = set()
    for _ in range(200):
        status = Status(latch=rng.random() < 0.5)
        for _ in range(30):
            try:
                status = step(status, rng.choice(ALL_EVENTS)).status  # type: ignore[arg-type]
            except Refused:
                continue
            seen.add(status.state)
    assert seen == set(ALARM_STATES)


Lifecycle.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
test_lifecycle_state_machine = Lifecycle.TestCase

"""The real engine and journal driven by hypothesis: random values, qualities and operator actions.

Each example runs an AlarmEngine on a fresh SQLite journal. After every step the journal is checked:
no transition outside the lifecycle's legal moves, every transition was in the journal when it was
published, a latched alarm ended only by an operator's reset with its condition gone, and no alarm
has two open occurrences.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from app.alarms import journal
from app.alarms.actions import ActionRefused, AlarmActions
from app.alarms.engine import AlarmEngine
from app.alarms.lifecycle import LEGAL
from app.auth.users import UserService
from app.events import EventBus
from models.alarms import AlarmOccurrence, AlarmTransition
from tests.app.alarm_support import Recorder, open_db, reading, write_site

QUALITIES = ("good", "good", "good", "comm-fail", "stale", "never-read", "out-of-range")


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="alarm-machine-"))
        self.site = write_site(self.folder)
        self.db = open_db(self.folder, self.site)
        self.user = UserService(self.db).add("sam", "supervisor", "a long passphrase 1")
        self.actions = AlarmActions(self.db)
        self.bus = EventBus()
        self.recorder = Recorder(self.bus, self.db)
        self.engine = AlarmEngine(self.site, self.db, self.bus)
        self.engine.start()

    def teardown(self) -> None:
        self.engine.stop()
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(value=st.sampled_from([0.02, 0.07, 0.105, 0.5]), quality=st.sampled_from(QUALITIES))
    def pressure(self, value: float, quality: str) -> None:
        self.bus.publish(reading("b3.pressure", value, quality))

    @rule(on=st.booleans(), quality=st.sampled_from(QUALITIES))
    def smoke(self, on: bool, quality: str) -> None:
        self.bus.publish(reading("b3.smoke", on, quality))

    @rule(on=st.booleans())
    def zone_test_switch(self, on: bool) -> None:
        self.bus.publish(reading("b3.zone-test", on))

    @rule(on=st.booleans())
    def heat(self, on: bool) -> None:
        self.bus.publish(reading("b3.heat", on))

    def _open(self) -> list[int]:
        with self.db.session() as session:
            return [v.id for v in journal.open_alarms(session) if v.id is not None]

    @rule(data=st.data(), verb=st.sampled_from(["ack", "reset", "shelve", "unshelve", "oos", "return"]))
    def operator(self, data: st.DataObject, verb: str) -> None:
        self.engine.drain()
        ids = self._open()
        if not ids:
            return
        target = data.draw(st.sampled_from(ids))
        try:
            if verb == "ack":
                self.actions.acknowledge(self.user, target)
            elif verb == "reset":
                self.actions.reset(self.user, target)
            elif verb == "shelve":
                self.actions.shelve(self.user, target, 30, "maintenance")
            elif verb == "unshelve":
                self.actions.unshelve(self.user, target)
            elif verb == "oos":
                self.actions.out_of_service(self.user, target, "maintenance")
            else:
                self.actions.return_to_service(self.user, target)
        except ActionRefused:
            pass  # an action that does not fit the state is refused (and audited): a fact, not a bug

    @invariant()
    def journal_holds(self) -> None:
        assert self.engine.drain()
        assert not self.recorder.unjournaled, self.recorder.unjournaled[:3]
        with self.db.session() as session:
            rows = session.execute(
                select(AlarmTransition.from_state, AlarmTransition.to_state, AlarmTransition.by_user_id)
            ).all()
            open_keys = session.scalars(
                select(AlarmOccurrence.alarm_key).where(AlarmOccurrence.state != "normal")
            ).all()
        for from_state, to_state, by in rows:
            assert (from_state, to_state) in LEGAL, (from_state, to_state)
            if from_state == "latched" and to_state == "normal":
                assert by is not None  # only an operator's reset ends a latched alarm
        assert len(open_keys) == len(set(open_keys))


EngineMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_engine_over_random_sequences = EngineMachine.TestCase

"""The annunciation rule (app.alarms.annunciator) and the tones it names (tools/make_sounds.py)."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from app.alarms.annunciator import TONES, Annunciator
from models.alarms import ALARM_STATES, PRIORITIES

REPO = Path(__file__).resolve().parents[2]
SOUNDS = REPO / "resources" / "sounds"
SILENT_STATES = [s for s in ALARM_STATES if s not in ("unacknowledged", "rtn-unacknowledged")]


# ------------------------------------------------------------------ the rule, case by case
def test_nothing_sounds_without_alarms() -> None:
    a = Annunciator()
    assert a.tone is None
    assert not a.sounding
    assert a.chime_serial == 0


@pytest.mark.parametrize("priority", PRIORITIES)
def test_an_unacknowledged_alarm_sounds_its_priority(priority: str) -> None:
    a = Annunciator()
    a.update("o1", priority, "unacknowledged")
    assert a.tone == priority
    assert a.sounding


def test_the_highest_unacknowledged_priority_sounds() -> None:
    a = Annunciator()
    a.update("low", "low", "unacknowledged")
    a.update("high", "high", "unacknowledged")
    assert a.tone == "high"
    a.update("fire", "fire", "unacknowledged")
    assert a.tone == "fire"
    a.update("urgent", "urgent", "unacknowledged")
    assert a.tone == "fire"
    a.update("fire", "fire", "acknowledged")
    assert a.tone == "urgent"


def test_a_returned_unacknowledged_alarm_still_sounds() -> None:
    a = Annunciator()
    a.update("o1", "high", "unacknowledged")
    a.update("o1", "high", "rtn-unacknowledged")
    assert a.tone == "high"
    a.update("o2", "urgent", "rtn-unacknowledged")  # restored from the journal as returned
    assert a.tone == "urgent"


@pytest.mark.parametrize("state", SILENT_STATES)
def test_states_that_need_no_acknowledgement_are_silent(state: str) -> None:
    a = Annunciator()
    a.update("o1", "fire", state)
    assert a.tone is None
    a.update("o2", "fire", "unacknowledged")
    a.update("o2", "fire", state)
    assert a.tone is None


def test_acknowledging_the_last_alarm_stops_the_sound() -> None:
    a = Annunciator()
    a.update("o1", "fire", "unacknowledged")
    a.update("o2", "medium", "unacknowledged")
    a.update("o1", "fire", "acknowledged")
    assert a.tone == "medium"
    a.update("o2", "medium", "acknowledged")
    assert a.tone is None
    assert a.waiting == frozenset()


def test_acknowledging_a_returned_alarm_ends_it_and_the_sound() -> None:
    a = Annunciator()
    a.update("o1", "fire", "unacknowledged")
    a.update("o1", "fire", "rtn-unacknowledged")
    a.update("o1", "fire", "normal")
    assert a.tone is None
    a.remove("o1")
    assert a.tone is None


def test_silence_stops_the_sound_until_a_new_alarm() -> None:
    a = Annunciator()
    a.update("o1", "fire", "unacknowledged")
    a.update("o2", "high", "unacknowledged")
    a.silence()
    assert a.tone is None
    assert a.silenced == {"o1", "o2"}
    a.update("o1", "fire", "rtn-unacknowledged")  # same alarm, condition gone: no new alarm
    a.update("o2", "urgent", "unacknowledged")  # a priority change is no new alarm either
    assert a.tone is None
    a.update("o3", "high", "unacknowledged")  # new: sounds, with its own tone
    assert a.tone == "high"


def test_alarms_silenced_before_stay_silent_when_a_new_one_sounds() -> None:
    a = Annunciator()
    a.update("fire", "fire", "unacknowledged")
    a.silence()
    a.update("later", "low", "unacknowledged")
    assert a.tone == "low"  # the highest *unsilenced* priority
    a.update("later", "low", "acknowledged")
    assert a.tone is None  # the fire is still silenced and still waits for acknowledgement
    assert a.waiting == {"fire"}


def test_an_alarm_acknowledged_and_active_again_is_new() -> None:
    a = Annunciator()
    a.update("o1", "urgent", "unacknowledged")
    a.silence()
    a.update("o1", "urgent", "acknowledged")
    a.update("o1", "urgent", "unacknowledged")
    assert a.tone == "urgent"


def test_a_returned_alarm_whose_condition_comes_back_is_new() -> None:
    a = Annunciator()
    a.update("o1", "high", "unacknowledged")
    a.update("o1", "high", "rtn-unacknowledged")
    a.silence()
    assert a.tone is None
    a.update("o1", "high", "unacknowledged")
    assert a.tone == "high"


@pytest.mark.parametrize("overlay", ["shelved", "out-of-service", "suppressed"])
def test_an_alarm_back_from_an_overlay_is_new(overlay: str) -> None:
    a = Annunciator()
    a.update("o1", "fire", "unacknowledged")
    a.silence()
    a.update("o1", "fire", overlay)
    a.update("o1", "fire", "unacknowledged")
    assert a.tone == "fire"


def test_silence_with_nothing_waiting_does_not_silence_later_alarms() -> None:
    a = Annunciator()
    a.silence()
    a.update("o1", "urgent", "unacknowledged")
    assert a.tone == "urgent"


def test_reannounce_sounds_a_silenced_waiting_alarm_only() -> None:
    a = Annunciator()
    a.update("o1", "high", "unacknowledged")
    a.update("o2", "fire", "acknowledged")
    a.silence()
    a.reannounce("o2")  # acknowledged: nothing to announce
    a.reannounce("unknown")
    assert a.tone is None
    a.reannounce("o1")
    assert a.tone == "high"


def test_remove_and_clear_forget_alarms() -> None:
    a = Annunciator()
    a.update("o1", "fire", "unacknowledged")
    a.update("o2", "low", "unacknowledged")
    a.remove("o1")
    assert a.tone == "low"
    a.remove("o1")  # twice is fine
    a.clear()
    assert a.tone is None
    a.update("o1", "fire", "unacknowledged")  # forgotten: new again
    assert a.tone == "fire"


def test_the_chime_serial_counts_new_medium_and_low_alarms() -> None:
    a = Annunciator()
    a.update("m", "medium", "unacknowledged")
    assert a.chime_serial == 1
    a.update("m", "medium", "unacknowledged")  # the same alarm told again
    a.update("m", "medium", "rtn-unacknowledged")
    assert a.chime_serial == 1
    a.update("l", "low", "unacknowledged")
    assert a.chime_serial == 2
    a.update("h", "high", "unacknowledged")  # a looping tone: no chime
    assert a.chime_serial == 2
    a.update("m", "medium", "unacknowledged")  # back before acknowledgement: new
    assert a.chime_serial == 3
    a.update("m", "medium", "acknowledged")
    a.update("m", "medium", "unacknowledged")
    assert a.chime_serial == 4
    a.silence()
    assert a.chime_serial == 4


def test_on_change_reports_each_change_once() -> None:
    calls: list[tuple[str | None, int]] = []
    a = Annunciator(on_change=lambda tone, serial: calls.append((tone, serial)))
    a.update("o1", "fire", "unacknowledged")
    a.update("o1", "fire", "unacknowledged")  # no change
    a.update("o2", "low", "unacknowledged")  # the serial changes under a fire tone
    a.silence()
    a.update("o1", "fire", "acknowledged")  # silenced already: no change
    a.update("o3", "medium", "unacknowledged")
    assert calls == [("fire", 0), ("fire", 1), (None, 1), ("medium", 2)]


def test_unknown_priorities_and_states_are_refused() -> None:
    a = Annunciator()
    with pytest.raises(ValueError, match="priority"):
        a.update("o1", "critical", "unacknowledged")
    with pytest.raises(ValueError, match="state"):
        a.update("o1", "fire", "ringing")
    assert a.tone is None


def test_tones_are_the_priorities_loudest_first() -> None:
    assert TONES == PRIORITIES


# ------------------------------------------------------------------ the rule, at random
IDS = st.sampled_from(["a", "b", "c", "d"])


class AnnunciatorMachine(RuleBasedStateMachine):
    """The rule as the issue words it, kept beside the annunciator and compared after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.a = Annunciator()
        self.state: dict[str, str] = {}
        self.priority: dict[str, str] = {}
        self.quiet: set[str] = set()  # silenced and not announced since
        self.chimes = 0

    def waiting(self) -> set[str]:
        return {k for k, s in self.state.items() if s in ("unacknowledged", "rtn-unacknowledged")}

    @rule(key=IDS, priority=st.sampled_from(PRIORITIES), state=st.sampled_from(ALARM_STATES))
    def update(self, key: str, priority: str, state: str) -> None:
        before = self.state.get(key, "normal")
        was_waiting = key in self.waiting()
        new = state == "unacknowledged" and (not was_waiting or before == "rtn-unacknowledged")
        new = new or (state == "rtn-unacknowledged" and not was_waiting)
        self.state[key] = state
        self.priority[key] = priority
        if new:
            self.quiet.discard(key)
            self.chimes += priority in ("medium", "low")
        self.a.update(key, priority, state)

    @rule(key=IDS)
    def remove(self, key: str) -> None:
        self.state.pop(key, None)
        self.quiet.discard(key)
        self.a.remove(key)

    @rule()
    def silence(self) -> None:
        self.quiet = self.waiting()
        self.a.silence()
        assert self.a.tone is None

    @precondition(lambda self: bool(self.waiting()))
    @rule(data=st.data())
    def reannounce(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.waiting())))
        self.quiet.discard(key)
        self.chimes += self.priority[key] in ("medium", "low")
        self.a.reannounce(key)

    @invariant()
    def the_loudest_unsilenced_waiting_alarm_sounds(self) -> None:
        loud = [self.priority[k] for k in self.waiting() - self.quiet]
        expected = min(loud, key=PRIORITIES.index) if loud else None
        assert self.a.tone == expected
        assert self.a.waiting == self.waiting()

    @invariant()
    def one_chime_per_new_medium_or_low_alarm(self) -> None:
        assert self.a.chime_serial == self.chimes


AnnunciatorMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40)
TestAnnunciatorMachine = AnnunciatorMachine.TestCase


# ------------------------------------------------------------------ the sound files
SOUND_FILES = ("fire.wav", "urgent.wav", "high.wav", "chime.wav")


def test_the_committed_sounds_are_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "sounds"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "make_sounds.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(SOUND_FILES)
    assert sorted(p.name for p in SOUNDS.iterdir()) == sorted(SOUND_FILES)
    for name in SOUND_FILES:
        assert (out / name).read_bytes() == (SOUNDS / name).read_bytes(), (
            f"resources/sounds/{name} differs from what tools/make_sounds.py writes: run it and commit"
        )


@pytest.mark.parametrize("name", SOUND_FILES)
def test_sounds_are_small_16_bit_mono_pcm(name: str) -> None:
    path = SOUNDS / name
    assert path.stat().st_size < 200_000
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (1, 2, "NONE")
        assert w.getframerate() in (22_050, 44_100)
        assert 0.5 <= w.getnframes() / w.getframerate() <= 2.0


def test_the_fire_tone_is_loud_and_continuous() -> None:
    with wave.open(str(SOUNDS / "fire.wav"), "rb") as w:
        frames = w.readframes(w.getnframes())
    samples = memoryview(frames).cast("h")
    peak = max(abs(s) for s in samples)
    assert peak > 0.9 * 32_767
    # No gap anywhere (continuous): every 10 ms window carries sound.
    window = 220
    quietest = min(
        max(abs(s) for s in samples[i : i + window]) for i in range(0, len(samples) - window, window)
    )
    assert quietest > 0.5 * peak
    assert samples[0] == 0  # starts at phase zero, where the last cycle ends: loops without a click

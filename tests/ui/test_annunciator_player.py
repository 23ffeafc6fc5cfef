"""The alarm sounder (ui.annunciator): the right file per tone, and silence without an audio output.

Qt warnings fail these tests (tests/ui/conftest.py), so constructing the player on a machine without
a sound server also checks that Qt Multimedia's "no sound server" messages do not escape as warnings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.alarms.annunciator import Annunciator
from app.paths import RESOURCES
from ui.annunciator import AnnunciatorPlayer, QMediaDevices, QSoundEffect  # Qt Multimedia loaded quietly

REPO = Path(__file__).resolve().parents[2]
EXPECTED_FILES = {
    "fire": "fire.wav",
    "urgent": "urgent.wav",
    "high": "high.wav",
    "medium": "chime.wav",
    "low": "chime.wav",
}
INFINITE = QSoundEffect.Loop.Infinite.value


class FakeOutputPlayer(AnnunciatorPlayer):
    """The player with its audio seams recorded: an output is present while ``output`` says so."""

    def __init__(self, output: bool = True) -> None:
        self.output = output
        self.events: list[str] = []
        super().__init__()

    def _output_present(self) -> bool:
        return self.output

    def _load(self) -> None:
        self.events.append("load")

    def _start(self, effect: QSoundEffect) -> None:
        self.events.append("start " + effect.objectName().removeprefix("annunciator-"))

    def _halt(self, effect: QSoundEffect) -> None:
        self.events.append("stop " + effect.objectName().removeprefix("annunciator-"))

    def take(self) -> list[str]:
        events, self.events = self.events, []
        return events


@pytest.fixture
def player(qapp: QApplication) -> Iterator[AnnunciatorPlayer]:
    p = AnnunciatorPlayer()
    yield p
    p.stop()
    p.deleteLater()


@pytest.fixture
def fake(qapp: QApplication) -> Iterator[FakeOutputPlayer]:
    p = FakeOutputPlayer()
    p.take()
    yield p
    p.deleteLater()


def has_audio_output() -> bool:
    return bool(QMediaDevices.audioOutputs())


# ------------------------------------------------------------------ this machine: no sound device
def test_without_audio_output_it_says_so_and_plays_nothing(player: AnnunciatorPlayer, qtbot: QtBot) -> None:
    if has_audio_output():
        pytest.skip("this machine has an audio output")
    assert player.available is False
    assert player.property("available") is False  # the Qt property, for QSS or QML
    with qtbot.waitSignal(player.soundingChanged) as sounding, qtbot.waitSignal(player.toneChanged) as tone:
        player.apply("fire", 0)
    assert sounding.args == [True]
    assert tone.args == ["fire"]
    assert player.sounding  # so the banner flashes instead
    assert player.looping is None
    player.apply("low", 1)
    effects = player.findChildren(QSoundEffect)
    assert len(effects) == 4
    assert not any(e.isPlaying() for e in effects)
    assert all(e.source().isEmpty() for e in effects)  # nothing loaded: no "format not supported"
    with qtbot.waitSignal(player.soundingChanged) as sounding:
        player.apply(None, 1)
    assert sounding.args == [False]


def test_a_fresh_process_without_sound_prints_no_qt_warning(tmp_path: Path) -> None:
    """Qt Multimedia's warnings come once per process: a child process sees them all."""
    script = (
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from ui.annunciator import AnnunciatorPlayer\n"
        "p = AnnunciatorPlayer()\n"
        "p.apply('fire', 0)\n"
        "app.processEvents()\n"
        "print('available', p.available)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_LOGGING_RULES": "*.info=false"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    if done.stdout.strip() == "available False":
        assert done.stderr == ""


# ------------------------------------------------------------------ the wiring: tone -> file
@pytest.mark.parametrize(("tone", "file"), EXPECTED_FILES.items())
def test_each_tone_has_its_sound_file(player: AnnunciatorPlayer, tone: str, file: str) -> None:
    url = player.source_for(tone)  # type: ignore[arg-type]
    assert url.isLocalFile()
    path = Path(url.toLocalFile())
    assert path == RESOURCES / "sounds" / file
    assert path.is_file()


def test_loud_tones_loop_and_the_chime_plays_once(player: AnnunciatorPlayer) -> None:
    assert player.effect_for("fire").loopCount() == INFINITE
    assert player.effect_for("urgent").loopCount() == INFINITE
    assert player.effect_for("high").loopCount() == INFINITE
    assert player.effect_for("medium") is player.effect_for("low")
    assert player.effect_for("low").loopCount() == 1
    volumes = [player.effect_for(t).volume() for t in ("fire", "urgent", "high", "low")]
    assert volumes == sorted(volumes, reverse=True)  # fire loudest, the chime soft


def test_an_unknown_tone_is_refused(player: AnnunciatorPlayer) -> None:
    with pytest.raises(ValueError, match="tone"):
        player.apply("siren", 0)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the wiring, with an output
def test_with_an_output_the_loudest_tone_loops_and_changes(fake: FakeOutputPlayer) -> None:
    assert fake.available is True
    fake.apply("high", 0)
    assert fake.take() == ["start high"]
    assert fake.looping is fake.effect_for("high")
    fake.apply("high", 0)  # the same again: no restart
    assert fake.take() == []
    fake.apply("fire", 0)
    assert fake.take() == ["stop high", "start fire"]
    fake.apply("fire", 1)  # a new low alarm under the fire tone: covered by it
    assert fake.take() == []
    fake.apply("urgent", 1)
    assert fake.take() == ["stop fire", "start urgent"]
    fake.apply(None, 1)
    assert fake.take() == ["stop urgent"]
    assert fake.looping is None


def test_with_an_output_the_chime_sounds_once_per_new_alarm(fake: FakeOutputPlayer) -> None:
    fake.apply("medium", 1)
    assert fake.take() == ["start chime"]
    fake.apply("medium", 1)
    fake.apply("low", 1)
    assert fake.take() == []
    fake.apply("low", 2)
    assert fake.take() == ["start chime"]
    fake.apply("high", 2)
    fake.apply("medium", 2)  # the louder alarm was acknowledged: no chime for an old alarm
    assert fake.take() == ["start high", "stop high"]
    fake.apply(None, 2)
    assert fake.take() == []  # a chime is never cut short


def test_the_annunciator_drives_the_player(fake: FakeOutputPlayer) -> None:
    state = Annunciator(on_change=fake.apply)
    state.update("smoke-hall", "fire", "unacknowledged")
    state.update("pump", "medium", "unacknowledged")
    assert fake.take() == ["start fire"]
    state.silence()
    assert fake.take() == ["stop fire"]
    assert not fake.sounding
    state.update("plc-2", "high", "unacknowledged")
    assert fake.take() == ["start high"]
    state.update("plc-2", "high", "acknowledged")
    assert fake.take() == ["stop high"]
    state.update("door", "low", "unacknowledged")
    assert fake.take() == ["start chime"]
    state.update("smoke-hall", "fire", "acknowledged")
    state.update("pump", "medium", "acknowledged")
    state.update("door", "low", "acknowledged")
    assert fake.take() == []
    assert fake.tone is None


def test_follow_plays_what_the_annunciator_says_now(fake: FakeOutputPlayer) -> None:
    state = Annunciator()
    state.update("o1", "urgent", "unacknowledged")
    fake.follow(state)
    assert fake.take() == ["start urgent"]


def test_an_output_that_comes_and_goes(qapp: QApplication, qtbot: QtBot) -> None:
    p = FakeOutputPlayer(output=False)
    try:
        assert p.take() == []  # nothing loaded without an output
        p.apply("fire", 0)
        assert p.take() == []
        p.output = True
        with qtbot.waitSignal(p.availableChanged) as found:
            p._outputs_changed()
        assert found.args == [True]
        assert p.take() == ["load", "start fire"]
        p.output = False
        with qtbot.waitSignal(p.availableChanged) as lost:
            p._outputs_changed()
        assert lost.args == [False]
        assert p.take() == ["stop fire", "stop urgent", "stop high", "stop chime"]
        assert p.looping is None
    finally:
        p.deleteLater()

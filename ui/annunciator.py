"""The alarm sounder: plays what :class:`app.alarms.annunciator.Annunciator` says, through Qt Multimedia.

:class:`AnnunciatorPlayer` holds one ``QSoundEffect`` per sound in ``resources/sounds/`` (written by
``tools/make_sounds.py``; an effect gets its file once an audio output exists): ``fire.wav`` for
``fire``, ``urgent.wav`` and ``high.wav`` for those priorities (all three looped), ``chime.wav`` once
for ``medium`` and ``low``. It is driven through :meth:`AnnunciatorPlayer.apply` (the annunciator's
``on_change``) and never decides the rule itself.

Without an audio output (``QMediaDevices.audioOutputs()`` empty, as on a server or a test machine)
it plays nothing, :attr:`AnnunciatorPlayer.available` is False, and :attr:`AnnunciatorPlayer.sounding`
still tells the banner to flash; ``availableChanged`` follows outputs that come and go.

On a Linux machine with neither PipeWire nor PulseAudio, Qt Multimedia writes three warnings the first
time it is loaded and asked for devices: that ``libpipewire-0.3`` cannot be loaded (twice) and that
``pa_context_connect()`` failed. Those say "no sound server", which ``available`` already reports, so
they are logged here at INFO instead of reaching the Qt message handler (where tests turn Qt
warnings into failures); every other message goes through unchanged.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from PySide6.QtCore import (
    Property,
    QMessageLogContext,
    QObject,
    QtMsgType,
    QUrl,
    Signal,
    Slot,
    qFormatLogMessage,
    qInstallMessageHandler,
)

from app.alarms.annunciator import CHIME_TONES, LOOPING_TONES, TONES, Annunciator, Tone
from app.paths import RESOURCES

log = logging.getLogger("wardroom.ui")

SOUNDS_DIR: Final = RESOURCES / "sounds"
SOUND_FILES: Final[dict[Tone, str]] = {
    "fire": "fire.wav",
    "urgent": "urgent.wav",
    "high": "high.wav",
    "medium": "chime.wav",
    "low": "chime.wav",
}
VOLUMES: Final[dict[str, float]] = {"fire.wav": 1.0, "urgent.wav": 0.9, "high.wav": 0.8, "chime.wav": 0.6}

# (category, message) of what Qt Multimedia says on a machine without a sound server; see the docstring.
_NO_SOUND_SERVER: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("qt.multimedia.symbolsresolver", re.compile(r"Couldn't (load|resolve) pipewire-0\.3 (library|symbols)")),
    ("default", re.compile(r"PulseAudioService: pa_context_connect\(\) failed")),
)


@contextmanager
def _no_sound_server_is_not_a_warning() -> Iterator[None]:
    """Log Qt Multimedia's "no sound server" warnings at INFO; pass every other message on."""

    def handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        category = context.category or "default"
        if mode == QtMsgType.QtWarningMsg and any(
            category == cat and pattern.fullmatch(message) for cat, pattern in _NO_SOUND_SERVER
        ):
            log.info("sound: %s (%s)", message, category)
        elif previous is not None:
            previous(mode, context, message)
        else:
            print(qFormatLogMessage(mode, context, message), file=sys.stderr)

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


with _no_sound_server_is_not_a_warning():  # loading the module looks for libpipewire
    from PySide6.QtMultimedia import QMediaDevices, QSoundEffect


class AnnunciatorPlayer(QObject):
    """Plays the annunciator's tone; see the module docstring.

    Signals: ``availableChanged(bool)`` when an audio output appears or goes; ``soundingChanged(bool)``
    when an alarm starts or stops being announced (with or without sound: the banner flashes on it
    when ``available`` is False); ``toneChanged(object)`` with the tone name or None.

    The effects get their files only while an output exists: loading a sample with no output makes
    Qt warn that the format "is not supported on the selected audio device".
    """

    availableChanged = Signal(bool)
    soundingChanged = Signal(bool)
    toneChanged = Signal(object)

    def __init__(self, parent: QObject | None = None, sounds_dir: Path = SOUNDS_DIR) -> None:
        super().__init__(parent)
        self._sounds_dir = sounds_dir
        self._tone: Tone | None = None
        self._chime_serial = 0
        self._looping: str | None = None  # the file of the looped effect started, if any
        self._effects: dict[str, QSoundEffect] = {}
        # The first effect or device query connects to the sound server (see the module docstring).
        with _no_sound_server_is_not_a_warning():
            for name in dict.fromkeys(SOUND_FILES.values()):
                effect = QSoundEffect(self)
                effect.setObjectName(f"annunciator-{name.removesuffix('.wav')}")
                effect.setVolume(VOLUMES[name])
                looped = any(SOUND_FILES[tone] == name for tone in LOOPING_TONES)
                effect.setLoopCount(QSoundEffect.Loop.Infinite.value if looped else 1)
                self._effects[name] = effect
            self._devices = QMediaDevices(self)
            self._available = self._output_present()
        self._devices.audioOutputsChanged.connect(self._outputs_changed)
        if self._available:
            self._load()
        else:
            log.info("sound: no audio output; alarms are announced by the banner only")

    # ------------------------------------------------------------------ state
    def _get_available(self) -> bool:
        return self._available

    available = Property(bool, _get_available, notify=availableChanged)
    """Whether an audio output exists (False: say "no sound device" and flash instead)."""

    @property
    def tone(self) -> Tone | None:
        """The tone the annunciator asks for now (played only when ``available``)."""
        return self._tone

    @property
    def sounding(self) -> bool:
        """Whether an alarm is announced now, with sound or (no audio output) without."""
        return self._tone is not None

    @property
    def looping(self) -> QSoundEffect | None:
        """The looped effect (fire, urgent or high) started and not stopped; None without output."""
        return self._effects[self._looping] if self._looping else None

    def source_for(self, tone: Tone) -> QUrl:
        """The file that sounds ``tone``, as the effect's ``source`` (set once an output exists)."""
        return QUrl.fromLocalFile(str(self._sounds_dir / SOUND_FILES[tone]))

    def effect_for(self, tone: Tone) -> QSoundEffect:
        """The sound effect that plays ``tone`` (looped for fire, urgent and high; once for a chime)."""
        return self._effects[SOUND_FILES[tone]]

    # ------------------------------------------------------------------ driving
    def follow(self, annunciator: Annunciator) -> None:
        """Play what ``annunciator`` says now (then keep it current with ``on_change=player.apply``)."""
        self.apply(annunciator.tone, annunciator.chime_serial)

    @Slot(object, int)
    def apply(self, tone: Tone | None, chime_serial: int) -> None:
        """Sound ``tone`` (None: silence); a changed ``chime_serial`` under a chime tone chimes once."""
        if tone is not None and tone not in TONES:
            raise ValueError(f"unknown tone {tone!r}")
        was_sounding = self.sounding
        changed = tone != self._tone
        chime = chime_serial != self._chime_serial and tone in CHIME_TONES
        self._tone = tone
        self._chime_serial = chime_serial
        self._play(chime)
        if changed:
            self.toneChanged.emit(tone)
        if was_sounding != self.sounding:
            self.soundingChanged.emit(self.sounding)

    @Slot()
    def stop(self) -> None:
        """Stop every sound now (the window closes); a later ``apply`` plays again."""
        self._looping = None
        for effect in self._effects.values():
            self._halt(effect)

    def _play(self, chime: bool) -> None:
        wanted = SOUND_FILES[self._tone] if self._available and self._tone in LOOPING_TONES else None
        if wanted != self._looping:
            if self._looping is not None:
                self._halt(self._effects[self._looping])
            self._looping = wanted
            if wanted is not None:
                self._start(self._effects[wanted])
        if chime and self._available and self._tone is not None:
            self._start(self.effect_for(self._tone))

    # The seams to the audio system (a test without an audio output replaces these).
    def _output_present(self) -> bool:
        return bool(QMediaDevices.audioOutputs())

    def _load(self) -> None:
        default = QMediaDevices.defaultAudioOutput()
        for name, effect in self._effects.items():
            effect.setAudioDevice(default)
            effect.setSource(QUrl.fromLocalFile(str(self._sounds_dir / name)))

    def _start(self, effect: QSoundEffect) -> None:
        effect.play()

    def _halt(self, effect: QSoundEffect) -> None:
        effect.stop()

    @Slot()
    def _outputs_changed(self) -> None:
        available = self._output_present()
        if available:
            self._load()  # the default output may be another one now
        if available != self._available:
            log.info("sound: %s", "audio output found" if available else "no audio output any more")
            if not available:
                self.stop()
            self._available = available
            self.availableChanged.emit(available)
            self._play(chime=False)

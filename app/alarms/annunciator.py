"""Which tone the control room hears: the annunciation rule, Qt-free.

The engine (or a console following it) tells the :class:`Annunciator` about alarms as plain facts,
occurrence id, priority and state, and reads back :attr:`Annunciator.tone`. A Qt player
(``ui.annunciator``) turns that into sound; the rule itself lives here so tests check it without audio.

The rule (issue "Alarms", item 5; ISA-18.2 silence is an action, not a state):

- An alarm *needs acknowledgement* in ``unacknowledged`` and ``rtn-unacknowledged``; every other state
  (acknowledged, latched, shelved, suppressed, out of service, normal) is silent.
- Sound plays while an alarm needs acknowledgement and has not been silenced, with the tone of the
  highest priority among those alarms: ``"fire"`` (loud, continuous), ``"urgent"`` and ``"high"``
  (repeating), ``"medium"`` and ``"low"`` (a single chime per new alarm, never looped).
- :meth:`Annunciator.silence` silences every alarm that needs acknowledgement now. A *new* alarm sounds
  again: an occurrence that starts to need acknowledgement (first seen, or unacknowledged again after
  being acknowledged, shelved or the like), or one whose condition comes back before it was
  acknowledged (``rtn-unacknowledged`` to ``unacknowledged``). Alarms silenced before stay silent.
- When no alarm needs acknowledgement any more, nothing sounds.

The chime: :attr:`Annunciator.chime_serial` goes up by one for each new ``medium`` or ``low`` alarm. A
player plays the chime once when the serial has changed and :attr:`~Annunciator.tone` is ``medium`` or
``low``; while a louder tone sounds, the change is covered by it and is not played later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal, get_args

from models.alarms import ALARM_STATES, PRIORITIES

Tone = Literal["fire", "urgent", "high", "medium", "low"]
"""A priority as a tone: ``fire`` loud and continuous, ``urgent``/``high`` repeating, the rest a chime."""

TONES: Final[tuple[Tone, ...]] = get_args(Tone)
"""Loudest first (the same order as ``models.alarms.PRIORITIES``)."""
LOOPING_TONES: Final[frozenset[Tone]] = frozenset({"fire", "urgent", "high"})
CHIME_TONES: Final[frozenset[Tone]] = frozenset({"medium", "low"})
NEEDS_ACK_STATES: Final[frozenset[str]] = frozenset({"unacknowledged", "rtn-unacknowledged"})

_RANK: Final[dict[str, int]] = {tone: rank for rank, tone in enumerate(TONES)}
assert TONES == PRIORITIES, "tones and alarm priorities must name the same levels in the same order"

ChangeCallback = Callable[["Tone | None", int], None]


class Annunciator:
    """The annunciation state of one operator position.

    ``on_change(tone, chime_serial)``, when given, is called after every call that changed
    :attr:`tone` or :attr:`chime_serial` (a Qt player's ``apply`` slot, for instance).
    """

    def __init__(self, on_change: ChangeCallback | None = None) -> None:
        self._on_change = on_change
        self._state: dict[str, str] = {}  # the last state told, per occurrence
        self._waiting: dict[str, Tone] = {}  # occurrences that need acknowledgement -> their tone
        self._silenced: set[str] = set()  # a subset of _waiting's keys
        self._chime_serial = 0
        self._tone: Tone | None = None
        self._published: tuple[Tone | None, int] = (None, 0)

    # ------------------------------------------------------------------ facts in
    def update(self, occurrence_id: str, priority: str, state: str) -> None:
        """An occurrence is now in ``state`` with ``priority`` (any change, or the same again)."""
        if priority not in _RANK:
            raise ValueError(f"unknown alarm priority {priority!r}; expected one of {', '.join(TONES)}")
        if state not in ALARM_STATES:
            raise ValueError(f"unknown alarm state {state!r}; expected one of {', '.join(ALARM_STATES)}")
        tone: Tone = TONES[_RANK[priority]]
        previous = self._state.get(occurrence_id)
        self._state[occurrence_id] = state
        if state not in NEEDS_ACK_STATES:
            self._forget_waiting(occurrence_id)
        elif occurrence_id not in self._waiting or (
            state == "unacknowledged" and previous == "rtn-unacknowledged"
        ):
            self._announce(occurrence_id, tone)
        else:
            self._waiting[occurrence_id] = tone  # a priority change keeps its silence
        self._publish()

    def remove(self, occurrence_id: str) -> None:
        """The occurrence is gone (ended, or no longer shown at this position)."""
        self._state.pop(occurrence_id, None)
        self._forget_waiting(occurrence_id)
        self._publish()

    def silence(self) -> None:
        """The operator's silence: quiet every alarm that needs acknowledgement now, until a new one."""
        self._silenced = set(self._waiting)
        self._publish()

    def reannounce(self, occurrence_id: str) -> None:
        """Sound a still-unacknowledged alarm again as if new (re-alarm); no effect on any other state."""
        tone = self._waiting.get(occurrence_id)
        if tone is not None:
            self._announce(occurrence_id, tone)
            self._publish()

    def clear(self) -> None:
        """Forget every occurrence (a new session, another site)."""
        self._state.clear()
        self._waiting.clear()
        self._silenced.clear()
        self._publish()

    # ------------------------------------------------------------------ sound out
    @property
    def tone(self) -> Tone | None:
        """The tone to sound now, or None for silence."""
        return self._tone

    @property
    def chime_serial(self) -> int:
        """Goes up by one for every new ``medium`` or ``low`` alarm (see the module's docstring)."""
        return self._chime_serial

    @property
    def waiting(self) -> frozenset[str]:
        """Occurrences that need acknowledgement, silenced or not."""
        return frozenset(self._waiting)

    @property
    def silenced(self) -> frozenset[str]:
        """Occurrences that need acknowledgement and were silenced."""
        return frozenset(self._silenced)

    @property
    def sounding(self) -> bool:
        """Whether any alarm is announced now (the banner flashes while this holds and there is no sound)."""
        return self._tone is not None

    # ------------------------------------------------------------------ internals
    def _announce(self, occurrence_id: str, tone: Tone) -> None:
        self._waiting[occurrence_id] = tone
        self._silenced.discard(occurrence_id)
        if tone in CHIME_TONES:
            self._chime_serial += 1

    def _forget_waiting(self, occurrence_id: str) -> None:
        self._waiting.pop(occurrence_id, None)
        self._silenced.discard(occurrence_id)

    def _publish(self) -> None:
        loud = [tone for key, tone in self._waiting.items() if key not in self._silenced]
        self._tone = min(loud, key=TONES.index) if loud else None
        now = (self._tone, self._chime_serial)
        if now != self._published:
            self._published = now
            if self._on_change is not None:
                self._on_change(*now)

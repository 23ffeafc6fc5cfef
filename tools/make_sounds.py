"""Writes the alarm tones in ``resources/sounds/``, the same bytes on every run (fixed parameters, no noise).

    .venv/bin/python tools/make_sounds.py              # rewrite resources/sounds/*.wav
    .venv/bin/python tools/make_sounds.py --out DIR    # write them elsewhere (the test compares)

16-bit PCM, mono, 22,050 Hz (small files; the tones stay far below 11 kHz).

- ``fire.wav``: loud and continuous, a hi-lo two-tone (735 Hz / 882 Hz, a quarter second each, odd
  harmonics for a harsh, carrying sound), about 1 s. Every segment holds a whole number of cycles and
  starts at phase zero, so the file loops without a click.
- ``urgent.wav``: three quick beeps (1,050 Hz) and a pause, about 1.2 s, looped while it sounds.
- ``high.wav``: one longer beep (882 Hz) and a pause, 1.5 s, looped while it sounds.
- ``chime.wav``: a soft two-note chime (660 Hz, 528 Hz) dying away, played once per new alarm.

Beeps and chime notes fade in and out over a few milliseconds, so they start and stop without a click.
"""

from __future__ import annotations

import argparse
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 22_050
FULL_SCALE = 32_767
FADE_S = 0.006
SOUNDS_DIR = Path(__file__).resolve().parent.parent / "resources" / "sounds"

Signal = npt.NDArray[np.float64]


def _tone(freq: float, samples: int, harmonics: tuple[tuple[int, float], ...] = ((1, 1.0),)) -> Signal:
    """A tone of ``samples`` samples starting at phase zero; ``harmonics``: (multiple, weight) pairs."""
    t = np.arange(samples, dtype=np.float64) / RATE
    out = np.zeros(samples, dtype=np.float64)
    for multiple, weight in harmonics:
        out += weight * np.sin(2.0 * np.pi * freq * multiple * t)
    return out / np.max(np.abs(out))


def _fade(signal: Signal, fade_s: float = FADE_S) -> Signal:
    """Raised-cosine fade in and out."""
    n = min(int(fade_s * RATE), len(signal) // 2)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float64))
    out = signal.copy()
    out[:n] *= ramp
    out[len(out) - n :] *= ramp[::-1]
    return out


def _silence(seconds: float) -> Signal:
    return np.zeros(round(seconds * RATE), dtype=np.float64)


def _beep(freq: float, seconds: float) -> Signal:
    return _fade(_tone(freq, round(seconds * RATE), ((1, 1.0), (3, 0.25))))


def fire() -> Signal:
    # 5,400 samples hold exactly 180 cycles of 735 Hz (30 samples each) and 216 of 882 Hz (25 each).
    segment = 5_400
    harsh = ((1, 1.0), (3, 1 / 3), (5, 1 / 5))  # the first terms of a square wave
    low = _tone(735.0, segment, harsh)
    high = _tone(882.0, segment, harsh)
    return 0.95 * np.concatenate([low, high, low, high])


def urgent() -> Signal:
    beep = _beep(1_050.0, 0.14)
    gap = _silence(0.09)
    return 0.8 * np.concatenate([beep, gap, beep, gap, beep, _silence(0.51)])


def high() -> Signal:
    return 0.7 * np.concatenate([_beep(882.0, 0.5), _silence(1.0)])


def chime() -> Signal:
    def note(freq: float, seconds: float) -> Signal:
        samples = round(seconds * RATE)
        t = np.arange(samples, dtype=np.float64) / RATE
        bell = _tone(freq, samples, ((1, 1.0), (2, 0.3), (3, 0.1))) * np.exp(-t * 4.0)
        return _fade(bell, 0.004)

    first = note(660.0, 0.9)
    second = note(528.0, 1.1)
    out = np.zeros(round(0.35 * RATE) + len(second), dtype=np.float64)
    out[: len(first)] += first
    out[round(0.35 * RATE) :] += second
    return 0.35 * out / np.max(np.abs(out))


SOUNDS: dict[str, Callable[[], Signal]] = {
    "fire.wav": fire,
    "urgent.wav": urgent,
    "high.wav": high,
    "chime.wav": chime,
}


def write_wav(path: Path, signal: Signal) -> None:
    pcm = np.rint(np.clip(signal, -1.0, 1.0) * FULL_SCALE).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())


def write_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in SOUNDS.items():
        path = out_dir / name
        write_wav(path, make())
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=SOUNDS_DIR, help=f"folder (default {SOUNDS_DIR})")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(f"{path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

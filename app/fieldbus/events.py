"""Bus messages of the pollers (the PLC link itself is reported as ``app.events.LinkStateChanged``).

Reusing ``LinkStateChanged(kind="plc")`` for a PLC's fault and restoration keeps the status bar and
anything else that watched the old link monitor working unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.events import Event
from app.fieldbus.quality import PointReading, Quality


@dataclass(frozen=True, slots=True)
class PointValueChanged(Event):
    """A point's engineering value moved by at least its ``value_deadband`` (or changed at all for bools)."""

    plc_id: str
    reading: PointReading

    def describe(self) -> str:
        return f"{self.reading.point_id} = {self.reading.value!r} ({self.reading.quality})"


@dataclass(frozen=True, slots=True)
class PointQualityChanged(Event):
    """A point's quality changed (e.g. good -> comm-fail); ``reading.error`` says why in plain words."""

    plc_id: str
    reading: PointReading
    previous: Quality

    def describe(self) -> str:
        text = f"{self.reading.point_id}: {self.previous} -> {self.reading.quality}"
        return text + (f" ({self.reading.error})" if self.reading.error else "")

"""A fixed-capacity ring buffer of (timestamp, value) samples, in numpy (no Qt).

A trend left open for a week must hold the same few megabytes as one opened a minute ago: live
samples go into preallocated arrays and the oldest fall out first. Kept apart from the plot so it is
tested (and benchmarked) without a widget.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    """Fixed-capacity (timestamp, value) storage; the oldest samples fall out first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"ring buffer capacity must be at least 1, got {capacity}")
        self._ts = np.full(capacity, np.nan, dtype=np.float64)
        self._values = np.full(capacity, np.nan, dtype=np.float64)
        self._next = 0
        self._count = 0

    @property
    def capacity(self) -> int:
        return int(self._ts.shape[0])

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        return int(self._ts.nbytes + self._values.nbytes)

    def append(self, ts: float, value: float) -> None:
        self._ts[self._next] = ts
        self._values[self._next] = value
        self._next = (self._next + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def extend(self, ts: np.ndarray, values: np.ndarray) -> None:
        """Append many samples at once (a backfill); only the newest ``capacity`` are kept."""
        ts = np.asarray(ts, dtype=np.float64).ravel()
        values = np.asarray(values, dtype=np.float64).ravel()
        if ts.shape != values.shape:
            raise ValueError(f"timestamps {ts.shape} and values {values.shape} differ in shape")
        ts, values = ts[-self.capacity :], values[-self.capacity :]
        n = ts.shape[0]
        first = min(n, self.capacity - self._next)  # up to the end of the storage, then wrap
        self._ts[self._next : self._next + first] = ts[:first]
        self._values[self._next : self._next + first] = values[:first]
        self._ts[: n - first] = ts[first:]
        self._values[: n - first] = values[first:]
        self._next = (self._next + n) % self.capacity
        self._count = min(self._count + n, self.capacity)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(timestamps, values) oldest first, as new arrays."""
        if self._count < self.capacity:
            return self._ts[: self._count].copy(), self._values[: self._count].copy()
        order = np.r_[self._next : self.capacity, 0 : self._next]
        return self._ts[order], self._values[order]

    def clear(self) -> None:
        self._next = 0
        self._count = 0

"""The trend's Qt-free ring buffer: bounded, newest kept, in order."""

from __future__ import annotations

import numpy as np
import pytest

from widgets.ring_buffer import RingBuffer


def test_ring_buffer_keeps_the_newest_in_order() -> None:
    ring = RingBuffer(5)
    for i in range(7):
        ring.append(float(i), float(i) * 10)
    ts, values = ring.arrays()
    assert ts.tolist() == [2, 3, 4, 5, 6]
    assert values.tolist() == [20, 30, 40, 50, 60]
    ring.extend(np.arange(7, 10, dtype=float), np.arange(70, 100, 10, dtype=float))
    ts, _ = ring.arrays()
    assert ts.tolist() == [5, 6, 7, 8, 9]
    ring.extend(np.arange(100, dtype=float), np.arange(100, dtype=float))  # more than fits at once
    ts, _ = ring.arrays()
    assert ts.tolist() == [95, 96, 97, 98, 99]
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)


def test_ring_buffer_size_is_fixed_and_clear_empties_it() -> None:
    ring = RingBuffer(1000)
    assert ring.capacity == 1000 and len(ring) == 0 and ring.nbytes == 16_000
    ring.extend(np.arange(5000, dtype=float), np.arange(5000, dtype=float))
    assert len(ring) == 1000 and ring.nbytes == 16_000
    ring.clear()
    assert len(ring) == 0 and ring.arrays()[0].size == 0
    with pytest.raises(ValueError, match="shape"):
        ring.extend(np.arange(3, dtype=float), np.arange(2, dtype=float))

"""A machine-readable capture-time stamp drawn into every simulated frame (a strip of black/white cells).

The wall's promise is "frames shown are under 250 ms old"; the only honest way to measure that is to
read, from the pixels on screen, when the frame was made. So every simulated frame carries its wall
clock time in milliseconds as a two-row strip of cells in the bottom-left corner, laid out in units of
the frame's own size (a cell is 1/80 of the width by 1/45 of the height: 8x8 pixels at 640x360, 4x4 at
320x180), so it reads back after scaling to any size and after JPEG at quality 80.

Layout (row 0 over row 1, each ``1 + 1 + 26`` cells):
    row 0: white, black, bits 51..26      row 1: black, white, bits 25..0
The 52 bits are the time in ms (44 bits, good until the year 2527) followed by a CRC-8 of it, so a strip
that is covered, cropped or not there reads as ``None`` rather than as a wrong time. The guard cells
give the reader its black and white levels. A quiet border of one cell around the strip is painted
mid-grey-free black so the picture behind it cannot bleed into the cells.
"""

from __future__ import annotations

import numpy as np

GRID_W = 80  # cells across the frame width
GRID_H = 45  # cells down the frame height
ROW_CELLS = 28
ROWS = 2
TIME_BITS = 44
CRC_BITS = 8
DATA_BITS = TIME_BITS + CRC_BITS  # 52 = 2 rows x 26
ORIGIN = (1, GRID_H - 1 - ROWS)  # cell column/row of the strip's top-left (one quiet cell from the edges)


def _crc8(value: int) -> int:
    """CRC-8 (polynomial 0x07) of the 6 bytes of ``value``: catches a strip misread by a cell or a bit."""
    crc = 0
    for byte in value.to_bytes(6, "big"):
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _cells(t: float) -> list[list[int]]:
    ms = round(t * 1000) & ((1 << TIME_BITS) - 1)
    word = (ms << CRC_BITS) | _crc8(ms)
    bits = [(word >> (DATA_BITS - 1 - i)) & 1 for i in range(DATA_BITS)]
    half = DATA_BITS // 2
    return [[1, 0, *bits[:half]], [0, 1, *bits[half:]]]


def _edges(size: int, cells: int, start: int, count: int) -> list[int]:
    """Pixel edges of ``count`` cells from cell ``start`` on an axis of ``size`` pixels."""
    return [round((start + i) * size / cells) for i in range(count + 1)]


def draw_stamp(frame: np.ndarray, t: float) -> np.ndarray:
    """Draw the stamp for wall-clock time ``t`` (seconds since the epoch) into ``frame``, in place."""
    h, w = frame.shape[:2]
    col0, row0 = ORIGIN
    xs = _edges(w, GRID_W, col0 - 1, ROW_CELLS + 2)
    ys = _edges(h, GRID_H, row0 - 1, ROWS + 2)
    frame[ys[0] : ys[-1], xs[0] : xs[-1]] = 0  # quiet border
    for r, row in enumerate(_cells(t)):
        y0, y1 = ys[r + 1], ys[r + 2]
        for c, bit in enumerate(row):
            if bit:
                frame[y0:y1, xs[c + 1] : xs[c + 2]] = 255
    return frame


def read_stamp(frame: np.ndarray) -> float | None:
    """The capture time (seconds since the epoch, ms resolution) stamped in ``frame``, or None.

    ``frame`` is the whole picture (BGR or grey) at any size, e.g. a tile's pixels grabbed from the
    screen; None when there is no valid stamp (covered by a mask, cropped, not a simulated camera).
    """
    h, w = frame.shape[:2]
    if w < GRID_W * 2 or h < GRID_H * 2:
        return None  # cells under 2 px cannot survive scaling
    col0, row0 = ORIGIN
    xs = _edges(w, GRID_W, col0, ROW_CELLS)
    ys = _edges(h, GRID_H, row0, ROWS)
    strip = frame[ys[0] : ys[-1], xs[0] : xs[-1]].astype(np.float32)  # only the strip: cheap on 4K
    grey = strip.mean(axis=2) if strip.ndim == 3 else strip
    xs = [x - xs[0] for x in xs]
    ys = [y - ys[0] for y in ys]
    levels: list[list[float]] = []
    for r in range(ROWS):
        y0, y1 = ys[r], ys[r + 1]
        my = max(0, (y1 - y0) // 4)
        row = []
        for c in range(ROW_CELLS):
            x0, x1 = xs[c], xs[c + 1]
            mx = max(0, (x1 - x0) // 4)
            row.append(float(grey[y0 + my : y1 - my, x0 + mx : x1 - mx].mean()))
        levels.append(row)
    white = (levels[0][0] + levels[1][1]) / 2
    black = (levels[0][1] + levels[1][0]) / 2
    if white - black < 60:
        return None
    threshold = (white + black) / 2
    bits = [int(v > threshold) for row in levels for v in row[2:]]
    word = 0
    for bit in bits:
        word = (word << 1) | bit
    ms, crc = word >> CRC_BITS, word & 0xFF
    if _crc8(ms) != crc:
        return None
    return ms / 1000.0

"""Operators' named wall layouts: which grid, which camera on which tile, and the tour period.

A layout belongs to one user (another operator's wall is theirs) and is kept in the database
(``models.video.WallLayout``), so it comes back after a restart for that user and for no other. Its
tiles are site-file camera ids, ``None`` for an empty tile; a list longer than the grid has tiles is
several pages (the wall pages through them, and a tour cycles them). Qt-free: the wall calls these off
the GUI thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.storage.database import Database
from models.video import WALL_GRIDS, WallLayout

MAX_NAME = 100
MAX_TILES = 4096  # pages of tiles: far more than any ward has cameras
MAX_TOUR_S = 3600
GRID_TILES: dict[str, int] = {"1": 1, "2x2": 4, "3x3": 9, "4x4": 16, "1+5": 6, "1+7": 8}


class LayoutError(ValueError):
    """A layout that cannot be saved or found, in plain words."""


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    grid: str
    tiles: tuple[str | None, ...] = ()
    tour_s: int = 0
    updated_at: datetime | None = None

    @property
    def per_page(self) -> int:
        return GRID_TILES[self.grid]


def tile_count(grid: str) -> int:
    """How many tiles a grid kind has (``LayoutError`` for an unknown kind)."""
    try:
        return GRID_TILES[grid]
    except KeyError:
        raise LayoutError(f"unknown wall grid {grid!r}: choose one of {', '.join(WALL_GRIDS)}") from None


def check(layout: Layout) -> Layout:
    """The layout with its name trimmed, or ``LayoutError`` saying what is wrong."""
    name = layout.name.strip()
    if not name:
        raise LayoutError("a layout needs a name")
    if len(name) > MAX_NAME:
        raise LayoutError(f"a layout name has at most {MAX_NAME} characters")
    tile_count(layout.grid)
    if len(layout.tiles) > MAX_TILES:
        raise LayoutError(f"a layout has at most {MAX_TILES} tiles")
    for tile in layout.tiles:
        if tile is not None and (not isinstance(tile, str) or not tile):
            raise LayoutError(f"a tile holds a camera id or nothing, not {tile!r}")
    if not 0 <= layout.tour_s <= MAX_TOUR_S:
        raise LayoutError(f"the tour period is 0 (no tour) to {MAX_TOUR_S} seconds")
    return Layout(name, layout.grid, tuple(layout.tiles), int(layout.tour_s), layout.updated_at)


def _decode_tiles(text: str) -> tuple[str | None, ...]:
    try:
        raw = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(raw, list):
        return ()
    return tuple(t if isinstance(t, str) and t else None for t in raw)


def _of(row: WallLayout) -> Layout:
    return Layout(row.name, row.grid, _decode_tiles(row.tiles), int(row.tour_s or 0), row.updated_at)


def list_layouts(db: Database, user_id: int) -> list[Layout]:
    """The user's layouts by name."""
    with db.session() as session:
        rows = session.scalars(
            select(WallLayout).where(WallLayout.user_id == user_id).order_by(WallLayout.name)
        )
        return [_of(row) for row in rows]


def get_layout(db: Database, user_id: int, name: str) -> Layout:
    with db.session() as session:
        row = session.scalar(
            select(WallLayout).where(WallLayout.user_id == user_id, WallLayout.name == name.strip())
        )
        if row is None:
            raise LayoutError(f"there is no layout named {name.strip()!r}")
        return _of(row)


def save_layout(db: Database, user_id: int, layout: Layout) -> Layout:
    """Create or replace the user's layout of that name; returns it as stored."""
    good = check(layout)
    now = datetime.now(UTC)

    def write(session: Session) -> None:
        row = session.scalar(
            select(WallLayout).where(WallLayout.user_id == user_id, WallLayout.name == good.name)
        )
        if row is None:
            row = WallLayout(user_id=user_id, name=good.name)
            session.add(row)
        row.grid = good.grid
        row.tiles = json.dumps(list(good.tiles))
        row.tour_s = good.tour_s
        row.updated_at = now

    db.write(write)
    return Layout(good.name, good.grid, good.tiles, good.tour_s, now)


def delete_layout(db: Database, user_id: int, name: str) -> bool:
    """Delete the user's layout of that name; False if there was none."""

    def write(session: Session) -> bool:
        result = session.execute(
            delete(WallLayout).where(WallLayout.user_id == user_id, WallLayout.name == name.strip())
        )
        return bool(getattr(result, "rowcount", 0))

    return db.write(write)

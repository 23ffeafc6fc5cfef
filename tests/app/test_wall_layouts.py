"""Named wall layouts per user: saved, replaced, listed, deleted; back after a restart for that user only."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.auth.users import UserService
from app.storage.database import Database
from app.video.layouts import (
    Layout,
    LayoutError,
    delete_layout,
    get_layout,
    list_layouts,
    save_layout,
    tile_count,
)
from tests.models.support import sqlite_url

PASSWORD = "correct horse battery"


def _users(db: Database) -> tuple[int, int]:
    users = UserService(db)
    alice = users.add("alice", "duty-officer", PASSWORD, actor="admin")
    bob = users.add("bob", "duty-officer", PASSWORD, actor="admin")
    return alice.id, bob.id


def test_a_layout_comes_back_after_a_restart_for_its_user_and_not_another(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    db = Database(url)
    db.upgrade()
    try:
        alice, bob = _users(db)
        saved = save_layout(db, alice, Layout(" Night ", "1+5", ("gate", None, "lobby"), tour_s=20))
        assert saved.name == "Night" and saved.updated_at is not None
    finally:
        db.close()
    db = Database(url)  # the restart
    db.upgrade()
    try:
        (back,) = list_layouts(db, alice)
        assert (back.name, back.grid, back.tour_s) == ("Night", "1+5", 20)
        assert back.tiles == ("gate", None, "lobby")
        assert get_layout(db, alice, "Night") == back
        assert list_layouts(db, bob) == []
        with pytest.raises(LayoutError, match="no layout named"):
            get_layout(db, bob, "Night")
        # Bob's own layout of the same name is his, and replacing one keeps one row.
        save_layout(db, bob, Layout("Night", "4x4", ()))
        save_layout(db, alice, Layout("Night", "2x2", ("lobby",)))
        assert [(lay.grid, lay.tiles) for lay in list_layouts(db, alice)] == [("2x2", ("lobby",))]
        assert [lay.grid for lay in list_layouts(db, bob)] == ["4x4"]
        assert delete_layout(db, alice, "Night") and not delete_layout(db, alice, "Night")
        assert list_layouts(db, alice) == [] and len(list_layouts(db, bob)) == 1
    finally:
        db.close()


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (Layout("  ", "2x2"), "needs a name"),
        (Layout("x" * 101, "2x2"), "at most 100"),
        (Layout("a", "5x5"), "unknown wall grid"),
        (Layout("a", "2x2", tour_s=-1), "tour period"),
        (Layout("a", "2x2", ("",)), "camera id or nothing"),
    ],
)
def test_bad_layouts_are_refused_in_plain_words(tmp_path: Path, layout: Layout, message: str) -> None:
    db = Database(sqlite_url(tmp_path))
    db.upgrade()
    try:
        alice, _bob = _users(db)
        with pytest.raises(LayoutError, match=message):
            save_layout(db, alice, layout)
    finally:
        db.close()


def test_tile_counts() -> None:
    assert [tile_count(g) for g in ("1", "2x2", "3x3", "4x4", "1+5", "1+7")] == [1, 4, 9, 16, 6, 8]

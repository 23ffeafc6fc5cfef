"""Small state files are replaced whole: written beside, flushed to disk, renamed over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import paths
from app.paths import atomic_write_text


def test_atomic_write_creates_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    tmp_path = tmp_path / "state"
    tmp_path.mkdir()
    target = tmp_path / "last_site.txt"
    atomic_write_text(target, "first")
    assert target.read_text(encoding="utf-8") == "first"
    atomic_write_text(target, "second 第二")
    assert target.read_text(encoding="utf-8") == "second 第二"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last_site.txt"]


def test_atomic_write_flushes_the_file_before_renaming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        order.append("fsync")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        assert Path(src).parent == tmp_path, "the temporary file is in the same folder (same file system)"
        assert Path(src).read_text(encoding="utf-8") == "{}"
        order.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(paths.os, "fsync", fsync)
    monkeypatch.setattr(paths.os, "replace", replace)
    atomic_write_text(target, "{}")
    assert order[:2] == ["fsync", "replace"]
    assert target.read_text(encoding="utf-8") == "{}"


def test_a_failed_write_keeps_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = tmp_path / "state"
    tmp_path.mkdir()
    target = tmp_path / "ui-settings.json"
    atomic_write_text(target, "old")

    def broken_replace(src: str | Path, dst: str | Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(paths.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ui-settings.json"]

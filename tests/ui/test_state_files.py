"""The last used site and the UI settings are written atomically and flushed (app.paths.atomic_write_text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import paths
from ui.main import choose_site, last_site_file, remember_site
from ui.settings_store import UiSettings, load_settings, save_settings, settings_path


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str]]:
    """Every atomic write (target, text), made for real after being recorded."""
    seen: list[tuple[Path, str]] = []
    real = paths.atomic_write_text

    def record(path: Path, text: str, encoding: str = "utf-8") -> None:
        seen.append((Path(path), text))
        real(path, text, encoding)

    monkeypatch.setattr("ui.main.atomic_write_text", record)
    monkeypatch.setattr("ui.settings_store.atomic_write_text", record)
    return seen


def test_the_last_site_is_written_atomically(tmp_path: Path, writes: list[tuple[Path, str]]) -> None:
    site = tmp_path / "ward.toml"
    site.write_text("", encoding="utf-8")
    remember_site(site)
    assert writes == [(last_site_file(), str(site.resolve()))]
    assert choose_site(None, False) == (site.resolve(), False)
    assert [p.name for p in last_site_file().parent.iterdir() if p.name.endswith(".tmp")] == []


def test_the_ui_settings_are_written_atomically(writes: list[tuple[Path, str]]) -> None:
    save_settings(UiSettings(language="zh_CN"))
    assert [path for path, _ in writes] == [settings_path()]
    assert load_settings().language == "zh_CN"
    assert [p.name for p in settings_path().parent.iterdir() if p.name.endswith(".tmp")] == []

"""Shared by the report tests: users, the CLI with a password, PDF tools from poppler-utils."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.app.test_cli import wardroom

PASSWORD = "long-enough-pw"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def as_user(user: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``wardroom ARGS... --user USER`` with the password on stdin's first line."""
    return wardroom(*args, "--user", user, stdin=PASSWORD + "\n", timeout=timeout)


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(
            f"{tool} (Debian poppler-utils) is not installed: run installer/setup.sh --with-test-deps"
        )
    return found


def page_count(pdf: Path) -> int:
    out = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("Pages:")))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        [poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def render_pages(pdf: Path, folder: Path, dpi: int = 60) -> list[Path]:
    """Every page as a PNG (``pdftoppm``): the test's artifacts, and proof the file renders."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [poppler("pdftoppm"), "-r", str(dpi), "-png", str(pdf), str(folder / "page")], check=True, timeout=120
    )
    return sorted(folder.glob("page-*.png"))


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()

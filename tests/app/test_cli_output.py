"""Event lines printed from several threads at once stay whole (``wardroom station``, ``points watch``)."""

from __future__ import annotations

import subprocess
import sys

WRITERS = """
import threading
from app.commands.common import say

def write(n: int) -> None:
    for i in range(400):
        say(f"thread-{n} line-{i} " + "x" * 40)

threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def test_lines_from_many_threads_are_never_spliced() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WRITERS], capture_output=True, text=True, timeout=60, check=True
    )
    lines = result.stdout.splitlines()
    assert len(lines) == 8 * 400
    pattern_ok = [
        line
        for line in lines
        if line.startswith("thread-") and line.endswith("x" * 40) and line.count("thread-") == 1
    ]
    assert len(pattern_ok) == len(lines), [line for line in lines if line not in pattern_ok][:3]

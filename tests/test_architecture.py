"""The architecture rules hold in the real code, not only on paper.

- The import-linter contracts in pyproject.toml (no Qt, pyqtgraph, ``ui`` or ``widgets`` in ``app``
  and ``models``, except the CLI's lazy ``gui`` import; nothing of ``app``/``models`` in ``widgets``;
  ``app``'s packages in layers).
- No runtime import cycle between any two files of ``app`` and ``models`` (a cycle inside one package
  is not caught by the layers contract).
- The headless commands really run headless: ``wardroom site check`` and ``wardroom station`` run in a
  child interpreter where importing PySide6, shiboken6 or pyqtgraph raises ImportError, and every
  attempt to import them is reported (code that catches the ImportError and carries on is caught too).

ruff and mypy run as their own phases of installer/run-tests.sh, not here.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import grimp
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = REPO_ROOT / "resources" / "demo" / "demo.toml"
BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")
ATTEMPT_MARK = "QT-IMPORT-ATTEMPT:"

# Runs `wardroom ARGS...` (sys.argv[1:]) with Qt unimportable. Every attempt is written to stderr with
# the file that tried, whether or not the importer then swallowed the ImportError.
QT_BLOCKED_CLI = f"""
import importlib.abc, sys, traceback

BLOCKED = {BLOCKED!r}

class QtBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".", 1)[0] in BLOCKED:
            frames = [f for f in traceback.extract_stack() if "importlib" not in f.filename]
            origin = frames[-2].filename if len(frames) > 1 else "?"
            sys.stderr.write(f"{ATTEMPT_MARK} {{name}} from {{origin}}\\n")
            sys.stderr.flush()
            raise ImportError(f"{{name}} is blocked: this command must run without Qt")
        return None

sys.meta_path.insert(0, QtBlocker())
sys.argv = ["wardroom", *sys.argv[1:]]
from app.cli import main
main()
"""


def _wardroom_without_qt(*args: str) -> list[str]:
    return [sys.executable, "-c", QT_BLOCKED_CLI, *args]


def _tool(name: str) -> str:
    """A console script of this environment (next to the running interpreter), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run installer/setup.sh")
    return found


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache", "--no-logo"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Each set of modules that import each other in a circle (Tarjan's strongly connected
    components, iteratively), as one cycle through it: ``[a, b, ..., a]``."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    components.append(sorted(component))
    cycles = []
    for component in components:
        start, members = component[0], set(component)
        if len(component) == 1:  # a module importing itself
            cycles.append([start, start])
            continue
        # The way back to start, via its first neighbour inside the component.
        first = next(m for m in edges[start] if m in members)
        back = graph.find_shortest_chain(importer=first, imported=start, as_packages=False)
        cycles.append([start, *(back or (first, start))])
    return cycles


def _runtime_graph() -> grimp.ImportGraph:
    # Function-level imports count (they run); imports under TYPE_CHECKING do not.
    return grimp.build_graph(
        "app", "models", include_external_packages=False, exclude_type_checking_imports=True
    )


def test_no_import_cycle_between_modules_of_app_and_models() -> None:
    cycles = _module_cycles(_runtime_graph())
    assert not cycles, "runtime import cycles between files (move the shared piece down):\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )


def test_the_cycle_finder_finds_cycles() -> None:
    """The test above must itself be able to fail: a planted cycle (and a self-import) is named."""
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("p.a", "p.b"),
        ("p.b", "p.c"),
        ("p.c", "p.a"),
        ("p.c", "p.d"),
        ("p.e", "p.e"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert sorted(_module_cycles(graph)) == [["p.a", "p.b", "p.c", "p.a"], ["p.e", "p.e"]]
    graph.remove_import(importer="p.c", imported="p.a")
    graph.remove_import(importer="p.e", imported="p.e")
    assert _module_cycles(graph) == []


def test_every_package_of_app_has_its_layer() -> None:
    """A module or package of app/ left out of the layers contract could import anything: each has
    its row (a new capability takes one)."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers" and c.get("containers") == ["app"])["layers"]
    placed = {name.strip().strip("()") for layer in layers for name in re.split(r"[|:]", layer)}
    present = {
        path.stem if path.is_file() else path.name
        for path in (REPO_ROOT / "app").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    assert present - placed == set(), "add these to the app/ layers contract in pyproject.toml"


def test_blocker_really_blocks_qt() -> None:
    """The harness of the tests below must itself be able to fail."""
    code = QT_BLOCKED_CLI.replace("from app.cli import main\nmain()", "import PySide6.QtCore")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "PySide6 is blocked" in result.stderr
    assert f"{ATTEMPT_MARK} PySide6" in result.stderr


def test_site_check_runs_without_qt() -> None:
    result = subprocess.run(
        _wardroom_without_qt("site", "check", str(DEMO_SITE)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ATTEMPT_MARK not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "a valid file prints a one-line summary"


class _Lines:
    """Lines of a child's pipe, read on a thread so the test can wait for them with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.all: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), name="station-stdout", daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, wanted: list[re.Pattern[str]], timeout_s: float) -> list[re.Pattern[str]]:
        """Read until every pattern has matched a line or the time is up; return those still missing."""
        missing = list(wanted)
        deadline = time.monotonic() + timeout_s
        while missing and (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.all.append(line)
            missing = [p for p in missing if not p.search(line)]
        return missing

    def drain(self, timeout_s: float) -> None:
        self._thread.join(timeout=timeout_s)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.all.append(line)


@pytest.fixture
def station_process() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        _wardroom_without_qt("station", "--site", str(DEMO_SITE)),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_station_runs_without_qt_and_stops_on_sigterm(station_process: subprocess.Popen[str]) -> None:
    site = tomllib.loads(DEMO_SITE.read_text(encoding="utf-8"))
    plcs = [p["id"] for p in site.get("plc", [])]
    cameras = [c["id"] for c in site.get("camera", [])]
    assert plcs and len(cameras) >= 2, "the demo site has a PLC and at least two cameras"
    sim_plcs = {p["id"]: p["protocol"] for p in site.get("plc", []) if p.get("simulated")}
    sim_cameras = [c["id"] for c in site.get("camera", []) if c.get("simulated")]
    assert sim_plcs and len(sim_cameras) >= 2, "the demo's PLC and cameras are simulated"
    stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
    # The simulators, each as a stamped "running" line with the loopback endpoint it serves ...
    simulators = [
        re.compile(
            rf"{stamp}PLC simulator {re.escape(i)} running: {re.escape(protocol)} on 127\.0\.0\.1:\d+$"
        )
        for i, protocol in sim_plcs.items()
    ]
    simulators.append(
        re.compile(
            rf"{stamp}camera simulator running: {len(sim_cameras)} MJPEG stream\(s\) on http://127\.0\.0\.1:\d+$"
        )
    )
    # ... and the link state of every PLC and camera.
    links = [re.compile(rf"{stamp}PLC {re.escape(i)} connected\b") for i in plcs]
    links += [re.compile(rf"{stamp}camera {re.escape(i)} live\b") for i in cameras]
    wanted = simulators + links

    assert station_process.stdout is not None and station_process.stderr is not None
    lines = _Lines(station_process.stdout)
    missing = lines.wait_for(wanted, timeout_s=60)
    if missing:
        station_process.kill()
        station_process.wait(timeout=10)
        lines.drain(5)
        pytest.fail(
            f"simulators or links never reported: {[p.pattern for p in missing]}\n"
            f"stdout:\n{chr(10).join(lines.all)}\nstderr:\n{station_process.stderr.read()}"
        )

    station_process.send_signal(signal.SIGTERM)
    try:
        code = station_process.wait(timeout=5)  # the promise: stops within 5 s
    except subprocess.TimeoutExpired:
        pytest.fail("wardroom station did not stop within 5 s of SIGTERM")
    lines.drain(5)
    stderr = station_process.stderr.read()
    assert code == 0, stderr
    assert ATTEMPT_MARK not in stderr, stderr
    assert any("station: stopped" in line for line in lines.all), lines.all
    # Every simulator and link line was seen, and the simulators also report their end.
    for pattern in wanted:
        assert any(pattern.search(line) for line in lines.all), pattern.pattern
    for i in sim_plcs:
        assert any(re.search(rf"{stamp}PLC simulator {re.escape(i)} stopped$", line) for line in lines.all)
    assert any(re.search(rf"{stamp}camera simulator stopped$", line) for line in lines.all), lines.all

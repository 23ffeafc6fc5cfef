"""``wardroom station`` against a real (non-simulated) PLC: what a technician sees in the terminal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fieldbus.servers import ModbusServer

SITE = """\
[site]
name = "Station Ward"
timezone = "Asia/Shanghai"

[[plc]]
id = "panel"
protocol = "modbus-tcp"
host = "127.0.0.1"
port = {port}
poll_ms = 300
timeout_ms = 500

[[point]]
id = "main.pressure"
plc = "panel"
address = "hr:10"
type = "uint16"
scale = 0.001
unit = "MPa"
kind = "pressure"
range = [0.0, 1.6]

[[point]]
id = "tank.level"
plc = "panel"
address = "hr:11"
type = "uint16"
scale = 0.001
unit = "m"
kind = "level"
range = [0.0, 4.0]
"""


def read_until(path: Path, needle: str, proc: subprocess.Popen[str], timeout_s: float) -> str:
    """Poll the output file (bounded) until ``needle`` shows up or the process ends."""
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8")
        if needle in text or proc.poll() is not None:
            break
        time.sleep(0.1)
    return text


def start_station(tmp_path: Path, pressure_raw: int) -> tuple[ModbusServer, subprocess.Popen[str], Path]:
    """A PLC serving ``main.pressure`` = ``pressure_raw`` (scale 0.001) and ``tank.level`` = 2.5 m, and
    ``wardroom station`` polling it, its terminal output going to the returned file."""
    server = ModbusServer(size=50)
    server.start()
    server.set_registers(10, [pressure_raw])
    server.set_registers(11, [2500])
    site = tmp_path / "site.toml"
    site.write_text(SITE.format(port=server.port), encoding="utf-8")
    exe = shutil.which("wardroom", path=str(Path(sys.executable).parent))
    assert exe is not None
    out = tmp_path / "station.out"
    env = {**os.environ, "WARDROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'st.sqlite3'}"}
    with open(out, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            [exe, "station", "--site", str(site)], stdout=sink, stderr=subprocess.STDOUT, text=True, env=env
        )
    return server, proc, out


def test_station_prints_plc_link_and_point_faults(tmp_path: Path) -> None:
    server, proc, out = start_station(tmp_path, 5000)  # 5.0 MPa on a 0-1.6 MPa gauge: out of range
    try:
        text = read_until(out, "main.pressure: never-read -> out-of-range", proc, 30)
        assert f"PLC panel connected (127.0.0.1:{server.port})" in text, text
        assert "main.pressure: never-read -> out-of-range" in text, text
        assert "tank.level" not in text, "a point that turns good on start-up must not be printed"

        server.stop()
        text = read_until(out, "PLC panel disconnected", proc, 10)
        assert "PLC panel disconnected" in text, text
        assert "main.pressure: out-of-range -> comm-fail" in text, "leaving a point fault is reported"
        assert "tank.level: good -> comm-fail" not in text, "comm-fail is one PLC line, not one per point"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        server.stop()
    assert code == 0
    assert "station: stopped" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_station_stops_cleanly_on_sigint_and_sigterm(tmp_path: Path, signum: signal.Signals) -> None:
    """Ctrl+C in a terminal (SIGINT) and a service manager's stop (SIGTERM) end it the same way."""
    server, proc, out = start_station(tmp_path, 500)
    try:
        text = read_until(out, "PLC panel connected", proc, 30)
        assert "PLC panel connected" in text, text
        proc.send_signal(signum)
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"wardroom station did not stop within 5 s of {signum.name}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        server.stop()
    text = out.read_text(encoding="utf-8")
    assert code == 0, text
    assert "station: stopping" in text and text.rstrip().endswith("station: stopped"), text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text

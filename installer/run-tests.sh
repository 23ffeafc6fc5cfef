#!/usr/bin/env bash
# Installs everything (Python packages and the Debian packages the tests use) and runs the whole
# check: ruff, mypy, then the full pytest suite (which includes the import-linter contracts and the
# Qt-blocked headless commands, tests/test_architecture.py). Exits non-zero on any failure, and
# when pytest collects no tests at all.
#
#   bash installer/run-tests.sh              # everything
#   bash installer/run-tests.sh -k station   # extra arguments go to pytest
#
# A throwaway PostgreSQL server is started on a free 127.0.0.1 port for the tests that need one
# (WARDROOM_TEST_PG_URL, unless already set) and removed on exit.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
TOTAL_START=$SECONDS

say() { printf '[run-tests %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# phase NAME CMD...: runs CMD, logs its duration and outcome, records a failure.
FAILED=()
phase() {
  local name=$1 start=$SECONDS rc
  shift
  say "=== $name: start"
  "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    say "=== $name: ok ($((SECONDS - start)) s)"
  else
    say "=== $name: FAILED with exit code $rc ($((SECONDS - start)) s)"
    FAILED+=("$name")
  fi
  return "$rc"
}

# ------------------------------------------------------------------ install
phase "setup" bash installer/setup.sh --with-test-deps || exit 1

# ------------------------------------------------------------------ PostgreSQL
PG_DIR=""
PG_BIN=""
PG_RUN=()
cleanup() {
  if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
    "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    say "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin"
    return 1
  fi
  local port
  port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wardroom-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: run it as the Debian package's postgres user.
    chown postgres: "$PG_DIR"
    PG_RUN=(runuser -u postgres --)
  else
    PG_RUN=()
  fi
  "${PG_RUN[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-locale -E UTF8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
  "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=200" start \
    >/dev/null || { cat "$PG_DIR/server.log"; return 1; }
  "${PG_RUN[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres wardroom_test || return 1
  export WARDROOM_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/wardroom_test"
  say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $WARDROOM_TEST_PG_URL"
}
if [ -n "${WARDROOM_TEST_PG_URL:-}" ]; then
  say "PostgreSQL: using WARDROOM_TEST_PG_URL from the environment"
else
  phase "postgresql" start_postgres || exit 1
fi

# ------------------------------------------------------------------ checks
export QT_QPA_PLATFORM=offscreen
export PYTHONDONTWRITEBYTECODE=1
mkdir -p artifacts

phase "ruff" "$PY" -m ruff check .
phase "mypy" "$PY" -m mypy

# WARDROOM_REQUIRE_PEERS=1: a test whose real peer (socat for the Modbus RTU pty pair, ...) is missing
# fails instead of skipping. This script installs every peer, so a skip here would hide a broken set-up.
#
# The soak tests (marker "soak": minutes of a running GUI or of stream outages, sampled every few
# seconds) mostly wait, so they run in a second pytest beside the others, with a few modules of CLI
# subprocesses (marker "second_lane", tests/conftest.py says which): the whole run stays within CI's
# time budget on two cores. Their output follows the main run's; either failing fails the phase.
run_pytest() {
  local soak_log=artifacts/pytest-soak.log
  WARDROOM_REQUIRE_PEERS=1 "$PY" -m pytest -m "soak or second_lane" --junitxml=artifacts/junit-soak.xml "$@" \
    >"$soak_log" 2>&1 &
  local soak_pid=$!
  WARDROOM_REQUIRE_PEERS=1 "$PY" -m pytest -m "not soak and not second_lane" --junitxml=artifacts/junit.xml "$@"
  local rc=$?
  local soak_rc=0
  wait "$soak_pid" || soak_rc=$?
  say "soak and second-lane tests (run beside the others):"
  cat "$soak_log"
  if [ "$rc" -eq 5 ]; then
    say "pytest collected no tests: that is a failure, not a pass"
    return 5
  fi
  if [ "$rc" -ne 0 ]; then
    return "$rc"
  fi
  if [ "$soak_rc" -ne 0 ] && [ "$soak_rc" -ne 5 ]; then  # 5: a -k selection left no soak test
    return "$soak_rc"
  fi
  return 0
}
phase "pytest" run_pytest "$@"

# ------------------------------------------------------------------ verdict
if [ ${#FAILED[@]} -gt 0 ]; then
  say "FAILED: ${FAILED[*]} (total $((SECONDS - TOTAL_START)) s)"
  exit 1
fi
say "all checks passed (total $((SECONDS - TOTAL_START)) s)"

#!/usr/bin/env bash
# Every test, on both databases the services support: the whole workspace on PostgreSQL
# (`cargo test --workspace`), and each service's integration suite once more on SQLite, the
# embedded default (GIGSHIELD_TEST_DATABASE=sqlite). The SQLite pass runs beside the first one:
# a suite spends most of its time waiting for Kafka and PostgreSQL, not on the two cores, so
# both fit in the time of one. Its output goes to .local/test-sqlite.log, shown on failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

CARGO="${CARGO:-cargo}"
SERVICES=(enrollment premium incident claims fund)
SQLITE_LOG="$LOCAL_DIR/test-sqlite.log"

# Everything is built before either pass starts: two cargo builds never run at once.
$CARGO test --workspace --locked --no-run

sqlite_pass() {
  local failed=()
  for service in "${SERVICES[@]}"; do
    echo "== gigshield-$service on SQLite"
    GIGSHIELD_TEST_DATABASE=sqlite $CARGO test --locked -p "gigshield-$service" --test it \
      || failed+=("$service")
  done
  if ((${#failed[@]})); then
    echo "failed on SQLite: ${failed[*]}"
    return 1
  fi
}

sqlite_pass >"$SQLITE_LOG" 2>&1 &
sqlite_pid=$!
trap 'kill "$sqlite_pid" 2>/dev/null || true' EXIT

status=0
$CARGO test --workspace --locked || status=$?

if wait "$sqlite_pid"; then
  log "SQLite pass:"
  grep -E '^== |^test result' "$SQLITE_LOG" >&2
else
  log "SQLite pass failed; its output ($SQLITE_LOG):"
  cat "$SQLITE_LOG" >&2
  status=1
fi
trap - EXIT
exit "$status"

#!/usr/bin/env bash
# Every test, on both databases the services support: the whole workspace on PostgreSQL
# (`cargo test --workspace`), and each service's integration suite once more on SQLite, the
# embedded default (GIGSHIELD_TEST_DATABASE=sqlite). The SQLite pass runs beside the first one:
# a suite spends most of its time waiting for Kafka and PostgreSQL, not on the two cores, so
# both fit in the time of one. It runs the suites' binaries the first build made (no second
# build beside the first pass); its output goes to .local/test-sqlite.log, shown on failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

CARGO="${CARGO:-cargo}"
SERVICES=(enrollment premium incident claims fund)
SQLITE_LOG="$LOCAL_DIR/test-sqlite.log"

# Everything is built before either pass starts; the build's messages name each test binary.
$CARGO test --workspace --locked --no-run --message-format=json-render-diagnostics \
  >"$LOCAL_DIR/test-build.json"

# The `it` binary of a service package.
suite_binary() {
  python3 - "$LOCAL_DIR/test-build.json" "gigshield-$1" <<'PY'
import json, sys
path, package = sys.argv[1], sys.argv[2]
for line in open(path):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if (m.get("reason") == "compiler-artifact" and m.get("executable")
            and m["target"]["name"] == "it" and m["package_id"].split("#")[-1].split("@")[0] == package):
        print(m["executable"])
        break
PY
}

sqlite_pass() {
  local failed=()
  for service in "${SERVICES[@]}"; do
    local binary
    binary="$(suite_binary "$service")"
    [[ -x "$binary" ]] || { echo "no integration suite binary for $service"; failed+=("$service"); continue; }
    echo "== gigshield-$service on SQLite"
    # From the package's folder, as cargo runs it.
    (cd "services/$service" && GIGSHIELD_TEST_DATABASE=sqlite "$binary") || failed+=("$service")
  done
  if ((${#failed[@]})); then
    echo "failed on SQLite: ${failed[*]}"
    return 1
  fi
}

# Its own process group, so an interrupted run stops the whole pass, not only its shell.
set -m
sqlite_pass >"$SQLITE_LOG" 2>&1 &
sqlite_pid=$!
set +m
trap 'kill -- "-$sqlite_pid" 2>/dev/null || true' EXIT INT TERM

status=0
GIGSHIELD_TEST_DATABASE=postgres $CARGO test --workspace --locked || status=$?

if wait "$sqlite_pid"; then
  log "SQLite pass:"
  grep -E '^== |^test result' "$SQLITE_LOG" >&2
else
  log "SQLite pass failed; its output ($SQLITE_LOG):"
  cat "$SQLITE_LOG" >&2
  status=1
fi
trap - EXIT INT TERM
exit "$status"

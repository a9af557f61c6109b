#!/usr/bin/env bash
# `make bench`: release builds, the local infrastructure, then each service as its own
# process on a clean database with a load generator as an outside gRPC client. Numbers go to
# BENCHMARKS.md (rewritten per section by the generators, never by hand).
#   tests/load/bench.sh [enrollment]      (default: every benchmark that exists)
# Sizes: BENCH_WORKERS (default 200000), BENCH_GET_RATE (500), BENCH_GET_SECONDS (20).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
source deploy/local/lib.sh
set -a
source deploy/local/dev.env
set +a

cargo build --release --locked -p gigshield-enrollment -p gigshield-cli
BIN="$REPO_ROOT/target/release"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

bench_enrollment() {
  deploy/local/postgres.sh recreate-db bench_enrollment
  local url="$PG_URL_BASE/bench_enrollment"
  DATABASE_URL="$url" GRPC_ADDR=127.0.0.1:50151 RUST_LOG=warn \
    "$BIN/gigshield-enrollment" >"$LOCAL_DIR/bench-enrollment.log" 2>&1 &
  pids+=($!)
  "$BIN/gigshield" load enrollment --addr http://127.0.0.1:50151 --database-url "$url" \
    --workers "${BENCH_WORKERS:-200000}" --get-rate "${BENCH_GET_RATE:-500}" \
    --get-seconds "${BENCH_GET_SECONDS:-20}" --report BENCHMARKS.md
  kill "${pids[-1]}"
}

for bench in "${@:-enrollment}"; do
  "bench_$bench"
done
log "results written to BENCHMARKS.md"

#!/usr/bin/env bash
# `make bench`: release builds, the local infrastructure, then each service as its own
# process on a clean database with a load generator as an outside gRPC client. Numbers go to
# BENCHMARKS.md (rewritten per section by the generators, never by hand).
#   tests/load/bench.sh [enrollment] [premium] [claims]   (default: every benchmark)
# Sizes, enrollment: BENCH_WORKERS (default 200000), BENCH_GET_RATE (500), BENCH_GET_SECONDS (20).
# Sizes, premium: BENCH_PREMIUM_WORKERS (20000), BENCH_ORDERS (5000000), BENCH_STREAMS (4),
#   BENCH_STORED (50000000, orders stored for VerifyWorkActivity), BENCH_VERIFY_RATE (200),
#   BENCH_VERIFY_SECONDS (30), BENCH_REPLICA_ORDERS (1000000, each leg of one replica against two);
#   BENCH_PREMIUM_ARGS adds options (`gigshield load premium --help`).
#   BENCH_KEEP_DBS=1 keeps the bench databases afterwards.
# Sizes, claims: BENCH_CLAIMS_RATE (50 applications/s), BENCH_CLAIMS_SECONDS (60); then ghz
#   against premium's VerifyWorkActivity: BENCH_GHZ_RATE (200), BENCH_GHZ_SECONDS (20).
# Every load generator measures its baseline in the same run: a no-op tonic RPC at its rate.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
source deploy/local/lib.sh
set -a
source deploy/local/dev.env
set +a

cargo build --release --locked -p gigshield-enrollment -p gigshield-premium -p gigshield-claims \
  -p gigshield-cli
BIN="$REPO_ROOT/target/release"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # An interrupted premium bench still gives the consumer group back.
  if [[ -n "${PREMIUM_GROUP_TAKEN:-}" ]]; then premium_group_give_back; fi
  # An interrupted claims bench still deletes its topics, groups and databases.
  if [[ -n "${CLAIMS_PREFIX:-}" ]]; then claims_cleanup; fi
}
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
  wait "${pids[-1]}" 2>/dev/null || true
  [[ -n "${BENCH_KEEP_DBS:-}" ]] || deploy/local/postgres.sh drop-db bench_enrollment
}

# Kafka's consumer-group tool, from the broker jars deploy/local/kafka.sh fetched.
kafka_groups() {
  local libs="$LOCAL_DIR/kafka/libs"
  [[ -d "$libs" ]] || die "Kafka tools not found in $libs (make infra-up fetches them)"
  java -Xmx128m -cp "$libs/*" -Dlog4j2.configurationFile="$REPO_ROOT/deploy/local/kafka/log4j2.properties" \
    org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" "$@" 2> >(grep -v '^SLF4J' >&2)
}

# Premium's replica reads enrollment.events.v1 as the consumer group "premium" (a constant in
# the service), the group `make dev` uses too. The bench's premium must start at the end of
# the topic (not replay every event ever published) and must not leave its offsets behind for
# the dev service: the group's offsets are saved, moved to the end, and restored afterwards
# (or the group deleted when there was none).
PREMIUM_GROUP=premium
PREMIUM_GROUP_SAVED="$LOCAL_DIR/bench-premium-group-offsets.csv"
group_members() {
  kafka_groups --describe --group "$PREMIUM_GROUP" --state 2>/dev/null |
    awk -v g="$PREMIUM_GROUP" '$1 == g { print $NF }'
}
group_exists() { kafka_groups --list | grep -x "$PREMIUM_GROUP" >/dev/null; }
premium_group_take() {
  rm -f "$PREMIUM_GROUP_SAVED"
  if group_exists; then
    local members
    members="$(group_members)"
    [[ "$members" == 0 ]] || die "consumer group $PREMIUM_GROUP has $members active members (is a premium service running?)"
    kafka_groups --reset-offsets --group "$PREMIUM_GROUP" --topic enrollment.events.v1 \
      --to-current --dry-run --export >"$PREMIUM_GROUP_SAVED"
  fi
  PREMIUM_GROUP_TAKEN=1
  kafka_groups --reset-offsets --group "$PREMIUM_GROUP" --topic enrollment.events.v1 \
    --to-latest --execute >/dev/null
}
# After the bench's premium has exited; its member may linger until the session times out.
premium_group_give_back() {
  local _ out
  [[ -n "${PREMIUM_GROUP_TAKEN:-}" ]] || return 0
  PREMIUM_GROUP_TAKEN=
  for _ in $(seq 1 60); do
    if [[ ! -s "$PREMIUM_GROUP_SAVED" ]] && ! group_exists; then return 0; fi
    if [[ "$(group_members)" == 0 ]]; then
      if [[ -s "$PREMIUM_GROUP_SAVED" ]]; then
        out="$(kafka_groups --reset-offsets --group "$PREMIUM_GROUP" --from-file "$PREMIUM_GROUP_SAVED" \
          --execute 2>&1 || true)"
        if [[ "$out" == *NEW-OFFSET* ]]; then rm -f "$PREMIUM_GROUP_SAVED"; return 0; fi
      else
        kafka_groups --delete --group "$PREMIUM_GROUP" >/dev/null 2>&1 || true
      fi
    fi
    sleep 2
  done
  log "warning: could not give consumer group $PREMIUM_GROUP back (saved offsets, if any: $PREMIUM_GROUP_SAVED)"
}

PREMIUM_DBS=(bench_enrollment_p bench_premium bench_premium_copy)
drop_premium_dbs() {
  [[ -n "${BENCH_KEEP_DBS:-}" ]] && return 0
  for db in "${PREMIUM_DBS[@]}"; do deploy/local/postgres.sh drop-db "$db"; done
}

# Enrollment and premium as their own processes on fresh databases; riders registered with
# enrollment reach premium over Kafka; `gigshield load premium` streams the orders, measures
# the COPY ceiling in bench_premium_copy, grows bench_premium's orders and measures
# VerifyWorkActivity. The databases are dropped at the end to give the disk back.
bench_premium() {
  local enrollment_port=50161 premium_port=50162 second_port=50163 db
  for db in "${PREMIUM_DBS[@]}"; do deploy/local/postgres.sh recreate-db "$db"; done
  premium_group_take
  DATABASE_URL="$PG_URL_BASE/bench_enrollment_p" GRPC_ADDR="127.0.0.1:$enrollment_port" RUST_LOG=warn \
    "$BIN/gigshield-enrollment" >"$LOCAL_DIR/bench-premium-enrollment.log" 2>&1 &
  local enrollment_pid=$!
  pids+=("$enrollment_pid")
  DATABASE_URL="$PG_URL_BASE/bench_premium" GRPC_ADDR="127.0.0.1:$premium_port" RUST_LOG=warn \
    "$BIN/gigshield-premium" >"$LOCAL_DIR/bench-premium.log" 2>&1 &
  local premium_pid=$!
  pids+=("$premium_pid")
  # A second replica on the same database, for the one-against-two comparison.
  DATABASE_URL="$PG_URL_BASE/bench_premium" GRPC_ADDR="127.0.0.1:$second_port" RUST_LOG=warn \
    "$BIN/gigshield-premium" >"$LOCAL_DIR/bench-premium-2.log" 2>&1 &
  local second_pid=$!
  pids+=("$second_pid")
  local pg_bin status=0
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  "$BIN/gigshield" load premium \
    --addr "http://127.0.0.1:$premium_port" --second-addr "http://127.0.0.1:$second_port" \
    --replica-orders "${BENCH_REPLICA_ORDERS:-1000000}" --enrollment-addr "http://127.0.0.1:$enrollment_port" \
    --database-url "$PG_URL_BASE/bench_premium" --copy-database-url "$PG_URL_BASE/bench_premium_copy" \
    --pg-bin "$pg_bin" --csv "$LOCAL_DIR/bench-premium-orders.csv" \
    --workers "${BENCH_PREMIUM_WORKERS:-20000}" --orders "${BENCH_ORDERS:-5000000}" \
    --streams "${BENCH_STREAMS:-4}" --stored "${BENCH_STORED:-50000000}" \
    --verify-rate "${BENCH_VERIFY_RATE:-200}" --verify-seconds "${BENCH_VERIFY_SECONDS:-30}" \
    ${BENCH_PREMIUM_ARGS:-} --report BENCHMARKS.md || status=$?
  kill "$premium_pid" "$second_pid" "$enrollment_pid" 2>/dev/null || true
  wait "$premium_pid" "$second_pid" "$enrollment_pid" 2>/dev/null || true
  premium_group_give_back
  drop_premium_dbs
  return "$status"
}

# Kafka's topic tool, from the same jars.
kafka_topics() {
  local libs="$LOCAL_DIR/kafka/libs"
  [[ -d "$libs" ]] || die "Kafka tools not found in $libs (make infra-up fetches them)"
  java -Xmx128m -cp "$libs/*" -Dlog4j2.configurationFile="$REPO_ROOT/deploy/local/kafka/log4j2.properties" \
    org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" "$@" 2> >(grep -v '^SLF4J' >&2)
}

# ghz, pinned, installed once into .local/bin the way deploy/k8s-check.sh installs its tools.
GHZ_VERSION=v0.121.0
GHZ_PKG=github.com/bojand/ghz/cmd/ghz
install_ghz() {
  local bin="$LOCAL_DIR/bin" stamp="$LOCAL_DIR/bin/.ghz.version"
  mkdir -p "$bin"
  if [[ -x "$bin/ghz" && "$(cat "$stamp" 2>/dev/null)" == "$GHZ_PKG@$GHZ_VERSION" ]]; then return; fi
  command -v go >/dev/null || die "Go is required to install ghz (Debian: golang-go, or https://go.dev/dl)"
  log "installing ghz $GHZ_VERSION (go install; a minute or two the first time)"
  GOBIN="$bin" go install "$GHZ_PKG@$GHZ_VERSION"
  echo "$GHZ_PKG@$GHZ_VERSION" >"$stamp"
}

# The claim pipeline: enrollment, premium and claims as their own processes on fresh databases,
# with topics and consumer groups of this run only (KAFKA_TOPIC_PREFIX), so nothing of `make dev`
# is read or moved. No incident service runs: `gigshield load claims` publishes the
# ApplicationFiled events itself. The topics the services subscribe to are created first (a
# consumer does not see a topic created after it subscribed until its next metadata refresh,
# minutes later). Then ghz, an outside client, against premium while the stack is up.
CLAIMS_DBS=(bench_claims_enrollment bench_claims_premium bench_claims)
claims_cleanup() {
  local prefix="$CLAIMS_PREFIX" db
  CLAIMS_PREFIX=
  kafka_topics --delete --if-exists --topic "${prefix//./\\.}.*" >/dev/null 2>&1 ||
    log "warning: could not delete the topics ${prefix}*"
  for group in premium claims claims-incident; do
    kafka_groups --delete --group "$prefix$group" >/dev/null 2>&1 || true
  done
  [[ -n "${BENCH_KEEP_DBS:-}" ]] && return 0
  for db in "${CLAIMS_DBS[@]}"; do deploy/local/postgres.sh drop-db "$db"; done
}

bench_claims() {
  local enrollment_port=50171 premium_port=50172 claims_port=50173 db status=0
  for db in "${CLAIMS_DBS[@]}"; do deploy/local/postgres.sh recreate-db "$db"; done
  CLAIMS_PREFIX="bench-claims-$(date +%s)-$$."
  local prefix="$CLAIMS_PREFIX" topic
  for topic in enrollment.events.v1 incident.events.v1; do
    kafka_topics --create --if-not-exists --topic "$prefix$topic" --partitions 12 \
      --replication-factor 1 >/dev/null
  done
  KAFKA_TOPIC_PREFIX="$prefix" DATABASE_URL="$PG_URL_BASE/bench_claims_enrollment" \
    GRPC_ADDR="127.0.0.1:$enrollment_port" RUST_LOG=warn \
    "$BIN/gigshield-enrollment" >"$LOCAL_DIR/bench-claims-enrollment.log" 2>&1 &
  local enrollment_pid=$!
  pids+=("$enrollment_pid")
  KAFKA_TOPIC_PREFIX="$prefix" DATABASE_URL="$PG_URL_BASE/bench_claims_premium" \
    GRPC_ADDR="127.0.0.1:$premium_port" RUST_LOG=warn \
    "$BIN/gigshield-premium" >"$LOCAL_DIR/bench-claims-premium.log" 2>&1 &
  local premium_pid=$!
  pids+=("$premium_pid")
  KAFKA_TOPIC_PREFIX="$prefix" DATABASE_URL="$PG_URL_BASE/bench_claims" \
    GRPC_ADDR="127.0.0.1:$claims_port" RUST_LOG=warn \
    CLAIMS_PREMIUM_ADDR="http://127.0.0.1:$premium_port" \
    "$BIN/gigshield-claims" >"$LOCAL_DIR/bench-claims.log" 2>&1 &
  local claims_pid=$!
  pids+=("$claims_pid")
  "$BIN/gigshield" load claims \
    --addr "http://127.0.0.1:$claims_port" --enrollment-addr "http://127.0.0.1:$enrollment_port" \
    --premium-addr "http://127.0.0.1:$premium_port" \
    --premium-database-url "$PG_URL_BASE/bench_claims_premium" \
    --claims-database-url "$PG_URL_BASE/bench_claims" \
    --kafka-bootstrap-servers "$KAFKA_BOOTSTRAP_SERVERS" --topic-prefix "$prefix" \
    --rate "${BENCH_CLAIMS_RATE:-50}" --seconds "${BENCH_CLAIMS_SECONDS:-60}" \
    --report BENCHMARKS.md || status=$?
  if ((status == 0)); then
    install_ghz
    "$BIN/gigshield" load ghz --ghz "$LOCAL_DIR/bin/ghz" --ghz-version "$GHZ_VERSION" \
      --target "127.0.0.1:$premium_port" --database-url "$PG_URL_BASE/bench_claims_premium" \
      --rate "${BENCH_GHZ_RATE:-200}" --seconds "${BENCH_GHZ_SECONDS:-20}" \
      --report BENCHMARKS.md || status=$?
  fi
  kill "$claims_pid" "$premium_pid" "$enrollment_pid" 2>/dev/null || true
  wait "$claims_pid" "$premium_pid" "$enrollment_pid" 2>/dev/null || true
  claims_cleanup
  return "$status"
}

if (($# == 0)); then set -- enrollment premium claims; fi
for bench in "$@"; do
  "bench_$bench"
done
log "results written to BENCHMARKS.md"

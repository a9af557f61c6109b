#!/usr/bin/env bash
# Runs every gigshield service that exists against the local infrastructure, each on its own
# port and database, until Ctrl-C. `make dev` calls it after `make infra-up`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# name:grpc-port:metrics-port — a service is started when its crate exists.
SERVICES=(enrollment:50051:9461 premium:50052:9462 incident:50053:9463 claims:50054:9464 fund:50055:9465)

set -a
source "$REPO_ROOT/deploy/local/dev.env"
set +a

present=()
for entry in "${SERVICES[@]}"; do
  name="${entry%%:*}"
  [[ -f "$REPO_ROOT/services/$name/Cargo.toml" ]] && present+=("$entry")
done

if ((${#present[@]} == 0)); then
  log "infrastructure is up (PostgreSQL $PG_URL_BASE, Kafka $KAFKA_BOOTSTRAP_SERVERS); no service crate exists yet"
  exit 0
fi

names=()
for entry in "${present[@]}"; do names+=("-p" "gigshield-${entry%%:*}"); done
cargo build --locked "${names[@]}"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for entry in "${present[@]}"; do
  IFS=: read -r name grpc metrics <<<"$entry"
  log "starting $name on 127.0.0.1:$grpc (metrics :$metrics)"
  DATABASE_URL="$PG_URL_BASE/$name" GRPC_ADDR="127.0.0.1:$grpc" METRICS_ADDR="127.0.0.1:$metrics" \
    "$REPO_ROOT/target/debug/gigshield-$name" &
  pids+=($!)
done
log "mint a token with: make token ARGS=\"--role operator\""
wait

#!/usr/bin/env bash
# The local infrastructure every test and `make dev` needs: PostgreSQL and Kafka.
#   infra.sh up | down | status
# Idempotent: `up` twice leaves one of each running.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-}" in
  up) "$HERE/postgres.sh" up; "$HERE/kafka.sh" up ;;
  down) "$HERE/kafka.sh" down; "$HERE/postgres.sh" down ;;
  status) "$HERE/postgres.sh" status; "$HERE/kafka.sh" status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

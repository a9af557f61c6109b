#!/usr/bin/env bash
# Local PostgreSQL for development and tests: one cluster under .local/, one database per
# service, a `gigshield` role that may create the per-test databases.
#   postgres.sh up | down | status | recreate-db NAME | drop-db NAME
# With GIGSHIELD_PG_ADMIN_URL set, an existing server is used and nothing is started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${GIGSHIELD_PG_PORT:-5432}"
SERVICE_DATABASES=(enrollment premium incident claims fund)
ROLE=gigshield
PASSWORD=gigshield

pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [[ -z "$dir" ]]; then
    # The Debian package would create and start its own cluster on 5432; ours replaces it.
    mkdir -p /etc/postgresql-common
    grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
      echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
    apt_install postgresql
    dir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  fi
  echo "$dir"
}

# PostgreSQL refuses to run as root, so as root the cluster belongs to the postgres user.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster lives in .local/postgres unless the postgres user cannot reach that folder
# (a checkout under /root, say); then under /var/tmp, keyed by the checkout's path.
pg_dir() {
  local dir="$LOCAL_DIR/postgres"
  mkdir -p "$dir"
  if [[ "$(id -u)" == 0 ]]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      dir="/var/tmp/gigshield-$(printf '%s' "$LOCAL_DIR" | sha256sum | cut -c1-12)/postgres"
      mkdir -p "$dir"
      chown -R postgres: "$(dirname "$dir")"
    fi
  fi
  echo "$dir"
}

BIN="$(pg_bindir)"
PG_DIR="$(pg_dir)"
DATA="$PG_DIR/data"
RUN="$PG_DIR/run"
LOGFILE="$PG_DIR/postgres.log"

# TLS as in production, so clients can verify the server (sslmode=verify-full): a local CA
# ($TLS_DIR/ca.crt, what the tests and a client's sslrootcert point at) and a certificate for
# localhost / 127.0.0.1 signed by it. Plaintext connections stay allowed (pg_hba `host`).
TLS_DIR="$LOCAL_DIR/postgres-tls"

ensure_tls_files() {
  [[ -f "$TLS_DIR/ca.crt" && -f "$PG_DIR/server.crt" && -f "$PG_DIR/server.key" ]] && return
  command -v openssl >/dev/null || apt_install openssl
  log "minting the local PostgreSQL CA and server certificate ($TLS_DIR)"
  mkdir -p "$TLS_DIR"
  local tmp
  tmp="$(mktemp -d)"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 3650 \
    -subj "/CN=gigshield local PostgreSQL CA" -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt" 2>/dev/null
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=localhost" \
    -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tmp/ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -days 3650 -extfile "$tmp/ext" -out "$tmp/server.crt" 2>/dev/null
  install -m 0644 "$tmp/server.crt" "$PG_DIR/server.crt"
  install -m 0600 "$tmp/server.key" "$PG_DIR/server.key"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$PG_DIR/server.crt" "$PG_DIR/server.key"
  rm -rf "$tmp"
}

psql_admin() { as_pg "$BIN/psql" -h "$RUN" -p "$PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 "$@"; }

is_running() { as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

up() {
  if [[ -n "${GIGSHIELD_PG_ADMIN_URL:-}" ]]; then
    log "GIGSHIELD_PG_ADMIN_URL is set: using that server, starting nothing"
    return 0
  fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initialising cluster in $DATA"
    as_pg mkdir -p "$DATA" "$RUN"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
      { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  as_pg mkdir -p "$RUN"
  if ! is_running; then
    log "starting PostgreSQL on 127.0.0.1:$PORT"
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$RUN -c max_connections=400 -c shared_buffers=256MB" \
      start >/dev/null || { tail -n 30 "$LOGFILE" >&2; die "PostgreSQL did not start"; }
  fi
  # SSD storage: with the default random_page_cost (4) the planner answers a batch lookup of
  # 1000 keys with a scan of the whole table instead of the unique index. Reloadable.
  if [[ "$(psql_admin -c "SHOW random_page_cost")" != "1.1" ]]; then
    psql_admin -c "ALTER SYSTEM SET random_page_cost = 1.1" -c "SELECT pg_reload_conf()" >/dev/null
  fi
  # Ingest writes about 1 GB of WAL per million orders: with the default max_wal_size (1 GB)
  # a checkpoint starts every million orders and the first change of every page after it is
  # logged whole. Fewer checkpoints and compressed full-page images (BENCHMARKS.md, premium
  # notes). Reloadable.
  if [[ "$(psql_admin -c "SHOW max_wal_size")" != "8GB" ]]; then
    psql_admin -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '15min'" \
      -c "ALTER SYSTEM SET wal_compression = 'lz4'" -c "SELECT pg_reload_conf()" >/dev/null
  fi
  ensure_tls_files
  if [[ "$(psql_admin -c "SHOW ssl")" != on || "$(psql_admin -c "SHOW ssl_cert_file")" != "$PG_DIR/server.crt" ]]; then
    psql_admin -c "ALTER SYSTEM SET ssl_cert_file = '$PG_DIR/server.crt'" \
      -c "ALTER SYSTEM SET ssl_key_file = '$PG_DIR/server.key'" -c "ALTER SYSTEM SET ssl = on" \
      -c "SELECT pg_reload_conf()" >/dev/null
    local tries=0
    until [[ "$(psql_admin -c "SHOW ssl")" == on ]]; do
      ((tries++ < 50)) || die "PostgreSQL did not turn TLS on (see $LOGFILE)"
      sleep 0.1
    done
  fi
  if [[ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]]; then
    psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
  fi
  for db in "${SERVICE_DATABASES[@]}"; do
    if [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
      psql_admin -c "CREATE DATABASE $db OWNER $ROLE"
    fi
  done
  log "PostgreSQL ready: postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/{${SERVICE_DATABASES[*]}}"
}

down() {
  if is_running; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    log "PostgreSQL stopped"
  else
    log "PostgreSQL is not running"
  fi
}

# Drops and recreates one database owned by the gigshield role (benchmarks start clean).
recreate_db() {
  local db="$1"
  [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name must be lowercase letters, digits and _"
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  psql_admin -c "CREATE DATABASE $db OWNER $ROLE"
  log "database $db recreated"
}

# Drops a database (benchmarks give their disk back when done).
drop_db() {
  local db="$1"
  [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name must be lowercase letters, digits and _"
  psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  log "database $db dropped"
}

status() {
  if is_running; then echo "postgres: running (127.0.0.1:$PORT, data $DATA)"; else echo "postgres: stopped"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  recreate-db) recreate_db "${2:?database name}" ;;
  drop-db) drop_db "${2:?database name}" ;;
  *) echo "usage: $0 up|down|status|recreate-db NAME|drop-db NAME" >&2; exit 2 ;;
esac

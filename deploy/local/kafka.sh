#!/usr/bin/env bash
# Local Apache Kafka 4.x, single node, KRaft, on 127.0.0.1:9092 — no Docker, no tarball:
# the broker jars come from Maven Central through kafka/pom.xml.
#   kafka.sh up | down | status
# With KAFKA_BOOTSTRAP_SERVERS set, that cluster is used and nothing is started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE="$REPO_ROOT/deploy/local/kafka"
PORT="${GIGSHIELD_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${GIGSHIELD_KAFKA_CONTROLLER_PORT:-9093}"
# The port clients are told to connect to: the listener's own, unless something forwards to
# it (the chaos run's fault proxy).
ADVERTISED_PORT="${GIGSHIELD_KAFKA_ADVERTISED_PORT:-$PORT}"
KAFKA_DIR="$LOCAL_DIR/kafka"
LIBS="$KAFKA_DIR/libs"
DATA="$KAFKA_DIR/data"
CONF="$KAFKA_DIR/server.properties"
PIDFILE="$KAFKA_DIR/kafka.pid"
LOGFILE="$KAFKA_DIR/kafka.log"

java_bin() {
  local java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  command -v "$java" >/dev/null || { apt_install openjdk-17-jre-headless; java=java; }
  local major
  major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')"
  [[ "${major%%.*}" -ge 17 ]] || die "Kafka 4 needs Java 17 or newer, found $major"
  echo "$java"
}

# Downloads the broker jars when absent or when the pom changed since the last download.
fetch_jars() {
  local stamp="$LIBS/.pom.sha256" want
  want="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return 0; fi
  command -v mvn >/dev/null || apt_install maven
  log "fetching Kafka jars from Maven Central"
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2
  echo "$want" >"$stamp"
}

answers_metadata() {
  "$JAVA" -Xmx128m -cp "$LIBS/*" -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" --list \
    >/dev/null 2>&1
}

up() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    log "KAFKA_BOOTSTRAP_SERVERS is set: using $KAFKA_BOOTSTRAP_SERVERS, starting nothing"
    return 0
  fi
  JAVA="$(java_bin)"
  fetch_jars
  if pid_alive "$PIDFILE" && answers_metadata; then
    log "Kafka already running on 127.0.0.1:$PORT"
    return 0
  fi
  mkdir -p "$DATA"
  sed -e "s#@DATA_DIR@#$DATA#" -e "s#@PORT@#$PORT#" -e "s#@ADVERTISED_PORT@#$ADVERTISED_PORT#" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#" \
    "$HERE/server.properties" >"$CONF"
  if [[ ! -f "$DATA/meta.properties" ]]; then
    local cluster_id
    cluster_id="$("$JAVA" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    log "formatting KRaft storage (cluster $cluster_id)"
    "$JAVA" -cp "$LIBS/*" -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
      kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONF" >"$KAFKA_DIR/format.log" 2>&1 ||
      { cat "$KAFKA_DIR/format.log" >&2; die "storage format failed"; }
  fi
  if ! pid_alive "$PIDFILE"; then
    log "starting Kafka on 127.0.0.1:$PORT"
    nohup "$JAVA" -Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
      -cp "$LIBS/*" kafka.Kafka "$CONF" >"$LOGFILE" 2>&1 &
    echo $! >"$PIDFILE"
  fi
  for _ in $(seq 1 90); do
    if answers_metadata; then
      log "Kafka ready on 127.0.0.1:$PORT"
      return 0
    fi
    pid_alive "$PIDFILE" || { tail -n 40 "$LOGFILE" >&2; die "Kafka exited during start"; }
    sleep 1
  done
  tail -n 40 "$LOGFILE" >&2
  die "Kafka did not answer metadata requests within 90 s"
}

down() { stop_pidfile "$PIDFILE" Kafka 60; }

# Deletes the topics earlier test runs left (`test.*` of the kit's new_topic, `e2e-*` of the
# end-to-end stacks): every test makes its own, and thousands of partition folders later the
# broker's disk and start-up time suffer. `make test` calls it first; never run it while
# another test run uses this broker. The contract's topics (`make dev`) are never touched.
prune() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    log "KAFKA_BOOTSTRAP_SERVERS is set: not pruning a broker this script does not own"
    return 0
  fi
  JAVA="$(java_bin)"
  local topics
  topics="$("$JAVA" -Xmx256m -cp "$LIBS/*" -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" --list 2>/dev/null |
    grep -cE '^(test\.|e2e-)' || true)"
  if [[ "$topics" == 0 ]]; then
    return 0
  fi
  log "deleting $topics topics of earlier test runs"
  "$JAVA" -Xmx256m -cp "$LIBS/*" -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$PORT" \
    --delete --if-exists --topic '(test\..*)|(e2e-.*)' >/dev/null 2>&1 ||
    log "warning: could not delete the old test topics (the tests make their own anyway)"
}

status() {
  if pid_alive "$PIDFILE"; then echo "kafka: running (127.0.0.1:$PORT, pid $(cat "$PIDFILE"))"; else echo "kafka: stopped"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  restart) down; up ;;
  status) status ;;
  prune) prune ;;
  *) echo "usage: $0 up|down|restart|status|prune" >&2; exit 2 ;;
esac

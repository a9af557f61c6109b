# Shared by the local infrastructure scripts: where state lives and how to run things.
# Sourced, not executed.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${GIGSHIELD_LOCAL_DIR:-$REPO_ROOT/.local}"
mkdir -p "$LOCAL_DIR"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Installs Debian packages when a tool is missing; only possible as root.
apt_install() {
  [[ "$(id -u)" == 0 ]] || die "missing $*; install it (Debian: apt-get install $*) or run as root"
  if [[ -z "${_APT_UPDATED:-}" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    _APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# True when a process with the PID stored in the file is alive.
pid_alive() {
  local pidfile="$1"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# Stops the process whose PID is in the file: TERM, then KILL after a grace period.
stop_pidfile() {
  local pidfile="$1" name="$2" grace="${3:-30}"
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "$name is not running"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  kill -TERM "$pid"
  for _ in $(seq 1 "$grace"); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "$name stopped"; return 0; }
    sleep 1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  log "$name killed after ${grace}s"
}

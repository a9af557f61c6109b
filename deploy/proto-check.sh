#!/usr/bin/env bash
# Guards the protobuf contract (part of `make k8s-check`, and run by CI on its own):
#   1. buf lint: the STANDARD rules plus a comment on every service, rpc, message, field,
#      enum, enum value and oneof (proto/buf.yaml);
#   2. buf breaking against the published contract, proto/published-contract.json (a buf
#      image without source info): every change must stay wire- and source-compatible with
#      it on any branch, main included. A deliberately breaking release renews it with
#      `make contract-snapshot`, visibly in review. So that this guard can fail at all, a copy
#      of proto/ with one field removed must be refused;
#   3. buf breaking against branch main, when it has .proto files (a change on a branch).
# buf is pinned and installed once into .local/bin (go install).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/local/lib.sh"
cd "$REPO_ROOT"

BUF_VERSION=v1.75.0
BIN="$LOCAL_DIR/bin"
BUF="$BIN/buf"
CONTRACT=proto/published-contract.json

install_buf() {
  local stamp="$BIN/.buf.version" want="github.com/bufbuild/buf/cmd/buf@$BUF_VERSION"
  [[ -x "$BUF" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]] && return
  command -v go >/dev/null || die "Go is required to install buf (Debian: golang-go, or https://go.dev/dl)"
  log "installing buf $BUF_VERSION (go install; a minute or two the first time)"
  mkdir -p "$BIN"
  GOBIN="$BIN" go install "$want"
  echo "$want" >"$stamp"
}

failures=0
check() {
  local what="$1"
  shift
  if "$@"; then log "ok: $what"; else log "FAIL: $what"; failures=$((failures + 1)); fi
}

refuses_a_removed_field() {
  local mutant
  mutant="$(mktemp -d)"
  cp -r proto/. "$mutant"
  sed -i '0,/^  string claim_id = 1;$/{/^  string claim_id = 1;$/d}' "$mutant/gigshield/events/v1/claims.proto"
  if cmp -s proto/gigshield/events/v1/claims.proto "$mutant/gigshield/events/v1/claims.proto"; then
    log "the mutation found nothing to remove in events/v1/claims.proto"
    rm -rf "$mutant"
    return 1
  fi
  # Refused for the removed field, not for anything else going wrong.
  local out
  out="$("$BUF" breaking "$mutant" --against "$CONTRACT" --error-format=json 2>&1 || true)"
  rm -rf "$mutant"
  grep -q "FIELD_NO_DELETE" <<<"$out"
}

install_buf
check "buf lint proto" "$BUF" lint proto
if [[ -f "$CONTRACT" ]]; then
  check "buf breaking proto against $CONTRACT" "$BUF" breaking proto --against "$CONTRACT"
  check "buf breaking refuses a contract with a field removed" refuses_a_removed_field
else
  log "FAIL: no published contract $CONTRACT (make contract-snapshot)"
  failures=$((failures + 1))
fi
if git rev-parse --verify --quiet refs/heads/main >/dev/null &&
  [[ -n "$(git ls-tree -r --name-only main -- proto | grep '\.proto$' || true)" ]]; then
  check "buf breaking proto against branch main" "$BUF" breaking proto --against '.git#branch=main,subdir=proto'
else
  log "skipped: buf breaking against main (branch main has no .proto files under proto/)"
fi
((failures == 0)) || die "$failures proto check(s) failed"

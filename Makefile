# The verbs a newcomer types. Everything a target needs is installed or started by the
# project's own scripts (deploy/local/*.sh); nothing is typed by hand.
SHELL := /bin/bash
CARGO ?= cargo

.DEFAULT_GOAL := help
.PHONY: help setup infra-up infra-down infra-status test lint fmt dev token bench demo chaos export-check

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: ## install build prerequisites (cmake, C compiler, zlib and curl headers) if missing
	@deploy/local/toolchain.sh

infra-up: ## start local PostgreSQL and Kafka (KRaft) unless already running
	@deploy/local/infra.sh up

infra-down: ## stop local Kafka and PostgreSQL
	@deploy/local/infra.sh down

infra-status: ## show what is running
	@deploy/local/infra.sh status

test: setup infra-up ## every test: unit, integration against real Kafka + PostgreSQL (each service suite also on SQLite), kill tests
	# The end-to-end and chaos tests run the binaries as processes; cargo test builds only the
	# binaries of packages that have integration tests, so the `gigshield` command comes first.
	$(CARGO) build --locked --bins
	@deploy/local/kafka.sh prune
	@CARGO="$(CARGO)" deploy/local/test.sh

lint: setup k8s-check lint-code ## rustfmt check, clippy with warnings as errors, deployment and contract checks

lint-code: setup ## what CI checks besides the tests: rustfmt, clippy (warnings are errors), the protobuf contract
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	@deploy/proto-check.sh

fmt: ## format the code
	$(CARGO) fmt --all

dev: setup infra-up ## infrastructure plus every service that exists, in the foreground
	@deploy/local/dev.sh

demo: setup infra-up ## bring up every service and simulate a city-month (ARGS="--workers 5000 ...")
	$(CARGO) build --locked --bins
	target/debug/gigshield demo $(ARGS)

chaos: setup ## the demo workload while services, Kafka and PostgreSQL are killed; checks invariants
	$(CARGO) build --locked --bins
	target/debug/gigshield chaos $(ARGS)

export-check: ## open the demo's export files with pyarrow and DuckDB (after `make demo`)
	@test -x .local/pyenv/bin/python || python3 -m venv .local/pyenv
	@.local/pyenv/bin/pip install -q pyarrow==26.0.1 duckdb==2.0.1
	.local/pyenv/bin/python tests/export/check.py .local/demo

bench: setup infra-up ## load generators against release builds; rewrites BENCHMARKS.md
	@tests/load/bench.sh

token: ## mint a development token: make token ARGS="--role operator"
	@$(CARGO) run -q -p gigshield-cli -- token $(ARGS)

.PHONY: release-build k8s-check contract-snapshot lint-code

release-build: setup ## optimised binaries of every service, as deploy/Dockerfile builds them
	$(CARGO) build --release --locked --bins

k8s-check: ## validate k8s/ (kustomize + kubeconform), docker-compose and proto/ (buf)
	@deploy/k8s-check.sh

contract-snapshot: ## publish the current proto/ as the contract later changes must stay compatible with
	@deploy/contract-snapshot.sh

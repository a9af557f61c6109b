# The verbs a newcomer types. Everything a target needs is installed or started by the
# project's own scripts (deploy/local/*.sh); nothing is typed by hand.
SHELL := /bin/bash
CARGO ?= cargo

.DEFAULT_GOAL := help
.PHONY: help setup infra-up infra-down infra-status test lint fmt dev token

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: ## install build prerequisites (cmake, C compiler, zlib and curl headers) if missing
	@deploy/local/toolchain.sh

infra-up: ## start local PostgreSQL and Kafka (KRaft) unless already running
	@deploy/local/infra.sh up

infra-down: ## stop local Kafka and PostgreSQL
	@deploy/local/infra.sh down

infra-status: ## show what is running
	@deploy/local/infra.sh status

test: setup infra-up ## every test: unit, integration against real Kafka + PostgreSQL, kill tests
	$(CARGO) test --workspace --locked

lint: setup ## rustfmt check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt: ## format the code
	$(CARGO) fmt --all

dev: setup infra-up ## infrastructure plus every service that exists, in the foreground
	@deploy/local/dev.sh

token: ## mint a development token: make token ARGS="--role operator"
	@$(CARGO) run -q -p gigshield-cli -- token $(ARGS)

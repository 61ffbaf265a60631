# RGrid developer tasks. `make help` lists them; the work is done by scripts/ so CI and
# developers run exactly the same steps. See docs/development.md.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

MODULES := common api cli orchestrator runner tests
# Binaries: name:module:main package folder (relative to the module).
BINARIES := rgrid-api:api:cmd/rgrid-api rgrid:cli:cmd/rgrid \
	rgrid-orchestrator:orchestrator:cmd/rgrid-orchestrator rgrid-runner:runner:cmd/rgrid-runner
ARGS ?=

.PHONY: help setup tools hooks deps services-up services-down services-status test lint \
	check-gitignore format build clean dev bench fuzz ci

help: ## Show this list
	@echo "RGrid make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Quick start: make dev  (no services needed), or  make setup && make test"

setup: deps tools hooks services-up ## Download modules, install pinned tools and the pre-commit hook, start services
	@echo "setup done: try 'make test' and 'make lint'"

# `go list -deps -test` downloads exactly what building and testing needs; `go mod download`
# would also record checksums of the whole module graph in go.work.sum, dirtying the clone.
deps: ## Download the dependencies of every module (what its packages and tests need)
	@for m in $(MODULES); do echo "==> download dependencies ($$m)"; (cd $$m && go list -deps -test ./... >/dev/null); done

tools: ## Install pinned golangci-lint into .tools/bin (cached in ~/.cache/rgrid)
	@scripts/tools.sh

hooks: ## Use the committed .githooks/ (pre-commit: gofmt, go vet, golangci-lint on staged Go files)
	@if [ "$${CI:-}" = "true" ] || [ "$${CI:-}" = "1" ]; then echo "CI: git hooks not installed"; \
	else git config core.hooksPath .githooks && echo "pre-commit hook active (git config core.hooksPath .githooks)"; fi

services-up: ## Start (or find) PostgreSQL and MinIO and wait until they answer
	@scripts/services.sh up

services-down: ## Stop the services that services-up started (data is kept in .services/)
	@scripts/services.sh down

services-status: ## Show whether PostgreSQL and MinIO answer and who started them
	@scripts/services.sh status

test: ## Run every module's tests with -race against real services; coverage gate 80% (api+cli+common)
	@scripts/test.sh

# lint installs the pinned linter first (a copy from the cache when this machine has built it),
# so `make lint` works in a fresh clone without remembering `make tools`.
lint: tools ## gofmt, GOWORK=off build + go vet, golangci-lint in every module, .gitignore check
	@scripts/lint.sh

check-gitignore: ## Fail if .gitignore would hide a tracked file
	@scripts/check-gitignore.sh

format: ## Format all Go code (gofmt -s, then goimports via golangci-lint fmt)
	@for m in $(MODULES); do (cd $$m && gofmt -s -w .); done
	@if [ -x .tools/bin/golangci-lint ]; then \
		for m in $(MODULES); do (cd $$m && ../.tools/bin/golangci-lint fmt --config ../.golangci.yml ./...); done; \
	else echo "note: goimports step skipped; run 'make tools' first"; fi

# build_bins builds the binaries named in $(1) (every one in BINARIES when empty) whose main
# package exists into bin/. `make build`, `make dev` and the tests all build with the same flags
# (plain `go build`, no -trimpath), so they share the Go build cache and none recompiles what
# another just compiled.
define build_bins
mkdir -p bin; \
for b in $(BINARIES); do \
	IFS=: read -r name mod pkg <<<"$$b"; \
	if [ -n "$(strip $(1))" ] && [[ " $(strip $(1)) " != *" $$name "* ]]; then continue; fi; \
	if ls $$mod/$$pkg/*.go >/dev/null 2>&1; then \
		echo "==> bin/$$name"; (cd $$mod && go build -o ../bin/$$name ./$$pkg); \
	else echo "--  bin/$$name skipped: $$mod/$$pkg does not exist yet"; fi; \
done
endef

build: ## Build the binaries whose main package exists into bin/
	@$(call build_bins,)

clean: ## Remove bin/ and coverage/ (keeps .services/ data, .tools/ and the caches)
	rm -rf bin coverage

# `exec` so that Ctrl-C reaches rgrid-api directly: it drains, stops and exits 0, with no
# "make: *** Error 1" after a normal stop (make itself, also interrupted, then exits 130).
dev: ## Build bin/rgrid-api and bin/rgrid, run bin/rgrid-api dev (ARGS="--addr 127.0.0.1:8001")
	@$(call build_bins,rgrid-api rgrid)
	@echo "==> bin/rgrid-api dev $(ARGS)"
	@exec bin/rgrid-api dev $(ARGS)

bench: ## Run the load benchmark in tests/bench (ARGS passed on)
	@if ls tests/bench/*.go >/dev/null 2>&1; then cd tests && go run ./bench $(ARGS); \
	else echo "make bench: tests/bench does not exist yet, so there is no benchmark to run"; fi

fuzz: ## Run every Go fuzz target briefly (FUZZTIME=200000x each)
	@if [ -x tests/fuzz.sh ] || [ -f tests/fuzz.sh ]; then bash tests/fuzz.sh; \
	else echo "make fuzz: tests/fuzz.sh does not exist yet"; fi

ci: ## Run what CI runs (.ci/run): tools, services, lint, test
	@bash .ci/run

# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# Shared helpers for the scripts in this folder. Source it; do not run it.
#
# Sets ROOT (repository root), MODULES (every Go module, in go.work order),
# COVERED_MODULES (the modules the coverage gate counts) and the cache paths.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# Every module of the workspace; keep in step with go.work.
MODULES=(common api cli orchestrator runner tests)
# Modules whose statements count towards the 80% gate (issue 2).
COVERED_MODULES=(api cli common)

# Caches that outlive a clone: tools and MinIO are built once per machine.
# They are an optimisation only; every script rebuilds what is missing.
RGRID_CACHE_DIR="${RGRID_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rgrid}"
export RGRID_CACHE_DIR

SERVICES_DIR="$ROOT/.services"
TOOLS_BIN="$ROOT/.tools/bin"

# Pinned versions. Bump here only; caches are keyed by version.
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
GOLANGCI_LINT_VERSION="v2.15.0"

if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
	_c_red=$'\033[31m' _c_green=$'\033[32m' _c_yellow=$'\033[33m' _c_bold=$'\033[1m' _c_off=$'\033[0m'
else
	_c_red='' _c_green='' _c_yellow='' _c_bold='' _c_off=''
fi

# say prints a progress line on stderr.
say() { printf '%s==>%s %s\n' "$_c_bold" "$_c_off" "$*" >&2; }
# ok prints a success line on stderr.
ok() { printf '%s ok%s  %s\n' "$_c_green" "$_c_off" "$*" >&2; }
# warn prints a warning on stderr.
warn() { printf '%swarn%s %s\n' "$_c_yellow" "$_c_off" "$*" >&2; }
# die prints an error on stderr and exits 1.
die() {
	printf '%sFAIL%s %s\n' "$_c_red" "$_c_off" "$*" >&2
	exit 1
}

# is_ci is true when running under CI (CI=true or CI=1).
is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }

# need_cmd fails unless every named command is on PATH.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "'$c' is required but not on PATH"
	done
}

# go_install_cached PKG VERSION NAME: makes sure $RGRID_CACHE_DIR/NAME-VERSION/NAME exists,
# building it with `go install PKG@VERSION` when missing, and prints its path.
# The build goes to a temporary folder first so an interrupted build never leaves a
# half-written binary in the cache.
go_install_cached() {
	local pkg="$1" version="$2" name="$3"
	local dir="$RGRID_CACHE_DIR/$name-$version"
	local bin="$dir/$name"
	if [[ -x "$bin" ]]; then
		printf '%s\n' "$bin"
		return 0
	fi
	mkdir -p "$dir"
	local tmp
	tmp="$(mktemp -d "$dir/.build.XXXXXX")"
	say "building $name $version (once per machine; cached in $dir; log in $dir/build.log)"
	local start=$SECONDS
	# GOWORK=off and a neutral folder: tool builds must not touch the project's modules.
	if ! (cd "$tmp" && GOWORK=off GOBIN="$tmp" go install "$pkg@$version") >"$dir/build.log" 2>&1; then
		rm -rf "$tmp"
		tail -n 20 "$dir/build.log" | sed 's/^/    /' >&2
		die "could not build $name $version (go install $pkg@$version; full log: $dir/build.log)"
	fi
	mv -f "$tmp/$name" "$bin"
	rm -rf "$tmp"
	ok "built $name in $((SECONDS - start))s"
	printf '%s\n' "$bin"
}

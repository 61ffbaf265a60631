#!/usr/bin/env bash
# test.sh: run every module's tests with the race detector against real PostgreSQL and MinIO,
# then print coverage and enforce the gate (scripts/coverage.sh).
#
#   scripts/test.sh [module...]      default: every module in go.work
#
# Settings: RGRID_TEST_TIMEOUT (per `go test`, default 10m), RGRID_COVERAGE_MIN (default 80),
# GOTESTFLAGS (extra flags for `go test`, e.g. "-run TestFoo -v"), FUZZTIME (the short fuzz run
# of every fuzz target after the tests, default 200000x: two hundred thousand inputs each; 0 skips it outside CI, for quick local runs).

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_cmd go
cd "$ROOT"

modules=("$@")
((${#modules[@]})) || modules=("${MODULES[@]}")

# Services first: tests fail (never skip) when one is missing, so make sure both answer.
"$ROOT/scripts/services.sh" up
# shellcheck source=/dev/null
source "$SERVICES_DIR/env"

COVER_DIR="$ROOT/coverage"
rm -rf "$COVER_DIR"
mkdir -p "$COVER_DIR"

failed=()
start_all=$SECONDS
for mod in "${modules[@]}"; do
	[[ -f "$ROOT/$mod/go.mod" ]] || die "no module '$mod' (want one of: ${MODULES[*]})"
	path="$(awk '$1 == "module" { print $2; exit }' "$ROOT/$mod/go.mod")"
	say "go test -race $mod"
	start=$SECONDS
	# -coverpkg=<module>/... counts every package of the module, also those only exercised by
	# another package's tests (cmd/ binaries driven from tests) and those with no tests at all.
	# shellcheck disable=SC2086 # GOTESTFLAGS is a list of flags
	if (cd "$ROOT/$mod" && go test -race -count=1 -timeout "${RGRID_TEST_TIMEOUT:-10m}" \
		-covermode=atomic -coverpkg="$path/..." -coverprofile="$COVER_DIR/$mod.out" \
		${GOTESTFLAGS:-} ./...); then
		ok "$mod passed in $((SECONDS - start))s"
	else
		warn "$mod FAILED after $((SECONDS - start))s"
		failed+=("$mod")
	fi
done
say "all tests ran in $((SECONDS - start_all))s"

cover_rc=0
"$ROOT/scripts/coverage.sh" "$COVER_DIR" "${modules[@]}" || cover_rc=$?

# A short run of every fuzz target (tests/fuzz.sh fails if a required target is missing).
# Only on a full run: a run limited to some modules or tests is a developer's quick check.
# In CI it always runs.
fuzz_wanted=false
if [[ "${CI:-}" == "true" ]]; then
	fuzz_wanted=true
elif ((${#@} == 0)) && [[ -z "${GOTESTFLAGS:-}" && "${FUZZTIME:-200000x}" != "0" ]]; then
	fuzz_wanted=true
fi
[[ "${FUZZTIME:-}" == "0" ]] && FUZZTIME=200000x
if $fuzz_wanted; then
	say "short fuzz run (FUZZTIME=${FUZZTIME:-200000x} per target)"
	if FUZZTIME="${FUZZTIME:-200000x}" bash "$ROOT/tests/fuzz.sh"; then
		ok "fuzz targets found nothing"
	else
		warn "fuzz FAILED"
		failed+=("fuzz")
	fi
fi

if ((${#failed[@]})); then
	die "tests failed in: ${failed[*]}"
fi
exit "$cover_rc"

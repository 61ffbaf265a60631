#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for a short time (FUZZTIME,
# default 200000x: two hundred thousand inputs each), one target at a time, as
# `go test -fuzz` requires.
#
# Why a count and not a duration: Go 1.26's fuzz coordinator has a race
# (golang/go#75804, fixed in Go 1.27) that fails a duration-based run with a
# bare "context deadline exceeded" at the -fuzztime boundary on a loaded
# machine, with no failing input. A count has no deadline to race.
# Fails if a target finds a crash, or if a module that must have a fuzz
# target has none:
#   common  FuzzValidateAPIKeyFormat   (API key format check)
#   cli     FuzzParseCredentials       (credentials file reader)
#   api     a Fuzz* target for the Authorization header parser
# Usage: tests/fuzz.sh            (from anywhere in the repo; make fuzz calls it)
#        FUZZTIME=1m tests/fuzz.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
fuzztime="${FUZZTIME:-200000x}"

declare -a targets=()
# "module dir<TAB>package dir relative to the module<TAB>function name"
while IFS=: read -r file _ rest; do
	name="$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$rest")"
	module="${file%%/*}"
	pkgdir="$(dirname "${file#*/}")"
	targets+=("$module"$'\t'"$pkgdir"$'\t'"$name")
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' \
	common cli api orchestrator runner 2>/dev/null | sed 's|^\./||' || true)

missing=0
require() { # module, regexp, what
	if ! printf '%s\n' "${targets[@]}" | awk -F'\t' -v m="$1" -v re="$2" '$1==m && $3 ~ re {f=1} END {exit !f}'; then
		echo "fuzz: MISSING in $1/: $3 (a func matching $2)" >&2
		missing=1
	fi
}
require common '^FuzzValidateAPIKeyFormat$' 'the API key format check'
require cli '^FuzzParseCredentials$' 'the credentials file reader'
require api '^Fuzz.*([Aa]uth|[Bb]earer|[Hh]eader)' 'the Authorization header parser'

failed=0
for t in "${targets[@]}"; do
	IFS=$'\t' read -r module pkgdir name <<<"$t"
	echo "fuzz: $module/$pkgdir $name for $fuzztime"
	if ! (cd "$module" && go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "./$pkgdir"); then
		echo "fuzz: FAILED $module/$pkgdir $name (a failing input is saved under $module/$pkgdir/testdata/fuzz/$name)" >&2
		failed=1
	fi
done

if [[ $missing -ne 0 || $failed -ne 0 ]]; then
	exit 1
fi
echo "fuzz: ${#targets[@]} targets ran for $fuzztime each, no failures"

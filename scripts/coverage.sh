#!/usr/bin/env bash
# coverage.sh: summarise the coverage profiles written by scripts/test.sh and enforce the gate.
#
#   scripts/coverage.sh [DIR [module...]]    DIR defaults to coverage/, modules to all in go.work
#
# Prints statement coverage per package and per module, and the total over the gated modules
# (api, cli, common); exits 1 when that total is under RGRID_COVERAGE_MIN (default 80) or a gated
# module has no profile. Profiles written with -coverpkg list the same block once per test
# binary; a block counts once and is covered when any test binary ran it (the same merge
# `go tool cover` does). Writes DIR/total.out (merged gated profile, for `go tool cover -html`).

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="${1:-$ROOT/coverage}"
shift || true
modules=("$@")
((${#modules[@]})) || modules=("${MODULES[@]}")
MIN="${RGRID_COVERAGE_MIN:-80}"

# summarize FILE...: prints "package covered total" per package, then "TOTAL covered total".
summarize() {
	awk '
		/^mode:/ { next }
		{
			split($1, a, ":"); file = a[1]
			if (!($1 in stmts)) { stmts[$1] = $2; pkgof[$1] = file; sub(/\/[^\/]*$/, "", pkgof[$1]) }
			if ($3 > 0) hit[$1] = 1
		}
		END {
			for (b in stmts) {
				p = pkgof[b]; tot[p] += stmts[b]; all += stmts[b]
				if (b in hit) { cov[p] += stmts[b]; allcov += stmts[b] }
			}
			for (p in tot) printf "%s %d %d\n", p, cov[p], tot[p]
			printf "TOTAL %d %d\n", allcov, all
		}' "$@"
}

pct() { awk -v c="$1" -v t="$2" 'BEGIN { if (t == 0) printf "n/a"; else printf "%.1f%%", 100 * c / t }'; }

gated=()
gated_names=()
missing=()
echo
printf '%-58s %8s %16s\n' "coverage (statements)" "percent" "covered/total"
for mod in "${modules[@]}"; do
	prof="$DIR/$mod.out"
	is_gated=false
	for g in "${COVERED_MODULES[@]}"; do [[ "$g" == "$mod" ]] && is_gated=true; done
	if [[ ! -s "$prof" ]]; then
		$is_gated && missing+=("$mod")
		printf '%-58s %8s\n' "$mod (no profile: did its tests build?)" "-"
		continue
	fi
	if $is_gated; then gated+=("$prof") gated_names+=("$mod"); fi
	while read -r pkg c t; do
		if [[ "$pkg" == "TOTAL" ]]; then
			printf '%s%-58s %8s %16s%s\n' "$_c_bold" "$mod" "$(pct "$c" "$t")" "$c/$t" "$_c_off"
		elif $is_gated; then
			printf '  %-56s %8s %16s\n' "${pkg#github.com/rgrid/rgrid/}" "$(pct "$c" "$t")" "$c/$t"
		fi
	done < <(summarize "$prof" | sort)
done

if ((${#gated[@]} == 0 && ${#missing[@]} == 0)); then
	echo "(no gated module among those run: ${COVERED_MODULES[*]}; gate not applied)"
	exit 0
fi

# Merged profile of the gated modules, for `go tool cover -html=coverage/total.out`.
{
	echo "mode: atomic"
	((${#gated[@]})) && awk '!/^mode:/' "${gated[@]}"
} >"$DIR/total.out"

read -r _ c t < <(summarize "$DIR/total.out" | grep '^TOTAL ')
echo
total_pct="$(pct "$c" "$t")"
printf '%s%-58s %8s %16s%s\n' "$_c_bold" "TOTAL (${gated_names[*]:-none})" "$total_pct" "$c/$t" "$_c_off"

if ((${#missing[@]})); then
	die "no coverage profile for: ${missing[*]} (their tests did not build or run), so the gate cannot pass"
fi
if ! awk -v c="$c" -v t="$t" -v m="$MIN" 'BEGIN { exit !(t > 0 && 100 * c / t >= m) }'; then
	die "total statement coverage $total_pct is under the ${MIN}% gate"
fi
ok "coverage $total_pct >= ${MIN}%"

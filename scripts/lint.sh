#!/usr/bin/env bash
# lint.sh: every static check, on every module; zero findings is the bar.
#
#   scripts/lint.sh [module...]      default: every module in go.work
#
# Per module: gofmt -l, standalone build and go vet with GOWORK=off (so each module also
# builds on its own, tests included), golangci-lint (config .golangci.yml, which also checks
# goimports formatting). Then the .gitignore check. It reports every problem before failing.

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_cmd go gofmt git
cd "$ROOT"
"$ROOT/scripts/tools.sh" --check
LINT="$TOOLS_BIN/golangci-lint"

modules=("$@")
((${#modules[@]})) || modules=("${MODULES[@]}")

problems=()
for mod in "${modules[@]}"; do
	[[ -f "$ROOT/$mod/go.mod" ]] || die "no module '$mod' (want one of: ${MODULES[*]})"
	say "lint $mod"
	start=$SECONDS
	before=${#problems[@]}

	mapfile -t unformatted < <(cd "$ROOT/$mod" && gofmt -l -s . 2>&1)
	if ((${#unformatted[@]})); then
		warn "$mod: not gofmt -s formatted (run \`make format\`):"
		printf '    %s/%s\n' "$mod" "${unformatted[@]}" >&2
		problems+=("$mod: gofmt")
	fi

	if ! (cd "$ROOT/$mod" && GOWORK=off go build ./... && GOWORK=off go vet ./...); then
		problems+=("$mod: GOWORK=off go build/vet")
	fi

	if ! (cd "$ROOT/$mod" && "$LINT" run --config "$ROOT/.golangci.yml" --allow-parallel-runners ./...); then
		problems+=("$mod: golangci-lint")
	fi
	if ((${#problems[@]} == before)); then
		ok "$mod clean ($((SECONDS - start))s)"
	else
		warn "$mod has problems ($((SECONDS - start))s)"
	fi
done

say "gitignore check"
"$ROOT/scripts/check-gitignore.sh" || problems+=(".gitignore hides tracked files")

if ((${#problems[@]})); then
	die "lint found problems: $(printf '%s; ' "${problems[@]}")"
fi
ok "lint clean"

#!/usr/bin/env bash
# tools.sh: install the pinned developer tools into .tools/bin (git-ignored).
#
# Each tool is built once per machine with `go install` at the pinned version and kept in
# $RGRID_CACHE_DIR (default ~/.cache/rgrid), so a fresh clone on the same machine copies it
# instead of rebuilding. Nothing depends on the cache: a missing entry is rebuilt.
#
#   scripts/tools.sh            install what is missing or of the wrong version
#   scripts/tools.sh --check    exit 1 unless every tool is installed at its pinned version

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_cmd go

# install_tool NAME PKG VERSION: .tools/bin/NAME at VERSION, recorded in .tools/bin/NAME.version.
install_tool() {
	local name="$1" pkg="$2" version="$3"
	local dest="$TOOLS_BIN/$name" stamp="$TOOLS_BIN/$name.version"
	if [[ -x "$dest" && "$(cat "$stamp" 2>/dev/null || true)" == "$version" ]]; then
		ok "$name $version (.tools/bin)"
		return
	fi
	local src
	src="$(go_install_cached "$pkg" "$version" "$name")"
	mkdir -p "$TOOLS_BIN"
	cp -f "$src" "$dest.tmp"
	mv -f "$dest.tmp" "$dest"
	echo "$version" >"$stamp"
	ok "$name $version installed in .tools/bin"
}

check_tool() {
	local name="$1" version="$2"
	[[ -x "$TOOLS_BIN/$name" && "$(cat "$TOOLS_BIN/$name.version" 2>/dev/null || true)" == "$version" ]]
}

if [[ "${1:-}" == "--check" ]]; then
	check_tool golangci-lint "$GOLANGCI_LINT_VERSION" ||
		die "golangci-lint $GOLANGCI_LINT_VERSION is not installed in .tools/bin: run \`make setup\` (or \`make tools\`)"
	exit 0
fi

install_tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$GOLANGCI_LINT_VERSION"

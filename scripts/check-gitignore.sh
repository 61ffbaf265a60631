#!/usr/bin/env bash
# check-gitignore.sh: fail when .gitignore would hide a tracked file.
#
# The secret patterns (*key*, *secret*, credentials) are broad on purpose; this check makes sure
# they never match source or docs the project keeps in git, e.g. apikey.go or keys_test.go. A
# file listed here is either a secret that must leave git, or a sign .gitignore needs an
# exception ("!pattern") for it.

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

mapfile -t hidden < <(git ls-files -z | git check-ignore --no-index --stdin -z | tr '\0' '\n' | sed '/^$/d')
if ((${#hidden[@]})); then
	warn "tracked files that .gitignore would ignore:"
	for f in "${hidden[@]}"; do
		printf '    %s   (%s)\n' "$f" "$(git check-ignore --no-index -v -- "$f" | cut -f1)" >&2
	done
	die ".gitignore hides ${#hidden[@]} tracked file(s): add an exception or remove the file from git"
fi
ok ".gitignore hides no tracked file"

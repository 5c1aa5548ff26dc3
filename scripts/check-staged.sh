#!/usr/bin/env bash
# Run the suite on exactly what is staged (HEAD + index) in a scratch worktree, so work
# in progress in the main tree cannot hide a broken commit.
set -euo pipefail
repo=$(git rev-parse --show-toplevel)
wt=${WT:-/tmp/kbdesk-staged}
rm -rf "$wt"; git -C "$repo" worktree prune
git -C "$repo" worktree add -q --detach "$wt" HEAD
git -C "$repo" diff --cached --binary | (cd "$wt" && git apply --allow-empty --index)
cd "$wt"
# A venv of its own whose editable install points at the worktree: the main venv's
# editable finder would quietly import uncommitted modules from the main tree.
venv=${CHECK_VENV:-/tmp/kbcheck-venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -e ".[test]" 2>/dev/null
"$venv/bin/ruff" check kbdesk tests bench migrations
"$venv/bin/python" -m pytest -q -x -p no:cacheprovider "$@"

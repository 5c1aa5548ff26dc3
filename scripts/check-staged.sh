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
"$repo/.venv/bin/ruff" check kbdesk tests bench migrations
"$repo/.venv/bin/python" -m pytest -q -x -p no:cacheprovider "$@"

#!/usr/bin/env bash
# `buf breaking` for proto/ against an earlier state of this repository's main branch.
#
# Which earlier state (first match wins):
#   1. $PROTO_BREAKING_AGAINST, any commit-ish (explicit override);
#   2. on a branch that has diverged from main (or origin/main): the merge base;
#   3. on main itself with uncommitted proto/ or buf.yaml edits: HEAD, i.e. check the edits;
#   4. on main with a clean tree (the CI case, a fresh clone of main): HEAD~1, i.e. check the
#      commit being built.
# With no such commit (a single-commit or depth-1 clone) or when that commit has no protos yet,
# there is nothing to compare with: say so and succeed.
set -euo pipefail
cd "$(dirname "$0")/.."

note() { echo "proto:breaking: $*" >&2; }

resolve() { git rev-parse --verify --quiet "$1^{commit}" 2>/dev/null || true; }

base=""
if [ -n "${PROTO_BREAKING_AGAINST:-}" ]; then
  base=$(resolve "$PROTO_BREAKING_AGAINST")
  [ -n "$base" ] || { note "PROTO_BREAKING_AGAINST=$PROTO_BREAKING_AGAINST is not a commit"; exit 2; }
else
  head=$(resolve HEAD)
  main=$(resolve main)
  [ -n "$main" ] || main=$(resolve origin/main)
  if [ -n "$main" ] && [ -n "$head" ] && [ "$main" != "$head" ]; then
    base=$(git merge-base "$head" "$main" || true)
  fi
  if [ -z "$base" ] && [ -n "$head" ]; then
    if ! git diff --quiet HEAD -- proto buf.yaml; then
      base=$head
    else
      base=$(resolve HEAD~1)
    fi
  fi
fi

if [ -z "$base" ]; then
  note "no earlier commit to compare with (single-commit or shallow clone); nothing to check"
  exit 0
fi
if ! git cat-file -e "$base:proto" 2>/dev/null || ! git cat-file -e "$base:buf.yaml" 2>/dev/null; then
  note "commit ${base:0:12} has no proto/ or buf.yaml yet; nothing to check"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$base" proto buf.yaml | tar -x -C "$tmp"
note "checking proto/ against ${base:0:12} ($(git log -1 --format=%s "$base" | cut -c1-60))"
npx --no-install buf breaking --against "$tmp"

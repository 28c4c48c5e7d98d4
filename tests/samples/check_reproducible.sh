#!/usr/bin/env bash
# check_reproducible.sh [--differs] BINARY SEED [ARGS...]
# In deterministic mode a gort run is a function of its seed: two runs of
# BINARY ARGS with GORT_MODE=deterministic GORT_SEED=SEED must print the same
# stdout and stderr, byte for byte, and exit with the same status. With
# --differs, a run with seed SEED+1 must print something else (the seed
# really drives what the sample shows: hash seeds, iteration starts, the
# schedule).
set -euo pipefail
differs=0
if [ "${1:-}" = "--differs" ]; then
  differs=1
  shift
fi
bin="$1" seed="$2"
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
once() {  # once NAME SEED ARGS...
  local name="$1" s="$2" rc=0
  shift 2
  GORT_MODE=deterministic GORT_SEED="$s" "$bin" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
  echo "$rc" >"$dir/$name.rc"
}
once a "$seed" "$@"
once b "$seed" "$@"
for f in out err rc; do
  if ! cmp -s "$dir/a.$f" "$dir/b.$f"; then
    echo "$(basename "$bin") $*: two runs with GORT_SEED=$seed differ in std$f (or exit status):" >&2
    diff -u "$dir/a.$f" "$dir/b.$f" | head -40 >&2 || true
    exit 1
  fi
done
echo "GORT_SEED=$seed: identical stdout, stderr and exit status ($(cat "$dir/a.rc")) twice"
if [ "$differs" = 1 ]; then
  once c "$((seed + 1))" "$@"
  if cmp -s "$dir/a.out" "$dir/c.out" && cmp -s "$dir/a.err" "$dir/c.err"; then
    echo "$(basename "$bin") $*: GORT_SEED=$seed and $((seed + 1)) print the same: the seed changes nothing" >&2
    exit 1
  fi
  echo "GORT_SEED=$((seed + 1)): a different run"
fi

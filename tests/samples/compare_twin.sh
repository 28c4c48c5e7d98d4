#!/usr/bin/env bash
# compare_twin.sh GO BINARY SAMPLE_DIR [ARGS...]
# Runs a sample and its Go twin with the same arguments; they must print the
# same lines.
set -euo pipefail
go="$1" bin="$2" dir="$3"
shift 3
ours=$(mktemp) theirs=$(mktemp)
trap 'rm -f "$ours" "$theirs"' EXIT
"$bin" "$@" >"$ours"
(cd "$dir" && GO111MODULE=off GOCACHE="${GOCACHE:-/tmp/gort-gocache}" "$go" run main.go "$@") >"$theirs"
if ! diff -u "$theirs" "$ours"; then
  echo "samples/$(basename "$dir"): gort's output (+) differs from Go's (-)" >&2
  exit 1
fi

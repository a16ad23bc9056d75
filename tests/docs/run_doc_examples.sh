#!/usr/bin/env bash
# Extracts every ```yaml block holding `kind: Scenario` from the given docs, writes each into
# a scratch copy of docs/ (next to a link to fixtures/) and runs them all: they must pass.
set -euo pipefail
rehearse=$1; root=$2; shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/docs"
ln -s "$root/fixtures" "$tmp/fixtures"
count=0
for doc in "$@"; do
  base=$(basename "$doc" .md)
  awk -v dir="$tmp/docs" -v base="$base" '
    /^```yaml[ ]*$/ { inblock = 1; buf = ""; next }
    /^```[ ]*$/ && inblock { inblock = 0; if (buf ~ /kind: Scenario/) { n++; f = sprintf("%s/%s-%02d.yaml", dir, base, n); printf "%s", buf > f; close(f) } next }
    inblock { buf = buf $0 "\n" }
  ' "$root/$doc"
done
count=$(ls "$tmp/docs" | wc -l)
if [ "$count" -eq 0 ]; then echo "no scenario examples found"; exit 1; fi
echo "running $count scenario examples"
"$rehearse" run "$tmp/docs" --jobs 2 --no-progress

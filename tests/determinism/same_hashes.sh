#!/usr/bin/env bash
# Every scenario twice: --jobs 1 and --jobs 4 must give identical trace hashes and event
# counts (PRODUCT.md "Determinism").
set -uo pipefail
rehearse=$1
dir=$2
summary() {
  # "PASS name seed=N events=N trace-hash=H ..." -> "name events=N trace-hash=H"
  "$rehearse" run "$dir" --jobs "$1" --no-progress | awk '$1=="PASS"||$1=="FAIL" {print $2, $4, $5}'
}
a=$(summary 1)
b=$(summary 4)
if [ -z "$a" ]; then echo "no scenarios ran"; exit 1; fi
if [ "$a" != "$b" ]; then
  echo "trace hashes differ between --jobs 1 and --jobs 4:"
  diff <(echo "$a") <(echo "$b")
  exit 1
fi
echo "$(echo "$a" | wc -l) scenarios: identical trace hashes with --jobs 1 and --jobs 4"

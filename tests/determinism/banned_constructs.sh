#!/usr/bin/env bash
# Fails when engine/, sim/ or policies/ use a construct that breaks determinism: wall clocks,
# std::random_device, standard library distributions (implementation-defined), rand(),
# unordered containers (iteration order can reach output; use std::map/std::set), or thread
# sleeps. A line may opt out with a trailing `// determinism: ok (<reason>)`.
set -euo pipefail
root=${1:-.}
cd "$root"
pattern='std::chrono::(system_clock|steady_clock|high_resolution_clock)|std::random_device|_distribution<|\brand\(\)|\bsrand\(|\btime\(nullptr\)|\btime\(NULL\)|gettimeofday|clock_gettime|std::unordered_(map|set|multimap|multiset)|std::this_thread::sleep|localtime|gmtime'
dirs=()
for d in engine sim policies; do [ -d "$d" ] && dirs+=("$d"); done
if hits=$(grep -rnE "$pattern" "${dirs[@]}" --include='*.cpp' --include='*.hpp' | grep -v 'determinism: ok'); then
  echo "Banned constructs (see STYLE.md \"Determinism\"):"
  echo "$hits"
  exit 1
fi
echo "determinism lint: no banned constructs in ${dirs[*]}"

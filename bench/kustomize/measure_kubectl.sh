#!/usr/bin/env bash
# Times `kubectl kustomize` once on the benchmark tree and checks that rehearse's output is
# byte-identical. Usage: bench/kustomize/measure_kubectl.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: measure_kubectl.sh BUILD_DIR}
dir=$(mktemp -d)
overlay=$("$build/bench/kustomize/kustomize_bench_tree" "$dir/tree")
start=$(date +%s.%N)
kubectl kustomize "$overlay" > "$dir/kubectl.yaml"
end=$(date +%s.%N)
echo "kubectl kustomize: $(echo "$end - $start" | bc) s, $(grep -c '^kind:' "$dir/kubectl.yaml") documents"
start=$(date +%s.%N)
"$build/tests/kustomize/kustomize_render" "$overlay" > "$dir/rehearse.yaml"
end=$(date +%s.%N)
echo "rehearse (kustomize_render, incl. process start and YAML output): $(echo "$end - $start" | bc) s"
if cmp -s "$dir/kubectl.yaml" "$dir/rehearse.yaml"; then echo "outputs identical"; else echo "OUTPUTS DIFFER"; exit 1; fi
rm -rf "$dir"

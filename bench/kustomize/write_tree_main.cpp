// kustomize_bench_tree DIR: writes the benchmark tree (see overlay_tree.hpp) so a script can
// time `kubectl kustomize DIR/overlay` on the same files.
#include <cstdio>

#include "bench/kustomize/overlay_tree.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kustomize_bench_tree DIR\n");
    return 2;
  }
  auto overlay = rehearse::bench::write_overlay_tree(argv[1]);
  std::printf("%s\n", overlay.string().c_str());
  return 0;
}

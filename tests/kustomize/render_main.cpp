// Test helper: prints the build of a directory as YAML (no CLI dependencies), so the kubectl
// comparison test and developers can diff quickly.
#include <cstdio>

#include "engine/kustomize/kustomize.hpp"
#include "engine/model/yaml_writer.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kustomize_render DIR\n");
    return 2;
  }
  rehearse::model::Diagnostics diags;
  auto r = rehearse::kustomize::build(argv[1], diags);
  std::fputs(diags.format().c_str(), stderr);
  if (!r) return 1;
  std::fputs(rehearse::model::to_yaml_stream(*r).c_str(), stdout);
  return 0;
}

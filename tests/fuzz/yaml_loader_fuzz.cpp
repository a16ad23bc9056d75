// Fuzzes YAML -> JSON conversion and manifest loading: any input must end in objects or
// diagnostics, never a crash, hang or sanitizer report. Loaded objects must also dump as
// JSON with nlohmann's strict default (which throws on invalid UTF-8): every output path
// relies on the loader handing out valid UTF-8 only.

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/model/manifest_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  rehearse::model::Diagnostics diags;
  rehearse::model::LoadOptions opts;
  opts.limits.max_nodes = 100'000;
  auto objs = rehearse::model::load_manifests_text(text, "fuzz.yaml", diags, opts);
  for (const auto& o : objs) {
    (void)o.pos_of("/metadata/name");
    (void)o.body().dump();
  }
  (void)diags.format();
  return 0;
}

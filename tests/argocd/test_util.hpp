#pragma once
// Builds objects from inline YAML for the argocd tests.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/model/manifest_loader.hpp"

namespace rehearse::testing {

inline std::vector<model::Object> objects(const std::string& yaml) {
  model::Diagnostics diags;
  auto out = model::load_manifests_text(yaml, "test.yaml", diags);
  EXPECT_FALSE(diags.has_errors()) << diags.format();
  return out;
}

}  // namespace rehearse::testing

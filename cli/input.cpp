#include "cli/input.hpp"

#include <cstdio>

namespace rehearse::cli {

void fail_input(const model::Diagnostics& diags, Context& ctx) {
  std::fputs(diags.format().c_str(), stderr);
  ctx.exit_code = kInputError;
}

std::vector<const model::Object*> objects_of_kind(const std::vector<model::Object>& objects,
                                                  model::Kind kind) {
  std::vector<const model::Object*> out;
  for (const auto& o : objects)
    if (o.known_kind() == kind) out.push_back(&o);
  return out;
}

}  // namespace rehearse::cli

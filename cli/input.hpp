#pragma once
// Steps the subcommands that read user input share, so that they report input problems the
// same way: file:line:col diagnostics on stderr and exit code 2 (docs/cli.md).

#include <vector>

#include "cli/command.hpp"
#include "engine/model/diagnostic.hpp"
#include "engine/model/kinds.hpp"
#include "engine/model/object.hpp"

namespace rehearse::cli {

// Prints `diags` on stderr and sets ctx.exit_code to kInputError.
void fail_input(const model::Diagnostics& diags, Context& ctx);

// The objects of `kind` among `objects`, in input order (pointers into `objects`).
std::vector<const model::Object*> objects_of_kind(const std::vector<model::Object>& objects,
                                                  model::Kind kind);

}  // namespace rehearse::cli

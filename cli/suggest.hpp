#pragma once
// "Did you mean" hints for unknown subcommands and flags (Damerau-Levenshtein distance).

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace rehearse::cli {

// The closest candidate within a small edit distance, or "" when none is close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);
// A hint line ("did you mean `--prune`?") for the arguments that failed to parse, or "".
std::string suggest_for_parse_error(CLI::App& app, int argc, char** argv);

}  // namespace rehearse::cli

#pragma once
// Reads scenario files. Every problem in every document is collected (unknown fields with a
// did-you-mean, wrong types, missing files, times beyond the horizon, unknown commands),
// each with file:line:col; the caller exits 2 when any is an error.

#include <string>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "sim/scenario/scenario.hpp"

namespace rehearse::sim {

// What the loader checks tool commands against: for each tool ("argocd", "flux",
// "rollouts"), the verbs the registered controllers accept. Empty = accept any.
struct CommandVocabulary {
  std::map<std::string, std::vector<std::string>> tools;
};

// Scenario files under `paths` (files, or directories walked recursively, sorted; files
// ending .yaml/.yml whose documents are `kind: Scenario`).
std::vector<std::string> find_scenario_files(const std::vector<std::string>& paths,
                                             model::Diagnostics& diags);

std::vector<Scenario> load_scenarios(const std::string& file, model::Diagnostics& diags,
                                     const CommandVocabulary& vocab = {});
std::vector<Scenario> load_scenarios_text(const std::string& text, const std::string& file,
                                          model::Diagnostics& diags,
                                          const CommandVocabulary& vocab = {});

// Splits a command line like a POSIX shell would (quotes, backslashes), without expansion.
Result<std::vector<std::string>> split_command(std::string_view text);
// "Deployment/ns/name", "Kind.group/ns/name", "Namespace/name".
Result<ObjectRef> parse_object_ref(std::string_view text);

}  // namespace rehearse::sim

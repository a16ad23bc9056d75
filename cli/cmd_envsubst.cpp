// `rehearse envsubst [--strict] [--var K=V]... [--vars-file FILE]`: like `flux envsubst`,
// expands ${...} expressions on stdin line by line and writes stdout (reference flux.md 3.5,
// 8). Variables come from the process environment (resolved here, at the CLI edge), then
// FILE (KEY=VALUE lines, '#' comments), then --var flags; later sources win. Non-strict by
// default like the flux CLI. Exit 0 ok, 1 substitution error, 2 usage error.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/command.hpp"
#include "engine/kustomize/envsubst.hpp"

extern char** environ;

namespace rehearse::cli {

namespace {

bool parse_assignment(const std::string& kv, kustomize::Vars& vars) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  return true;
}

}  // namespace

void register_envsubst(CLI::App& app, Context& ctx) {
  struct Opts {
    bool strict = false;
    std::vector<std::string> vars;
    std::string vars_file;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "envsubst", "Substitute ${VAR} expressions on stdin like `flux envsubst` (Flux postBuild)");
  cmd->add_flag("--strict", opts->strict, "Fail when a referenced variable is not set");
  cmd->add_option("--var", opts->vars, "KEY=VALUE (repeatable; wins over env and --vars-file)");
  cmd->add_option("--vars-file", opts->vars_file, "File of KEY=VALUE lines");
  cmd->callback([opts, &ctx] {
    kustomize::Vars vars;
    for (char** e = environ; e && *e; ++e) parse_assignment(*e, vars);
    if (!opts->vars_file.empty()) {
      std::ifstream in(opts->vars_file);
      if (!in) {
        std::fprintf(stderr, "rehearse envsubst: cannot read %s\n", opts->vars_file.c_str());
        ctx.exit_code = kInputError;
        return;
      }
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        if (!parse_assignment(line, vars)) {
          std::fprintf(stderr, "%s:%d:1: error[envsubst-vars-file]: expected KEY=VALUE\n",
                       opts->vars_file.c_str(), n);
          ctx.exit_code = kInputError;
          return;
        }
      }
    }
    for (const auto& kv : opts->vars) {
      if (!parse_assignment(kv, vars)) {
        std::fprintf(stderr, "rehearse envsubst: --var expects KEY=VALUE, got \"%s\"\n",
                     kv.c_str());
        ctx.exit_code = kInputError;
        return;
      }
    }
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto out = kustomize::envsubst_lines(input, vars, opts->strict);
    if (!out) {
      std::fprintf(stderr, "rehearse envsubst: %s\n", out.error().message.c_str());
      ctx.exit_code = kFindings;
      return;
    }
    write_output("-", *out);
    ctx.exit_code = kOk;
  });
}

}  // namespace rehearse::cli

// `rehearse validate PATH...`: loads manifests (files or directories) and reports every
// problem as file:line:col. Exit 0 when all load, 2 on input errors.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::cli {

void register_validate(CLI::App& app, Context& ctx) {
  struct Opts {
    std::vector<std::string> paths;
    bool no_recursive = false;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("validate", "Load manifests and report YAML and identity errors");
  cmd->add_option("paths", opts->paths, "Files or directories")->required();
  cmd->add_flag("--no-recursive", opts->no_recursive, "Do not descend into subdirectories");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    model::Diagnostics diags;
    model::LoadOptions lo;
    lo.recursive = !opts->no_recursive;
    size_t count = 0;
    nlohmann::json objects = nlohmann::json::array();
    for (const auto& p : opts->paths) {
      for (const auto& obj : model::load_manifests(p, diags, lo)) {
        ++count;
        objects.push_back({{"apiVersion", obj.api_version()},
                           {"kind", obj.kind()},
                           {"namespace", obj.ns()},
                           {"name", obj.name()},
                           {"source", obj.origin().str()}});
      }
    }
    std::fputs(diags.format().c_str(), stderr);
    if (opts->output == "json") {
      nlohmann::json out = {{"objects", objects}, {"errors", nlohmann::json::array()}};
      for (const auto& d : diags.items()) out["errors"].push_back(d.format());
      write_output("-", dump_json(out, 2) + "\n");
    } else {
      std::printf("%zu objects loaded, %zu problems\n", count, diags.size());
    }
    ctx.exit_code = diags.has_errors() ? kInputError : kOk;
  });
}

}  // namespace rehearse::cli

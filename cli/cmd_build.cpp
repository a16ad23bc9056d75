// `rehearse build DIR [-o yaml|json]`: renders a kustomization like `kubectl kustomize DIR`
// (byte-identical YAML for the supported subset, see docs/kustomize.md). A directory without
// a kustomization file renders like Flux does: every manifest below it (reference flux.md
// 3.4). `-o json` prints {"apiVersion":"v1","kind":"List","items":[...]} as `kubectl get -o
// json` shapes a list. Exit 0 ok, 2 input error (diagnostics with file:line:col on stderr).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "engine/kustomize/kustomize.hpp"
#include "engine/model/yaml_writer.hpp"

namespace rehearse::cli {

void register_build(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string dir;
    std::string output = "yaml";
    bool no_generate = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("build", "Render a kustomization like `kubectl kustomize DIR`");
  cmd->add_option("dir", opts->dir, "Directory with kustomization.yaml (or plain manifests)")
      ->required();
  cmd->add_option("-o,--output", opts->output, "yaml|json")->capture_default_str();
  cmd->add_flag("--no-generate", opts->no_generate,
                "Fail like kubectl when DIR has no kustomization file (default: render all "
                "manifests below DIR, as Flux does)");
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "yaml,json", ctx)) return;
    model::Diagnostics diags;
    kustomize::BuildOptions bo;
    bo.generate_if_missing = !opts->no_generate;
    bo.keep_positions = false;
    auto result = kustomize::build(opts->dir, diags, bo);
    std::fputs(diags.format().c_str(), stderr);
    if (!result) {
      ctx.exit_code = kInputError;
      return;
    }
    if (opts->output == "json") {
      nlohmann::json list = {{"apiVersion", "v1"}, {"kind", "List"},
                             {"items", nlohmann::json::array()}};
      for (const auto& o : *result) list["items"].push_back(o.body());
      write_output("-", dump_json(list, 4) + "\n");
    } else {
      write_output("-", model::to_yaml_stream(*result));
    }
    ctx.exit_code = kOk;
  });
}

}  // namespace rehearse::cli

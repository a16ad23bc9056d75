// `rehearse health -f FILE|DIR [-o text|json]`: Argo CD's health assessment of live objects
// (engine/health) and the app-level aggregate (engine/argocd aggregate_app_health).
// Exit codes: 0 the aggregate is Healthy, 1 it is not, 2 input error (docs/health.md).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "engine/argocd/annotations.hpp"
#include "engine/argocd/app_status.hpp"
#include "engine/health/health.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::cli {

void register_health(CLI::App& app, Context& ctx) {
  struct Opts {
    std::vector<std::string> files;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("health", "Assess the health of live objects the way Argo CD does");
  cmd->add_option("-f,--file", opts->files, "Live object file or directory (repeatable)")->required();
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    model::Diagnostics diags;
    std::vector<model::Object> objects;
    for (const auto& f : opts->files)
      for (auto& o : model::load_manifests(f, diags)) objects.push_back(std::move(o));
    if (diags.has_errors()) {
      fail_input(diags, ctx);
      return;
    }
    std::vector<argocd::AppResource> agg;
    nlohmann::json resources = nlohmann::json::array();
    for (const auto& o : objects) {
      auto h = health::assess(o);
      agg.push_back({nullptr, &o, h});
      nlohmann::json r = {{"kind", o.kind()},
                          {"group", o.key().group},
                          {"namespace", o.ns()},
                          {"name", o.name()},
                          {"status", h ? std::string(health::to_string(h->status)) : std::string()},
                          {"message", h ? h->message : std::string()}};
      if (!h) r["note"] = "no health check for this kind";
      if (argocd::is_hook(o.body())) r["hook"] = true;
      resources.push_back(std::move(r));
    }
    health::Status overall = argocd::aggregate_app_health(agg);
    if (opts->output == "json") {
      nlohmann::json out = {{"resources", resources},
                            {"status", std::string(health::to_string(overall))}};
      write_output("-", dump_json(out, 2) + "\n");
    } else {
      std::string text;
      for (const auto& r : resources) {
        std::string st = r["status"].get<std::string>();
        std::string ns = r["namespace"].get<std::string>();
        text += fmt::format("{:<12} {}/{}{}{}\n", st.empty() ? "-" : st, r["kind"].get<std::string>(),
                            ns.empty() ? "" : ns + "/", r["name"].get<std::string>(),
                            r["message"].get<std::string>().empty()
                                ? std::string()
                                : "  " + r["message"].get<std::string>());
      }
      text += fmt::format("aggregate: {}\n", health::to_string(overall));
      write_output("-", text);
    }
    ctx.exit_code = overall == health::Status::Healthy ? kOk : kFindings;
  });
}

}  // namespace rehearse::cli

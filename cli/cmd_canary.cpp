// `rehearse canary -f ROLLOUT.yaml [-o json]`: the plan of a canary Rollout, step by step,
// assuming pods become ready: weight, canary/stable replicas the controller converges to,
// traffic split (with trafficRouting) and warnings. AnalysisTemplates in the same file are
// used to check blocking analyses. Exit 0, 2 on input errors.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "engine/model/manifest_loader.hpp"
#include "engine/rollouts/canary_plan.hpp"

namespace rehearse::cli {

void register_canary(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string file;
    std::string name;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("canary", "Show the step-by-step plan of a canary Rollout");
  cmd->add_option("-f,--file", opts->file, "Rollout YAML (AnalysisTemplates may follow)")
      ->required();
  cmd->add_option("--name", opts->name, "Rollout name when the file holds several");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    model::Diagnostics diags;
    auto objects = model::load_manifests(opts->file, diags);
    std::vector<rollouts::AnalysisTemplate> templates;
    const model::Object* target = nullptr;
    int rollouts_seen = 0;
    for (const auto& obj : objects) {
      if (obj.known_kind() == model::Kind::AnalysisTemplate ||
          obj.known_kind() == model::Kind::ClusterAnalysisTemplate) {
        if (auto t = rollouts::parse_analysis_template(obj, diags)) templates.push_back(std::move(*t));
      } else if (obj.known_kind() == model::Kind::Rollout) {
        ++rollouts_seen;
        if (!target && (opts->name.empty() || obj.name() == opts->name)) target = &obj;
      }
    }
    if (!diags.has_errors() && !target)
      diags.error({opts->file, 0, 0}, "rollout-missing",
                  opts->name.empty() ? "the file has no Rollout"
                                     : fmt::format("no Rollout named \"{}\"", opts->name));
    if (!diags.has_errors() && rollouts_seen > 1 && opts->name.empty())
      diags.error({opts->file, 0, 0}, "rollout-ambiguous",
                  "the file has several Rollouts: choose one with --name");
    std::optional<rollouts::RolloutSpec> spec;
    if (!diags.has_errors()) spec = rollouts::parse_rollout(*target, diags);
    if (spec && !spec->canary)
      diags.error(target->pos_of("/spec/strategy"), "rollout-not-canary",
                  fmt::format("Rollout {} uses blueGreen, not canary", spec->name));
    if (diags.has_errors()) {
      fail_input(diags, ctx);
      return;
    }
    auto lookup = [&](const rollouts::TemplateRef& ref) -> const rollouts::AnalysisTemplate* {
      for (const auto& t : templates)
        if (t.name == ref.template_name && t.cluster_scope == ref.cluster_scope) return &t;
      return nullptr;
    };
    auto plan = rollouts::plan_canary(*spec, lookup);
    if (opts->output == "json") {
      nlohmann::json steps = nlohmann::json::array();
      for (const auto& s : plan.steps) {
        nlohmann::json j = {{"index", s.index},
                            {"step", s.step},
                            {"weight", s.weight},
                            {"canaryReplicas", s.canary_replicas},
                            {"stableReplicas", s.stable_replicas}};
        if (s.traffic) j["traffic"] = {{"canary", s.traffic->first}, {"stable", s.traffic->second}};
        steps.push_back(std::move(j));
      }
      nlohmann::json out = {{"rollout", plan.rollout},
                            {"replicas", plan.replicas},
                            {"steps", std::move(steps)},
                            {"warnings", plan.warnings}};
      write_output("-", dump_json(out, 2) + "\n");
    } else {
      std::string text = fmt::format("Rollout {} ({} replicas)\n", plan.rollout, plan.replicas);
      text += fmt::format("  {:>3}  {:<36} {:>6} {:>7} {:>7}  {}\n", "#", "step", "weight", "canary",
                          "stable", "traffic");
      for (const auto& s : plan.steps)
        text += fmt::format("  {:>3}  {:<36} {:>6} {:>7} {:>7}  {}\n", s.index, s.step, s.weight,
                            s.canary_replicas, s.stable_replicas,
                            s.traffic ? fmt::format("{}/{}", s.traffic->first, s.traffic->second)
                                      : std::string("-"));
      for (const auto& w : plan.warnings) text += "warning: " + w + "\n";
      write_output("-", text);
    }
    ctx.exit_code = kOk;
  });
}

}  // namespace rehearse::cli

// `rehearse analysis -f TEMPLATE.yaml --measurements FILE [--arg K=V]... [-o json]`: runs an
// AnalysisRun from an AnalysisTemplate / ClusterAnalysisTemplate against measurements given
// in order per metric, on a virtual clock, until the run completes or the measurements run
// out. Exit 0 Successful, 1 Failed/Error/Inconclusive/Running, 2 input error.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "engine/model/manifest_loader.hpp"
#include "engine/model/yaml_loader.hpp"
#include "engine/rollouts/analysis_run.hpp"
#include "engine/rollouts/rollout_spec.hpp"
#include "engine/rollouts/sequence_provider.hpp"

namespace rehearse::cli {

namespace {

using nlohmann::json;
using rollouts::ProviderResult;

// Reads `{metrics: {NAME: [{value: X} | {error: "msg"}, ...]}}` into `provider`.
bool load_measurements(const std::string& path, const std::vector<std::string>& metric_names,
                       rollouts::SequenceProvider& provider, model::Diagnostics& diags) {
  std::string text;
  if (!model::read_text_file(path, text, diags)) return false;
  auto docs = model::parse_yaml(text, path, diags);
  if (diags.has_errors()) return false;
  auto pos = [&](const model::YamlDocument& d, const std::string& ptr) {
    return d.positions ? d.positions->find(ptr) : model::SourcePos{path, 0, 0};
  };
  if (docs.size() != 1 || !docs[0].value->is_object() || !docs[0].value->contains("metrics") ||
      !(*docs[0].value)["metrics"].is_object()) {
    diags.error(docs.empty() ? model::SourcePos{path, 0, 0} : docs[0].start, "measurements-invalid",
                "expected one document `metrics: {NAME: [{value: ...} | {error: \"...\"}, ...]}`");
    return false;
  }
  const auto& doc = docs[0];
  for (const auto& [name, list] : (*doc.value)["metrics"].items()) {
    const std::string ptr = "/metrics/" + name;
    if (std::find(metric_names.begin(), metric_names.end(), name) == metric_names.end()) {
      diags.error(pos(doc, ptr), "measurements-unknown-metric",
                  fmt::format("the template has no metric \"{}\"", name));
      continue;
    }
    if (!list.is_array()) {
      diags.error(pos(doc, ptr), "measurements-invalid",
                  fmt::format("metrics.{} must be a list of {{value: ...}} or {{error: ...}}", name));
      continue;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const json& item = list[i];
      const std::string iptr = fmt::format("{}/{}", ptr, i);
      const bool has_v = item.is_object() && item.contains("value");
      const bool has_e = item.is_object() && item.contains("error");
      if (!item.is_object() || has_v == has_e || item.size() != 1) {
        diags.error(pos(doc, iptr), "measurements-invalid",
                    "each measurement is {value: <any>} or {error: \"message\"}");
        continue;
      }
      if (has_e) {
        const json& e = item["error"];
        provider.add(name, ProviderResult::failure(e.is_string() ? e.get<std::string>() : dump_json(e, -1)));
      } else {
        provider.add(name, ProviderResult::of(item["value"]));
      }
    }
  }
  return !diags.has_errors();
}

}  // namespace

void register_analysis(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string file;
    std::string measurements;
    std::vector<std::string> args;
    std::string name;
    std::string output = "text";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "analysis", "Run an AnalysisTemplate against given measurements on a virtual clock");
  cmd->add_option("-f,--file", opts->file, "AnalysisTemplate or ClusterAnalysisTemplate YAML")
      ->required();
  cmd->add_option("--measurements", opts->measurements,
                  "YAML: {metrics: {NAME: [{value: X} | {error: msg}, ...]}}")
      ->required();
  cmd->add_option("--arg", opts->args, "Template argument K=V (repeatable)");
  cmd->add_option("--template", opts->name, "Template name when the file holds several");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    model::Diagnostics diags;
    auto objects = model::load_manifests(opts->file, diags);
    if (diags.has_errors()) return fail_input(diags, ctx);
    std::vector<rollouts::AnalysisTemplate> templates;
    for (const auto& obj : objects) {
      auto k = obj.known_kind();
      if (k != model::Kind::AnalysisTemplate && k != model::Kind::ClusterAnalysisTemplate &&
          k != model::Kind::AnalysisRun)
        continue;
      if (auto t = rollouts::parse_analysis_template(obj, diags)) templates.push_back(std::move(*t));
    }
    if (diags.has_errors()) return fail_input(diags, ctx);
    const rollouts::AnalysisTemplate* main = nullptr;
    for (const auto& t : templates)
      if (opts->name.empty() || t.name == opts->name) {
        main = &t;
        break;
      }
    if (!main) {
      diags.error({opts->file, 0, 0}, "analysis-template-missing",
                  opts->name.empty() ? "the file has no AnalysisTemplate or ClusterAnalysisTemplate"
                                     : fmt::format("no template named \"{}\"", opts->name));
      return fail_input(diags, ctx);
    }
    auto lookup = [&](const rollouts::TemplateRef& ref) -> const rollouts::AnalysisTemplate* {
      for (const auto& t : templates)
        if (t.name == ref.template_name && t.cluster_scope == ref.cluster_scope) return &t;
      return nullptr;
    };
    std::vector<const rollouts::AnalysisTemplate*> all = {main};
    if (!main->spec.templates.empty()) {
      auto nested = rollouts::expand_templates(main->spec.templates, lookup);
      if (!nested) {
        diags.error(main->pos, "analysis-template-missing",
                    nested.error().message + " (put nested templates in the same file)");
        return fail_input(diags, ctx);
      }
      for (const auto* t : *nested)
        if (t != main) all.push_back(t);
    }
    std::vector<rollouts::Arg> incoming;
    for (const auto& kv : opts->args) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        diags.error({"--arg", 0, 0}, "usage", fmt::format("--arg expects K=V, got \"{}\"", kv));
        return fail_input(diags, ctx);
      }
      rollouts::Arg a;
      a.name = kv.substr(0, eq);
      a.value = kv.substr(eq + 1);
      incoming.push_back(std::move(a));
    }
    auto args = rollouts::merge_args(all, incoming);
    if (!args) {
      diags.error(main->pos, args.error().code,
                  args.error().message + " (pass it with --arg NAME=VALUE)");
      return fail_input(diags, ctx);
    }
    rollouts::AnalysisSpec merged;
    for (const auto* t : all) {
      for (size_t i = 0; i < t->spec.metrics.size(); ++i) {
        if (std::find(merged.metric_names.begin(), merged.metric_names.end(),
                      t->spec.metric_names[i]) != merged.metric_names.end()) {
          diags.error(t->spec.metric_pos[i], "analysis-invalid",
                      fmt::format("metric \"{}\" appears in more than one template",
                                  t->spec.metric_names[i]));
          continue;
        }
        merged.metrics.push_back(t->spec.metrics[i]);
        merged.metric_names.push_back(t->spec.metric_names[i]);
        merged.metric_pos.push_back(t->spec.metric_pos[i]);
      }
      merged.dry_run.insert(merged.dry_run.end(), t->spec.dry_run.begin(), t->spec.dry_run.end());
      merged.retention.insert(merged.retention.end(), t->spec.retention.begin(),
                              t->spec.retention.end());
    }
    if (diags.has_errors()) return fail_input(diags, ctx);
    auto spec = rollouts::build_run_spec(
        merged, *args, [](const rollouts::Arg& a) -> Result<std::string> {
          return fail("args-unresolved",
                      fmt::format("args.{} comes from valueFrom, which the CLI cannot read; pass "
                                  "--arg {}=VALUE",
                                  a.name, a.name));
        });
    if (!spec) {
      diags.error(main->pos, spec.error().code, spec.error().message);
      return fail_input(diags, ctx);
    }
    rollouts::SequenceProvider provider;
    if (!load_measurements(opts->measurements, merged.metric_names, provider, diags))
      return fail_input(diags, ctx);

    rollouts::AnalysisRun run(std::move(*spec));
    rollouts::run_to_completion(run, provider, sim::kSimStart, sim::kSimStart + sim::hours(24 * 365));
    const auto& st = run.status();
    if (opts->output == "json") {
      json out = {{"phase", rollouts::to_string(st.phase)}, {"message", st.message}};
      json metrics = json::array();
      for (const auto& r : st.metric_results) {
        json ms = json::array();
        for (const auto& m : r.measurements)
          ms.push_back({{"phase", rollouts::to_string(m.phase)},
                        {"value", m.value},
                        {"message", m.message},
                        {"at", sim::format_short(m.started_at - sim::kSimStart)}});
        metrics.push_back({{"name", r.name},
                           {"phase", rollouts::to_string(r.phase)},
                           {"count", r.count},
                           {"successful", r.successful},
                           {"failed", r.failed},
                           {"inconclusive", r.inconclusive},
                           {"error", r.error},
                           {"consecutiveError", r.consecutive_error},
                           {"dryRun", r.dry_run},
                           {"measurements", std::move(ms)}});
      }
      out["metrics"] = std::move(metrics);
      write_output("-", dump_json(out, 2) + "\n");
    } else {
      std::string text = fmt::format("AnalysisRun {}: {}\n", main->name, rollouts::to_string(st.phase));
      if (!st.message.empty()) text += fmt::format("  {}\n", st.message);
      for (const auto& r : st.metric_results) {
        text += fmt::format("  metric {}: {} (count {}, successful {}, failed {}, inconclusive {}, "
                            "error {}){}\n",
                            r.name, rollouts::to_string(r.phase), r.count, r.successful, r.failed,
                            r.inconclusive, r.error, r.dry_run ? " [dry-run]" : "");
        for (const auto& m : r.measurements)
          text += fmt::format("    {:>8}  {:<12} {}{}\n",
                              sim::format_short(m.started_at - sim::kSimStart),
                              rollouts::to_string(m.phase), m.value,
                              m.message.empty() ? "" : "  (" + m.message + ")");
      }
      write_output("-", text);
    }
    ctx.exit_code = st.phase == rollouts::AnalysisPhase::Successful ? kOk : kFindings;
  });
}

}  // namespace rehearse::cli

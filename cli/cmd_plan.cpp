// `rehearse plan`: what an Argo CD sync would do, in order.
//
// Mode 1: `--manifests DIR [--live DIR]` plans one sync of DIR against the live objects.
// Mode 2: `--repo DIR --from REV --to REV [--app NAME]` plans, for every Application found in
// the repository at --to whose source changed, the sync from what --from rendered (the live
// state, tracked as the app's) to what --to renders; and, for every Flux Kustomization whose
// build output changed, the staged apply and prune (engine/flux/repo_plan.hpp). The user's repository is only read: it
// is cloned into a private temporary directory. Exit codes: 0 planned, 2 input error
// (docs/plan.md).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/input.hpp"
#include "engine/argocd/application.hpp"
#include "engine/argocd/source.hpp"
#include "engine/argocd/sync_plan.hpp"
#include "engine/argocd/tracking.hpp"
#include "engine/flux/repo_plan.hpp"
#include "engine/kustomize/kustomize.hpp"
#include "engine/model/manifest_loader.hpp"
#include "engine/model/yaml_loader.hpp"
#include "sim/git/git_repo.hpp"

namespace rehearse::cli {

namespace {

struct PlanOpts {
  std::string manifests;
  std::string repo;
  std::string from;
  std::string to;
  std::string live;
  std::string app;
  std::string ns = "default";
  std::vector<std::string> sync_options;
  bool prune = false;
  std::string tracking = "annotation";
  std::string revision;
  std::string output = "text";
};

nlohmann::json task_json(const argocd::SyncTask& t) {
  nlohmann::json j = {{"phase", std::string(argocd::to_string(t.phase))},
                      {"wave", t.wave},
                      {"kind", t.key.kind},
                      {"group", t.key.group},
                      {"namespace", t.key.ns},
                      {"name", t.key.name},
                      {"operation", std::string(argocd::to_string(t.operation))}};
  if (t.is_hook) {
    j["hook"] = true;
    nlohmann::json pol = nlohmann::json::array();
    for (auto p : t.delete_policies) pol.push_back(std::string(argocd::to_string(p)));
    j["deletePolicies"] = pol;
    if (t.delete_before_creation) j["deleteBeforeCreation"] = true;
  }
  if (t.operation == argocd::TaskOperation::Prune) {
    switch (t.prune) {
      case argocd::PruneDecision::Prune: break;
      case argocd::PruneDecision::SkipRequiresPruning:
        j["pruneSkipped"] = "ignored (requires pruning)";
        break;
      case argocd::PruneDecision::SkipNoPrune: j["pruneSkipped"] = "ignored (no prune)"; break;
      case argocd::PruneDecision::NeedsConfirmation: j["requiresConfirmation"] = true; break;
    }
    if (t.prune_last) j["pruneLast"] = true;
  }
  if (t.operation == argocd::TaskOperation::Update && !t.is_hook) {
    j["modified"] = t.modified;
    if (!t.diff_paths.empty()) j["diff"] = t.diff_paths;
  }
  return j;
}

bool deletes(const argocd::SyncTask& t) {
  return t.prune == argocd::PruneDecision::Prune || t.prune == argocd::PruneDecision::NeedsConfirmation;
}

nlohmann::json plan_json(const argocd::SyncPlan& plan) {
  nlohmann::json tasks = nlohmann::json::array(), fail = nlohmann::json::array(),
                 steps = nlohmann::json::array();
  for (const auto& t : plan.tasks) tasks.push_back(task_json(t));
  for (const auto& t : plan.sync_fail) fail.push_back(task_json(t));
  for (const auto& s : plan.steps) {
    nlohmann::json prune = nlohmann::json::array(), skipped = nlohmann::json::array(),
                   batches = nlohmann::json::array();
    for (size_t i : s.prunes)
      (deletes(plan.tasks[i]) ? prune : skipped).push_back(plan.tasks[i].short_name());
    for (const auto& b : s.apply_batches) {
      nlohmann::json batch = nlohmann::json::array();
      for (size_t i : b) batch.push_back(plan.tasks[i].short_name());
      batches.push_back(batch);
    }
    nlohmann::json step = {{"phase", std::string(argocd::to_string(s.phase))},
                           {"wave", s.wave},
                           {"prune", prune},
                           {"applyBatches", batches}};
    if (!skipped.empty()) step["pruneSkipped"] = skipped;
    steps.push_back(step);
  }
  nlohmann::json out = {{"tasks", tasks}, {"onFailure", fail}, {"steps", steps},
                        {"warnings", plan.warnings}, {"multiStep", plan.multi_step}};
  if (!plan.errors.empty()) out["errors"] = plan.errors;
  return out;
}

std::string plan_text(const argocd::SyncPlan& plan, bool color) {
  const char* red = color ? "\033[31m" : "";
  const char* yellow = color ? "\033[33m" : "";
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::string out;
  auto row = [&](const argocd::SyncTask& t, const char* c) {
    std::string what = t.key.ns.empty() ? t.short_name() : fmt::format("{} ({})", t.short_name(), t.key.ns);
    std::string note;
    if (t.is_hook) note = " [hook]";
    if (t.operation == argocd::TaskOperation::Prune) {
      if (t.prune == argocd::PruneDecision::SkipRequiresPruning) note = " [skipped: requires pruning]";
      if (t.prune == argocd::PruneDecision::SkipNoPrune) note = " [skipped: Prune=false]";
      if (t.prune == argocd::PruneDecision::NeedsConfirmation) note = " [needs confirmation]";
      if (t.prune_last) note += " [PruneLast]";
    } else if (t.operation == argocd::TaskOperation::Update && !t.is_hook && !t.modified) {
      note = " [in sync]";
    }
    out += fmt::format("    {}{:<7}{} {}{}\n", c, argocd::to_string(t.operation), reset, what, note);
  };
  int n = 0;
  for (const auto& s : plan.steps) {
    out += fmt::format("{}step {}: {} wave {}{}\n", bold, ++n, argocd::to_string(s.phase), s.wave, reset);
    for (size_t i : s.prunes) row(plan.tasks[i], deletes(plan.tasks[i]) ? red : "");
    int b = 0;
    for (const auto& batch : s.apply_batches) {
      if (s.apply_batches.size() > 1) out += fmt::format("  batch {}\n", ++b);
      for (size_t i : batch) row(plan.tasks[i], "");
    }
  }
  if (!plan.sync_fail.empty()) {
    out += fmt::format("{}on failure (SyncFail){}\n", bold, reset);
    for (const auto& t : plan.sync_fail) row(t, "");
  }
  if (plan.steps.empty()) out += "nothing to do\n";
  for (const auto& w : plan.warnings) out += fmt::format("{}warning:{} {}\n", yellow, reset, w);
  for (const auto& e : plan.errors) out += fmt::format("{}error:{} {}\n", red, reset, e);
  return out;
}


namespace fs = std::filesystem;

bool is_manifest_file(const std::string& p) {
  auto ends = [&](const char* e) {
    size_t n = std::char_traits<char>::length(e);
    return p.size() >= n && p.compare(p.size() - n, n, e) == 0;
  };
  return ends(".yaml") || ends(".yml") || ends(".json");
}

// Every manifest file of a checkout (repo-relative, sorted, hidden entries skipped).
std::vector<std::string> repo_files(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    out.push_back(fs::relative(it->path(), root).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct RepoApp {
  argocd::Application app;
  std::string file;  // repo-relative manifest path
};

// Applications (argoproj.io) in the checkout, by name.
std::map<std::string, RepoApp> find_apps(const std::string& root, const std::vector<std::string>& files,
                                         model::Diagnostics& diags) {
  std::map<std::string, RepoApp> out;
  for (const auto& f : files) {
    if (!is_manifest_file(f)) continue;
    std::string text;
    if (!model::read_text_file(root + "/" + f, text, diags)) continue;
    if (text.find("Application") == std::string::npos) continue;
    model::Diagnostics local;  // other YAML in the repo (Helm templates...) is not our business
    auto objs = model::load_manifests_text(text, f, local);
    for (const auto& o : objs) {
      if (o.known_kind() != model::Kind::Application) continue;
      auto app = argocd::parse_application(o, diags);
      if (!app) continue;
      if (out.count(app->name)) {
        diags.error(o.origin(), "duplicate-application",
                    fmt::format("Application {} is defined twice (also in {})", app->name, out[app->name].file));
        continue;
      }
      out[app->name] = RepoApp{*app, f};
    }
  }
  return out;
}

std::string trim_slashes(std::string p) {
  while (!p.empty() && (p.front() == '/' || (p.size() > 1 && p[0] == '.' && p[1] == '/')))
    p.erase(0, p.front() == '/' ? 1 : 2);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p == ".") p.clear();
  return p;
}

bool under(const std::string& file, const std::string& dir) {
  if (dir.empty()) return true;
  return file.size() > dir.size() && file.compare(0, dir.size(), dir) == 0 && file[dir.size()] == '/';
}

// Renders an Application's sources from a checkout: directory sources by the engine,
// kustomize sources by engine/kustomize on the checkout, Helm is not available.
std::vector<model::Object> render_app(const argocd::Application& app, const std::string& root,
                                      const std::vector<std::string>& files, model::Diagnostics& diags) {
  std::vector<argocd::SourceFile> sources;
  for (const auto& src : app.spec.sources) {
    std::string dir = trim_slashes(src.path);
    for (const auto& f : files) {
      if (!under(f, dir) || !is_manifest_file(f)) continue;
      std::string text;
      if (model::read_text_file(root + "/" + f, text, diags)) sources.push_back({f, std::move(text)});
      else return {};
    }
    // kustomization files without a manifest extension (`Kustomization`).
    std::string k = dir.empty() ? "Kustomization" : dir + "/Kustomization";
    if (std::binary_search(files.begin(), files.end(), k)) sources.push_back({k, ""});
  }
  argocd::Renderers r;
  r.kustomize = [&root](const argocd::ApplicationSource& src, const std::vector<argocd::SourceFile>&,
                        model::Diagnostics& d) {
    kustomize::BuildOptions bo;
    bo.generate_if_missing = false;
    auto built = kustomize::build(root + "/" + trim_slashes(src.path), d, bo);
    return built.ok() ? std::move(*built) : std::vector<model::Object>{};
  };
  return argocd::render_sources(app.spec, sources, r, diags);
}

nlohmann::json flux_task_json(const flux::PlannedObject& t) {
  nlohmann::json j = {{"stage", t.stage},
                      {"kind", t.key.kind},
                      {"group", t.key.group},
                      {"namespace", t.key.ns},
                      {"name", t.key.name},
                      {"operation", std::string(flux::to_string(t.operation))}};
  if (t.operation == flux::PlanOperation::Update) j["modified"] = t.modified;
  if (!t.apply_skipped.empty()) j["applySkipped"] = t.apply_skipped;
  if (!t.prune_skipped.empty()) j["pruneSkipped"] = t.prune_skipped;
  return j;
}

nlohmann::json flux_plan_json(const flux::KustomizationRepoPlan& k) {
  nlohmann::json tasks = nlohmann::json::array(), stages = nlohmann::json::array(),
                 prune = nlohmann::json::array(), kept = nlohmann::json::array();
  for (const auto& t : k.tasks) {
    tasks.push_back(flux_task_json(t));
    if (t.operation == flux::PlanOperation::Prune) {
      (t.prune_skipped.empty() ? prune : kept).push_back(t.short_name());
      continue;
    }
    if (stages.empty() || stages.back()["stage"] != t.stage)
      stages.push_back({{"stage", t.stage}, {"kinds", std::string(flux::stage_name(t.stage))}, {"apply", nlohmann::json::array()}});
    stages.back()["apply"].push_back(t.short_name());
  }
  nlohmann::json plan = {{"tasks", tasks}, {"stages", stages}, {"prune", prune}, {"pruneSkipped", kept},
                         {"unchanged", k.unchanged}, {"warnings", k.warnings}};
  if (!k.errors.empty()) plan["errors"] = k.errors;
  return {{"name", k.name}, {"namespace", k.ns}, {"path", k.path}, {"file", k.file},
          {"dependsOn", k.depends_on}, {"prune", k.prune}, {"plan", plan}};
}

std::string flux_plan_text(const flux::KustomizationRepoPlan& k, bool color) {
  const char* red = color ? "\033[31m" : "";
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::string out;
  if (!k.depends_on.empty()) {
    std::string deps;
    for (const auto& d : k.depends_on) deps += (deps.empty() ? "" : ", ") + d;
    out += fmt::format("  depends on {}\n", deps);
  }
  int stage = 0;
  bool pruning = false;
  auto unchanged = [&] {
    if (k.unchanged > 0) out += fmt::format("    ({} unchanged)\n", k.unchanged);
  };
  for (const auto& t : k.tasks) {
    std::string what = t.key.ns.empty() ? t.short_name() : fmt::format("{} ({})", t.short_name(), t.key.ns);
    if (t.operation == flux::PlanOperation::Prune) {
      if (!pruning) {
        unchanged();
        out += fmt::format("{}prune (reverse apply order){}\n", bold, reset);
      }
      pruning = true;
      bool kept = !t.prune_skipped.empty();
      out += fmt::format("    {}{:<7}{} {}{}\n", kept ? "" : red, "prune", kept ? "" : reset, what,
                         kept ? " [kept: " + t.prune_skipped + "]" : "");
      continue;
    }
    if (t.operation == flux::PlanOperation::Update && !t.modified) continue;  // counted below
    if (t.stage != stage) {
      stage = t.stage;
      out += fmt::format("{}stage {}: {}{}\n", bold, stage, flux::stage_name(stage), reset);
    }
    out += fmt::format("    {:<7} {}{}\n", flux::to_string(t.operation), what,
                       t.apply_skipped.empty() ? "" : " [skipped: " + t.apply_skipped + "]");
  }
  if (!pruning) unchanged();
  if (k.tasks.empty() && k.errors.empty()) out += "nothing to do\n";
  // Warnings are printed once, prefixed, with the top-level ones.
  for (const auto& e : k.errors) out += fmt::format("{}error:{} {}\n", red, reset, e);
  return out;
}

struct RepoPlanResult {
  nlohmann::json json;
  std::string text;
  bool errors = false;
};

RepoPlanResult plan_repo(const PlanOpts& opts, bool color, model::Diagnostics& diags, bool& input_error) {
  RepoPlanResult res;
  // A private clone: the user's repository is never written.
  std::string tmpl = (fs::temp_directory_path() / "rehearse-plan-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    std::fputs("rehearse: cannot create a temporary directory\n", stderr);
    input_error = true;
    return res;
  }
  std::string priv = buf.data();
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{priv};
  auto repo = sim::GitRepo::clone_local(opts.repo, priv);
  if (!repo) {
    std::fprintf(stderr, "rehearse: --repo %s: %s\n", opts.repo.c_str(), repo.error().message.c_str());
    input_error = true;
    return res;
  }
  auto from_sha = (*repo)->resolve(opts.from);
  auto to_sha = (*repo)->resolve(opts.to);
  for (auto* r : {&from_sha, &to_sha}) {
    if (!*r) {
      std::fprintf(stderr, "rehearse: %s: %s\n", r == &from_sha ? "--from" : "--to", r->error().message.c_str());
      input_error = true;
      return res;
    }
  }
  auto from_dir = (*repo)->checkout(*from_sha);
  auto to_dir = (*repo)->checkout(*to_sha);
  auto changed = (*repo)->changed_files(*from_sha, *to_sha);
  if (!from_dir || !to_dir || !changed) {
    std::fputs("rehearse: cannot read the repository revisions\n", stderr);
    input_error = true;
    return res;
  }
  auto from_files = repo_files(*from_dir);
  auto to_files = repo_files(*to_dir);
  auto apps_to = find_apps(*to_dir, to_files, diags);
  auto apps_from = find_apps(*from_dir, from_files, diags);
  if (!opts.app.empty() && !apps_to.count(opts.app)) {
    diags.error(model::SourcePos{opts.repo, 0, 0}, "unknown-application",
                fmt::format("no Application named {} in {} at {}", opts.app, opts.repo, opts.to));
  }
  if (diags.has_errors()) {
    input_error = true;
    return res;
  }
  auto method = argocd::parse_tracking_method(opts.tracking).value_or(argocd::TrackingMethod::Annotation);
  nlohmann::json apps = nlohmann::json::array();
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& [name, ra] : apps_to) {
    if (!opts.app.empty() && name != opts.app) continue;
    const argocd::Application& app = ra.app;
    std::vector<std::string> dirs;
    for (const auto& s : app.spec.sources) dirs.push_back(trim_slashes(s.path));
    bool touched = false;
    for (const auto& f : *changed) {
      if (f == ra.file) touched = true;
      for (const auto& d : dirs) touched = touched || under(f, d);
    }
    if (!touched && opts.app.empty()) continue;
    // Live: what --from rendered for this app (the app as it was then, when it existed).
    std::vector<model::Object> live;
    auto old = apps_from.find(name);
    if (old != apps_from.end()) {
      live = render_app(old->second.app, *from_dir, from_files, diags);
      model::KindRegistry kinds;
      for (auto& o : live) {
        if (o.ns().empty() && kinds.is_namespaced(o.key().group, o.kind())) {
          o.body()["metadata"]["namespace"] = old->second.app.spec.destination.ns;
          o.refresh_identity();
        }
        argocd::set_tracking(o, name, method);
      }
    }
    auto desired = render_app(app, *to_dir, to_files, diags);
    if (diags.has_errors()) {
      input_error = true;
      return res;
    }
    argocd::SyncSettings s;
    s.app_name = name;
    s.dest_namespace = app.spec.destination.ns.empty() ? opts.ns : app.spec.destination.ns;
    s.prune = opts.prune || (app.spec.sync_policy.automated && app.spec.sync_policy.automated->prune);
    s.sync_options = app.spec.sync_policy.sync_options;
    for (const auto& o : opts.sync_options) s.sync_options.push_back(o);
    s.tracking = method;
    s.revision = *to_sha;
    s.compute_diffs = true;
    s.ignore_differences = app.spec.ignore_differences;
    s.managed_namespace_metadata = !app.spec.sync_policy.managed_namespace_metadata->is_null();
    auto plan = argocd::plan_sync(desired, live, s);
    std::string path = dirs.empty() ? "" : dirs.front();
    for (const auto& w : plan.warnings) warnings.push_back(fmt::format("{}: {}", name, w));
    res.errors = res.errors || !plan.errors.empty();
    apps.push_back({{"name", name}, {"path", path}, {"plan", plan_json(plan)}});
    res.text += fmt::format("{}application {}{} (path {}, {} -> {})\n", color ? "\033[1m" : "", name,
                            color ? "\033[0m" : "", path.empty() ? "." : path, from_sha->substr(0, 7),
                            to_sha->substr(0, 7));
    res.text += plan_text(plan, color);
  }
  for (const auto& [name, ra] : apps_from) {
    if (apps_to.count(name) || (!opts.app.empty() && name != opts.app)) continue;
    warnings.push_back(fmt::format(
        "application {} is no longer in the repository at {}: when the app of apps prunes it, the "
        "resources finalizer (resources-finalizer.argocd.argoproj.io) deletes everything it owns",
        name, opts.to));
  }
  // Flux Kustomizations (not with --app, which names an Argo CD Application).
  nlohmann::json kustomizations = nlohmann::json::array();
  if (opts.app.empty()) {
    auto disk = kustomize::make_disk_file_source();
    auto manifests = [](const std::vector<std::string>& files) {
      std::vector<std::string> out;
      for (const auto& f : files)
        if (is_manifest_file(f)) out.push_back(f);
      return out;
    };
    flux::RepoRevision rev_from{disk.get(), *from_dir, manifests(from_files)};
    flux::RepoRevision rev_to{disk.get(), *to_dir, manifests(to_files)};
    auto fp = flux::plan_flux_repo(rev_from, rev_to, diags);
    if (diags.has_errors()) {
      input_error = true;
      return res;
    }
    for (const auto& k : fp.kustomizations) {
      kustomizations.push_back(flux_plan_json(k));
      res.text += fmt::format("{}kustomization {}/{}{} (path {}, {} -> {})\n", color ? "\033[1m" : "", k.ns, k.name,
                              color ? "\033[0m" : "", k.path.empty() ? "." : k.path, from_sha->substr(0, 7),
                              to_sha->substr(0, 7));
      res.text += flux_plan_text(k, color);
    }
    for (const auto& w : fp.warnings) warnings.push_back(w);
    res.errors = res.errors || fp.has_errors();
  }
  if (apps.empty() && kustomizations.empty()) res.text += "no application changed\n";
  for (const auto& w : warnings) res.text += fmt::format("warning: {}\n", w.get<std::string>());
  res.json = {{"applications", apps}, {"kustomizations", kustomizations}, {"warnings", warnings}};
  return res;
}

}  // namespace

void register_plan(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<PlanOpts>();
  auto* cmd = app.add_subcommand(
      "plan", "Show the ordered Argo CD sync (phases, waves, prunes) of manifests, or with --repo also Flux's staged applies and prunes");
  cmd->add_option("--manifests", opts->manifests, "Directory (or file) of rendered manifests");
  cmd->add_option("--repo", opts->repo, "Config repository (git work tree or bare repo; only read)");
  cmd->add_option("--from", opts->from, "--repo mode: the revision the cluster runs (live state)");
  cmd->add_option("--to", opts->to, "--repo mode: the revision to plan the sync to");
  cmd->add_option("--live", opts->live, "Directory (or file) of live objects");
  cmd->add_option("--app", opts->app, "Application name (tracking name with --manifests, default app; the one app to plan with --repo)");
  cmd->add_option("--namespace", opts->ns, "Destination namespace")->capture_default_str();
  cmd->add_option("--sync-option", opts->sync_options, "App-level sync option K=V (repeatable)");
  cmd->add_flag("--prune", opts->prune, "Enable pruning");
  cmd->add_option("--tracking", opts->tracking, "annotation|label|annotation+label")->capture_default_str();
  cmd->add_option("--revision", opts->revision, "Sync revision (names unnamed hooks, §2.3)");
  cmd->add_option("-o,--output", opts->output, "text|json")->capture_default_str();
  cmd->callback([opts, &ctx] {
    if (!output_format_ok(opts->output, "text,json", ctx)) return;
    auto method = argocd::parse_tracking_method(opts->tracking);
    if (!method) {
      std::fprintf(stderr, "rehearse: --tracking must be annotation, label or annotation+label\n");
      ctx.exit_code = kInputError;
      return;
    }
    for (const auto& o : opts->sync_options) {
      if (o.find('=') == std::string::npos) {
        std::fprintf(stderr, "rehearse: --sync-option must be K=V, not \"%s\"\n", o.c_str());
        ctx.exit_code = kInputError;
        return;
      }
    }
    bool repo_mode = !opts->repo.empty();
    if (repo_mode == !opts->manifests.empty() || (repo_mode && (opts->from.empty() || opts->to.empty())) ||
        (!repo_mode && (!opts->from.empty() || !opts->to.empty()))) {
      std::fputs("rehearse: plan needs either --manifests DIR or --repo DIR --from REV --to REV\n", stderr);
      ctx.exit_code = kInputError;
      return;
    }
    if (repo_mode) {
      model::Diagnostics diags;
      bool input_error = false;
      auto r = plan_repo(*opts, ctx.color, diags, input_error);
      if (input_error || diags.has_errors()) {
        fail_input(diags, ctx);
        return;
      }
      if (opts->output == "json") write_output("-", dump_json(r.json, 2) + "\n");
      else write_output("-", r.text);
      ctx.exit_code = r.errors ? kInputError : kOk;
      return;
    }
    if (opts->app.empty()) opts->app = "app";
    model::Diagnostics diags;
    std::vector<model::Object> desired = model::load_manifests(opts->manifests, diags);
    std::vector<model::Object> live;
    if (!opts->live.empty()) live = model::load_manifests(opts->live, diags);
    if (diags.has_errors()) {
      fail_input(diags, ctx);
      return;
    }
    argocd::SyncSettings s;
    s.app_name = opts->app;
    s.dest_namespace = opts->ns;
    s.prune = opts->prune;
    s.sync_options = opts->sync_options;
    s.tracking = *method;
    // No operation is running: hook names use --revision and start time 0.
    s.revision = opts->revision;
    s.compute_diffs = true;
    auto plan = argocd::plan_sync(desired, live, s);
    if (opts->output == "json") write_output("-", dump_json(plan_json(plan), 2) + "\n");
    else write_output("-", plan_text(plan, ctx.color));
    ctx.exit_code = plan.errors.empty() ? kOk : kInputError;
  });
}

}  // namespace rehearse::cli

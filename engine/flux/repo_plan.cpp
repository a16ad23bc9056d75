#include "engine/flux/repo_plan.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/flux/sourceignore.hpp"
#include "engine/kustomize/envsubst.hpp"
#include "engine/kustomize/kustomize.hpp"
#include "engine/model/manifest_loader.hpp"

namespace rehearse::flux {

using nlohmann::json;

namespace {

constexpr const char* kKustomizeGroup = "kustomize.toolkit.fluxcd.io";
constexpr const char* kSourceGroup = "source.toolkit.fluxcd.io";

struct FoundKustomization {
  std::string ns, name, file;
  KustomizationSpec spec;
};

struct RepoObjects {
  std::map<std::string, FoundKustomization> kustomizations;     // "ns/name"
  std::map<std::string, std::optional<std::string>> git_ignore;  // GitRepository "ns/name" -> spec.ignore
};

std::string ns_of(const model::Object& o) { return o.ns().empty() ? "default" : o.ns(); }

// Kustomizations and GitRepositories in the manifest files of one revision.
RepoObjects find_objects(const RepoRevision& rev, model::Diagnostics& diags) {
  RepoObjects out;
  for (const auto& f : rev.manifests) {
    std::string text;
    if (!rev.files->read(kustomize::path_join(rev.root, f), text)) continue;
    if (text.find(".toolkit.fluxcd.io") == std::string::npos) continue;
    model::Diagnostics local;  // other YAML in the repository (templates, values) is not ours
    for (const auto& o : model::load_manifests_text(text, f, local)) {
      const std::string id = ns_of(o) + "/" + o.key().name;
      if (o.key().group == kSourceGroup && o.kind() == "GitRepository") {
        const json& spec = o.body().value("spec", json::object());
        auto ig = spec.find("ignore");
        out.git_ignore[id] = ig != spec.end() && ig->is_string() ? std::optional<std::string>(ig->get<std::string>())
                                                                 : std::nullopt;
        continue;
      }
      if (o.key().group != kKustomizeGroup || o.kind() != "Kustomization") continue;
      json body = o.body();
      if (o.ns().empty()) body["metadata"]["namespace"] = "default";
      auto spec = parse_kustomization(body);
      if (!spec) {
        diags.error(o.origin(), "invalid-kustomization", fmt::format("Kustomization {}: {}", id, spec.error().message));
        continue;
      }
      auto [it, inserted] = out.kustomizations.try_emplace(id, FoundKustomization{ns_of(o), o.key().name, f, *spec});
      if (!inserted)
        diags.error(o.origin(), "duplicate-kustomization",
                    fmt::format("Kustomization {} is defined twice (also in {})", id, it->second.file));
    }
  }
  return out;
}

struct Built {
  std::vector<model::Object> objects;
  std::string error;                    // build failure ("" = built)
  std::vector<std::string> unresolved;  // ${VAR}s left for substituteFrom
};

// `${NAME` references in the objects (sorted, unique).
std::set<std::string> referenced_vars(const std::vector<model::Object>& objects) {
  std::set<std::string> names;
  for (const auto& o : objects) {
    std::string text = o.body().dump();
    for (size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2)) {
      size_t b = at + 2, e = b;
      while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '_')) ++e;
      if (e > b && kustomize::valid_var_name(std::string_view(text).substr(b, e - b))) names.insert(text.substr(b, e - b));
    }
  }
  return names;
}

// The controller's build of one Kustomization at one revision (§3.4-§3.6), substituteFrom
// aside (see the header, point 5).
Built build_at(const RepoRevision& rev, const RepoObjects& repo, const FoundKustomization& k) {
  Built out;
  std::optional<std::string> ignore;
  auto g = repo.git_ignore.find(k.spec.source.ns + "/" + k.spec.source.name);
  if (g != repo.git_ignore.end()) ignore = g->second;
  FilteredFileSource files(*rev.files, rev.root, build_source_matcher(*rev.files, rev.root, ignore));
  std::string dir = kustomize::path_clean(kustomize::path_join(rev.root, k.spec.path.empty() ? "." : k.spec.path));
  auto relative = [&](std::string msg) {
    const std::string prefix = rev.root.empty() || rev.root.back() == '/' ? rev.root : rev.root + "/";
    if (!rev.root.empty())
      for (size_t at = msg.find(prefix); at != std::string::npos; at = msg.find(prefix, at)) msg.erase(at, prefix.size());
    return msg;
  };
  if (!files.is_dir(dir)) {
    out.error = fmt::format("kustomization path not found: {}", k.spec.path);
    return out;
  }
  model::Diagnostics diags;
  kustomize::BuildOptions bo;
  bo.generate_if_missing = true;
  bo.flux_overlay = k.spec.overlay;
  auto built = kustomize::build(files, dir, diags, bo);
  if (!built) {
    out.error = relative(built.error().message);
    return out;
  }
  out.objects = std::move(*built);
  if (k.spec.post_build) {
    kustomize::Vars inline_vars(k.spec.substitute.begin(), k.spec.substitute.end());
    auto vars = kustomize::resolve_post_build_vars({}, inline_vars);
    if (!vars) {
      out.error = vars.error().message;
      return out;
    }
    // Unknown cluster values: `${VAR}` maps to itself, so the text stays as written (the
    // substitution is one pass). Without substituteFrom a missing variable is the
    // controller's strict-mode build failure (§3.5).
    if (!k.spec.substitute_from.empty()) {
      for (const auto& name : referenced_vars(out.objects)) {
        if (vars->count(name)) continue;
        (*vars)[name] = "${" + name + "}";
        out.unresolved.push_back(name);
      }
    }
    kustomize::SubstituteOptions so;
    so.strict = true;  // StrictPostBuildSubstitutions, on by default since v1.9 (§3.5)
    auto sub = kustomize::substitute_objects(out.objects, *vars, so, diags);
    if (!sub) {
      out.error = relative(sub.error().message);
      return out;
    }
  }
  for (auto& o : out.objects) mark_owned(o, k.ns, k.name);
  return out;
}

std::string describe_source(const NamespacedRef& r) { return fmt::format("{} {}/{}", r.kind, r.ns, r.name); }

}  // namespace

std::string_view to_string(PlanOperation op) {
  switch (op) {
    case PlanOperation::Create: return "create";
    case PlanOperation::Update: return "update";
    case PlanOperation::Prune: return "prune";
  }
  return "update";
}

std::string PlannedObject::short_name() const { return key.kind + "/" + key.name; }

bool RepoPlan::has_errors() const {
  return std::any_of(kustomizations.begin(), kustomizations.end(), [](const auto& k) { return !k.errors.empty(); });
}

std::string_view stage_name(int stage) {
  switch (stage) {
    case 1: return "CustomResourceDefinitions, Namespaces, ClusterRoles";
    case 2: return "*Class kinds";
    default: return "everything else";
  }
}

RepoPlan plan_flux_repo(const RepoRevision& from, const RepoRevision& to, model::Diagnostics& diags) {
  RepoPlan plan;
  RepoObjects at_to = find_objects(to, diags);
  RepoObjects at_from = find_objects(from, diags);
  if (diags.has_errors()) return plan;

  std::vector<DependencyNode> nodes;
  for (const auto& [id, k] : at_to.kustomizations) nodes.push_back({k.ns, k.name, k.spec.depends_on});
  auto order = dependency_order(nodes);
  if (!order) {
    diags.error(model::SourcePos{}, "flux-dependency-cycle", order.error().message);
    return plan;
  }

  for (const auto& id : *order) {
    const FoundKustomization& k = at_to.kustomizations.at(id);
    KustomizationRepoPlan kp;
    kp.ns = k.ns;
    kp.name = k.name;
    kp.file = k.file;
    kp.path = kustomize::path_clean(k.spec.path.empty() ? "." : k.spec.path);
    if (kp.path == ".") kp.path.clear();
    for (const auto& d : k.spec.depends_on) kp.depends_on.push_back(d.ns + "/" + d.name);
    kp.prune = k.spec.prune;
    if (k.spec.source.kind != "GitRepository") {
      plan.warnings.push_back(fmt::format("kustomization {}: source {} is not a GitRepository; not planned", id,
                                          describe_source(k.spec.source)));
      continue;
    }

    Built now = build_at(to, at_to, k);
    std::optional<Built> before;
    auto old = at_from.kustomizations.find(id);
    kp.created = old == at_from.kustomizations.end();
    if (!kp.created && old->second.spec.source.kind == "GitRepository") before = build_at(from, at_from, old->second);

    if (!now.error.empty()) {
      kp.errors.push_back(fmt::format("build failed at the new revision (BuildFailed): {}", now.error));
      plan.warnings.push_back(fmt::format("kustomization {}: {}", id, kp.errors.back()));
      plan.kustomizations.push_back(std::move(kp));
      continue;
    }
    std::map<model::ObjectKey, const model::Object*> old_by_key;
    if (before && before->error.empty())
      for (const auto& o : before->objects) old_by_key[o.key()] = &o;
    // Unchanged output: nothing to plan (§3.6: every object would be "unchanged").
    if (before && before->error.empty() && before->objects.size() == now.objects.size()) {
      bool same = true;
      for (const auto& o : now.objects) {
        auto it = old_by_key.find(o.key());
        same = same && it != old_by_key.end() && it->second->body() == o.body();
      }
      if (same) continue;
    }
    if (before && !before->error.empty())
      kp.warnings.push_back(fmt::format(
          "the build fails at the old revision ({}): the live objects are unknown, everything is planned as a create",
          before->error));

    const std::vector<model::Object> no_objects;
    const std::vector<model::Object>& old_objects = before && before->error.empty() ? before->objects : no_objects;
    KustomizationPlan p = plan_kustomization(old_objects, now.objects, k.spec);
    std::map<model::ObjectKey, const model::Object*> new_by_key;
    for (const auto& o : now.objects) new_by_key[o.key()] = &o;
    for (const auto& stage : p.stages) {
      for (const auto& key : stage) {
        PlannedObject t;
        t.key = key;
        t.stage = apply_stage(key.group, key.kind) + 1;
        const model::Object& desired = *new_by_key.at(key);
        auto was = old_by_key.find(key);
        if (was == old_by_key.end()) {
          t.operation = PlanOperation::Create;
        } else {
          t.operation = PlanOperation::Update;
          t.modified = was->second->body() != desired.body();
          if (!t.modified) ++kp.unchanged;
        }
        if (apply_disabled(desired.body()))
          t.apply_skipped = has_flag(desired.body(), kReconcileKey, "disabled")
                                ? "kustomize.toolkit.fluxcd.io/reconcile: disabled"
                                : "kustomize.toolkit.fluxcd.io/ssa: Ignore";
        else if (t.operation == PlanOperation::Update && has_flag(desired.body(), kSsaKey, "ifnotpresent"))
          t.apply_skipped = "kustomize.toolkit.fluxcd.io/ssa: IfNotPresent";
        kp.tasks.push_back(std::move(t));
      }
    }
    auto prune_task = [&](const model::ObjectKey& key, bool skipped) {
      PlannedObject t;
      t.key = key;
      t.operation = PlanOperation::Prune;
      t.stage = apply_stage(key.group, key.kind) + 1;
      if (skipped) t.prune_skipped = prune_blocker(old_by_key.at(key)->body(), k.name, k.ns);
      if (!skipped && key.kind == "Namespace" && key.group.empty())
        kp.warnings.push_back(fmt::format("pruning Namespace {} deletes every object in it", key.name));
      kp.tasks.push_back(std::move(t));
    };
    // Reverse apply order, deletions and kept objects interleaved as the controller meets them.
    std::set<model::ObjectKey> kept(p.prune_skipped.begin(), p.prune_skipped.end());
    std::vector<model::ObjectKey> stale = p.prune;
    stale.insert(stale.end(), p.prune_skipped.begin(), p.prune_skipped.end());
    std::sort(stale.begin(), stale.end(), [](const auto& a, const auto& b) {
      int sa = apply_stage(a.group, a.kind), sb = apply_stage(b.group, b.kind);
      return sa != sb ? sa > sb : apply_less(b, a);
    });
    for (const auto& key : stale) prune_task(key, kept.count(key) > 0);
    if (!k.spec.prune) {
      int gone = 0;
      for (const auto& o : old_objects) gone += new_by_key.count(o.key()) ? 0 : 1;
      if (gone > 0)
        kp.warnings.push_back(fmt::format(
            "prune is off: {} object(s) removed from the build stay in the cluster (and leave the inventory)", gone));
    }
    if (!now.unresolved.empty()) {
      std::string names, sources;
      for (const auto& n : now.unresolved) names += (names.empty() ? "${" : ", ${") + n + "}";
      for (const auto& s : k.spec.substitute_from)
        sources += (sources.empty() ? "" : ", ") + fmt::format("{}/{}", s.kind, s.name);
      kp.warnings.push_back(fmt::format("{} left as written: their values come from the cluster (substituteFrom {})",
                                        names, sources));
    }
    for (const auto& w : kp.warnings) plan.warnings.push_back(fmt::format("kustomization {}: {}", id, w));
    plan.kustomizations.push_back(std::move(kp));
  }
  for (const auto& [id, k] : at_from.kustomizations) {
    if (at_to.kustomizations.count(id)) continue;
    size_t owned = 0;
    if (k.spec.source.kind == "GitRepository") owned = build_at(from, at_from, k).objects.size();
    plan.warnings.push_back(fmt::format(
        "kustomization {} is no longer in the repository: when it is deleted{}", id,
        k.spec.prune ? fmt::format(", its finalizer prunes its inventory ({} objects; prune: true)", owned)
                     : ", its objects stay in the cluster (prune: false)"));
  }
  return plan;
}

}  // namespace rehearse::flux

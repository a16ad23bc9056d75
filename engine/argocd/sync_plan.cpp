#include "engine/argocd/sync_plan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/model/check.hpp"

namespace rehearse::argocd {

using nlohmann::json;

namespace {

// §3.3: Helm's install order; rank = index - size, so Namespace is -35 and unknown kinds 0.
constexpr std::array<std::string_view, 35> kKindOrder = {
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
    "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
    "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
    "IngressClass", "Ingress", "APIService"};

bool is_namespace(const std::string& group, const std::string& kind) {
  return group.empty() && kind == "Namespace";
}
bool is_crd(const std::string& group, const std::string& kind) {
  return group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Pairing key (§1): (group, kind, namespace, name); namespace ignored for cluster-scoped kinds.
// Views into the input objects or the settings, which outlive the planning; the hash maps
// below are only probed, never iterated, so their order cannot reach the output.
struct PairKey {
  std::string_view group, kind, ns, name;
  bool operator==(const PairKey&) const = default;
};
struct PairKeyHash {
  size_t operator()(const PairKey& k) const {
    std::hash<std::string_view> h;
    size_t x = h(k.name);
    x = x * 31 + h(k.kind);
    x = x * 31 + h(k.ns);
    return x * 31 + h(k.group);
  }
};
using PairMap = std::unordered_map<PairKey, const model::Object*, PairKeyHash>;  // determinism: ok (probed, never iterated)
using PairSet = std::unordered_set<PairKey, PairKeyHash>;  // determinism: ok (probed, never iterated)

std::string generate_name_of(const json& body) {
  auto md = body.find("metadata");
  if (md == body.end() || !md->is_object()) return {};
  auto g = md->find("generateName");
  return g != md->end() && g->is_string() ? g->get<std::string>() : std::string{};
}

std::vector<SyncPhase> phases_of_hook(const json& body) {
  std::vector<SyncPhase> out;
  for (HookType t : hook_types(body)) {
    switch (t) {
      case HookType::PreSync: out.push_back(SyncPhase::PreSync); break;
      case HookType::Sync: out.push_back(SyncPhase::Sync); break;
      case HookType::PostSync: out.push_back(SyncPhase::PostSync); break;
      case HookType::SyncFail: out.push_back(SyncPhase::SyncFail); break;
      default: break;
    }
  }
  return out;
}

}  // namespace

std::string_view to_string(TaskOperation op) {
  switch (op) {
    case TaskOperation::Create: return "create";
    case TaskOperation::Update: return "update";
    case TaskOperation::Prune: return "prune";
  }
  return "";
}

int kind_rank(std::string_view kind) {
  for (size_t i = 0; i < kKindOrder.size(); ++i)
    if (kKindOrder[i] == kind) return static_cast<int>(i) - static_cast<int>(kKindOrder.size());
  return 0;
}

bool task_less(const SyncTask& a, const SyncTask& b) {
  if (int d = phase_rank(a.phase) - phase_rank(b.phase)) return d < 0;
  if (a.wave != b.wave) return a.wave < b.wave;
  if (int d = kind_rank(a.key.kind) - kind_rank(b.key.kind)) return d < 0;
  if (a.key.name != b.key.name) return a.key.name < b.key.name;
  // Upstream leaves further ties unspecified (§3.3); the simulator breaks them by
  // (group, namespace) to stay deterministic.
  if (a.key.group != b.key.group) return a.key.group < b.key.group;
  return a.key.ns < b.key.ns;
}

std::string hook_name(std::string_view generate_name, std::string_view revision, SyncPhase phase,
                      int64_t started_at_unix) {
  std::string_view rev = revision.size() >= 8 ? revision.substr(0, 7) : revision;
  return fmt::format("{}{}", generate_name,
                     lower(fmt::format("{}-{}-{}", rev, to_string(phase), started_at_unix)));
}

std::string SyncTask::short_name() const { return fmt::format("{}/{}", key.kind, key.name); }

model::Object SyncTask::materialize(std::string_view app, TrackingMethod method) const {
  REHEARSE_CHECK(operation != TaskOperation::Prune, "materialize() of a prune task");
  const model::Object* src = owned ? owned.get() : target;
  REHEARSE_CHECK(src != nullptr, "task without a target");
  model::Object out = *src;
  auto& md = out.body()["metadata"];
  md["name"] = key.name;
  // Upstream writes the destination namespace even into cluster-scoped objects (§3.2 step 2);
  // the API server ignores it there, so the simulator leaves it out.
  if (!key.ns.empty()) md["namespace"] = key.ns;
  if (is_hook) {
    auto& fin = md["finalizers"];
    if (!fin.is_array()) fin = json::array();
    if (std::find(fin.begin(), fin.end(), json("argocd.argoproj.io/hook-finalizer")) == fin.end())
      fin.push_back("argocd.argoproj.io/hook-finalizer");
  }
  out.refresh_identity();
  if (!app.empty()) set_tracking(out, app, method);
  return out;
}

SyncPlan plan_sync(const std::vector<model::Object>& desired, const std::vector<model::Object>& live,
                   const SyncSettings& settings) {
  SyncPlan plan;
  const SyncOptions app_opts(settings.sync_options);

  // Scope: built-in table, CRDs from the registry, and CRDs in the manifests.
  model::KindRegistry kinds = settings.kinds ? *settings.kinds : model::KindRegistry{};
  for (const auto& o : desired) {
    if (!is_crd(o.key().group, o.kind())) continue;
    const json& spec = o.body().value("spec", json::object());
    std::string group = spec.is_object() ? spec.value("group", "") : "";
    std::string kind;
    if (spec.is_object() && spec.contains("names") && spec["names"].is_object())
      kind = spec["names"].value("kind", "");
    std::string scope = spec.is_object() ? spec.value("scope", "Namespaced") : "Namespaced";
    if (!group.empty() && !kind.empty()) kinds.add_custom(group, kind, scope != "Cluster");
  }
  auto namespaced = [&](const std::string& g, const std::string& k) { return kinds.is_namespaced(g, k); };
  auto pair_key = [&](const model::ObjectKey& k, const std::string& ns) {
    return PairKey{k.group, k.kind, namespaced(k.group, k.kind) ? std::string_view(ns) : std::string_view{},
                   k.name};
  };

  // Live index: any live object pairs with a target of the same key (adoption); only tracked
  // ones are prune candidates (§1, §5).
  PairMap live_by_key;
  live_by_key.reserve(live.size());
  for (const auto& l : live) live_by_key.emplace(pair_key(l.key(), l.ns()), &l);

  const bool selective = settings.resources.has_value();
  auto in_filter = [&](const model::ObjectKey& k) {
    if (!selective) return true;
    for (const auto& r : *settings.resources)
      if (r.group == k.group && r.kind == k.kind && r.name == k.name && (r.ns.empty() || r.ns == k.ns))
        return true;
    return false;
  };
  const bool skip_hooks = settings.skip_hooks || selective;

  auto effective_ns = [&](const model::Object& o) -> const std::string& {
    return o.ns().empty() ? settings.dest_namespace : o.ns();
  };

  std::vector<SyncTask> tasks;
  tasks.reserve(desired.size() + live.size() + 1);  // SyncTask moves are not free
  PairSet paired, seen_targets;
  paired.reserve(desired.size());
  seen_targets.reserve(desired.size());
  bool ns_manifest_for_dest = false;
  size_t managed_resources = 0;

  // §2.1/§3.2 step 1: split hooks and resources; one Sync task per resource.
  for (const auto& o : desired) {
    const json& body = o.body();
    if (is_namespace(o.key().group, o.kind()) && o.name() == settings.dest_namespace)
      ns_manifest_for_dest = true;
    if (is_hook(body)) {
      auto types = hook_types(body);
      bool deletion_hook = false;
      for (HookType t : types)
        if (t == HookType::PreDelete || t == HookType::PostDelete) deletion_hook = true;
      if (deletion_hook) plan.deletion_hooks.push_back(o.key());
      if (skip_hooks) continue;
      auto phases = phases_of_hook(body);  // empty: hook without phase, ignored (§2.1)
      for (SyncPhase ph : phases) {
        SyncTask t;
        t.phase = ph;
        t.is_hook = true;
        t.target = &o;
        t.api_version = o.api_version();
        t.ordering_ns = effective_ns(o);
        t.key = o.key();
        t.key.ns = namespaced(o.key().group, o.kind()) ? t.ordering_ns : std::string{};
        if (t.key.name.empty())
          t.key.name = hook_name(generate_name_of(body), settings.revision, ph, settings.started_at_unix);
        t.wave = wave_of(body);
        t.delete_policies = delete_policies(body);
        auto it = live_by_key.find(PairKey{t.key.group, t.key.kind, t.key.ns, t.key.name});
        if (it != live_by_key.end()) t.live = it->second;
        t.delete_before_creation =
            t.live && std::find(t.delete_policies.begin(), t.delete_policies.end(),
                                DeletePolicy::BeforeHookCreation) != t.delete_policies.end();
        t.operation = TaskOperation::Create;  // hooks are created fresh by every sync (§2.2)
        tasks.push_back(std::move(t));
      }
      continue;
    }
    PairKey pk = pair_key(o.key(), effective_ns(o));
    if (!seen_targets.insert(pk).second) {
      plan.errors.push_back(fmt::format("{} is defined more than once in the manifests",
                                        o.key().str()));
      continue;
    }
    auto it = live_by_key.find(pk);
    const model::Object* l = it == live_by_key.end() ? nullptr : it->second;
    if (l) paired.insert(pk);
    if (is_skip(body)) continue;  // Skip: paired (so never pruned) but no task (§2.1)
    ++managed_resources;
    SyncTask t;
    t.phase = SyncPhase::Sync;
    t.target = &o;
    t.live = l;
    t.api_version = o.api_version();
    t.ordering_ns = effective_ns(o);
    t.key = o.key();
    t.key.ns = std::string(pk.ns);
    t.wave = wave_of(body);
    t.operation = l ? TaskOperation::Update : TaskOperation::Create;
    tasks.push_back(std::move(t));
  }

  // Prune candidates: tracked live objects without a target, not hooks (§5, §2.2).
  size_t prune_candidates = 0;
  for (const auto& l : live) {
    PairKey pk = pair_key(l.key(), l.ns());
    if (paired.count(pk) || seen_targets.count(pk)) continue;
    if (!is_tracked_by(l, settings.app_name, settings.tracking)) continue;
    if (is_hook(l.body())) continue;
    ++prune_candidates;
    SyncTask t;
    t.phase = SyncPhase::Sync;
    t.live = &l;
    t.api_version = l.api_version();
    t.key = l.key();
    t.ordering_ns = l.ns();
    t.wave = wave_of(l.body());  // §3.1: prune waves come from the live object
    t.operation = TaskOperation::Prune;
    const SyncOptions res_opts = SyncOptions::from_annotation(l.body());
    // §5: the resource's own Prune option wins over the app-level default.
    std::optional<std::string> prune_opt = res_opts.get("Prune");
    if (!prune_opt) prune_opt = app_opts.get("Prune");
    if (!settings.prune) t.prune = PruneDecision::SkipRequiresPruning;
    else if (prune_opt == "false") t.prune = PruneDecision::SkipNoPrune;
    else if (prune_opt == "confirm") t.prune = PruneDecision::NeedsConfirmation;
    else t.prune = PruneDecision::Prune;
    tasks.push_back(std::move(t));
  }
  plan.prunes_everything = managed_resources == 0;

  // Selective sync removes tasks (§3.2 step 1).
  if (selective)
    tasks.erase(std::remove_if(tasks.begin(), tasks.end(),
                               [&](const SyncTask& t) { return !in_filter(t.key); }),
                tasks.end());

  // §3.2 step 3: CreateNamespace adds a PreSync Namespace task unless the manifests have it;
  // an existing namespace is only re-applied for managedNamespaceMetadata.
  if (app_opts.has("CreateNamespace", "true") && !settings.dest_namespace.empty() &&
      !ns_manifest_for_dest) {
    auto it = live_by_key.find(PairKey{"", "Namespace", "", settings.dest_namespace});
    const model::Object* l = it == live_by_key.end() ? nullptr : it->second;
    if (!l || settings.managed_namespace_metadata) {
      json ns_body = {{"apiVersion", "v1"},
                      {"kind", "Namespace"},
                      {"metadata", {{"name", settings.dest_namespace}}}};
      auto owned = std::make_shared<model::Object>(model::JsonBox(std::move(ns_body)));
      SyncTask t;
      t.phase = SyncPhase::PreSync;
      t.wave = 0;
      t.owned = owned;
      t.target = owned.get();
      t.live = l;
      t.api_version = "v1";
      t.key = owned->key();
      t.ordering_ns = settings.dest_namespace;
      t.operation = l ? TaskOperation::Update : TaskOperation::Create;
      tasks.push_back(std::move(t));
    }
  }

  // Per-task sync options (§9) and the diff used by ApplyOutOfSyncOnly.
  const bool out_of_sync_only = app_opts.has("ApplyOutOfSyncOnly", "true");
  diff::DiffOptions dopts;
  dopts.ignore = settings.ignore_differences;
  for (auto& t : tasks) {
    if (t.operation == TaskOperation::Prune) continue;
    const json& body = t.target->body();
    const SyncOptions res_opts = SyncOptions::from_annotation(body);
    t.validate = !(app_opts.has("Validate", "false") || res_opts.has("Validate", "false"));
    t.skip_dry_run = app_opts.has("SkipDryRunOnMissingResource", "true") ||
                     res_opts.has("SkipDryRunOnMissingResource", "true");
    bool replace = app_opts.has("Replace", "true") || res_opts.has("Replace", "true");
    bool ssa = !res_opts.has("ServerSideApply", "false") &&
               (app_opts.has("ServerSideApply", "true") || res_opts.has("ServerSideApply", "true"));
    t.apply_mode = replace ? ApplyMode::Replace : ssa ? ApplyMode::ServerSideApply : ApplyMode::Apply;
    if ((out_of_sync_only || settings.compute_diffs) && t.operation == TaskOperation::Update &&
        !t.is_hook && t.live) {
      auto r = diff::compare(body, t.live->body(), t.key.group, t.key.kind, dopts);
      t.modified = r.modified;
      t.diff_paths = std::move(r.paths);
    }
  }
  if (out_of_sync_only)
    tasks.erase(std::remove_if(tasks.begin(), tasks.end(),
                               [](const SyncTask& t) {
                                 return t.operation == TaskOperation::Update && !t.is_hook &&
                                        !t.modified;
                               }),
                tasks.end());

  // §3.2 step 4: mirror prune waves (i-th smallest <-> i-th largest).
  {
    std::set<int> prune_waves;
    for (const auto& t : tasks)
      if (t.operation == TaskOperation::Prune) prune_waves.insert(t.wave);
    std::vector<int> waves(prune_waves.begin(), prune_waves.end());
    std::map<int, int> mirrored;
    for (size_t i = 0; i < waves.size(); ++i) mirrored[waves[i]] = waves[waves.size() - 1 - i];
    for (auto& t : tasks)
      if (t.operation == TaskOperation::Prune) t.wave = mirrored[t.wave];
  }
  // §3.2 step 5: PruneLast → wave max(0, last Sync-phase wave) + 1, computed after mirroring.
  {
    int last = 0;
    for (const auto& t : tasks)
      if (t.phase == SyncPhase::Sync) last = std::max(last, t.wave);
    bool app_prune_last = app_opts.has("PruneLast", "true");
    for (auto& t : tasks) {
      if (t.operation != TaskOperation::Prune) continue;
      if (app_prune_last || SyncOptions::from_annotation(t.live->body()).has("PruneLast", "true")) {
        t.wave = last + 1;
        t.prune_last = true;
      }
    }
  }

  // §3.2 step 6: sort. stable_sort keeps input order for full ties, which task_less already
  // excludes except for a hook and a resource of identical identity.
  {
    // Sort indexes, then permute once: SyncTask is large and moves are not free.
    // The numeric part of task_less (phase, wave, kind rank) is computed once per task.
    struct SortKey {
      int phase, wave, rank;
      size_t index;
    };
    std::vector<SortKey> keys(tasks.size());
    for (size_t k = 0; k < keys.size(); ++k)
      keys[k] = {phase_rank(tasks[k].phase), tasks[k].wave, kind_rank(tasks[k].key.kind), k};
    std::stable_sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
      if (a.phase != b.phase) return a.phase < b.phase;
      if (a.wave != b.wave) return a.wave < b.wave;
      if (a.rank != b.rank) return a.rank < b.rank;
      const model::ObjectKey& ka = tasks[a.index].key;
      const model::ObjectKey& kb = tasks[b.index].key;
      if (int c = ka.name.compare(kb.name)) return c < 0;
      if (int c = ka.group.compare(kb.group)) return c < 0;
      return ka.ns < kb.ns;
    });
    std::vector<size_t> idx(tasks.size());
    for (size_t k = 0; k < idx.size(); ++k) idx[k] = keys[k].index;
    std::vector<SyncTask> sorted;
    sorted.reserve(tasks.size());
    for (size_t k : idx) sorted.push_back(std::move(tasks[k]));
    tasks = std::move(sorted);
  }

  // §3.2 step 7: hoist Namespaces, then CRDs, in front of the first task that needs them.
  auto adjust = [&](auto dep_key, auto ref_key) {
    // Nothing can move when no task is a dependency (the common case): skip the pass.
    bool any_dep = false;
    for (const auto& t : tasks)
      if (t.operation != TaskOperation::Prune && dep_key(t)) any_dep = true;
    if (!any_dep) return;
    std::map<std::string, size_t> first_index;
    for (size_t i = 0; i < tasks.size(); ++i) {
      if (tasks[i].operation == TaskOperation::Prune) continue;
      std::optional<std::string> dk = dep_key(tasks[i]);
      if (dk) {
        auto f = first_index.find(*dk);
        if (f == first_index.end()) continue;
        size_t index = f->second;
        SyncTask moved = std::move(tasks[i]);
        moved.wave = tasks[index].wave;
        moved.phase = tasks[index].phase;
        for (size_t j = i; j > index; --j) tasks[j] = std::move(tasks[j - 1]);
        tasks[index] = std::move(moved);
        for (auto& [k, v] : first_index)
          if (v >= index) ++v;
      } else if (std::optional<std::string> rk = ref_key(tasks[i])) {
        first_index.emplace(*rk, i);
      }
    }
  };
  adjust(
      [](const SyncTask& t) -> std::optional<std::string> {
        if (is_namespace(t.key.group, t.key.kind)) return t.key.name;
        return std::nullopt;
      },
      [](const SyncTask& t) -> std::optional<std::string> {
        if (t.ordering_ns.empty()) return std::nullopt;
        return t.ordering_ns;
      });
  adjust(
      [](const SyncTask& t) -> std::optional<std::string> {
        if (!is_crd(t.key.group, t.key.kind)) return std::nullopt;
        const json& b = t.owned ? t.owned->body() : t.target->body();
        const json* spec = b.contains("spec") ? &b["spec"] : nullptr;
        if (!spec || !spec->is_object() || !spec->contains("group") || !(*spec)["group"].is_string())
          return std::nullopt;
        const json* names = spec->contains("names") ? &(*spec)["names"] : nullptr;
        if (!names || !names->is_object() || !names->contains("kind") || !(*names)["kind"].is_string())
          return std::nullopt;
        return (*spec)["group"].get<std::string>() + "/" + (*names)["kind"].get<std::string>();
      },
      [](const SyncTask& t) -> std::optional<std::string> {
        return t.key.group + "/" + t.key.kind;
      });

  // SyncFail tasks run only on failure (§2.6); the rest form steps (§3.4).
  std::vector<SyncTask> ordered;
  ordered.reserve(tasks.size());
  plan.tasks.reserve(tasks.size());
  for (auto& t : tasks) {
    if (t.phase == SyncPhase::SyncFail) plan.sync_fail.push_back(std::move(t));
    else ordered.push_back(std::move(t));
  }
  {
    std::set<std::pair<int, int>> distinct;
    for (const auto& t : ordered) distinct.insert({phase_rank(t.phase), t.wave});
    plan.multi_step = distinct.size() > 1;
  }
  size_t i = 0;
  while (i < ordered.size()) {
    size_t j = i;
    while (j < ordered.size() && ordered[j].phase == ordered[i].phase && ordered[j].wave == ordered[i].wave) ++j;
    SyncStep step;
    step.phase = ordered[i].phase;
    step.wave = ordered[i].wave;
    for (size_t k = i; k < j; ++k)
      if (ordered[k].operation == TaskOperation::Prune) {
        step.prunes.push_back(plan.tasks.size());
        plan.tasks.push_back(std::move(ordered[k]));
      }
    for (size_t k = i; k < j; ++k) {
      if (ordered[k].operation == TaskOperation::Prune) continue;
      if (ordered[k].is_hook) step.has_hooks = true;
      if (step.apply_batches.empty() || plan.tasks[step.apply_batches.back().front()].key.kind != ordered[k].key.kind)
        step.apply_batches.emplace_back();
      step.apply_batches.back().push_back(plan.tasks.size());
      plan.tasks.push_back(std::move(ordered[k]));
    }
    plan.steps.push_back(std::move(step));
    i = j;
  }

  // Warnings for risky prunes (PRODUCT.md job 2).
  size_t deleting = 0;
  for (const auto& t : plan.tasks) {
    if (t.operation != TaskOperation::Prune) continue;
    if (t.prune == PruneDecision::Prune || t.prune == PruneDecision::NeedsConfirmation) ++deleting;
    if (is_namespace(t.key.group, t.key.kind) && t.prune != PruneDecision::SkipNoPrune)
      plan.warnings.push_back(fmt::format(
          "pruning Namespace {} deletes every object in it, including ones no application tracks",
          t.key.name));
    if (t.prune == PruneDecision::NeedsConfirmation)
      plan.warnings.push_back(fmt::format(
          "{} requires prune confirmation (Prune=confirm): the sync waits for the "
          "argocd.argoproj.io/deletion-approved annotation on the Application",
          t.short_name()));
  }
  if (prune_candidates > 0 && managed_resources == 0)
    plan.warnings.push_back(fmt::format(
        "the manifests are empty: this sync would prune everything application {} owns ({} "
        "objects); an automated sync refuses this unless allowEmpty is set",
        settings.app_name, prune_candidates));
  if (!settings.prune && prune_candidates > 0)
    plan.warnings.push_back(fmt::format(
        "{} objects need pruning but prune is off: they are skipped (\"ignored (requires "
        "pruning)\") and the application stays OutOfSync",
        prune_candidates));
  return plan;
}

}  // namespace rehearse::argocd

#include "engine/argocd/app_status.hpp"

#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "engine/argocd/annotations.hpp"

namespace rehearse::argocd {

std::string_view to_string(SyncStatus s) {
  switch (s) {
    case SyncStatus::Synced: return "Synced";
    case SyncStatus::OutOfSync: return "OutOfSync";
    case SyncStatus::Unknown: return "Unknown";
  }
  return "Unknown";
}

namespace {

// One resource as the aggregation sees it (§11): flags read once per object, the health
// status only (the full results go to AppStatus without copies).
struct AggEntry {
  bool has_target = false;
  const model::Object* live = nullptr;
  std::optional<health::Status> status;  // aggregated(); nullopt: no health check
  ObjectFlags target_flags, live_flags;
};

health::Status aggregate(const std::vector<AggEntry>& entries, std::string_view self_app) {
  health::Status app = health::Status::Healthy;
  bool contains_resources = false, contains_live = false;
  for (const auto& r : entries) {
    if (r.has_target && r.target_flags.skip) continue;
    if (r.live && (r.live_flags.hook || r.live_flags.ignored_hook)) continue;
    contains_resources = true;
    if (r.live) contains_live = true;
    if (r.live && r.live_flags.ignore_healthcheck) continue;
    if (!r.live) continue;  // Missing resources do not affect app health
    const bool is_app = r.live->known_kind() == model::Kind::Application;
    if (is_app && !self_app.empty() && r.live->name() == self_app) continue;
    if (!r.status) continue;
    health::Status s = *r.status;
    if (is_app && (s == health::Status::Missing || s == health::Status::Unknown)) continue;
    if (health::is_worse(app, s)) app = s;
  }
  if (contains_resources && !contains_live && health::is_worse(app, health::Status::Missing))
    app = health::Status::Missing;
  return app;
}

}  // namespace

health::Status aggregate_app_health(const std::vector<AppResource>& resources,
                                    std::string_view self_app) {
  std::vector<AggEntry> entries(resources.size());
  for (size_t i = 0; i < resources.size(); ++i) {
    const auto& r = resources[i];
    auto& e = entries[i];
    e.has_target = r.target != nullptr;
    e.live = r.live;
    if (r.health) e.status = r.health->aggregated();
    if (r.target) e.target_flags = object_flags(r.target->body());
    if (r.live) e.live_flags = object_flags(r.live->body());
  }
  return aggregate(entries, self_app);
}

AppStatus compare_app(const std::vector<model::Object>& desired,
                      const std::vector<model::Object>& live, const CompareSettings& settings) {
  AppStatus out;
  const model::KindRegistry no_kinds;
  const model::KindRegistry& kinds = settings.kinds ? *settings.kinds : no_kinds;
  // Views into the inputs and settings; the hash containers are probed, never iterated.
  struct Key {
    std::string_view group, kind, ns, name;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      std::hash<std::string_view> h;
      return ((h(k.name) * 31 + h(k.kind)) * 31 + h(k.ns)) * 31 + h(k.group);
    }
  };
  // Scope per kind, memoized by the object's known kind (the registry's lookup is a table
  // scan; a pass asks it for every object).
  std::vector<signed char> scope_memo(256, -1);
  auto namespaced = [&](const model::Object& o) {
    const auto idx = static_cast<size_t>(o.known_kind());
    if (o.known_kind() == model::Kind::Unknown || idx >= scope_memo.size())
      return kinds.is_namespaced(o.key().group, o.kind());
    if (scope_memo[idx] < 0) scope_memo[idx] = kinds.is_namespaced(o.key().group, o.kind()) ? 1 : 0;
    return scope_memo[idx] == 1;
  };
  auto key_of = [&](const model::Object& o, const std::string& ns) {
    return Key{o.key().group, o.kind(), namespaced(o) ? std::string_view(ns) : std::string_view{}, o.name()};
  };
  // live index by key; `live_paired[i]` marks the live objects a target paired with.
  std::unordered_map<Key, size_t, KeyHash> live_by_key;  // determinism: ok (never iterated)
  live_by_key.reserve(live.size());
  for (size_t i = 0; i < live.size(); ++i) live_by_key.emplace(key_of(live[i], live[i].ns()), i);
  std::vector<char> live_paired(live.size(), 0);

  diff::DiffOptions dopts;
  dopts.ignore = settings.ignore_differences;
  std::vector<AggEntry> agg;
  agg.reserve(desired.size());
  out.resources.reserve(desired.size());
  for (const auto& o : desired) {
    const std::string& ns = o.ns().empty() ? settings.dest_namespace : o.ns();
    Key k = key_of(o, ns);
    auto it = live_by_key.find(k);
    const model::Object* l = nullptr;
    if (it != live_by_key.end()) {
      l = &live[it->second];
      live_paired[it->second] = 1;
    }
    std::optional<health::HealthResult> h = l ? health::assess(*l) : std::nullopt;
    AggEntry& e = agg.emplace_back();
    e.has_target = true;
    e.live = l;
    if (h) e.status = h->aggregated();
    e.target_flags = object_flags(o.body());
    if (l) e.live_flags = object_flags(l->body());
    // Hooks and Skip resources are excluded from sync status (§10.1).
    if (e.target_flags.hook || e.target_flags.skip) continue;
    ResourceStatus rs;
    rs.key = o.key();
    rs.key.ns = std::string(k.ns);
    if (!l) {
      rs.status = SyncStatus::OutOfSync;
      rs.health = health::HealthResult{health::Status::Missing, "", {}};
    } else {
      auto d = diff::compare(o.body(), l->body(), k.group, k.kind, dopts);
      rs.status = d.modified ? SyncStatus::OutOfSync : SyncStatus::Synced;
      rs.diff_paths = std::move(d.paths);
      for (auto& w : d.warnings) out.warnings.push_back(std::move(w));
      rs.health = std::move(h);
    }
    if (rs.status == SyncStatus::OutOfSync) out.sync = SyncStatus::OutOfSync;
    out.resources.push_back(std::move(rs));
  }
  for (size_t i = 0; i < live.size(); ++i) {
    const model::Object& l = live[i];
    if (live_paired[i] || !is_tracked_by(l, settings.app_name, settings.tracking)) continue;
    const ObjectFlags lf = object_flags(l.body());
    if (lf.hook) continue;
    std::optional<health::HealthResult> h = health::assess(l);
    AggEntry& e = agg.emplace_back();
    e.live = &l;
    if (h) e.status = h->aggregated();
    e.live_flags = lf;
    ResourceStatus rs;
    rs.key = l.key();
    rs.status = SyncStatus::OutOfSync;
    rs.requires_pruning = true;
    rs.health = std::move(h);
    // IgnoreExtraneous keeps the resource OutOfSync but not the app (§5).
    bool ignore_extraneous = false;
    for (const auto& opt : annotation_csv(l.body(), kAnnotationCompareOptions))
      if (opt == "IgnoreExtraneous") ignore_extraneous = true;
    if (!ignore_extraneous) out.sync = SyncStatus::OutOfSync;
    out.resources.push_back(std::move(rs));
  }
  out.health = aggregate(agg, settings.app_name);
  return out;
}

}  // namespace rehearse::argocd

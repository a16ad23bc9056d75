#include "engine/argocd/app_status.hpp"

#include <map>
#include <unordered_map>
#include <unordered_set>

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

health::Status aggregate_app_health(const std::vector<AppResource>& resources,
                                    std::string_view self_app) {
  health::Status app = health::Status::Healthy;
  bool contains_resources = false, contains_live = false;
  for (const auto& r : resources) {
    if (r.target && is_skip(r.target->body())) continue;
    if (r.live && (is_hook(r.live->body()) || is_ignored_hook(r.live->body()))) continue;
    contains_resources = true;
    if (r.live) contains_live = true;
    if (r.live && annotation(r.live->body(), kAnnotationIgnoreHealthCheck) == "true") continue;
    if (!r.live) continue;  // Missing resources do not affect app health
    const bool is_app = r.live->key().group == "argoproj.io" && r.live->kind() == "Application";
    if (is_app && !self_app.empty() && r.live->name() == self_app) continue;
    if (!r.health) continue;
    health::Status s = r.health->aggregated();
    if (is_app && (s == health::Status::Missing || s == health::Status::Unknown)) continue;
    if (health::is_worse(app, s)) app = s;
  }
  if (contains_resources && !contains_live && health::is_worse(app, health::Status::Missing))
    app = health::Status::Missing;
  return app;
}

AppStatus compare_app(const std::vector<model::Object>& desired,
                      const std::vector<model::Object>& live, const CompareSettings& settings) {
  AppStatus out;
  model::KindRegistry kinds = settings.kinds ? *settings.kinds : model::KindRegistry{};
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
  auto key_of = [&](const model::Object& o, const std::string& ns) {
    return Key{o.key().group, o.kind(),
               kinds.is_namespaced(o.key().group, o.kind()) ? std::string_view(ns) : std::string_view{}, o.name()};
  };
  std::unordered_map<Key, const model::Object*, KeyHash> live_by_key;  // determinism: ok (never iterated)
  live_by_key.reserve(live.size());
  for (const auto& l : live) live_by_key.emplace(key_of(l, l.ns()), &l);

  diff::DiffOptions dopts;
  dopts.ignore = settings.ignore_differences;
  std::vector<AppResource> agg;
  agg.reserve(desired.size());
  std::unordered_set<Key, KeyHash> paired;  // determinism: ok (never iterated)
  paired.reserve(desired.size());
  for (const auto& o : desired) {
    const std::string& ns = o.ns().empty() ? settings.dest_namespace : o.ns();
    Key k = key_of(o, ns);
    auto it = live_by_key.find(k);
    const model::Object* l = it == live_by_key.end() ? nullptr : it->second;
    paired.insert(k);
    AppResource ar{&o, l, l ? health::assess(*l) : std::nullopt};
    agg.push_back(ar);
    // Hooks and Skip resources are excluded from sync status (§10.1).
    if (is_hook(o.body()) || is_skip(o.body())) continue;
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
      rs.health = ar.health;
    }
    if (rs.status == SyncStatus::OutOfSync) out.sync = SyncStatus::OutOfSync;
    out.resources.push_back(std::move(rs));
  }
  for (const auto& l : live) {
    Key k = key_of(l, l.ns());
    if (paired.count(k) || !is_tracked_by(l, settings.app_name, settings.tracking)) continue;
    if (is_hook(l.body())) continue;
    agg.push_back(AppResource{nullptr, &l, health::assess(l)});
    ResourceStatus rs;
    rs.key = l.key();
    rs.status = SyncStatus::OutOfSync;
    rs.requires_pruning = true;
    rs.health = agg.back().health;
    // IgnoreExtraneous keeps the resource OutOfSync but not the app (§5).
    bool ignore_extraneous = false;
    for (const auto& opt : annotation_csv(l.body(), kAnnotationCompareOptions))
      if (opt == "IgnoreExtraneous") ignore_extraneous = true;
    if (!ignore_extraneous) out.sync = SyncStatus::OutOfSync;
    out.resources.push_back(std::move(rs));
  }
  out.health = aggregate_app_health(agg, settings.app_name);
  return out;
}

}  // namespace rehearse::argocd

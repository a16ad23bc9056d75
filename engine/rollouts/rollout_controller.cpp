#include "engine/rollouts/rollout_controller.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>
#include <nlohmann/json.hpp>

#include "engine/model/json_fields.hpp"
#include "engine/rollouts/canary_math.hpp"

namespace rehearse::rollouts {

using nlohmann::json;
using model::ClusterClient;
using model::Object;
using model::ObjectKey;

std::string pod_template_hash(const json& pod_template) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : pod_template.dump()) {
    h ^= c;
    h *= 16777619u;
  }
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string digits = std::to_string(h), out;
  for (char d : digits) out += kAlphabet[static_cast<unsigned char>(d) % 27];
  return out;
}

namespace {

std::string format_time(SimTime t) { return sim::format_rfc3339(t); }
std::optional<SimTime> parse_time(const json& j) {
  if (!j.is_string()) return std::nullopt;
  auto t = sim::parse_rfc3339(j.get_ref<const std::string&>());
  if (!t) return std::nullopt;
  return *t;
}

// What the controller reads from a ReplicaSet body.
struct RsFields {
  std::string hash;
  int spec = 0;
  int replicas = 0;
  int ready = 0;
  int available = 0;
  int revision = 0;
  std::optional<SimTime> deadline;
  // metadata.creationTimestamp; nullopt when absent or not a time (sorts first, as Go's zero
  // time). Parsed, not kept as text: a copy per ReplicaSet per pass would allocate.
  std::optional<SimTime> created;
  bool deleting = false;
  long generation = 0, observed_generation = 0;
};

// The body is not kept: a pass reads a ReplicaSet through its cached fields, and fetches the
// stored object only to write it (copying an Object per ReplicaSet per pass touched the
// shared body's control block of every kept ReplicaSet).
struct Rs : RsFields {
  ObjectKey key;
};

// Field lookups without copying sub-documents (json::value() copies its default and the
// found value; ReplicaSets carry whole pod templates): model::field and friends.
using model::field;
// A string field, or "" when absent or not a string (a malformed field reads as absent).
const std::string& str_field(const json& j, std::string_view key) { return model::string_field(j, key); }
int int_field(const json& j, std::string_view key, int fallback) {
  const json& v = field(j, key);
  return v.is_number_integer() ? v.get<int>() : fallback;
}
// j.value(key, fallback) for scalars, with the key looked up as a string_view.
template <class T>
T value_or(const json& j, std::string_view key, T fallback) {
  if (!j.is_object()) return j.value(std::string(key), fallback);  // throws, as value() did
  auto it = j.find(key);
  return it == j.end() ? fallback : it->template get<T>();
}

// The status part of read_rs_fields (see CachedRs for why it stands alone).
void read_rs_status(const json& b, RsFields& r) {
  const json& st = field(b, "status");
  r.replicas = int_field(st, "replicas", 0);
  r.ready = int_field(st, "readyReplicas", 0);
  r.available = int_field(st, "availableReplicas", 0);
  const json& observed = field(st, "observedGeneration");
  r.observed_generation = observed.is_number_integer() ? observed.get<long>() : r.generation;
}

RsFields read_rs_fields(const json& b) {
  RsFields r;
  const json& md = field(b, "metadata");
  const json& hash = field(field(md, "labels"), kPodTemplateHashLabel);
  r.hash = hash.is_string() ? hash.get<std::string>() : "";
  r.spec = int_field(field(b, "spec"), "replicas", 1);
  const json& ann = field(md, "annotations");
  const json& rev = field(ann, kRevisionAnnotation);
  r.revision = rev.is_string() ? std::atoi(rev.get<std::string>().c_str()) : 0;
  const json& deadline = field(ann, kScaleDownDeadlineAnnotation);
  if (!deadline.is_null()) r.deadline = parse_time(deadline);
  r.created = parse_time(field(md, "creationTimestamp"));
  r.deleting = !field(md, "deletionTimestamp").is_null();
  const json& gen = field(md, "generation");
  r.generation = gen.is_number_integer() ? gen.get<long>() : 0;
  read_rs_status(b, r);
  return r;
}

Rs read_rs(Object o) {
  Rs r;
  static_cast<RsFields&>(r) = read_rs_fields(std::as_const(o).body());  // reading must not unshare
  r.key = o.key();
  return r;
}

bool owned_by(const json& body, const std::string& kind, const std::string& name) {
  auto md = body.find("metadata");
  if (md == body.end()) return false;
  auto refs = md->find("ownerReferences");
  if (refs == md->end() || !refs->is_array()) return false;
  for (const auto& r : *refs)
    if (str_field(r, "kind") == kind && str_field(r, "name") == name) return true;
  return false;
}

json owner_ref(const Object& rollout) {
  return json::array({{{"apiVersion", "argoproj.io/v1alpha1"},
                       {"kind", "Rollout"},
                       {"name", rollout.name()},
                       {"uid", rollout.body()["metadata"].value("uid", "")},
                       {"controller", true},
                       {"blockOwnerDeletion", true}}});
}

// st.value("pauseConditions", json::array()) without copying it.
const json& pause_conditions(const json& st) {
  static const json kNone = json::array();
  if (!st.is_object()) (void)st.value("pauseConditions", json::array());  // throws, as value() did
  auto it = st.find("pauseConditions");
  return it == st.end() ? kNone : *it;
}

bool has_pause(const json& st, const std::string& reason) {
  for (const auto& p : pause_conditions(st))
    if (str_field(p, "reason") == reason) return true;
  return false;
}

std::optional<SimTime> pause_start(const json& st, const std::string& reason) {
  for (const auto& p : pause_conditions(st))
    if (str_field(p, "reason") == reason) return parse_time(field(p, "startTime"));
  return std::nullopt;
}

void add_pause(json& st, const std::string& reason, SimTime now) {
  if (has_pause(st, reason)) return;
  if (!st.contains("pauseConditions") || !st["pauseConditions"].is_array())
    st["pauseConditions"] = json::array();
  st["pauseConditions"].push_back({{"reason", reason}, {"startTime", format_time(now)}});
  st["controllerPause"] = true;
}

void remove_pause(json& st, const std::string& reason) {
  if (!st.contains("pauseConditions")) return;
  json kept = json::array();
  for (const auto& p : st["pauseConditions"])
    if (p.value("reason", "") != reason) kept.push_back(p);
  if (kept.empty()) st.erase("pauseConditions");
  else st["pauseConditions"] = kept;
}

// Compares in place and formats the time only when the condition changes: this runs three
// times on every reconcile and the conditions rarely change.
void set_condition(json& st, std::string_view type, std::string_view status,
                   std::string_view reason, std::string_view message, SimTime now) {
  auto found = st.find(std::string_view("conditions"));
  if (found == st.end() || !found->is_array()) {
    st["conditions"] = json::array();
    found = st.find(std::string_view("conditions"));
  }
  json& conditions = *found;
  for (auto& c : conditions) {
    if (str_field(c, "type") != type) continue;
    const bool same_status = str_field(c, "status") == status;
    if (!same_status || str_field(c, "reason") != reason || str_field(c, "message") != message) {
      const std::string t = format_time(now);
      if (!same_status) c["lastTransitionTime"] = t;
      c["status"] = std::string(status);
      c["reason"] = std::string(reason);
      c["message"] = std::string(message);
      c["lastUpdateTime"] = t;
    }
    return;
  }
  const std::string t = format_time(now);
  conditions.push_back({{"type", std::string(type)},
                        {"status", std::string(status)},
                        {"reason", std::string(reason)},
                        {"message", std::string(message)},
                        {"lastUpdateTime", t},
                        {"lastTransitionTime", t}});
}

// j[key] = value, skipped when it already holds that string (the status mostly stays).
void set_string(json& j, std::string_view key, std::string_view value) {
  if (const json& cur = field(j, key); cur.is_string() && cur.get_ref<const std::string&>() == value) return;
  j[key] = std::string(value);
}

const json* condition(const json& st, std::string_view type) {
  auto it = st.find("conditions");
  if (it == st.end() || !it->is_array()) return nullptr;
  for (const auto& c : *it)
    if (str_field(c, "type") == type) return &c;
  return nullptr;
}

// The template cache lives in the controller (RolloutController::Caches) so parsed
// templates survive between reconciles; entries are re-parsed when the resourceVersion moves.
struct CachedTemplate {
  std::string resource_version;
  std::optional<AnalysisTemplate> parsed;
};
using TemplateCache = std::unordered_map<ObjectKey, CachedTemplate, model::ObjectKeyHash>;  // determinism: ok (probed, never iterated)

// ReplicaSets as read_rs_fields() saw them. A stored object whose stamp (Object::stamp) is
// the one read last time is not read at all: at 200 Rollouts, touching the bodies of every
// kept ReplicaSet on every pass costs more in cache misses than in instructions. Without a
// stamp (an object edited in place, a store that does not stamp), metadata and spec are kept
// while (uid, resourceVersion) holds (every write through a client moves the
// resourceVersion; the uid tells a recreated ReplicaSet of the same name apart) and the
// status is read again. No Object is kept: a share of a stored body would make the store
// copy it on its next in-place write.
struct CachedRs {
  std::uint64_t stamp = 0;  // Object::stamp() of the body read; 0: compare uid/resourceVersion
  std::string uid;
  std::string resource_version;
  std::optional<std::string> owner;  // the Rollout name `owned` was computed for
  bool owned = false;
  RsFields fields;
};
using RsCache = std::map<ObjectKey, CachedRs>;

// What the history limits read of an AnalysisRun, kept per stamp like CachedRs: finished
// runs do not change, so most passes read none of their bodies. Without a stamp the body
// is read every time.
struct CachedRun {
  std::uint64_t stamp = 0;
  std::optional<std::string> owner;  // the Rollout name `owned` was computed for
  bool owned = false;
  std::string created;  // metadata.creationTimestamp, "" when absent
  std::string hash;     // the pod template hash label, "" when absent
  std::string phase;    // status.phase
};
using RunCache = std::map<ObjectKey, CachedRun>;

struct Pass {
  ClusterClient& client;
  SimTime now;
  Object rollout;  // shares the stored body (copy-on-write); read through std::as_const
  const RolloutSpec& spec;
  TemplateCache& template_cache;
  RsCache& rs_cache;
  RunCache& run_cache;
  json st;
  std::vector<Rs>& rss;  // RolloutController::Caches::rs_buffer, emptied after the pass
  std::string hash;
  Rs* new_rs = nullptr;
  Rs* stable_rs = nullptr;  // only when distinct from new_rs
  std::vector<Rs*>& older;  // RolloutController::Caches::older_buffer
  ReconcileResult result;

  void event(std::string reason, std::string message) {
    result.events.push_back(fmt::format("{}: {}", reason, message));
  }
  void requeue_at(SimTime t) {
    SimDuration d = t > now ? t - now : SimDuration{0};
    if (!result.requeue_after || d < *result.requeue_after) result.requeue_after = d;
  }
  int steps_count() const { return spec.canary ? static_cast<int>(spec.canary->steps.size()) : 0; }
  int index() const { return value_or(st, "currentStepIndex", 0); }
  bool aborted() const { return value_or(st, "abort", false); }
  bool promote_full() const { return value_or(st, "promoteFull", false); }
  bool controller_pause() const { return value_or(st, "controllerPause", false); }
  const std::string& stable_hash() const { return str_field(st, "stableRS"); }
  bool fully_promoted() const { return !hash.empty() && stable_hash() == hash; }
  bool traffic() const { return spec.canary && spec.canary->traffic_routing.has_value(); }
};

// --- templates -------------------------------------------------------------------------

const std::string& resource_version_of(const Object& o) {
  return model::string_field(field(o.body(), "metadata"), "resourceVersion");
}

const AnalysisTemplate* lookup_template(Pass& p, const TemplateRef& ref) {
  ObjectKey key{"argoproj.io", ref.cluster_scope ? "ClusterAnalysisTemplate" : "AnalysisTemplate",
                ref.cluster_scope ? "" : p.spec.ns, ref.template_name};
  const Object* obj = p.client.find(key);
  if (!obj) {
    p.template_cache.erase(key);
    return nullptr;
  }
  const std::string& rv = resource_version_of(*obj);
  auto it = p.template_cache.find(key);
  if (it != p.template_cache.end() && !rv.empty() && it->second.resource_version == rv)
    return it->second.parsed ? &*it->second.parsed : nullptr;
  model::Diagnostics diags;
  CachedTemplate& c = p.template_cache[key];
  c.resource_version = rv;
  c.parsed = parse_analysis_template(*obj, diags);
  return c.parsed ? &*c.parsed : nullptr;
}

// --- ReplicaSets -----------------------------------------------------------------------

// One step of walking a key-ordered cache alongside the store's listing, which is in the
// same order: entries before `key` belong to objects that are gone and are dropped; returns
// `key`'s entry, added when missing. One comparison per entry (these run per object per pass).
template <class Cache>
typename Cache::iterator cache_entry(Cache& cache, typename Cache::iterator it, const ObjectKey& key) {
  std::strong_ordering order = std::strong_ordering::greater;
  while (it != cache.end() && (order = it->first <=> key) < 0) it = cache.erase(it);
  if (it == cache.end() || order != 0) it = cache.emplace_hint(it, key, typename Cache::mapped_type{});
  return it;
}

// The ReplicaSets of the Rollout's namespace that it owns, by (revision, hash). Visits the
// store in (namespace, name) order alongside the cache, which is in the same order, so
// entries of ReplicaSets that are gone are dropped on the way.
void load_replica_sets(Pass& p) {
  model::ListOptions lo;
  lo.group = "apps";
  lo.kind = "ReplicaSet";
  lo.ns = p.spec.ns;
  RsCache& cache = p.rs_cache;
  auto it = cache.lower_bound(ObjectKey{lo.group, lo.kind, p.spec.ns, ""});
  // The owned entries, sorted before they are copied out: an Rs is large to move.
  std::vector<const RsCache::value_type*> found;
  found.reserve(16);
  p.client.visit(lo, [&](const Object& o) {
    const ObjectKey& key = o.key();
    it = cache_entry(cache, it, key);
    CachedRs& c = it->second;
    if (o.stamp() == 0 || o.stamp() != c.stamp) {  // else the very body read last time: nothing to read
      const json& md = field(o.body(), "metadata");
      const std::string& uid = str_field(md, "uid");
      const std::string& rv = str_field(md, "resourceVersion");
      if (rv.empty() || c.resource_version != rv || c.uid != uid) {
        c.uid = uid;
        c.resource_version = rv;
        c.owner.reset();
        c.fields = read_rs_fields(o.body());
      } else {
        read_rs_status(o.body(), c.fields);
      }
      c.stamp = o.stamp();
    }
    if (c.owner != p.spec.name) {
      c.owned = owned_by(o.body(), "Rollout", p.spec.name);
      c.owner = p.spec.name;
    }
    if (c.owned) found.push_back(&*it);
    ++it;
  });
  // Entries after the last one visited belong to ReplicaSets that are gone (the entries in
  // `found` come before them and stay).
  while (it != cache.end() && it->first.group == lo.group && it->first.kind == lo.kind &&
         it->first.ns == p.spec.ns)
    it = cache.erase(it);
  // (revision, hash) is unique among a Rollout's ReplicaSets, so any sort gives this order.
  std::sort(found.begin(), found.end(), [](const RsCache::value_type* a, const RsCache::value_type* b) {
    return std::tie(a->second.fields.revision, a->second.fields.hash) <
           std::tie(b->second.fields.revision, b->second.fields.hash);
  });
  std::vector<Rs>& owned = p.rss;
  owned.reserve(found.size() + 1);  // room for a new ReplicaSet
  for (const auto* entry : found) {
    owned.emplace_back();
    static_cast<RsFields&>(owned.back()) = entry->second.fields;
    owned.back().key = entry->first;
  }
}

void classify_replica_sets(Pass& p) {
  p.new_rs = p.stable_rs = nullptr;
  p.older.clear();
  const std::string& stable = p.stable_hash();
  for (auto& r : p.rss) {
    if (r.hash == p.hash) p.new_rs = &r;
    else if (!stable.empty() && r.hash == stable) p.stable_rs = &r;
  }
  for (auto& r : p.rss)
    if (&r != p.new_rs && &r != p.stable_rs) p.older.push_back(&r);
}

void create_new_rs(Pass& p) {
  int revision = 0;
  for (const auto& r : p.rss) revision = std::max(revision, r.revision);
  json tmpl = *p.spec.pod_template;
  tmpl["metadata"]["labels"][kPodTemplateHashLabel] = p.hash;
  json selector = p.spec.selector->is_object() ? *p.spec.selector : json::object();
  selector["matchLabels"][kPodTemplateHashLabel] = p.hash;
  json labels = tmpl["metadata"]["labels"];
  json body = {{"apiVersion", "apps/v1"},
               {"kind", "ReplicaSet"},
               {"metadata",
                {{"name", fmt::format("{}-{}", p.spec.name, p.hash)},
                 {"namespace", p.spec.ns},
                 {"labels", labels},
                 {"annotations", {{kRevisionAnnotation, std::to_string(revision + 1)}}},
                 {"ownerReferences", owner_ref(p.rollout)}}},
               {"spec", {{"replicas", 0}, {"selector", selector}, {"template", tmpl}}}};
  auto created = p.client.create(Object(model::JsonBox(std::move(body))));
  if (created) {
    p.rss.push_back(read_rs(std::move(*created)));
    p.event("NewReplicaSetCreated",
            fmt::format("Created ReplicaSet {}-{} (revision {})", p.spec.name, p.hash, revision + 1));
  }
}

// Sets spec.replicas (and the scale-down deadline annotation); true when it changed.
bool scale_rs(Pass& p, Rs& rs, int replicas) {
  if (rs.spec == replicas) return false;
  const Object* stored = p.client.find(rs.key);
  if (!stored) return false;
  json body = stored->body();
  body["spec"]["replicas"] = replicas;
  if (replicas == 0 && body["metadata"].contains("annotations"))
    body["metadata"]["annotations"].erase(kScaleDownDeadlineAnnotation);
  auto updated = p.client.update(Object(model::JsonBox(std::move(body))));
  if (!updated) return false;
  p.event(replicas > rs.spec ? "ScalingReplicaSet" : "ScalingReplicaSet",
          fmt::format("Scaled {} ReplicaSet {} from {} to {}", replicas > rs.spec ? "up" : "down",
                      rs.key.name, rs.spec, replicas));
  rs = read_rs(std::move(*updated));
  return true;
}

void set_deadline(Pass& p, Rs& rs, SimTime deadline) {
  const Object* stored = p.client.find(rs.key);
  if (!stored) return;
  json body = stored->body();
  body["metadata"]["annotations"][kScaleDownDeadlineAnnotation] = format_time(deadline);
  if (auto updated = p.client.update(Object(model::JsonBox(std::move(body)))))
    rs = read_rs(std::move(*updated));
}

// --- services and traffic --------------------------------------------------------------

void point_service(Pass& p, const std::string& name, const std::string& hash) {
  if (name.empty() || hash.empty()) return;
  const Object* svc = p.client.find({"", "Service", p.spec.ns, name});
  if (!svc) return;
  if (field(field(field(svc->body(), "spec"), "selector"), kPodTemplateHashLabel) == hash) return;
  json body = svc->body();
  body["spec"]["selector"][kPodTemplateHashLabel] = hash;
  (void)p.client.update(Object(model::JsonBox(std::move(body))));
}

// AtDesiredReplicaCountsForCanary (reference 3.5) for the targets of this pass.
bool at_desired(const Pass& p, int want_canary, int want_stable) {
  if (!p.new_rs || p.new_rs->spec != want_canary || p.new_rs->available != want_canary) return false;
  if (!(p.traffic() && p.spec.canary->dynamic_stable_scale) && p.stable_rs) {
    if (p.stable_rs->spec != want_stable || p.stable_rs->replicas != want_stable) return false;
  }
  if (!p.traffic())
    for (const Rs* o : p.older)
      if (o->available > 0) return false;
  return true;
}

int weight_before_current(const Pass& p) {
  const auto& steps = p.spec.canary->steps;
  for (int i = std::min(p.index(), static_cast<int>(steps.size())) - 1; i >= 0; --i)
    if (steps[i].type == StepType::SetWeight) return steps[i].weight;
  return 0;
}

// GetCurrentSetWeight.
int current_set_weight(const Pass& p) {
  if (p.aborted()) return 0;
  const auto& steps = p.spec.canary->steps;
  if (p.index() >= static_cast<int>(steps.size())) return 100;
  for (int i = p.index(); i >= 0; --i)
    if (steps[i].type == StepType::SetWeight) return steps[i].weight;
  return 0;
}

void apply_istio_weights(Pass& p, int weight) {
  const auto& cs = *p.spec.canary;
  const auto& istio = *cs.traffic_routing->istio;
  for (const auto& vs_ref : istio.virtual_services) {
    std::string name = vs_ref.name, ns = p.spec.ns;
    if (auto dot = name.find('.'); dot != std::string::npos) {
      ns = name.substr(dot + 1);
      name = name.substr(0, dot);
    }
    const Object* vs = p.client.find({"networking.istio.io", "VirtualService", ns, name});
    if (!vs) continue;
    json body = vs->body();
    auto& http = body["spec"]["http"];
    if (!http.is_array()) continue;
    bool changed = false;
    for (auto& route : http) {
      const std::string rname = route.value("name", "");
      const bool selected = vs_ref.routes.empty()
                                ? http.size() == 1
                                : std::find(vs_ref.routes.begin(), vs_ref.routes.end(), rname) !=
                                      vs_ref.routes.end();
      if (!selected || !route.contains("route") || !route["route"].is_array()) continue;
      json kept = json::array();
      for (auto dest : route["route"]) {
        const json d = dest.value("destination", json::object());
        std::string host = d.value("host", "");
        host = host.substr(0, host.find('.'));
        const std::string subset = d.value("subset", "");
        int w = -1;
        if ((!istio.canary_subset.empty() && subset == istio.canary_subset) ||
            (istio.canary_subset.empty() && host == cs.canary_service))
          w = weight;
        else if ((!istio.stable_subset.empty() && subset == istio.stable_subset) ||
                 (istio.stable_subset.empty() && host == cs.stable_service))
          w = std::max(0, 100 - weight);
        if (w < 0) {
          changed = true;  // any other destination is removed
          continue;
        }
        if (dest.value("weight", -1) != w) {
          dest["weight"] = w;
          changed = true;
        }
        kept.push_back(dest);
      }
      route["route"] = kept;
    }
    if (changed) (void)p.client.update(Object(model::JsonBox(std::move(body))));
  }
}

void reconcile_traffic(Pass& p, int want_canary, int want_stable) {
  const auto& cs = *p.spec.canary;
  int weight = 0;
  const json cur = p.st.value("canary", json::object()).value("weights", json::object());
  const int current_weight = cur.value("canary", json::object()).value("weight", 0);
  if (p.fully_promoted() || p.aborted()) {
    weight = 0;
  } else if (!p.new_rs || p.new_rs->available == 0) {
    weight = 0;
  } else if (p.promote_full()) {
    weight = cs.dynamic_stable_scale ? 100 * p.new_rs->available / p.spec.replicas : current_weight;
  } else if (!at_desired(p, want_canary, want_stable)) {
    weight = weight_before_current(p);
  } else if (p.index() < p.steps_count()) {
    weight = current_set_weight(p);
  } else {
    weight = 100;
  }
  // Stable capacity gate (4.1).
  if (p.stable_rs && !p.fully_promoted() &&
      p.stable_rs->available < ((100 - weight) * p.spec.replicas) / 100)
    return;
  if (cs.traffic_routing->istio) apply_istio_weights(p, weight);
  p.st["canary"]["weights"] = {
      {"canary", {{"weight", weight}, {"podTemplateHash", p.hash}, {"serviceName", cs.canary_service}}},
      {"stable",
       {{"weight", 100 - weight}, {"podTemplateHash", p.stable_hash()}, {"serviceName", cs.stable_service}}}};
}

// --- analysis --------------------------------------------------------------------------

const std::string& run_phase(const Object& run) {
  return str_field(field(run.body(), "status"), "phase");
}

// status.message of a run, read in place (the status holds the measurements).
const std::string& run_message(const Object& run) {
  return str_field(field(run.body(), "status"), "message");
}

// Creates an AnalysisRun from `a` (reference 5); nullopt when templates are missing (the
// error is returned in `error`).
std::optional<Object> create_run(Pass& p, const RolloutAnalysis& a, const std::string& name,
                                 const std::string& type, std::optional<int> step,
                                 std::string& error) {
  auto ts = expand_templates(a.templates, [&](const TemplateRef& r) { return lookup_template(p, r); });
  if (!ts) {
    error = ts.error().message;
    return std::nullopt;
  }
  std::vector<Arg> incoming;
  for (const auto& in : a.args) {
    Arg v;
    v.name = in.name;
    if (in.value) v.value = in.value;
    else if (in.pod_template_hash_value)
      v.value = *in.pod_template_hash_value == "Stable" ? p.stable_hash() : p.hash;
    else if (in.field_ref) {
      std::string path = *in.field_ref;
      json ptr_target;
      if (path.rfind("metadata.labels['", 0) == 0 || path.rfind("metadata.annotations['", 0) == 0) {
        const bool labels = path[9] == 'l';
        auto open = path.find("['"), close = path.find("']");
        std::string key = path.substr(open + 2, close - open - 2);
        v.value = std::as_const(p.rollout).body()["metadata"]
                      .value(labels ? "labels" : "annotations", json::object())
                      .value(key, "");
      } else {
        std::string jp = "/" + path;
        std::replace(jp.begin(), jp.end(), '.', '/');
        const json* at = nullptr;
        try {
          at = &std::as_const(p.rollout).body().at(json::json_pointer(jp));
        } catch (...) {
        }
        if (at) v.value = at->is_string() ? at->get<std::string>() : at->dump();
      }
    }
    incoming.push_back(std::move(v));
  }
  auto args = merge_args(*ts, incoming);
  if (!args) {
    error = args.error().message;
    return std::nullopt;
  }
  json metrics = json::array(), dry = json::array(), retention = json::array(), jargs = json::array();
  for (const auto* t : *ts) {
    for (const auto& m : t->spec.metrics) metrics.push_back(*m);
    for (const auto& d : t->spec.dry_run) dry.push_back({{"metricName", d}});
    for (const auto& r : t->spec.retention)
      retention.push_back({{"metricName", r.metric_name}, {"limit", r.limit}});
  }
  for (const auto& arg : *args) {
    json ja = {{"name", arg.name}};
    if (arg.value) ja["value"] = *arg.value;
    else if (arg.secret_key_ref)
      ja["valueFrom"]["secretKeyRef"] = {{"name", arg.secret_key_ref->first},
                                         {"key", arg.secret_key_ref->second}};
    else if (arg.field_ref) ja["valueFrom"]["fieldRef"] = {{"fieldPath", *arg.field_ref}};
    jargs.push_back(std::move(ja));
  }
  json labels = {{kPodTemplateHashLabel, p.hash}, {"rollout-type", type}};
  if (step) labels["step-index"] = std::to_string(*step);
  json body = {{"apiVersion", "argoproj.io/v1alpha1"},
               {"kind", "AnalysisRun"},
               {"metadata",
                {{"name", name},
                 {"namespace", p.spec.ns},
                 {"labels", labels},
                 {"ownerReferences", owner_ref(p.rollout)}}},
               {"spec", {{"metrics", metrics}, {"args", jargs}}}};
  if (!dry.empty()) body["spec"]["dryRun"] = dry;
  if (!retention.empty()) body["spec"]["measurementRetention"] = retention;
  // Name collisions (a retry re-runs the same step): append a counter, as upstream does.
  // Names taken are skipped before the create (which would fail with AlreadyExists), so the
  // body is moved into the one create instead of copied into each.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string candidate = attempt == 0 ? name : fmt::format("{}.{}", name, attempt);
    if (p.client.find({"argoproj.io", "AnalysisRun", p.spec.ns, candidate})) continue;
    body["metadata"]["name"] = std::move(candidate);
    auto created = p.client.create(Object(model::JsonBox(std::move(body))));
    if (created) return *created;
    error = created.error().message;
    return std::nullopt;
  }
  error = "too many AnalysisRuns named " + name;
  return std::nullopt;
}

void terminate_run(Pass& p, const std::string& name) {
  const Object* run = p.client.find({"argoproj.io", "AnalysisRun", p.spec.ns, name});
  if (!run) return;
  const std::string phase = run_phase(*run);
  if (auto p = analysis_phase_from(phase); p && is_completed(*p)) return;
  if (field(field(run->body(), "spec"), "terminate") == true) return;
  // A merge patch, as upstream's cancelAnalysisRuns sends (rollout/analysis.go,
  // cancelAnalysisRun): the run's measurements are not sent back with it.
  static const json kCancel = {{"spec", {{"terminate", true}}}};
  (void)p.client.patch(run->key(), model::PatchType::Merge, kCancel);
}

void do_abort(Pass& p, const std::string& message) {
  if (p.aborted()) return;
  p.st["abort"] = true;
  if (!p.st.contains("abortedAt")) p.st["abortedAt"] = format_time(p.now);
  p.st.erase("pauseConditions");
  p.st["controllerPause"] = false;
  p.st["abortMessage"] = message;
  p.event("RolloutAborted", message);
}

// Background and step analysis; returns whether the current analysis step completed.
bool reconcile_analysis(Pass& p) {
  const auto& cs = *p.spec.canary;
  json& canary = p.st["canary"];
  const std::string revision = p.new_rs ? std::to_string(p.new_rs->revision) : "0";
  const bool cancel_all = p.fully_promoted() || p.aborted() || p.promote_full() || p.stable_hash().empty();
  auto status_of = [&](const char* key) -> json& {
    auto it = canary.find(std::string_view(key));
    if (it != canary.end() && it->is_object()) return *it;
    json& j = canary[key];
    j = json::object();
    return j;
  };
  // Background.
  if (cs.background) {
    json& bg = status_of("currentBackgroundAnalysisRunStatus");
    const bool before_start = cs.background->starting_step && p.index() < *cs.background->starting_step;
    if (cancel_all) {
      if (!bg.value("name", "").empty()) terminate_run(p, bg["name"]);
    } else if (!before_start) {
      const std::string name = fmt::format("{}-{}-{}", p.spec.name, p.hash, revision);
      std::string run_name = bg.value("name", "");
      const bool retry = p.st.contains("abortedAt") && !p.aborted();
      if (run_name.empty() || retry) {
        std::string error;
        if (auto run = create_run(p, *cs.background, name, "Background", std::nullopt, error))
          bg = {{"name", run->name()}, {"status", "Pending"}};
        else
          do_abort(p, "Background analysis could not start: " + error);
        run_name = bg.value("name", "");
      }
      if (const Object* run = p.client.find({"argoproj.io", "AnalysisRun", p.spec.ns, run_name})) {
        const std::string phase = run_phase(*run);
        const std::string msg = run_message(*run);
        bg["status"] = phase.empty() ? "Pending" : phase;
        if (!msg.empty()) bg["message"] = msg;
        if (phase == "Failed" || phase == "Error") {
          std::string lower = phase == "Failed" ? "failed" : "error";
          do_abort(p, fmt::format("Background analysis phase {}{}", lower, msg.empty() ? "" : ": " + msg));
        } else if (phase == "Inconclusive") {
          add_pause(p.st, "InconclusiveAnalysisRun", p.now);
        }
      }
    }
  }
  // Step.
  json& step_status = status_of("currentStepAnalysisRunStatus");
  const int idx = p.index();
  const bool on_analysis = idx < p.steps_count() && cs.steps[idx].type == StepType::Analysis;
  const std::string expected = fmt::format("{}-{}-{}-{}", p.spec.name, p.hash, revision, idx);
  std::string current = step_status.value("name", "");
  if (!current.empty() && (cancel_all || !on_analysis ||
                           current.rfind(expected, 0) != 0)) {
    terminate_run(p, current);
    if (!on_analysis || cancel_all) step_status = json::object();
    current.clear();
  }
  if (!on_analysis || cancel_all || p.st.contains("pauseConditions")) {
    if (on_analysis && !current.empty()) {
      // Waiting in an inconclusive pause: keep the run reference.
    }
    return false;
  }
  const bool retry = p.st.contains("abortedAt") && !p.aborted();
  const bool resumed_inconclusive = step_status.value("status", "") == "Inconclusive" &&
                                    p.controller_pause();
  if (current.empty() || retry || resumed_inconclusive) {
    std::string error;
    const std::string name = expected;
    if (resumed_inconclusive) p.st["controllerPause"] = false;
    auto run = create_run(p, cs.steps[idx].analysis, name, "Step", idx, error);
    if (!run) {
      do_abort(p, "Step-based analysis could not start: " + error);
      return false;
    }
    step_status = {{"name", run->name()}, {"status", "Pending"}};
    current = run->name();
  }
  const Object* run = p.client.find({"argoproj.io", "AnalysisRun", p.spec.ns, current});
  if (!run) return false;
  const std::string phase = run_phase(*run);
  const std::string msg = run_message(*run);
  step_status["status"] = phase.empty() ? "Pending" : phase;
  if (!msg.empty()) step_status["message"] = msg;
  if (phase == "Successful") return true;
  if (phase == "Failed" || phase == "Error") {
    std::string lower = phase == "Failed" ? "failed" : "error";
    do_abort(p, fmt::format("Step-based analysis phase {}{}", lower, msg.empty() ? "" : ": " + msg));
  } else if (phase == "Inconclusive") {
    add_pause(p.st, "InconclusiveAnalysisRun", p.now);
  }
  return false;
}

// --- canary replicas -------------------------------------------------------------------

std::pair<int, int> desired_counts(Pass& p) {
  const auto& cs = *p.spec.canary;
  const int R = p.spec.replicas;
  const bool no_stable = !p.stable_rs;
  int weight = 100;
  std::optional<int> scale_replicas;
  if (!(p.promote_full() || no_stable || p.fully_promoted())) {
    weight = current_set_weight(p);
    const bool use_scale = p.traffic() && (!p.aborted() ||
                                           (cs.abort_scale_down_delay_seconds &&
                                            *cs.abort_scale_down_delay_seconds == 0));
    if (use_scale && p.index() < p.steps_count()) {
      for (int i = p.index(); i >= 0; --i) {
        const auto& s = cs.steps[i];
        if (!s.also_scale) continue;
        if (s.match_traffic_weight) break;
        if (s.scale_replicas) scale_replicas = s.scale_replicas;
        else if (s.scale_weight) weight = *s.scale_weight;
        break;
      }
    }
  }
  if (p.traffic()) {
    TrafficCanaryInput in;
    in.replicas = R;
    in.weight = weight;
    in.scale_replicas = scale_replicas;
    in.dynamic_stable_scale = cs.dynamic_stable_scale;
    in.min_pods_per_replica_set = cs.min_pods_per_replica_set;
    in.aborted = p.aborted();
    const json w = p.st.value("canary", json::object()).value("weights", json());
    if (w.is_object())
      in.current_weights = std::make_pair(w.value("canary", json::object()).value("weight", 0),
                                          w.value("stable", json::object()).value("weight", 100));
    auto counts = traffic_canary_counts(in);
    if (no_stable) counts = {R, 0};
    return counts;
  }
  auto fp = resolve_fenceposts(&*cs.max_surge, &*cs.max_unavailable, R);
  BasicCanaryInput in;
  in.replicas = R;
  in.weight = weight;
  in.fenceposts = fp ? *fp : Fenceposts{1, 0};
  if (p.new_rs) in.canary = RsCounts{p.new_rs->spec, p.new_rs->available};
  if (p.stable_rs) in.stable = RsCounts{p.stable_rs->spec, p.stable_rs->available};
  in.older.reserve(p.older.size());
  for (const Rs* o : p.older) in.older.push_back({o->spec, o->available});
  return basic_canary_counts(in);
}

// Steady-state targets (for "at desired counts"), as DesiredReplicaCountsForCanary.
std::pair<int, int> steady_targets(Pass& p) {
  const auto& cs = *p.spec.canary;
  const int R = p.spec.replicas;
  if (!p.stable_rs || p.promote_full() || p.fully_promoted()) return {R, 0};
  if (p.traffic()) return desired_counts(p);
  auto fp = resolve_fenceposts(&*cs.max_surge, &*cs.max_unavailable, R);
  return approximate_weighted_counts(R, current_set_weight(p), fp ? fp->surge : 1);
}

bool reconcile_canary_replicas(Pass& p) {
  const auto& cs = *p.spec.canary;
  const int R = p.spec.replicas;
  bool scaled = false;
  auto [want_canary, want_stable] = desired_counts(p);
  // Abort with traffic routing: hold the canary until abortScaleDownDelaySeconds after the
  // stable is fully available (3.4).
  if (p.traffic() && p.aborted() && p.stable_rs && p.new_rs && !cs.dynamic_stable_scale) {
    auto delay = cs.effective_abort_delay();
    if (!delay) {
      want_canary = p.new_rs->spec;
    } else if (p.stable_rs->available >= R) {
      if (!p.new_rs->deadline && p.new_rs->spec > 0)
        set_deadline(p, *p.new_rs, p.now + sim::seconds(*delay));
      if (p.new_rs->deadline && p.now < *p.new_rs->deadline) {
        want_canary = p.new_rs->spec;
        p.requeue_at(*p.new_rs->deadline);
      } else {
        want_canary = 0;
      }
    } else {
      want_canary = p.new_rs->spec;
    }
  }
  if (p.stable_rs) scaled |= scale_rs(p, *p.stable_rs, want_stable);
  if (p.new_rs) scaled |= scale_rs(p, *p.new_rs, want_canary);
  // Older ReplicaSets (3.6).
  auto fp = resolve_fenceposts(&*cs.max_surge, &*cs.max_unavailable, R);
  const int min_available = R - (fp ? fp->unavailable : 0);
  int available = 0;
  for (const auto& r : p.rss) available += r.available;
  int budget = std::max(0, available - min_available);
  for (Rs* o : p.older) {
    if (o->spec == 0) continue;
    if (p.traffic()) {
      if (cs.dynamic_stable_scale || o->available == 0) {
        scaled |= scale_rs(p, *o, 0);
      } else if (!o->deadline) {
        set_deadline(p, *o, p.now + sim::seconds(cs.effective_scale_down_delay()));
        p.requeue_at(*o->deadline);
      } else if (p.now >= *o->deadline) {
        scaled |= scale_rs(p, *o, 0);
      } else {
        p.requeue_at(*o->deadline);
      }
    } else {
      const int unhealthy = o->spec - o->available;
      int target = o->spec - unhealthy;
      const int take = std::min(budget, target);
      target -= take;
      budget -= take;
      scaled |= scale_rs(p, *o, std::max(0, target));
    }
  }
  (void)steady_targets;
  return scaled;
}

// --- canary pass -----------------------------------------------------------------------

bool step_complete(Pass& p, bool analysis_done, int want_canary, int want_stable) {
  if (p.spec.paused) return false;
  const int idx = p.index();
  if (idx >= p.steps_count()) return false;
  const CanaryStep& s = p.spec.canary->steps[idx];
  switch (s.type) {
    case StepType::SetWeight:
    case StepType::SetCanaryScale:
      return at_desired(p, want_canary, want_stable);
    case StepType::Pause: {
      if (p.controller_pause() && !has_pause(p.st, "CanaryPauseStep")) return true;
      if (s.pause_seconds) {
        auto start = pause_start(p.st, "CanaryPauseStep");
        if (start) {
          const SimTime end = *start + sim::seconds(*s.pause_seconds);
          if (p.now >= end) return true;
          p.requeue_at(end);
        }
      }
      return false;
    }
    case StepType::Analysis: return analysis_done;
    case StepType::SetHeaderRoute:
    case StepType::SetMirrorRoute: return true;
    case StepType::Experiment:
    case StepType::Plugin: return true;  // not modelled: complete at once (documented)
  }
  return false;
}

void promote_stable(Pass& p, const std::string& why) {
  p.st["stableRS"] = p.hash;
  p.st.erase("pauseConditions");
  p.st["controllerPause"] = false;
  p.st["abort"] = false;
  p.st.erase("abortedAt");
  p.st.erase("abortMessage");
  p.st["promoteFull"] = false;
  if (p.steps_count() > 0) p.st["currentStepIndex"] = p.steps_count();
  else p.st.erase("currentStepIndex");
  p.event("RolloutCompleted", fmt::format("Rollout completed update to revision {} ({}): {}",
                                          p.new_rs ? p.new_rs->revision : 0, p.hash, why));
  classify_replica_sets(p);
}

// --- history limits --------------------------------------------------------------------

// The AnalysisRuns this Rollout owns, in (namespace, name) order.
struct OwnedRun {
  const Object* obj;
  const CachedRun* read;  // its fields, current as of this visit
};

// The AnalysisRuns of the namespace that the Rollout owns. Visits the store alongside the
// cache, both in (namespace, name) order, dropping entries of runs that are gone.
std::vector<OwnedRun> owned_runs(Pass& p) {
  std::vector<OwnedRun> out;
  model::ListOptions lo;
  lo.group = "argoproj.io";
  lo.kind = "AnalysisRun";
  lo.ns = p.spec.ns;
  RunCache& cache = p.run_cache;
  auto it = cache.lower_bound(ObjectKey{lo.group, lo.kind, p.spec.ns, ""});
  p.client.visit(lo, [&](const Object& o) {
    const ObjectKey& key = o.key();
    it = cache_entry(cache, it, key);
    CachedRun& c = it->second;
    if (o.stamp() == 0 || o.stamp() != c.stamp) {
      const json& md = field(o.body(), "metadata");
      c.stamp = o.stamp();
      c.owner.reset();
      c.created = str_field(md, "creationTimestamp");
      c.hash = str_field(field(md, "labels"), kPodTemplateHashLabel);
      c.phase = run_phase(o);
    }
    if (c.owner != p.spec.name) {
      c.owned = owned_by(o.body(), "Rollout", p.spec.name);
      c.owner = p.spec.name;
    }
    if (c.owned) out.push_back({&o, &c});
    ++it;
  });
  while (it != cache.end() && it->first.group == lo.group && it->first.kind == lo.kind &&
         it->first.ns == p.spec.ns)
    it = cache.erase(it);
  return out;
}

void delete_runs(Pass& p, const std::vector<ObjectKey>& keys) {
  for (const auto& k : keys) (void)p.client.remove(k, model::DeleteOptions{});
}

// reconcileRevisionHistoryLimit (rollout/sync.go): beyond spec.revisionHistoryLimit, the
// oldest old ReplicaSets (by creationTimestamp, then name) that are scaled to zero and
// observed are deleted, with the AnalysisRuns of their pod template hash.
void reconcile_revision_history(Pass& p) {
  std::vector<Rs*> cleanable;
  for (Rs* r : p.older)
    if (!r->deleting) cleanable.push_back(r);
  const int diff = static_cast<int>(cleanable.size()) - p.spec.revision_history_limit;
  if (diff <= 0) return;
  std::sort(cleanable.begin(), cleanable.end(), [](const Rs* a, const Rs* b) {
    return std::tie(a->created, a->key.name) < std::tie(b->created, b->key.name);
  });
  std::set<std::string> deleted;
  for (int i = 0; i < diff; ++i) {
    const Rs& rs = *cleanable[i];
    if (rs.replicas != 0 || rs.spec != 0 || rs.generation > rs.observed_generation || rs.deleting) continue;
    auto removed = p.client.remove(rs.key, model::DeleteOptions{});
    if (!removed && removed.error().reason != "NotFound") break;  // upstream stops at an error
    deleted.insert(rs.hash);
    std::vector<ObjectKey> runs;
    for (const OwnedRun& run : owned_runs(p))
      if (run.read->hash == rs.hash) runs.push_back(run.obj->key());
    delete_runs(p, runs);
  }
  if (deleted.empty()) return;
  std::erase_if(p.rss, [&](const Rs& r) { return deleted.count(r.hash) > 0; });
  classify_replica_sets(p);
}

// FilterAnalysisRunsToDelete (utils/analysis/filter.go) over the runs that are not current
// (`current`: names the status refers to): runs without a pod hash label, or whose
// ReplicaSet is gone or being deleted, go; of the rest, newest first, the first
// successfulRunHistoryLimit Successful and unsuccessfulRunHistoryLimit
// Failed/Error/Inconclusive runs stay. Running and Pending runs are left alone.
void reconcile_run_history(Pass& p, const std::vector<const std::string*>& current) {
  // Nothing is written before delete_runs, so the visit's pointers stay valid.
  std::vector<OwnedRun> others;
  for (const OwnedRun& run : owned_runs(p)) {
    if (std::any_of(current.begin(), current.end(), [&](const std::string* n) { return *n == run.obj->name(); }))
      continue;
    others.push_back(run);
  }
  std::sort(others.begin(), others.end(), [](const OwnedRun& a, const OwnedRun& b) {
    return std::tie(a.read->created, a.obj->name()) > std::tie(b.read->created, b.obj->name());
  });
  // Whether the ReplicaSet of a pod hash is being deleted; nullptr: no such ReplicaSet. The
  // last one of a hash counts, as when these went into a map by hash.
  auto rs_of = [&](const std::string& hash) -> const Rs* {
    for (auto r = p.rss.rbegin(); r != p.rss.rend(); ++r)
      if (r->hash == hash) return &*r;
    return nullptr;
  };
  int kept_ok = 0, kept_bad = 0;
  std::vector<ObjectKey> doomed;
  for (const OwnedRun& r : others) {
    const std::string& hash = r.read->hash;
    const Rs* rs = rs_of(hash);
    if (hash.empty() || !rs || rs->deleting) {
      doomed.push_back(r.obj->key());
      continue;
    }
    const std::string& phase = r.read->phase;
    if (phase == "Successful") {
      if (kept_ok < p.spec.successful_run_history_limit) ++kept_ok;
      else doomed.push_back(r.obj->key());
    } else if (phase == "Failed" || phase == "Error" || phase == "Inconclusive") {
      if (kept_bad < p.spec.unsuccessful_run_history_limit) ++kept_bad;
      else doomed.push_back(r.obj->key());
    }
  }
  delete_runs(p, doomed);
}

// Names of the runs the status refers to (rollout.status.canary / .blueGreen), in place.
std::vector<const std::string*> current_runs(const json& st) {
  std::vector<const std::string*> out;
  for (const char* group : {"canary", "blueGreen"}) {
    const json& g = field(st, group);
    if (!g.is_object()) continue;
    for (const auto& v : g) {
      const json& name = field(v, "name");
      if (name.is_string()) out.push_back(&name.get_ref<const std::string&>());
    }
  }
  return out;
}

void canary_pass(Pass& p) {
  const auto& cs = *p.spec.canary;
  reconcile_revision_history(p);
  // Services (2.1 step 2).
  const std::string stable_target = p.stable_hash().empty() ? p.hash : p.stable_hash();
  point_service(p, cs.stable_service, stable_target);
  point_service(p, cs.canary_service, p.aborted() ? stable_target : p.hash);
  // Analysis before scaling (2.1 step 5).
  const bool analysis_done = reconcile_analysis(p);
  // Upstream keeps these as nil pointers (omitted) when there is no run; an empty object
  // here would flip-flop with the step advance below and cost a status write each step.
  if (auto c = p.st.find("canary"); c != p.st.end() && c->is_object())
    for (const char* k : {"currentStepAnalysisRunStatus", "currentBackgroundAnalysisRunStatus"})
      if (auto f = c->find(k); f != c->end() && f->is_object() && f->empty()) c->erase(f);
  reconcile_run_history(p, current_runs(p.st));
  // Replicas (2.1 step 6).
  bool scaled = false;
  if (!p.spec.paused && !has_pause(p.st, "InconclusiveAnalysisRun"))
    scaled = reconcile_canary_replicas(p);
  auto [want_canary, want_stable] = steady_targets(p);
  if (p.traffic()) reconcile_traffic(p, want_canary, want_stable);
  // Pause step (2.1 step 7).
  const int idx = p.index();
  if (!p.aborted() && !p.spec.paused && idx < p.steps_count() &&
      cs.steps[idx].type == StepType::Pause && !p.controller_pause())
    add_pause(p.st, "CanaryPauseStep", p.now);
  // Status sync (2.1 step 9).
  if (p.promote_full() && !p.fully_promoted()) {
    p.st.erase("pauseConditions");
    p.st["abort"] = false;
    p.st["currentStepIndex"] = p.steps_count();
  }
  if (p.stable_hash().empty()) {
    promote_stable(p, "Initial deploy");
    return;
  }
  if (!p.aborted() && !p.fully_promoted() && p.new_rs && p.new_rs->available >= p.spec.replicas &&
      (p.promote_full() || p.index() >= p.steps_count())) {
    promote_stable(p, p.promote_full() ? "Full promotion requested" : "All steps completed");
    return;
  }
  if (p.aborted()) {
    p.st["currentStepIndex"] = p.fully_promoted() ? p.steps_count() : 0;
    return;
  }
  if (!scaled && step_complete(p, analysis_done, want_canary, want_stable)) {
    const int i = p.index();
    p.st["currentStepIndex"] = i + 1;
    if (p.st.contains("canary")) p.st["canary"].erase("currentStepAnalysisRunStatus");
    remove_pause(p.st, "CanaryPauseStep");
    if (!p.st.contains("pauseConditions")) p.st["controllerPause"] = false;
    p.event("RolloutStepCompleted",
            fmt::format("Rollout step {}/{} completed ({})", i + 1, p.steps_count(),
                        to_string(cs.steps[i].type)));
  }
}

// --- blueGreen pass --------------------------------------------------------------------

void blue_green_pass(Pass& p) {
  reconcile_revision_history(p);
  const auto& bg = *p.spec.blue_green;
  const int R = p.spec.replicas;
  json& bgs = p.st["blueGreen"];
  if (!bgs.is_object()) bgs = json::object();
  const bool first = p.stable_hash().empty();
  // Scale the new RS (preview count until promotion).
  int want_new = R;
  if (!first && !p.fully_promoted() && bg.preview_replica_count && !p.promote_full() &&
      bgs.value("activeSelector", "") != p.hash)
    want_new = *bg.preview_replica_count;
  if (p.aborted() && p.new_rs && !first) {
    const std::optional<int> delay = bg.abort_scale_down_delay_seconds
                                         ? (*bg.abort_scale_down_delay_seconds == 0
                                                ? std::nullopt
                                                : std::optional<int>(*bg.abort_scale_down_delay_seconds))
                                         : std::optional<int>(kDefaultAbortScaleDownDelaySeconds);
    want_new = p.new_rs->spec;
    if (delay) {
      if (!p.new_rs->deadline && p.new_rs->spec > 0) set_deadline(p, *p.new_rs, p.now + sim::seconds(*delay));
      if (p.new_rs->deadline && p.now >= *p.new_rs->deadline) want_new = 0;
      else if (p.new_rs->deadline) p.requeue_at(*p.new_rs->deadline);
    }
  }
  bool scaled = false;
  if (!p.spec.paused && p.new_rs) scaled |= scale_rs(p, *p.new_rs, want_new);
  if (p.stable_rs) scaled |= scale_rs(p, *p.stable_rs, R);
  const std::string stable = first ? p.hash : p.stable_hash();
  point_service(p, bg.preview_service, p.aborted() ? stable : p.hash);
  const bool saturated = p.new_rs && p.new_rs->available >= want_new && p.new_rs->spec == want_new;
  auto analysis = [&](const std::optional<RolloutAnalysis>& a, const char* field, const char* type,
                      const char* suffix) -> std::string {
    if (!a) return "Successful";
    json& s = bgs[field];
    if (!s.is_object()) s = json::object();
    std::string name = s.value("name", "");
    if (name.empty()) {
      std::string error;
      auto run = create_run(p, *a, fmt::format("{}-{}-{}-{}", p.spec.name, p.hash,
                                              p.new_rs ? p.new_rs->revision : 0, suffix),
                            type, std::nullopt, error);
      if (!run) {
        do_abort(p, std::string(type) + " analysis could not start: " + error);
        return "Error";
      }
      s = {{"name", run->name()}, {"status", "Pending"}};
      name = run->name();
    }
    const Object* run = p.client.find({"argoproj.io", "AnalysisRun", p.spec.ns, name});
    std::string phase = run ? run_phase(*run) : "";
    s["status"] = phase.empty() ? "Pending" : phase;
    if (phase == "Failed" || phase == "Error")
      do_abort(p, fmt::format("{} analysis phase {}", type, phase == "Failed" ? "failed" : "error"));
    else if (phase == "Inconclusive")
      add_pause(p.st, "InconclusiveAnalysisRun", p.now);
    return phase;
  };
  if (first) {
    point_service(p, bg.active_service, p.hash);
    bgs["activeSelector"] = p.hash;
    if (saturated) promote_stable(p, "Initial deploy");
    return;
  }
  if (p.fully_promoted() || p.aborted() || scaled) {
    point_service(p, bg.active_service, p.aborted() ? stable : bgs.value("activeSelector", stable));
    if (p.aborted()) bgs["activeSelector"] = stable;
    return;
  }
  if (!saturated) return;
  const bool switched = bgs.value("activeSelector", "") == p.hash;
  if (!switched) {
    if (!p.promote_full()) {
      if (analysis(bg.pre_promotion, "prePromotionAnalysisRunStatus", "PrePromotion", "pre") !=
          "Successful")
        return;
      // Pause before the switch (autoPromotionEnabled false, or autoPromotionSeconds).
      if (!bg.auto_promotion_enabled || bg.auto_promotion_seconds > 0) {
        if (!p.controller_pause()) add_pause(p.st, "BlueGreenPause", p.now);
        if (has_pause(p.st, "BlueGreenPause")) {
          if (bg.auto_promotion_enabled && bg.auto_promotion_seconds > 0) {
            auto start = pause_start(p.st, "BlueGreenPause");
            const SimTime end = *start + sim::seconds(bg.auto_promotion_seconds);
            if (p.now < end) {
              p.requeue_at(end);
              return;
            }
            remove_pause(p.st, "BlueGreenPause");
          } else {
            return;
          }
        }
      }
    }
    point_service(p, bg.active_service, p.hash);
    bgs["activeSelector"] = p.hash;
    p.st["controllerPause"] = false;
    p.event("SwitchService", fmt::format("Switched selector for service '{}' to '{}'",
                                         bg.active_service, p.hash));
    p.result.requeue_after = SimDuration{0};
    return;
  }
  if (!p.promote_full() &&
      analysis(bg.post_promotion, "postPromotionAnalysisRunStatus", "PostPromotion", "post") !=
          "Successful")
    return;
  Rs* previous = p.stable_rs;
  promote_stable(p, "Promoted");
  bgs.erase("prePromotionAnalysisRunStatus");
  bgs.erase("postPromotionAnalysisRunStatus");
  if (previous) set_deadline(p, *previous, p.now + sim::seconds(bg.scale_down_delay_seconds));
}

void blue_green_scale_down_old(Pass& p) {
  for (Rs* o : p.older) {
    if (o->spec == 0) continue;
    if (o->deadline && p.now < *o->deadline) {
      p.requeue_at(*o->deadline);
      continue;
    }
    if (!o->deadline) {
      set_deadline(p, *o, p.now + sim::seconds(p.spec.blue_green->scale_down_delay_seconds));
      p.requeue_at(*o->deadline);
      continue;
    }
    scale_rs(p, *o, 0);
  }
}

// --- status ----------------------------------------------------------------------------

// RolloutProgressing (utils/conditions/conditions.go), against the status the pass started
// from: the updated count changed, old replicas went down, ready or available went up, or
// (canary) the stable ReplicaSet, the step index or the steps hash changed, (blueGreen) the
// active or preview selector changed. Progress refreshes the Progressing condition (8.6).
bool rollout_progressing(const Pass& p, const json& old, int replicas, int updated, int ready, int available) {
  bool strategy = false;
  if (p.spec.blue_green) {
    const json& was = field(old, "blueGreen");
    const json& now = field(p.st, "blueGreen");
    strategy = str_field(was, "activeSelector") != str_field(now, "activeSelector") ||
               str_field(was, "previewSelector") != str_field(now, "previewSelector");
  }
  if (p.spec.canary) {
    const json& was_index = field(old, "currentStepIndex");
    const json& index = field(p.st, "currentStepIndex");
    strategy = str_field(old, "stableRS") != str_field(p.st, "stableRS") ||
               (was_index.is_number_integer() && index.is_number_integer() && was_index != index) ||
               str_field(old, "currentStepHash") != str_field(p.st, "currentStepHash");
  }
  const int old_updated = int_field(old, "updatedReplicas", 0);
  return updated != old_updated ||
         replicas - updated < int_field(old, "replicas", 0) - old_updated ||
         ready > int_field(old, "readyReplicas", 0) || available > int_field(old, "availableReplicas", 0) ||
         strategy;
}

// The status fields computed from the ReplicaSets, conditions and phase (9.2). `original` is
// the status the pass started from (upstream's c.rollout.Status), which progress is measured
// against; it lives in the stored object, so this runs before write_status.
void compute_status(Pass& p, const json& original) {
  json& st = p.st;
  int replicas = 0, ready = 0, available = 0;
  for (const auto& r : p.rss) {
    replicas += r.replicas;
    ready += r.ready;
    available += r.available;
  }
  const int updated = p.new_rs ? p.new_rs->replicas : 0;
  const bool progressed = rollout_progressing(p, original, replicas, updated, ready, available);
  st["replicas"] = replicas;
  st["updatedReplicas"] = updated;
  st["readyReplicas"] = ready;
  st["availableReplicas"] = available;
  set_string(st, "selector", fmt::format("{}={}", kPodTemplateHashLabel, p.hash));
  set_string(st, "observedGeneration",
             std::to_string(std::as_const(p.rollout).body()["metadata"].value("generation", 0)));
  const bool completed = p.fully_promoted() && updated == p.spec.replicas && available >= p.spec.replicas;
  const auto* prog = condition(st, "Progressing");
  if (p.aborted()) {
    const std::string msg = fmt::format("Rollout aborted update to revision {}{}",
                                        p.new_rs ? p.new_rs->revision : 0,
                                        st.value("abortMessage", "").empty()
                                            ? ""
                                            : ": " + st.value("abortMessage", ""));
    set_condition(st, "Progressing", "False", "RolloutAborted", msg, p.now);
  } else if (st.value("abortedAt", json()).is_string()) {
    set_condition(st, "Progressing", "Unknown", "RolloutRetry", "Retrying Rollout after abort", p.now);
    st.erase("abortedAt");
  } else if (completed) {
    set_condition(st, "Progressing", "True", "NewReplicaSetAvailable",
                  fmt::format("ReplicaSet \"{}-{}\" has successfully progressed.", p.spec.name, p.hash),
                  p.now);
  } else if (progressed || !prog) {
    set_condition(st, "Progressing", "True", "ReplicaSetUpdated",
                  fmt::format("ReplicaSet \"{}-{}\" is progressing.", p.spec.name, p.hash), p.now);
    for (auto& c : st["conditions"])
      if (str_field(c, "type") == "Progressing") c["lastUpdateTime"] = format_time(p.now);
  } else if (prog && prog->value("reason", "") != "ProgressDeadlineExceeded") {
    // Time is not counted at pauses, analysis steps or with pause conditions.
    const int idx = p.index();
    const bool waiting =
        st.contains("pauseConditions") || p.spec.paused ||
        (p.spec.canary && idx < p.steps_count() &&
         (p.spec.canary->steps[idx].type == StepType::Pause ||
          p.spec.canary->steps[idx].type == StepType::Analysis));
    auto last = parse_time(field(*prog, "lastUpdateTime"));
    if (!waiting && last) {
      const SimTime deadline = *last + sim::seconds(p.spec.progress_deadline_seconds);
      if (p.now > deadline) {
        const std::string msg = fmt::format("ReplicaSet \"{}-{}\" has timed out progressing.",
                                            p.spec.name, p.hash);
        if (p.spec.progress_deadline_abort && !p.fully_promoted()) {
          do_abort(p, msg);
          set_condition(st, "Progressing", "False", "RolloutAborted",
                        fmt::format("Rollout aborted update to revision {}: {}",
                                    p.new_rs ? p.new_rs->revision : 0, msg), p.now);
        } else {
          set_condition(st, "Progressing", "False", "ProgressDeadlineExceeded", msg, p.now);
          p.event("ProgressDeadlineExceeded", msg);
        }
      } else if (!completed) {
        p.requeue_at(deadline + sim::seconds(1));
      }
    }
  }
  set_condition(st, "Available", available >= p.spec.replicas ? "True" : "False",
                available >= p.spec.replicas ? "AvailableReason" : "AvailableReason",
                available >= p.spec.replicas ? "Rollout has minimum availability"
                                             : "Rollout does not have minimum availability",
                p.now);
  set_condition(st, "Paused", st.contains("pauseConditions") || p.spec.paused ? "True" : "False",
                st.contains("pauseConditions") || p.spec.paused ? "RolloutPaused" : "RolloutResumed",
                "", p.now);
  // Phase (9.2).
  std::string phase, message;
  const json* pc = condition(st, "Progressing");
  const json* invalid = condition(st, "InvalidSpec");
  const std::string reason = pc ? pc->value("reason", "") : "";
  if (invalid && invalid->value("status", "") == "True") {
    phase = "Degraded", message = "InvalidSpec: " + invalid->value("message", "");
  } else if (reason == "RolloutAborted" || reason == "ProgressDeadlineExceeded") {
    phase = "Degraded", message = reason + ": " + pc->value("message", "");
  } else if (p.spec.paused) {
    phase = "Paused", message = "manually paused";
  } else if (st.contains("pauseConditions") && !st["pauseConditions"].empty()) {
    phase = "Paused", message = st["pauseConditions"][0].value("reason", "");
  } else if (updated < p.spec.replicas) {
    phase = "Progressing", message = "more replicas need to be updated";
  } else if (available < updated) {
    phase = "Progressing", message = "updated replicas are still becoming available";
  } else if (p.spec.blue_green && st.value("blueGreen", json::object()).value("activeSelector", "") != p.hash) {
    phase = "Progressing", message = "active service cutover pending";
  } else if (p.spec.canary && !p.traffic() && replicas > updated) {
    phase = "Progressing", message = "old replicas are pending termination";
  } else if (!p.fully_promoted()) {
    phase = "Progressing", message = p.spec.canary ? "waiting for all steps to complete"
                                                   : "waiting for post-promotion verification to complete";
  } else {
    phase = "Healthy";
  }
  set_string(st, "phase", phase);
  if (message.empty()) st.erase("message");
  else set_string(st, "message", message);
}

// Writes p.st as the status when it differs from `original`, the stored status. Upstream's
// persistRolloutStatus (rollout/sync.go) sends a two-way merge patch of the status
// subresource; here the stored status is edited the same way: the top-level fields that
// changed are replaced, those that went away dropped, so it ends equal to p.st. The pass
// lets go of its share of the stored body first so the store can edit it in place.
void write_status(Pass& p, const json& original) {
  // The patch: the fields that changed or appeared, and whether any went away. A status that
  // is not an object (not one anyone wrote) is replaced whole.
  const bool objects = p.st.is_object() && original.is_object();
  std::vector<json::object_t::iterator> changed;
  bool dropped = false;
  if (objects) {
    // Both maps are in key order: one walk over the two compares each field once.
    auto& want = p.st.get_ref<json::object_t&>();
    const auto& had = original.get_ref<const json::object_t&>();
    auto w = want.begin();
    auto h = had.begin();
    while (w != want.end() || h != had.end()) {
      if (h == had.end() || (w != want.end() && w->first < h->first)) {
        changed.push_back(w++);  // appeared
      } else if (w == want.end() || h->first < w->first) {
        dropped = true;  // went away
        ++h;
      } else {
        if (w->second != h->second) changed.push_back(w);
        ++w, ++h;
      }
    }
    if (changed.empty() && !dropped) return;
  } else if (p.st == original) {
    return;
  }
  json st = std::exchange(p.st, json::object());  // moves the members `changed` points at
  const ObjectKey key = p.rollout.key();
  p.rollout = Object();  // `original` must not be used after this
  auto updated = p.client.edit_status(key, [&](json& stored) {
    if (!objects || !stored.is_object()) {
      stored = std::move(st);
      return;
    }
    auto& have = stored.get_ref<json::object_t&>();
    if (dropped)
      for (auto it = have.begin(); it != have.end();) it = st.contains(it->first) ? std::next(it) : have.erase(it);
    for (auto it : changed) have.insert_or_assign(it->first, std::move(it->second));
  });
  if (updated) p.rollout = std::move(*updated);
  else if (const Object* live = p.client.find(key)) p.rollout = *live;
  if (!p.result.requeue_after || *p.result.requeue_after > SimDuration{0})
    p.result.requeue_after = SimDuration{0};  // status changed: reconcile again
}

}  // namespace

struct RolloutController::Caches {
  struct Spec {
    std::string uid;
    long generation = 0;
    std::optional<RolloutSpec> spec;  // nullopt: invalid, see `error`
    std::string error;
    std::string pod_hash, steps_hash;
  };
  std::unordered_map<ObjectKey, Spec, model::ObjectKeyHash> specs;  // determinism: ok (probed, never iterated)
  TemplateCache templates;
  RsCache replica_sets;
  RunCache runs;
  std::vector<Rs> rs_buffer;
  std::vector<Rs*> older_buffer;  // Pass::older, kept for its storage like rs_buffer
};

RolloutController::RolloutController() : caches_(std::make_unique<Caches>()) {}
RolloutController::~RolloutController() = default;
RolloutController::RolloutController(RolloutController&&) noexcept = default;
RolloutController& RolloutController::operator=(RolloutController&&) noexcept = default;

ReconcileResult RolloutController::reconcile(ClusterClient& client, const ObjectKey& key,
                                             SimTime now) const {
  const Object* live = client.find(key);
  if (!live) {
    caches_->specs.erase(key);
    return {};
  }
  // The parsed spec, kept while (uid, generation) holds: generation moves on every spec
  // change. Objects without a generation are parsed every time.
  Caches::Spec& cached = caches_->specs[key];
  {
    const json& md = field(live->body(), "metadata");
    const json& uid_j = field(md, "uid");
    const json& gen_j = field(md, "generation");
    const std::string uid = uid_j.is_string() ? uid_j.get<std::string>() : "";
    const long generation = gen_j.is_number_integer() ? gen_j.get<long>() : 0;
    if (generation == 0 || cached.uid != uid || cached.generation != generation ||
        (!cached.spec && cached.error.empty())) {
      cached = Caches::Spec{uid, generation, std::nullopt, "", "", ""};
      model::Diagnostics diags;
      cached.spec = parse_rollout(*live, diags);
      if (!cached.spec) {
        cached.error = diags.items().empty() ? "invalid spec" : diags.items()[0].message;
      } else {
        cached.pod_hash = pod_template_hash(*cached.spec->pod_template);
        if (cached.spec->canary)
          cached.steps_hash = pod_template_hash(
              field(field(field(live->body(), "spec"), "strategy"), "canary").value("steps", json::array()));
      }
    }
  }
  static const RolloutSpec kNoSpec;
  static const json kNoStatus = json::object();
  // The pass's ReplicaSets live in a buffer kept between passes: a vector of a dozen of them
  // is a large allocation, and making one per pass had glibc consolidate its free lists
  // every time. Emptied when the pass ends, so no stored body stays shared.
  std::vector<Rs>& rss = caches_->rs_buffer;
  rss.clear();
  caches_->older_buffer.clear();  // points into rss
  struct Empty {
    std::vector<Rs>& v;
    std::vector<Rs*>& older;
    ~Empty() {
      v.clear();
      older.clear();
    }
  } empty_after{rss, caches_->older_buffer};
  Pass p{client, now, *live, cached.spec ? *cached.spec : kNoSpec, caches_->templates, caches_->replica_sets, caches_->runs, json::object(), rss, {}, nullptr, nullptr, caches_->older_buffer, {}};
  const json& live_status = field(std::as_const(p.rollout).body(), "status");
  const json& original = live_status.is_null() ? kNoStatus : live_status;
  p.st = original;
  if (!cached.spec) {
    const std::string msg = cached.error;
    set_condition(p.st, "InvalidSpec", "True", "InvalidSpec", msg, now);
    p.st["phase"] = "Degraded";
    p.st["message"] = "InvalidSpec: " + msg;
    write_status(p, original);
    p.result.requeue_after.reset();
    return p.result;
  }
  auto problems = check_blocking_analyses(
      p.spec, [&](const TemplateRef& r) { return lookup_template(p, r); }, nullptr, false);
  if (!problems.empty()) {
    set_condition(p.st, "InvalidSpec", "True", "InvalidSpec", problems[0], now);
    p.st["phase"] = "Degraded";
    p.st["message"] = "InvalidSpec: " + problems[0];
    write_status(p, original);
    p.result.requeue_after.reset();
    return p.result;
  }
  if (condition(p.st, "InvalidSpec")) {
    json kept = json::array();
    for (const auto& c : p.st["conditions"])
      if (c.value("type", "") != "InvalidSpec") kept.push_back(c);
    p.st["conditions"] = kept;
  }
  p.hash = cached.pod_hash;
  const std::string& steps_hash = cached.steps_hash;
  load_replica_sets(p);
  classify_replica_sets(p);
  // 2.1 step 1: a new template or step list resets the status; nothing is scaled.
  if (p.st.value("currentPodHash", "") != p.hash ||
      (p.spec.canary && p.st.value("currentStepHash", "") != steps_hash)) {
    const bool new_template = p.st.value("currentPodHash", "") != p.hash;
    p.st["currentPodHash"] = p.hash;
    if (p.spec.canary) p.st["currentStepHash"] = steps_hash;
    p.st.erase("pauseConditions");
    p.st["controllerPause"] = false;
    p.st["abort"] = false;
    p.st.erase("abortedAt");
    p.st.erase("abortMessage");
    p.st["promoteFull"] = false;
    p.st.erase("canary");
    if (p.st.contains("blueGreen")) {
      p.st["blueGreen"].erase("prePromotionAnalysisRunStatus");
      p.st["blueGreen"].erase("postPromotionAnalysisRunStatus");
    }
    if (p.spec.canary && p.steps_count() > 0)
      p.st["currentStepIndex"] = p.stable_hash() == p.hash ? p.steps_count() : 0;
    else
      p.st.erase("currentStepIndex");
    if (!p.new_rs) create_new_rs(p);
    classify_replica_sets(p);
    if (new_template && p.stable_hash() == p.hash)
      p.event("RolloutRollback", "Rollback to stable ReplicaSets");
    compute_status(p, original);
    write_status(p, original);
    return p.result;
  }
  if (!p.new_rs) {
    create_new_rs(p);
    classify_replica_sets(p);
  }
  if (p.aborted() && !p.st.contains("abortedAt")) {
    // `kubectl argo rollouts abort` only patches status.abort (8.1).
    p.st["abortedAt"] = format_time(now);
    p.st.erase("pauseConditions");
    p.st["controllerPause"] = false;
    p.event("RolloutAborted", "Rollout aborted by user");
  }
  if (p.spec.canary) {
    canary_pass(p);
  } else {
    blue_green_pass(p);
    blue_green_scale_down_old(p);
    reconcile_run_history(p, current_runs(p.st));
  }
  compute_status(p, original);
  write_status(p, original);
  return p.result;
}

// --- AnalysisRun controller ------------------------------------------------------------

namespace {

std::string base64_decode(const std::string& in) {
  static const std::string kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    auto pos = kChars.find(c);
    if (pos == std::string::npos) break;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// metadata.<key> of `o`, read without unsharing its body; null when absent.
const json* metadata_field(const Object& o, std::string_view key) { return model::metadata_field(o.body(), key); }

// Whether a run spec resolves from its own text alone: no arg takes its value from a Secret
// (which depends on the namespace and may change) or a field.
bool args_take_no_value_from(const json& spec) {
  for (const json& a : field(spec, "args"))
    if (a.is_object() && a.contains("valueFrom")) return false;
  return true;
}

// Writes `status` as the run's status; returns the new resourceVersion ("" when the write
// failed). Only identity and resourceVersion go with it: the status subresource takes the
// status alone, so nothing else of the run is copied.
std::string write_status(ClusterClient& client, const Object& run, json status) {
  json md = {{"name", run.name()}};
  if (!run.ns().empty()) md["namespace"] = run.ns();
  if (const json* rv = metadata_field(run, "resourceVersion")) md["resourceVersion"] = *rv;
  json body = {{"apiVersion", run.api_version()}, {"kind", run.kind()}, {"metadata", std::move(md)}, {"status", std::move(status)}};
  auto written = client.update_status(Object(model::JsonBox(std::move(body))));
  if (!written) return "";
  const json* rv = metadata_field(*written, "resourceVersion");
  return rv && rv->is_string() ? rv->get<std::string>() : "";
}

}  // namespace

ReconcileResult AnalysisRunController::reconcile(ClusterClient& client, const ObjectKey& key,
                                                 SimTime now) const {
  ReconcileResult result;
  // Read in place (nothing is copied unless the status changes): this runs once per
  // measurement of every running analysis.
  const Object* obj = client.find(key);
  if (!obj) return result;
  // One step of a run whose stored status is the rendering of its cached (or just restored)
  // state: measure, then edit only what changed, as upstream persists the status with a
  // patch (analysis/sync.go persistAnalysisRunStatus). Nothing is written when the step
  // changed nothing.
  auto step_cached = [&](Cached& cached, const Object& stored) {
    AnalysisRun& run = *cached.run;
    auto wake = run.step(now, provider_for_(stored));
    if (wake) result.requeue_after = *wake > now ? *wake - now : SimDuration{0};
    if (!run.last_step_changed_status()) return;  // nothing to write
    auto patched = client.edit_status(key, [&](json& st) { run.edit_status(st); });
    if (!patched && patched.error().reason == "NotFound") return;
    const json* written_rv = patched ? metadata_field(*patched, "resourceVersion") : nullptr;
    cached.written_rv = written_rv && written_rv->is_string() ? written_rv->get<std::string>() : "";
    cached.written_stamp = patched ? patched->stamp() : 0;
    if (run.completed()) {
      result.events.push_back(fmt::format("AnalysisRun{}: analysis completed {}",
                                          run.status().phase == AnalysisPhase::Successful ? "Completed" : "Failed",
                                          to_string(run.status().phase)));
      cache_.erase(key);
    }
  };
  // The run exactly as this controller last wrote it (the same stamp): uid, generation,
  // spec and status are what the cache holds, so nothing of the body needs reading.
  if (auto hit = cache_.find(key); hit != cache_.end() && hit->second.run && obj->stamp() != 0 &&
                                   obj->stamp() == hit->second.written_stamp) {
    step_cached(hit->second, *obj);
    return result;
  }
  static const json kNoStatus = json::object();
  const json& body = obj->body();
  const auto status_it = body.find("status");
  const json& status = status_it != body.end() ? *status_it : kNoStatus;
  if (auto ph = analysis_phase_from(status.value("phase", "")); ph && is_completed(*ph)) {
    cache_.erase(key);
    return result;
  }
  static const json kNoMetadata = json::object();
  const auto md_it = body.find("metadata");
  const json& md = md_it != body.end() ? *md_it : kNoMetadata;
  const std::string uid = md.contains("uid") && md["uid"].is_string() ? md["uid"].get<std::string>() : "";
  const long generation = md.contains("generation") && md["generation"].is_number_integer()
                              ? md["generation"].get<long>()
                              : 0;
  const std::string rv = md.contains("resourceVersion") && md["resourceVersion"].is_string()
                             ? md["resourceVersion"].get<std::string>()
                             : "";
  static const json kNoSpec = json::object();
  const auto spec_it = body.find("spec");
  const json& spec_json = spec_it != body.end() && spec_it->is_object() ? *spec_it : kNoSpec;
  const bool terminate = spec_json.value("terminate", false);
  // The spec without `terminate`, to compare with the one the cached run was resolved from.
  auto source_of = [](const json& s) {
    json copy = s;
    copy.erase("terminate");
    return copy;
  };
  Cached& cached = cache_[key];
  bool resolve = (!cached.spec && cached.error.empty()) || cached.uid != uid || generation == 0;
  if (!resolve && cached.generation != generation) {
    // The Rollout controller ends a run by setting spec.terminate (a new generation); the
    // rest of the spec, and so the resolved one, stays. Anything else resolves afresh.
    resolve = !cached.spec || !terminate || source_of(spec_json) != *std::as_const(cached.spec_source);
    if (!resolve) {
      cached.generation = generation;
      cached.spec->terminate = true;
      if (cached.run) cached.run->terminate();
    }
  }
  if (resolve) {
    cached = Cached{uid, generation, std::nullopt, "", model::JsonBox(source_of(spec_json)), std::nullopt, ""};
    // Runs created from one template share their spec: one that a recent run resolved from
    // is not parsed and compiled again.
    const json& source = *std::as_const(cached.spec_source);
    if (args_take_no_value_from(source))
      for (const auto& [known_source, known_spec] : resolved_)
        if (*std::as_const(known_source) == source) {
          cached.spec = known_spec;
          cached.spec->terminate = terminate;
          break;
        }
  }
  if (resolve && !cached.spec) {
    model::Diagnostics diags;
    auto parsed = parse_analysis_template(*obj, diags);
    if (!parsed) {
      cached.error = "Analysis spec invalid: " +
                     (diags.items().empty() ? std::string("?") : diags.items()[0].message);
    } else {
      const std::string ns = obj->ns();
      auto resolve = [&](const Arg& a) -> Result<std::string> {
        if (a.secret_key_ref) {
          const Object* secret = client.find({"", "Secret", ns, a.secret_key_ref->first});
          if (!secret) return fail("NotFound", fmt::format("secret \"{}\" not found", a.secret_key_ref->first));
          const json& b = secret->body();
          if (b.contains("stringData") && b["stringData"].contains(a.secret_key_ref->second))
            return b["stringData"][a.secret_key_ref->second].get<std::string>();
          if (b.contains("data") && b["data"].contains(a.secret_key_ref->second))
            return base64_decode(b["data"][a.secret_key_ref->second].get<std::string>());
          return fail("NotFound", fmt::format("key \"{}\" not found in secret \"{}\"",
                                              a.secret_key_ref->second, a.secret_key_ref->first));
        }
        return fail("unsupported", fmt::format("args.{}: unsupported valueFrom", a.name));
      };
      auto spec = build_run_spec(parsed->spec, parsed->spec.args, resolve);
      if (!spec) {
        cached.error = spec.error().message;
      } else {
        cached.spec = std::move(*spec);
        if (args_take_no_value_from(*std::as_const(cached.spec_source))) {
          if (resolved_.size() == kResolvedSpecs) resolved_.erase(resolved_.begin());
          resolved_.emplace_back(cached.spec_source, *cached.spec);
        }
      }
    }
  }
  if (!cached.spec) {
    json new_status = AnalysisRun::errored(cached.error, now).status_json();
    if (status != new_status) {
      write_status(client, *obj, std::move(new_status));
      result.events.push_back("AnalysisRunFailed: analysis completed Error");
    }
    cache_.erase(key);
    return result;
  }
  // The run as of the stored status: kept from the last reconcile when nobody else wrote
  // the object since (same resourceVersion), else read back from the status (a new run's,
  // or one the Rollout controller asked to terminate). Either way the step's changes are
  // then written as an edit of the stored status; an empty one is rendered whole.
  if (!cached.run || rv.empty() || cached.written_rv != rv) {
    cached.run.emplace(*cached.spec);
    if (auto st = AnalysisRun::status_from_json(status); st && !status.empty()) cached.run->restore(std::move(*st));
  }
  step_cached(cached, *obj);
  return result;
}

// --- commands --------------------------------------------------------------------------

namespace {

Result<void> patch_status(ClusterClient& client, const ObjectKey& key,
                          const std::function<void(json& spec, json& status)>& fn) {
  auto got = client.get(key);
  if (!got) return fail(got.error().reason, got.error().message);
  json body = got->body();
  json spec = body.value("spec", json::object());
  json status = body.value("status", json::object());
  const json old_spec = spec;
  fn(spec, status);
  if (spec != old_spec) {
    body["spec"] = spec;
    auto u = client.update(Object(model::JsonBox(body)));
    if (!u) return fail(u.error().reason, u.error().message);
    body = u->body();
  }
  body["status"] = status;
  auto u = client.update_status(Object(model::JsonBox(std::move(body))));
  if (!u) return fail(u.error().reason, u.error().message);
  return {};
}

}  // namespace

Result<void> promote(ClusterClient& client, const ObjectKey& key, bool full) {
  return patch_status(client, key, [&](json& spec, json& st) {
    if (spec.value("paused", false)) spec["paused"] = false;
    if (full) {
      if (st.value("currentPodHash", "") != st.value("stableRS", "")) st["promoteFull"] = true;
      return;
    }
    const bool canary = spec.value("strategy", json::object()).contains("canary");
    const int steps = static_cast<int>(
        spec["strategy"].value("canary", json::object()).value("steps", json::array()).size());
    const std::string step_run_status = st.value("canary", json::object())
                                            .value("currentStepAnalysisRunStatus", json::object())
                                            .value("status", "");
    if (st.contains("pauseConditions") && !st["pauseConditions"].empty()) {
      st.erase("pauseConditions");
      if (canary && step_run_status == "Inconclusive" && st.value("controllerPause", false)) {
        st["controllerPause"] = false;
        st["currentStepIndex"] = std::min(steps, st.value("currentStepIndex", 0) + 1);
      }
      return;
    }
    if (canary && steps > 0)
      st["currentStepIndex"] = std::min(steps, st.value("currentStepIndex", 0) + 1);
  });
}

Result<void> abort_rollout(ClusterClient& client, const ObjectKey& key) {
  return patch_status(client, key, [](json&, json& st) {
    st["abort"] = true;
    st["abortMessage"] = "";
  });
}

Result<void> retry_rollout(ClusterClient& client, const ObjectKey& key) {
  return patch_status(client, key, [](json&, json& st) {
    st["abort"] = false;
    st.erase("abortMessage");
  });
}

Result<void> set_paused(ClusterClient& client, const ObjectKey& key, bool paused) {
  return patch_status(client, key, [&](json& spec, json&) { spec["paused"] = paused; });
}

}  // namespace rehearse::rollouts

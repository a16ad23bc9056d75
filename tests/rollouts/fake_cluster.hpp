#pragma once
// A tiny std::map-backed ClusterClient for the rollouts tests and benchmarks, plus `Sim`, a
// driver that runs the Rollout and AnalysisRun controllers with a stand-in ReplicaSet
// controller (pods available as soon as they are asked for, or never). Not the fake API
// server (sim/cluster): no watches, no GC, resourceVersion is a counter, merge patch only.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/cluster_client.hpp"
#include "engine/model/json_fields.hpp"
#include "engine/model/manifest_loader.hpp"
#include "engine/patch/patch.hpp"
#include "engine/rollouts/rollout_controller.hpp"
#include "engine/rollouts/sequence_provider.hpp"

namespace rehearse::rollouts::testing {

class FakeCluster : public model::ClusterClient {
 public:
  model::ApiResult<model::Object> get(const model::ObjectKey& key) const override {
    auto it = locate(key);
    if (it == objects_.end())
      return unexpected(model::ApiError{"NotFound", 404, key.str() + " not found"});
    return it->second;
  }
  const model::Object* find(const model::ObjectKey& key) const override {
    auto it = locate(key);
    return it == objects_.end() ? nullptr : &it->second;
  }
  std::vector<model::Object> list(const model::ListOptions& opts) const override {
    std::vector<model::Object> out;
    visit(opts, [&](const model::Object& o) { out.push_back(o); });
    return out;
  }
  void visit(const model::ListOptions& opts,
             const std::function<void(const model::Object&)>& fn) const override {
    model::ObjectKey from{opts.group, opts.kind, opts.ns.value_or(""), ""};
    for (auto it = objects_.lower_bound(from); it != objects_.end(); ++it) {
      const auto& [k, o] = *it;
      if (k.group != opts.group || k.kind != opts.kind) break;
      if (opts.ns && k.ns != *opts.ns) break;
      if (!opts.selector.matches_labels_of(o.body())) continue;
      fn(o);
    }
  }
  model::ApiResult<model::Object> create(model::Object obj) override {
    if (locate(obj.key()) != objects_.end())
      return unexpected(model::ApiError{"AlreadyExists", 409, obj.key().str() + " exists"});
    obj.body()["metadata"]["resourceVersion"] = std::to_string(++rv_);
    obj.body()["metadata"]["uid"] = "uid-" + std::to_string(rv_);
    obj.body()["metadata"]["generation"] = 1;
    if (clock) obj.body()["metadata"]["creationTimestamp"] = format_status_time(*clock);
    obj.freeze();
    obj.set_stamp(static_cast<std::uint64_t>(rv_));
    auto [slot, added] = objects_.emplace(obj.key(), obj);
    index_.emplace(obj.key(), slot);
    writes_.push_back(obj.key());
    return obj;
  }
  model::ApiResult<model::Object> update(model::Object obj) override {
    auto it = locate(obj.key());
    if (it == objects_.end())
      return unexpected(model::ApiError{"NotFound", 404, obj.key().str() + " not found"});
    using model::field;
    // Read the stored object through const: it may share its body with the caller's copy.
    const nlohmann::json& stored = std::as_const(it->second).body();
    const bool spec_changed = field(stored, "spec") != field(std::as_const(obj).body(), "spec");
    const int generation = generation_of(stored);
    nlohmann::json& body = obj.body();
    if (const nlohmann::json& status = field(stored, "status"); status.is_null()) body.erase("status");
    else body["status"] = status;
    body["metadata"]["resourceVersion"] = std::to_string(++rv_);
    set_generation(body, generation, spec_changed);
    it->second = std::move(obj);
    it->second.freeze();
    it->second.set_stamp(static_cast<std::uint64_t>(rv_));
    writes_.push_back(it->first);
    return it->second;
  }
  model::ApiResult<model::Object> update_status(model::Object obj) override {
    auto it = locate(obj.key());
    if (it == objects_.end())
      return unexpected(model::ApiError{"NotFound", 404, obj.key().str() + " not found"});
    // The status is moved in, not copied (AnalysisRun statuses carry measurements).
    auto st = obj.body().find("status");
    it->second.body()["status"] = st != obj.body().end() ? std::move(*st) : nlohmann::json::object();
    it->second.body()["metadata"]["resourceVersion"] = std::to_string(++rv_);
    writes_.push_back(obj.key());
    it->second.freeze();
    it->second.set_stamp(static_cast<std::uint64_t>(rv_));
    return it->second;
  }
  model::ApiResult<model::Object> patch(const model::ObjectKey& key, model::PatchType,
                                        const nlohmann::json& patch) override {
    auto it = locate(key);
    if (it == objects_.end()) return unexpected(model::ApiError{"NotFound", 404, key.str()});
    nlohmann::json& body = it->second.body();
    // metadata.generation moves when the spec changes, as for update(): the spec before is
    // kept only when the patch touches it (rare: a run's cancel).
    const int generation = generation_of(body);
    std::optional<nlohmann::json> spec_before;
    if (patch.contains("spec")) spec_before = model::field(body, "spec");
    body.merge_patch(patch);
    if (spec_before) set_generation(body, generation, model::field(body, "spec") != *spec_before);
    body["metadata"]["resourceVersion"] = std::to_string(++rv_);
    writes_.push_back(key);
    it->second.freeze();
    it->second.set_stamp(static_cast<std::uint64_t>(rv_));
    return it->second;
  }
  // In place (the stand-in keeps no history): a JSON patch that fails half-way leaves the
  // operations before the failing one applied.
  model::ApiResult<model::Object> patch_status(const model::ObjectKey& key, model::PatchType type,
                                               const nlohmann::json& patch) override {
    auto it = locate(key);
    if (it == objects_.end()) return unexpected(model::ApiError{"NotFound", 404, key.str()});
    nlohmann::json& body = it->second.body();
    if (type == model::PatchType::JsonPatch) {
      if (auto r = patch::apply_json_patch_in_place(body, patch); !r.ok())
        return unexpected(model::ApiError{"Invalid", 422, r.error().message});
    } else {
      body.merge_patch(patch);
    }
    body["metadata"]["resourceVersion"] = std::to_string(++rv_);
    writes_.push_back(key);
    it->second.freeze();
    it->second.set_stamp(static_cast<std::uint64_t>(rv_));
    return it->second;
  }
  // In place, like patch_status.
  model::ApiResult<model::Object> edit_status(const model::ObjectKey& key, const StatusEdit& edit) override {
    auto it = locate(key);
    if (it == objects_.end()) return unexpected(model::ApiError{"NotFound", 404, key.str()});
    nlohmann::json& body = it->second.body();
    nlohmann::json& status = body["status"];
    if (!status.is_object()) status = nlohmann::json::object();
    edit(status);
    body["metadata"]["resourceVersion"] = std::to_string(++rv_);
    writes_.push_back(key);
    it->second.freeze();
    it->second.set_stamp(static_cast<std::uint64_t>(rv_));
    return it->second;
  }
  model::ApiResult<model::Object> apply(model::Object obj, const model::ApplyOptions&) override {
    if (locate(obj.key()) == objects_.end()) return create(std::move(obj));
    return update(std::move(obj));
  }
  model::ApiResult<bool> remove(const model::ObjectKey& key, const model::DeleteOptions&) override {
    if (!erase(key)) return false;
    ++rv_;
    writes_.push_back(key);
    return true;
  }

  int count(const std::string& kind) const {
    int n = 0;
    for (const auto& [k, o] : objects_) n += k.kind == kind;
    return n;
  }
  using Store = std::map<model::ObjectKey, model::Object>;
  // In (group, kind, namespace, name) order. Objects may be edited in place (as a
  // controller the fake stands in for would); add and drop them only through the client and
  // erase(), which keep the index.
  Store& objects() { return objects_; }
  const Store& objects() const { return objects_; }
  model::Object* stored(const model::ObjectKey& key) {
    auto it = locate(key);
    return it == objects_.end() ? nullptr : &it->second;
  }
  model::Object& at(const model::ObjectKey& key) {
    if (model::Object* o = stored(key)) return *o;
    throw std::out_of_range(key.str() + " not found");
  }
  // Drops an object without a write (no resourceVersion, no watch event).
  bool erase(const model::ObjectKey& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    objects_.erase(it->second);
    index_.erase(it);
    return true;
  }
  // A status write by a controller the fake stands in for (the ReplicaSet controller): a new
  // resourceVersion like any write, but no watch event (the driver wakes the Rollouts).
  void write_status_in_place(model::Object& o, nlohmann::json status) {
    o.body()["status"] = std::move(status);
    o.body()["metadata"]["resourceVersion"] = std::to_string(++rv_);
    o.freeze();
    o.set_stamp(static_cast<std::uint64_t>(rv_));
  }
  // When set, create() stamps metadata.creationTimestamp (history limits sort by it).
  const SimTime* clock = nullptr;
  long resource_version() const { return rv_; }
  // Keys written through the client since the last call (the stand-in for watch events).
  std::vector<model::ObjectKey> take_writes() { return std::exchange(writes_, {}); }
  // The same into `out`, whose storage the next writes reuse (one reconcile after another
  // allocates nothing).
  void take_writes(std::vector<model::ObjectKey>& out) {
    out.clear();
    out.swap(writes_);
  }

 private:
  static int generation_of(const nlohmann::json& body) {
    const nlohmann::json& g = model::field(model::field(body, "metadata"), "generation");
    return g.is_number_integer() ? g.get<int>() : 1;
  }
  static void set_generation(nlohmann::json& body, int before, bool spec_changed) {
    body["metadata"]["generation"] = before + (spec_changed ? 1 : 0);
  }

  Store::iterator locate(const model::ObjectKey& key) {
    auto it = index_.find(key);
    return it == index_.end() ? objects_.end() : it->second;
  }
  Store::const_iterator locate(const model::ObjectKey& key) const {
    auto it = index_.find(key);
    return it == index_.end() ? objects_.cend() : Store::const_iterator(it->second);
  }

  Store objects_;
  // Point lookups (every get, find and write) hash instead of walking objects_: at 200
  // Rollouts the walk's compares on nodes spread over the heap cost more than the reconcile.
  std::unordered_map<model::ObjectKey, Store::iterator, model::ObjectKeyHash> index_;  // determinism: ok (probed, never iterated)
  std::vector<model::ObjectKey> writes_;
  long rv_ = 0;
};

// Drives the controllers on a virtual clock. A change made while reconciling an object
// wakes the Rollouts and running AnalysisRuns of the same namespace (standing in for
// watches); the stand-in ReplicaSet controller runs after every reconcile.
struct Sim {
  Sim() = default;
  Sim(Sim&&) = default;  // node-based members: queue_'s iterators into due_ stay valid
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  using DueEntry = std::pair<const model::ObjectKey, SimTime>;  // see due_

  FakeCluster cluster;
  SequenceProvider provider;
  RolloutController rollouts;
  MetricProvider* source = nullptr;  // when set, used instead of `provider`
  AnalysisRunController analysis{[this](const model::Object&) -> MetricProvider& {
    return source ? *source : static_cast<MetricProvider&>(provider);
  }};
  SimTime now = sim::kSimStart;
  bool pods_become_ready = true;
  int max_total_replicas = 0;
  long reconciles = 0;

  void load(const char* yaml) {
    cluster.clock = &now;  // refreshed here and in run_for: a Sim may have been moved
    model::Diagnostics diags;
    for (auto& o : model::load_manifests_text(yaml, "inline.yaml", diags)) {
      const std::string ns = o.ns();
      (void)cluster.create(std::move(o));
      wake_namespace(ns);
    }
  }

  // The stand-in ReplicaSet controller for one namespace, over all its ReplicaSets; true
  // when some status changed.
  bool settle_replica_sets(const std::string& ns) {
    int total = 0;
    bool changed = false;
    auto& objs = cluster.objects();
    for (auto it = objs.lower_bound({"apps", "ReplicaSet", ns, ""});
         it != objs.end() && it->first.kind == "ReplicaSet" && it->first.ns == ns; ++it) {
      changed |= settle(it->second);
      total += spec_replicas(it->second);
    }
    max_total_replicas = std::max(max_total_replicas, total);
    return changed;
  }
  bool make_replica_sets_ready() {
    std::set<std::string> namespaces;
    for (auto& [k, o] : cluster.objects()) namespaces.insert(k.ns);
    bool changed = false;
    for (const auto& ns : namespaces) changed |= settle_replica_sets(ns);
    unsettled_.clear();
    return changed;
  }

  void reconcile_rollout_once() {
    for (auto& [k, o] : cluster.objects())
      if (k.kind == "Rollout") {
        auto key = k;
        (void)rollouts.reconcile(cluster, key, now);
        break;
      }
  }

  int replicas_of(const std::string& hash) {
    for (auto& [k, o] : cluster.objects())
      if (k.kind == "ReplicaSet" &&
          o.body()["metadata"]["labels"].value(kPodTemplateHashLabel, "") == hash)
        return o.body()["spec"].value("replicas", 0);
    return -1;
  }

  void schedule(const model::ObjectKey& k, SimTime t) {
    auto [it, added] = due_.try_emplace(k, t);
    schedule(&*it, added, t);
  }
  // `it`: the key's due_ entry; `added`: whether it was just added with time `t`.
  void schedule(DueEntry* it, bool added, SimTime t) {
    if (!added) {
      if (it->second <= t && it->second >= now) return;  // already due earlier
      queue_.erase({it->second, it});
      it->second = t;
    }
    queue_.insert({t, it});
  }

  // Watch stand-ins. A Rollout is enqueued by any change to itself or its ReplicaSets, and
  // by an AnalysisRun being added, deleted or changing phase: rollout/controller.go
  // ignores AnalysisRun updates that keep the phase ("Only enqueue rollout if the status
  // changed").
  void wake_rollouts(const std::string& ns) {
    auto& objs = cluster.objects();
    for (auto it = objs.lower_bound({"argoproj.io", "Rollout", ns, ""});
         it != objs.end() && it->first.kind == "Rollout" && it->first.ns == ns; ++it)
      schedule(it->first, now);
  }
  // Running AnalysisRuns that are not scheduled yet, or were asked to terminate. Reads
  // running_, which must be current for `ns` (see refresh_runs and dispatch_writes).
  void wake_runs(const std::string& ns) {
    auto in_ns = running_.find(ns);
    if (in_ns == running_.end()) return;
    for (auto& [k, run] : in_ns->second) {
      if (!run.due) {
        if (auto d = due_.find(k); d != due_.end()) run.due = &*d;
      }
      if (!run.due || run.due->second == SimTime::max() || run.terminate) schedule(k, now);
    }
  }
  void wake_namespace(const std::string& ns) {
    refresh_runs(ns);  // the objects may have been changed from outside
    wake_rollouts(ns);
    wake_runs(ns);
  }
  // A view into the run's body: valid until the run is next written.
  static std::string_view phase_of(const model::Object& run) {
    static const std::string kStatus = "status", kPhase = "phase";  // no strlen per lookup
    const auto& b = run.body();
    auto st = b.find(kStatus);
    if (st == b.end() || !st->is_object()) return "";
    auto ph = st->find(kPhase);
    return ph != st->end() && ph->is_string() ? std::string_view(*ph->get_ptr<const std::string*>()) : "";
  }
  static bool is_completed(std::string_view phase) {
    auto p = analysis_phase_from(phase);
    return p && rollouts::is_completed(*p);
  }
  // Applies the watch rules to the writes of one reconcile. Each schedule() touches only its
  // own key, so the order the namespaces are woken in does not matter.
  void dispatch_writes(const std::string& reconciled_ns, bool replica_sets_changed,
                       const std::vector<model::ObjectKey>& writes) {
    auto& rollouts_of = wake_rollouts_of_;  // namespaces, usually one
    auto& runs_of = wake_runs_of_;
    rollouts_of.clear();
    runs_of.clear();
    auto add = [](std::vector<const std::string*>& v, const std::string& ns) {
      for (const std::string* n : v)
        if (*n == ns) return;
      v.push_back(&ns);
    };
    if (replica_sets_changed) add(rollouts_of, reconciled_ns);
    for (const auto& w : writes) {
      add(runs_of, w.ns);
      if (w.kind != "AnalysisRun") {
        add(rollouts_of, w.ns);
        continue;
      }
      const model::Object* run = cluster.find(w);
      const std::string_view phase = run ? phase_of(*run) : "<deleted>";
      note_run(w, run, phase);
      auto it = run_phase_.find(w);
      if (it == run_phase_.end()) {
        run_phase_.emplace(w, phase);
        add(rollouts_of, w.ns);
      } else if (it->second != phase) {
        it->second.assign(phase);
        add(rollouts_of, w.ns);
      }
    }
    for (const std::string* ns : rollouts_of) wake_rollouts(*ns);
    for (const std::string* ns : runs_of) wake_runs(*ns);
  }

  void wake_all() {
    running_.clear();  // rebuilt namespace by namespace
    std::set<std::string> namespaces;
    for (auto& [k, o] : cluster.objects()) namespaces.insert(k.ns);
    for (const auto& ns : namespaces) wake_namespace(ns);
  }

  // Runs every controller that is due until `until`.
  void run_for(SimDuration d) {
    const SimTime until = now + d;
    cluster.clock = &now;
    (void)make_replica_sets_ready();
    (void)cluster.take_writes();  // everything is woken below
    wake_all();  // changes made from outside (set image, promote, abort)
    long guard = 0;
    while (!queue_.empty() && queue_.begin()->first <= until) {
      const auto [t, due] = *queue_.begin();
      queue_.erase(queue_.begin());
      due->second = SimTime::max();
      const model::ObjectKey& k = due->first;  // due_ never drops an entry
      if (t > now) {
        now = t;
        guard = 0;
      }
      if (++guard > 100000) break;  // a controller that never settles at one instant
      ++reconciles;
      auto r = k.kind == "Rollout" ? rollouts.reconcile(cluster, k, now)
                                   : analysis.reconcile(cluster, k, now);
      if (r.requeue_after) schedule(due, false, now + *r.requeue_after);  // no lookup: `due` is k's entry
      cluster.take_writes(writes_);
      dispatch_writes(k.ns, settle_written(k.ns, writes_), writes_);
    }
    now = until;
  }

 private:
  // Stands in for settle_replica_sets(ns) after a reconcile. Every ReplicaSet was settled
  // when run_for started, and since then only the controllers' writes change objects, so
  // only the ReplicaSets written since can be unsettled; those of other namespaces wait for
  // a reconcile in theirs, as they would with the full pass.
  bool settle_written(const std::string& ns, const std::vector<model::ObjectKey>& writes) {
    static const std::string kKind = "ReplicaSet", kGroup = "apps";
    for (const auto& w : writes)
      if (w.kind == kKind && w.group == kGroup) unsettled_.insert(w);
    if (unsettled_.empty()) return false;  // the usual case: no ReplicaSet was written
    auto it = unsettled_.lower_bound({kGroup, kKind, ns, ""});
    if (it == unsettled_.end() || it->kind != kKind || it->ns != ns) return false;
    bool changed = false;
    while (it != unsettled_.end() && it->kind == kKind && it->ns == ns) {
      if (model::Object* o = cluster.stored(*it)) changed |= settle(*o);  // else deleted
      it = unsettled_.erase(it);
    }
    // The total moves only when a ReplicaSet of `ns` is written (scaled, created, deleted).
    int total = 0;
    auto& objs = cluster.objects();
    for (auto r = objs.lower_bound({kGroup, kKind, ns, ""});
         r != objs.end() && r->first.kind == kKind && r->first.ns == ns; ++r)
      total += spec_replicas(r->second);
    max_total_replicas = std::max(max_total_replicas, total);
    return changed;
  }
  static int spec_replicas(const model::Object& rs) {
    return std::as_const(rs).body()["spec"].value("replicas", 1);
  }
  // One ReplicaSet's status from its spec; true when it changed.
  bool settle(model::Object& o) {
    const auto& body = std::as_const(o).body();  // read without unsharing the body
    const int spec = spec_replicas(o);
    const int avail = pods_become_ready ? spec : 0;
    // Compared in place: most ReplicaSets are already settled.
    auto st = body.find("status");
    auto is = [&](const char* k, int v) {
      auto f = st->find(k);
      return f != st->end() && *f == v;
    };
    const bool same = st != body.end() && st->is_object() && st->size() == 3 &&
                      is("replicas", spec) && is("readyReplicas", avail) && is("availableReplicas", avail);
    if (same) return false;
    cluster.write_status_in_place(o, {{"replicas", spec}, {"readyReplicas", avail}, {"availableReplicas", avail}});
    return true;
  }

  // running_ follows the AnalysisRun `k` (its body `run`, nullptr once deleted; `phase`
  // is phase_of(*run)).
  void note_run(const model::ObjectKey& k, const model::Object* run, std::string_view phase) {
    static const std::string kGroup = "argoproj.io", kSpec = "spec", kTerminate = "terminate";
    if (k.group == kGroup && run && !is_completed(phase)) {
      const auto& body = run->body();
      bool terminate = false;
      if (auto spec = body.find(kSpec); spec != body.end() && spec->is_object()) {
        auto t = spec->find(kTerminate);
        terminate = t != spec->end() && *t == true;
      }
      running_[k.ns][k].terminate = terminate;
    } else if (auto in_ns = running_.find(k.ns); in_ns != running_.end()) {
      in_ns->second.erase(k);
    }
  }
  // Rebuilds running_ for `ns` from the objects.
  void refresh_runs(const std::string& ns) {
    running_.erase(ns);
    auto& objs = cluster.objects();
    for (auto it = objs.lower_bound({"argoproj.io", "AnalysisRun", ns, ""});
         it != objs.end() && it->first.kind == "AnalysisRun" && it->first.ns == ns; ++it)
      note_run(it->first, &std::as_const(it->second), phase_of(it->second));
  }

  // When each object is next due; SimTime::max() while it is reconciled and after a
  // reconcile that asked for no requeue. Entries are never erased, and a hash map's nodes
  // stay put, so queue_ and running_ can point at them.
  using Due = std::unordered_map<model::ObjectKey, SimTime, model::ObjectKeyHash>;  // determinism: ok (probed, never iterated)
  Due due_;
  // Last phase each AnalysisRun was seen in.
  std::unordered_map<model::ObjectKey, std::string, model::ObjectKeyHash> run_phase_;  // determinism: ok (probed, never iterated)
  // AnalysisRuns that exist and have not completed, and whether each was asked to terminate
  // (spec.terminate): wake_runs looks at these only, not at the history of completed ones.
  // Both change only through writes, which note_run sees.
  struct RunningRun {
    bool terminate = false;
    DueEntry* due = nullptr;  // its due_ entry, once it has one
  };
  // By namespace: a write wakes the running runs of its namespace, usually one or two.
  std::unordered_map<std::string, std::map<model::ObjectKey, RunningRun>> running_;  // determinism: ok (probed, never iterated)
  std::set<model::ObjectKey> unsettled_;  // ReplicaSets written since they were last settled
  std::vector<model::ObjectKey> writes_;   // the last reconcile's writes (storage reused)
  std::vector<const std::string*> wake_rollouts_of_, wake_runs_of_;  // dispatch_writes' (reused)
  // (time, key) order, as a set of (time, key) pairs would have; keys compared only on ties.
  struct ByTimeThenKey {
    bool operator()(const std::pair<SimTime, DueEntry*>& a, const std::pair<SimTime, DueEntry*>& b) const {
      if (a.first != b.first) return a.first < b.first;
      return a.second != b.second && a.second->first < b.second->first;
    }
  };
  std::set<std::pair<SimTime, DueEntry*>, ByTimeThenKey> queue_;
};

}  // namespace rehearse::rollouts::testing

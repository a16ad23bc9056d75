#pragma once
// The fake Kubernetes API server: an in-memory object store with the semantics controllers
// observe on a real one (engine/model/cluster_client.hpp is the seam):
//
//  1. resourceVersion is one cluster-wide counter, rendered as a decimal string; every write
//     that changes an object takes the next value. A no-op write (same body) changes nothing
//     and emits no watch event, as the real API server does.
//  2. metadata.generation starts at 1 and moves only when something outside metadata and
//     status changes. uid and creationTimestamp are set on create and never change.
//  3. update() with a metadata.resourceVersion different from the stored one is a Conflict;
//     an empty resourceVersion is an unconditional update.
//  4. Namespaced objects need their Namespace to exist (NotFound `namespaces "x" not found`)
//     and not be terminating (Forbidden). Cluster-scoped kinds never carry a namespace.
//  5. Deletion honours finalizers (deletionTimestamp set, object kept until the last one is
//     removed) and ownerReferences garbage collection with Background, Foreground and Orphan
//     propagation; the collector runs as events on the queue (owner first, dependents after).
//  6. Watchers get (ADDED|MODIFIED|DELETED, object) synchronously after each write, in write
//     order, even when a watcher itself writes (events are queued and drained in order).
//  7. Every write is recorded in the Trace (when one is given) as api.<verb> with the object,
//     its resourceVersion and the actor that wrote it (`as("argocd-application-controller")`).
//
// Defaulting follows the API server for the kinds the simulation runs (sim/cluster/defaults.hpp)
// so diff code can treat defaults as non-drift.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/cluster_client.hpp"
#include "engine/model/kinds.hpp"
#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/rng.hpp"
#include "sim/kernel/trace.hpp"

namespace rehearse::cluster {

enum class WatchType { Added, Modified, Deleted };
std::string_view watch_type_name(WatchType t);  // "ADDED", "MODIFIED", "DELETED"

// A watch callback. `actor` is who made the write. The object is the state after the write
// (for DELETED: the last state). Callbacks must not keep the reference.
using WatchFn = std::function<void(WatchType type, const model::Object& obj, std::string_view actor)>;

class ApiServer;

// A client view that writes as a named actor (field manager / user agent). Cheap to copy.
// All ClusterClient calls go to the ApiServer it was made from, which must outlive it.
class ApiClient final : public model::ClusterClient {
 public:
  ApiClient(ApiServer& server, std::string actor) : server_(&server), actor_(std::move(actor)) {}
  const std::string& actor() const { return actor_; }

  model::ApiResult<model::Object> get(const model::ObjectKey& key) const override;
  const model::Object* find(const model::ObjectKey& key) const override;
  std::vector<model::Object> list(const model::ListOptions& opts) const override;
  void visit(const model::ListOptions& opts,
             const std::function<void(const model::Object&)>& fn) const override;
  model::ApiResult<model::Object> create(model::Object obj) override;
  model::ApiResult<model::Object> update(model::Object obj) override;
  model::ApiResult<model::Object> update_status(model::Object obj) override;
  model::ApiResult<model::Object> patch(const model::ObjectKey& key, model::PatchType type,
                                        const nlohmann::json& patch) override;
  model::ApiResult<model::Object> patch_status(const model::ObjectKey& key, model::PatchType type,
                                               const nlohmann::json& patch) override;
  model::ApiResult<model::Object> edit_status(const model::ObjectKey& key, const StatusEdit& edit) override;
  model::ApiResult<model::Object> apply(model::Object obj, const model::ApplyOptions& opts) override;
  model::ApiResult<bool> remove(const model::ObjectKey& key,
                                const model::DeleteOptions& opts) override;

 private:
  ApiServer* server_;
  std::string actor_;
};

class ApiServer {
 public:
  // `rng` seeds uids and generateName suffixes (streams "cluster/uid", "cluster/names").
  // `trace` may be null. The queue gives "now" and runs the garbage collector.
  ApiServer(sim::EventQueue& queue, sim::Rng rng, sim::Trace* trace = nullptr);
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;
  ~ApiServer();

  // A client that writes as `actor`.
  ApiClient as(std::string actor) { return ApiClient(*this, std::move(actor)); }

  model::ApiResult<model::Object> get(const model::ObjectKey& key) const;
  std::vector<model::Object> list(const model::ListOptions& opts) const;
  void visit(const model::ListOptions& opts,
             const std::function<void(const model::Object&)>& fn) const;
  // Without copying; nullptr when absent. Valid until the next write.
  const model::Object* find(const model::ObjectKey& key) const;

  model::ApiResult<model::Object> create(model::Object obj, std::string_view actor);
  model::ApiResult<model::Object> update(model::Object obj, std::string_view actor);
  model::ApiResult<model::Object> update_status(model::Object obj, std::string_view actor);
  model::ApiResult<model::Object> patch(const model::ObjectKey& key, model::PatchType type,
                                        const nlohmann::json& patch, std::string_view actor);
  // The status subresource: the patch applies to the whole object, only its status is kept.
  model::ApiResult<model::Object> patch_status(const model::ObjectKey& key, model::PatchType type,
                                               const nlohmann::json& patch, std::string_view actor);
  // A status patch given as an edit of the stored status (ClusterClient::edit_status);
  // traced as api.patch_status.
  model::ApiResult<model::Object> edit_status(const model::ObjectKey& key,
                                              const model::ClusterClient::StatusEdit& edit,
                                              std::string_view actor);
  model::ApiResult<model::Object> apply(model::Object obj, const model::ApplyOptions& opts,
                                        std::string_view actor);
  // true: the object is gone now; false: it is terminating (finalizers, foreground deletion).
  model::ApiResult<bool> remove(const model::ObjectKey& key, const model::DeleteOptions& opts,
                                std::string_view actor);

  // Watches one (group, kind), or every kind when kind is empty. Returns an id for unwatch.
  int watch(std::string group, std::string kind, WatchFn fn);
  void unwatch(int id);

  // Scope lookups; learns CustomResourceDefinitions as they are created.
  const model::KindRegistry& kinds() const { return kinds_; }
  std::uint64_t resource_version() const { return rv_; }
  size_t size() const { return objects_.size(); }
  sim::SimTime now() const { return queue_.now(); }
  sim::EventQueue& queue() { return queue_; }
  // Whether writes go to the trace (benchmarks turn it off).
  void set_trace(sim::Trace* trace) { trace_ = trace; }

 private:
  struct Stored;
  struct FieldOwners;

  model::ObjectKey normalize(model::ObjectKey key) const;
  model::ApiResult<model::Object> patch_object(const model::ObjectKey& key, model::PatchType type,
                                               const nlohmann::json& patch, std::string_view actor,
                                               bool status_write);
  model::ApiResult<model::Object> write(model::Object next, const Stored* old, std::string_view verb,
                                        std::string_view actor, bool status_write,
                                        const std::string* apply_manager);
  void emit(WatchType type, const model::Object& obj, std::string_view actor);
  void trace(std::string_view verb, const model::Object& obj, std::string_view actor,
             bool terminating = false);
  void erase(const model::ObjectKey& key, std::string_view actor);
  void schedule_gc();
  void run_gc();
  void check_foreground(const std::string& owner_uid);
  void check_namespace(const std::string& ns);
  std::string new_uid();
  std::string random_suffix();

  sim::EventQueue& queue_;
  sim::Rng uid_rng_;
  sim::Rng name_rng_;
  sim::Trace* trace_;
  model::KindRegistry kinds_;
  std::uint64_t rv_ = 0;
  std::uint64_t services_ = 0;
  std::map<model::ObjectKey, std::unique_ptr<Stored>> objects_;
  std::map<std::string, model::ObjectKey> by_uid_;
  // owner uid -> dependents holding an ownerReference to it.
  std::map<std::string, std::set<model::ObjectKey>> dependents_;

  struct Watcher {
    std::string group, kind;
    WatchFn fn;
  };
  std::map<int, Watcher> watchers_;
  int next_watch_ = 1;
  struct Pending {
    WatchType type;
    model::Object obj;
    std::string actor;
  };
  std::deque<Pending> pending_events_;
  bool delivering_ = false;

  // Garbage collector work: owners whose dependents must go (with the policy to use on them),
  // foreground owners to re-check, terminating namespaces.
  std::deque<std::pair<std::string, model::Propagation>> gc_owners_;
  std::set<std::string> gc_foreground_;
  std::set<std::string> gc_namespaces_;
  sim::EventId gc_event_;
};

// The `kubectl.kubernetes.io/last-applied-configuration` annotation key.
inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

}  // namespace rehearse::cluster

#pragma once
// The seam between controller logic (engine/) and the cluster it runs against: a small
// client over an API server. sim/cluster implements it with the fake API server; nothing in
// engine/ knows which implementation it talks to (STYLE.md, leveldb's Env).
//
// Semantics are the Kubernetes API's: errors are values (NotFound, AlreadyExists, Conflict,
// Invalid, Forbidden), resourceVersion is a cluster-wide counter, update() with a stale
// resourceVersion is a Conflict, metadata.generation moves on spec changes only.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/labels.hpp"
#include "engine/model/object.hpp"
#include "engine/model/result.hpp"

namespace rehearse::model {

// API errors. `code` of the Error is the Kubernetes reason ("NotFound", "AlreadyExists",
// "Conflict", "Invalid", "Forbidden", "BadRequest"); http_status mirrors it.
struct ApiError {
  std::string reason;
  int http_status = 500;
  std::string message;
};

template <class T>
using ApiResult = Result<T, ApiError>;

struct ListOptions {
  std::string group;
  std::string kind;
  std::optional<std::string> ns;  // nullopt: all namespaces
  Selector selector;              // empty: everything
};

enum class PatchType { Merge, JsonPatch, StrategicMerge };

enum class Propagation { Background, Foreground, Orphan };

struct DeleteOptions {
  Propagation propagation = Propagation::Background;
  std::optional<std::string> precondition_uid;
};

struct ApplyOptions {
  std::string field_manager = "kubectl-client-side-apply";
  bool server_side = false;
  bool force = false;  // server-side apply: take ownership on conflicts
};

class ClusterClient {
 public:
  virtual ~ClusterClient() = default;

  virtual ApiResult<Object> get(const ObjectKey& key) const = 0;
  // The stored object without copying it; nullptr when absent. Valid until the next write
  // through any client (reconcile loops read with it and copy only what they change).
  virtual const Object* find(const ObjectKey& key) const = 0;
  // Objects sorted by (namespace, name).
  virtual std::vector<Object> list(const ListOptions& opts) const = 0;
  // Visits without copying; same order as list().
  virtual void visit(const ListOptions& opts,
                     const std::function<void(const Object&)>& fn) const = 0;

  virtual ApiResult<Object> create(Object obj) = 0;
  // Full replace of spec/metadata (status preserved). Conflict on a stale resourceVersion
  // when the object carries one.
  virtual ApiResult<Object> update(Object obj) = 0;
  // Replace of status only (the /status subresource).
  virtual ApiResult<Object> update_status(Object obj) = 0;
  virtual ApiResult<Object> patch(const ObjectKey& key, PatchType type,
                                  const nlohmann::json& patch) = 0;
  // A patch of the status subresource (`kubectl patch --subresource=status`): the patch is
  // written against the whole object ("/status/..."), and only the status changes.
  virtual ApiResult<Object> patch_status(const ObjectKey& key, PatchType type,
                                         const nlohmann::json& patch) = 0;
  // The same write as a status patch, given as an edit of the stored status instead of a
  // patch document: `edit` receives the stored object's status (an empty object when it has
  // none) and changes it; nothing else of the object changes. No resourceVersion
  // precondition. For loops that write a small change to a large status on every pass (an
  // AnalysisRun appends one measurement per reconcile), where building, reading and freeing
  // a patch document would cost more than the change.
  using StatusEdit = std::function<void(nlohmann::json& status)>;
  virtual ApiResult<Object> edit_status(const ObjectKey& key, const StatusEdit& edit) = 0;
  // kubectl apply: client-side three-way merge with the last-applied annotation, or
  // server-side apply with field ownership. Creates when absent.
  virtual ApiResult<Object> apply(Object obj, const ApplyOptions& opts) = 0;
  virtual ApiResult<bool> remove(const ObjectKey& key, const DeleteOptions& opts) = 0;
};

}  // namespace rehearse::model

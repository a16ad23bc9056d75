#include "sim/cluster/api_server.hpp"

#include <utility>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/model/json_fields.hpp"
#include "engine/patch/patch.hpp"
#include "engine/patch/schema.hpp"
#include "sim/cluster/defaults.hpp"
#include "sim/cluster/field_paths.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::cluster {

using nlohmann::json;
using model::ApiError;
using model::ApiResult;
using model::Object;
using model::ObjectKey;

std::string_view watch_type_name(WatchType t) {
  switch (t) {
    case WatchType::Added:
      return "ADDED";
    case WatchType::Modified:
      return "MODIFIED";
    case WatchType::Deleted:
      return "DELETED";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// ApiClient: forwards with its actor.

ApiResult<Object> ApiClient::get(const ObjectKey& key) const { return server_->get(key); }
const Object* ApiClient::find(const ObjectKey& key) const { return server_->find(key); }
std::vector<Object> ApiClient::list(const model::ListOptions& opts) const {
  return server_->list(opts);
}
void ApiClient::visit(const model::ListOptions& opts,
                      const std::function<void(const Object&)>& fn) const {
  server_->visit(opts, fn);
}
ApiResult<Object> ApiClient::create(Object obj) { return server_->create(std::move(obj), actor_); }
ApiResult<Object> ApiClient::update(Object obj) { return server_->update(std::move(obj), actor_); }
ApiResult<Object> ApiClient::update_status(Object obj) {
  return server_->update_status(std::move(obj), actor_);
}
ApiResult<Object> ApiClient::patch_status(const ObjectKey& key, model::PatchType type, const json& p) {
  return server_->patch_status(key, type, p, actor_);
}
ApiResult<Object> ApiClient::edit_status(const ObjectKey& key, const StatusEdit& edit) {
  return server_->edit_status(key, edit, actor_);
}
ApiResult<Object> ApiClient::patch(const ObjectKey& key, model::PatchType type, const json& p) {
  return server_->patch(key, type, p, actor_);
}
ApiResult<Object> ApiClient::apply(Object obj, const model::ApplyOptions& opts) {
  return server_->apply(std::move(obj), opts, actor_);
}
ApiResult<bool> ApiClient::remove(const ObjectKey& key, const model::DeleteOptions& opts) {
  return server_->remove(key, opts, actor_);
}

// ---------------------------------------------------------------------------------------------

struct ApiServer::FieldOwners {
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;
  FieldSet fields;
};

struct ApiServer::Stored {
  Object obj;
  std::map<std::string, FieldOwners> managers;
};

namespace {

constexpr std::string_view kForeground = "foregroundDeletion";
constexpr std::string_view kOrphan = "orphan";

std::string resource_name(const ObjectKey& key) {
  std::string plural;
  if (const auto* info = model::find_kind(key.group, key.kind)) {
    plural = std::string(info->plural);
  } else {
    plural = key.kind;
    std::transform(plural.begin(), plural.end(), plural.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    plural += "s";
  }
  if (!key.group.empty()) plural += "." + key.group;
  return plural;
}

Unexpected<ApiError> api_error(std::string reason, int status, std::string message) {
  return unexpected(ApiError{std::move(reason), status, std::move(message)});
}

Unexpected<ApiError> not_found(const ObjectKey& key) {
  return api_error("NotFound", 404, fmt::format("{} \"{}\" not found", resource_name(key), key.name));
}

Unexpected<ApiError> conflict(const ObjectKey& key) {
  return api_error("Conflict", 409,
                   fmt::format("Operation cannot be fulfilled on {} \"{}\": the object has been "
                               "modified; please apply your changes to the latest version and "
                               "try again",
                               resource_name(key), key.name));
}

// Kinds whose status is a subresource: writes to the main resource leave status alone.
// Argo CD's Application/ApplicationSet/AppProject CRDs have none (Argo CD writes status with
// patches on the main resource); unknown CRDs are assumed to have none either.
bool status_is_subresource(std::string_view group, std::string_view kind) {
  if (patch::supports_strategic_merge(group, kind)) return true;
  if (group == "argoproj.io")
    return kind == "Rollout" || kind == "AnalysisRun" || kind == "Experiment";
  auto k = model::classify(group, kind);
  return k != model::Kind::Unknown;
}


std::string meta_string(const json& body, const char* key) {
  const json* f = model::metadata_field(body, key);
  return f && f->is_string() ? f->get<std::string>() : std::string{};
}

bool has_finalizers(const json& body) {
  const json* f = model::metadata_field(body, "finalizers");
  return f && f->is_array() && !f->empty();
}

std::vector<std::string> owner_uids(const json& body) {
  std::vector<std::string> out;
  const json* refs = model::metadata_field(body, "ownerReferences");
  if (!refs || !refs->is_array()) return out;
  for (const auto& r : *refs)
    if (r.is_object() && r.contains("uid") && r["uid"].is_string())
      out.push_back(r["uid"].get<std::string>());
  return out;
}

// The body without the fields that do not count as "spec" for metadata.generation.
bool spec_equal(const json& a, const json& b) {
  auto strip = [](const json& x) {
    json c = x;
    if (c.is_object()) {
      c.erase("metadata");
      c.erase("status");
    }
    return c;
  };
  return strip(a) == strip(b);
}

bool same_except_bookkeeping(const json& a, const json& b) {
  auto strip = [](const json& x) {
    json c = x;
    if (c.is_object() && c.contains("metadata") && c["metadata"].is_object()) {
      c["metadata"].erase("managedFields");
      c["metadata"].erase("resourceVersion");
    }
    return c;
  };
  return strip(a) == strip(b);
}

void set_meta(json& body, const char* key, json value) {
  if (!body["metadata"].is_object()) body["metadata"] = json::object();
  body["metadata"][key] = std::move(value);
}

void erase_meta(json& body, const char* key) {
  auto m = body.find("metadata");
  if (m != body.end() && m->is_object()) m->erase(key);
}

}  // namespace

ApiServer::ApiServer(sim::EventQueue& queue, sim::Rng rng, sim::Trace* trace)
    : queue_(queue),
      uid_rng_(rng.stream("cluster/uid")),
      name_rng_(rng.stream("cluster/names")),
      trace_(trace) {}

ApiServer::~ApiServer() { queue_.cancel(gc_event_); }

ObjectKey ApiServer::normalize(ObjectKey key) const {
  if (!kinds_.is_namespaced(key.group, key.kind)) key.ns.clear();
  return key;
}

const Object* ApiServer::find(const ObjectKey& key) const {
  auto it = objects_.find(normalize(key));
  return it == objects_.end() ? nullptr : &it->second->obj;
}

ApiResult<Object> ApiServer::get(const ObjectKey& key) const {
  const Object* o = find(key);
  if (!o) return not_found(normalize(key));
  return *o;
}

void ApiServer::visit(const model::ListOptions& opts,
                      const std::function<void(const Object&)>& fn) const {
  ObjectKey lo{opts.group, opts.kind, opts.ns.value_or(""), ""};
  for (auto it = objects_.lower_bound(lo); it != objects_.end(); ++it) {
    const ObjectKey& k = it->first;
    if (k.group != opts.group || k.kind != opts.kind) break;
    if (opts.ns && k.ns != *opts.ns) break;
    const Object& o = it->second->obj;
    if (!opts.selector.empty() && !opts.selector.matches(model::labels_of(o.body()))) continue;
    fn(o);
  }
}

std::vector<Object> ApiServer::list(const model::ListOptions& opts) const {
  std::vector<Object> out;
  visit(opts, [&](const Object& o) { out.push_back(o); });
  return out;
}

int ApiServer::watch(std::string group, std::string kind, WatchFn fn) {
  int id = next_watch_++;
  watchers_.emplace(id, Watcher{std::move(group), std::move(kind), std::move(fn)});
  return id;
}

void ApiServer::unwatch(int id) { watchers_.erase(id); }

void ApiServer::emit(WatchType type, const Object& obj, std::string_view actor) {
  if (watchers_.empty()) return;
  pending_events_.push_back(Pending{type, obj, std::string(actor)});
  if (delivering_) return;
  delivering_ = true;
  while (!pending_events_.empty()) {
    Pending ev = std::move(pending_events_.front());
    pending_events_.pop_front();
    std::vector<int> ids;
    for (const auto& [id, w] : watchers_)
      if (w.kind.empty() || (w.kind == ev.obj.kind() && w.group == ev.obj.key().group))
        ids.push_back(id);
    for (int id : ids) {
      auto it = watchers_.find(id);
      if (it != watchers_.end()) it->second.fn(ev.type, ev.obj, ev.actor);
    }
  }
  delivering_ = false;
}

void ApiServer::trace(std::string_view verb, const Object& obj, std::string_view actor,
                      bool terminating) {
  if (!trace_) return;
  json d = {{"actor", actor}, {"rv", meta_string(obj.body(), "resourceVersion")}};
  if (terminating) d["terminating"] = true;
  trace_->record(queue_.now(), verb, obj.key().str(), d);
}

std::string ApiServer::new_uid() {
  std::uint64_t a = uid_rng_.next_u64(), b = uid_rng_.next_u64();
  // RFC 4122 version 4 layout, as the API server's uuid.NewRandom.
  a = (a & 0xffffffffffff0fffull) | 0x0000000000004000ull;
  b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                     a & 0xffff, b >> 48, b & 0xffffffffffffull);
}

std::string ApiServer::random_suffix() {
  // k8s.io/apimachinery/pkg/util/rand: alphanumerics without vowels and confusable digits.
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < 5; ++i) s += kAlphabet[name_rng_.below(kAlphabet.size())];
  return s;
}

// ---------------------------------------------------------------------------------------------
// Writes.

ApiResult<Object> ApiServer::create(Object obj, std::string_view actor) {
  json& body = obj.body();
  if (!body.is_object() || obj.kind().empty() || obj.api_version().empty())
    return api_error("BadRequest", 400, "Object 'Kind' or 'apiVersion' is missing");
  if (!body["metadata"].is_object()) body["metadata"] = json::object();
  ObjectKey key = obj.key();
  bool namespaced = kinds_.is_namespaced(key.group, key.kind);
  if (!namespaced) {
    erase_meta(body, "namespace");
  } else {
    if (key.ns.empty())
      return api_error("BadRequest", 400,
                       fmt::format("an empty namespace may not be set during creation of {}",
                                   resource_name(key)));
    const Object* ns = find(ObjectKey{"", "Namespace", "", key.ns});
    if (!ns) return api_error("NotFound", 404, fmt::format("namespaces \"{}\" not found", key.ns));
    if (model::metadata_field(ns->body(), "deletionTimestamp"))
      return api_error("Forbidden", 403,
                       fmt::format("{} \"{}\" is forbidden: unable to create new content in "
                                   "namespace {} because it is being terminated",
                                   resource_name(key), key.name, key.ns));
  }
  if (key.name.empty()) {
    std::string gen = meta_string(body, "generateName");
    if (gen.empty())
      return api_error("Invalid", 422,
                       fmt::format("{} \"\" is invalid: metadata.name: Required value: name or "
                                   "generateName is required",
                                   resource_name(key)));
    for (int attempt = 0; attempt < 16; ++attempt) {
      set_meta(body, "name", gen + random_suffix());
      obj.refresh_identity();
      if (!find(obj.key())) break;
    }
  }
  obj.refresh_identity();
  key = normalize(obj.key());
  if (objects_.count(key))
    return api_error("AlreadyExists", 409,
                     fmt::format("{} \"{}\" already exists", resource_name(key), key.name));
  for (const char* k : {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                        "managedFields", "uid", "creationTimestamp", "generation"})
    erase_meta(body, k);
  set_meta(body, "uid", new_uid());
  set_meta(body, "creationTimestamp", sim::format_rfc3339(queue_.now()));
  set_meta(body, "generation", 1);
  if (status_is_subresource(key.group, key.kind) && key.kind != "Namespace") body.erase("status");
  // Allocations the API server makes on create.
  if (key.group.empty() && key.kind == "Service") {
    json& spec = body["spec"];
    if (!spec.is_object()) spec = json::object();
    std::string type = spec.value("type", "ClusterIP");
    if (type != "ExternalName" && (!spec.contains("clusterIP") || spec["clusterIP"] == "")) {
      std::uint64_t n = 10 + services_++;
      std::string ip = fmt::format("10.96.{}.{}", (n >> 8) & 0xff, n & 0xff);
      spec["clusterIP"] = ip;
      spec["clusterIPs"] = json::array({ip});
    }
    if ((type == "NodePort" || type == "LoadBalancer") && spec["ports"].is_array()) {
      for (auto& p : spec["ports"])
        if (p.is_object() && !p.contains("nodePort"))
          p["nodePort"] = 30000 + static_cast<int>((services_++) % 2768);
    }
  }
  if (key.group.empty() && key.kind == "Namespace")
    body["status"] = json{{"phase", "Active"}};
  if (key.group == "batch" && key.kind == "Job" && body["spec"].is_object() &&
      !body["spec"].value("manualSelector", false)) {
    // pkg/registry/batch/job/strategy.go generateSelector: the Job's uid labels its pods.
    std::string uid = meta_string(body, "uid");
    json& spec = body["spec"];
    spec["selector"] = json{{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
    json& labels = spec["template"]["metadata"]["labels"];
    if (!labels.is_object()) labels = json::object();
    labels["batch.kubernetes.io/controller-uid"] = uid;
    labels["batch.kubernetes.io/job-name"] = key.name;
    labels["controller-uid"] = uid;
    labels["job-name"] = key.name;
  }
  if (key.kind == "CustomResourceDefinition" && key.group == "apiextensions.k8s.io") {
    const json& spec = body["spec"];
    if (spec.is_object() && spec.contains("group") && spec["group"].is_string() &&
        spec.contains("names") && spec["names"].is_object() && spec["names"].contains("kind"))
      kinds_.add_custom(spec["group"].get<std::string>(), spec["names"]["kind"].get<std::string>(),
                        spec.value("scope", "Namespaced") != "Cluster");
  }
  return write(std::move(obj), nullptr, "api.create", actor, false, nullptr);
}

ApiResult<Object> ApiServer::write(Object next, const Stored* old, std::string_view verb,
                                   std::string_view actor, bool status_write,
                                   const std::string* apply_manager) {
  json& body = next.body();
  const ObjectKey key = normalize(next.key());
  if (old) {
    const json& ob = old->obj.body();
    for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation", "name", "namespace"}) {
      const json* v = model::metadata_field(ob, k);
      if (v)
        set_meta(body, k, *v);
      else
        erase_meta(body, k);
    }
    if (status_write) {
      json s = body.contains("status") ? std::move(body["status"]) : json();
      json nb = ob;
      if (s.is_null())
        nb.erase("status");
      else
        nb["status"] = std::move(s);
      body = std::move(nb);
    } else if (status_is_subresource(key.group, key.kind)) {
      if (ob.contains("status"))
        body["status"] = ob["status"];
      else
        body.erase("status");
    }
    // Finalizers cannot be added to an object that is being deleted.
  }
  if (!status_write) apply_defaults(body, key.group, key.kind);
  if (old) {
    const json& ob = old->obj.body();
    if (!spec_equal(ob, body)) {
      const json* g = model::metadata_field(ob, "generation");
      set_meta(body, "generation", (g && g->is_number_integer() ? g->get<std::int64_t>() : 0) + 1);
    }
    if (same_except_bookkeeping(ob, body)) return old->obj;  // no-op write
  }
  next.refresh_identity();

  auto stored = std::make_unique<Stored>();
  if (old) stored->managers = old->managers;
  std::string now = sim::format_rfc3339(queue_.now());
  if (!status_write) {
    patch::PatchSchema schema(key.group, key.kind);
    FieldSet fresh = field_set(body, schema);
    if (apply_manager) {
      FieldOwners& me = stored->managers[*apply_manager];
      me.operation = "Apply";
      me.fields = std::move(fresh);
      me.time = now;
      me.api_version = next.api_version();
    } else {
      FieldSet before = old ? field_set(old->obj.body(), schema) : FieldSet{};
      FieldSet changed;
      for (const auto& [path, leaf] : fresh) {
        auto b = before.find(path);
        if (b == before.end() || b->second != leaf) changed.emplace(path, leaf);
      }
      for (auto& [name, owners] : stored->managers) {
        for (auto it = owners.fields.begin(); it != owners.fields.end();) {
          if (!fresh.count(it->first) || changed.count(it->first))
            it = owners.fields.erase(it);
          else
            ++it;
        }
      }
      if (!changed.empty()) {
        FieldOwners& me = stored->managers[std::string(actor)];
        me.operation = "Update";
        for (auto& [p, l] : changed) me.fields[p] = l;
        me.time = now;
        me.api_version = next.api_version();
      }
    }
    for (auto it = stored->managers.begin(); it != stored->managers.end();) {
      if (it->second.fields.empty())
        it = stored->managers.erase(it);
      else
        ++it;
    }
    json mf = json::array();
    for (const auto& [name, owners] : stored->managers) {
      mf.push_back(json{{"manager", name},
                        {"operation", owners.operation},
                        {"apiVersion", owners.api_version},
                        {"time", owners.time},
                        {"fieldsType", "FieldsV1"},
                        {"fieldsV1", render_fields_v1(owners.fields)}});
    }
    set_meta(body, "managedFields", std::move(mf));
  } else if (old) {
    const json* mf = model::metadata_field(old->obj.body(), "managedFields");
    if (mf) set_meta(body, "managedFields", *mf);
  }

  // Removing the last finalizer of an object being deleted removes it.
  if (old && model::metadata_field(body, "deletionTimestamp") && !has_finalizers(body)) {
    set_meta(body, "resourceVersion", std::to_string(++rv_));
    objects_[key]->obj = next;
    erase(key, actor);
    return next;
  }

  set_meta(body, "resourceVersion", std::to_string(++rv_));
  // Indexes.
  std::string uid = meta_string(body, "uid");
  if (old) {
    for (const auto& o : owner_uids(old->obj.body())) {
      auto d = dependents_.find(o);
      if (d != dependents_.end()) {
        d->second.erase(key);
        if (d->second.empty()) dependents_.erase(d);
      }
    }
  }
  for (const auto& o : owner_uids(body)) dependents_[o].insert(key);
  by_uid_[uid] = key;
  stored->obj = std::move(next);
  const Object& out = stored->obj;
  bool added = !old;
  auto& slot = objects_[key];
  slot = std::move(stored);
  slot->obj.freeze();  // done editing: reads and watch events share the body from here on
  slot->obj.set_stamp(rv_);
  const Object& committed = slot->obj;
  (void)out;
  trace(verb, committed, actor, model::metadata_field(committed.body(), "deletionTimestamp") != nullptr);
  Object copy = committed;
  emit(added ? WatchType::Added : WatchType::Modified, copy, actor);
  // An owner waiting in foreground deletion may now be unblocked (a dependent dropped its
  // reference); re-check lazily.
  return copy;
}

ApiResult<Object> ApiServer::update(Object obj, std::string_view actor) {
  ObjectKey key = normalize(obj.key());
  auto it = objects_.find(key);
  if (it == objects_.end()) return not_found(key);
  std::string rv = meta_string(obj.body(), "resourceVersion");
  if (!rv.empty() && rv != meta_string(std::as_const(it->second->obj).body(), "resourceVersion"))
    return conflict(key);
  if (!obj.body()["metadata"].is_object()) obj.body()["metadata"] = json::object();
  return write(std::move(obj), it->second.get(), "api.update", actor, false, nullptr);
}

ApiResult<Object> ApiServer::update_status(Object obj, std::string_view actor) {
  ObjectKey key = normalize(obj.key());
  auto it = objects_.find(key);
  if (it == objects_.end()) return not_found(key);
  std::string rv = meta_string(obj.body(), "resourceVersion");
  if (!rv.empty() && rv != meta_string(std::as_const(it->second->obj).body(), "resourceVersion"))
    return conflict(key);
  return write(std::move(obj), it->second.get(), "api.update_status", actor, true, nullptr);
}

ApiResult<Object> ApiServer::patch(const ObjectKey& raw_key, model::PatchType type,
                                   const json& p, std::string_view actor) {
  return patch_object(raw_key, type, p, actor, false);
}

ApiResult<Object> ApiServer::patch_status(const ObjectKey& raw_key, model::PatchType type,
                                          const json& p, std::string_view actor) {
  return patch_object(raw_key, type, p, actor, true);
}

ApiResult<Object> ApiServer::edit_status(const ObjectKey& raw_key,
                                         const model::ClusterClient::StatusEdit& edit,
                                         std::string_view actor) {
  ObjectKey key = normalize(raw_key);
  auto it = objects_.find(key);
  if (it == objects_.end()) return not_found(key);
  json body = std::as_const(it->second->obj).body();
  json& status = body["status"];
  if (!status.is_object()) status = json::object();
  edit(status);
  return write(Object{model::JsonBox(std::move(body))}, it->second.get(), "api.patch_status", actor, true,
               nullptr);
}

ApiResult<Object> ApiServer::patch_object(const ObjectKey& raw_key, model::PatchType type,
                                          const json& p, std::string_view actor, bool status_write) {
  ObjectKey key = normalize(raw_key);
  auto it = objects_.find(key);
  if (it == objects_.end()) return not_found(key);
  json body = std::as_const(it->second->obj).body();
  switch (type) {
    case model::PatchType::Merge:
      patch::apply_merge_patch(body, p);
      break;
    case model::PatchType::JsonPatch: {
      auto r = patch::apply_json_patch(body, p);
      if (!r.ok()) return api_error("Invalid", 422, r.error().message);
      break;
    }
    case model::PatchType::StrategicMerge: {
      if (!patch::supports_strategic_merge(key.group, key.kind))
        return api_error("UnsupportedMediaType", 415,
                         "the body of the request was in an unknown format - accepted media "
                         "types include: application/json-patch+json, "
                         "application/merge-patch+json, application/apply-patch+yaml");
      auto r = patch::apply_strategic_merge_patch(body, p, key.group, key.kind);
      if (!r.ok()) return api_error("BadRequest", 400, r.error().message);
      break;
    }
  }
  if (!body.is_object()) return api_error("BadRequest", 400, "patch did not produce an object");
  std::string want_rv = meta_string(body, "resourceVersion");
  if (!want_rv.empty() && want_rv != meta_string(std::as_const(it->second->obj).body(), "resourceVersion"))
    return conflict(key);
  Object next{model::JsonBox(std::move(body))};
  if (normalize(next.key()) != key)
    return api_error("BadRequest", 400,
                     fmt::format("the name of the object ({}) does not match the name on the URL "
                                 "({})",
                                 next.name(), key.name));
  return write(std::move(next), it->second.get(), status_write ? "api.patch_status" : "api.patch", actor,
               status_write, nullptr);
}

ApiResult<Object> ApiServer::apply(Object obj, const model::ApplyOptions& opts,
                                   std::string_view actor) {
  json& desired = obj.body();
  if (!desired.is_object()) return api_error("BadRequest", 400, "apply needs an object");
  if (!desired["metadata"].is_object()) desired["metadata"] = json::object();
  ObjectKey key = normalize(obj.key());
  if (key.name.empty())
    return api_error("Invalid", 422, "metadata.name: Required value: apply needs a name");
  auto it = objects_.find(key);
  std::string_view who = actor.empty() ? std::string_view(opts.field_manager) : actor;

  if (!opts.server_side) {
    // kubectl client-side apply (k8s.io/kubectl/pkg/cmd/apply/patcher.go): the annotation holds
    // the applied manifest (without the annotation itself), JSON with a trailing newline.
    json manifest = desired;
    if (manifest["metadata"].contains("annotations") &&
        manifest["metadata"]["annotations"].is_object()) {
      manifest["metadata"]["annotations"].erase(std::string(kLastAppliedAnnotation));
      if (manifest["metadata"]["annotations"].empty()) manifest["metadata"].erase("annotations");
    }
    std::string last_applied = manifest.dump() + "\n";
    json& ann = desired["metadata"]["annotations"];
    if (!ann.is_object()) ann = json::object();
    ann[std::string(kLastAppliedAnnotation)] = last_applied;
    if (it == objects_.end()) {
      obj.refresh_identity();
      return create(std::move(obj), who);
    }
    const json& live = it->second->obj.body();
    json last;
    if (const json* a = model::metadata_field(live, "annotations"); a && a->is_object()) {
      auto f = a->find(std::string(kLastAppliedAnnotation));
      if (f != a->end() && f->is_string()) {
        last = json::parse(f->get<std::string>(), nullptr, false);
        if (last.is_discarded()) last = json();
      }
    }
    json live_no_status = live;
    auto merged = patch::three_way_merge(last, desired, live_no_status, key.group, key.kind);
    if (!merged.ok()) return api_error("BadRequest", 400, merged.error().message);
    Object next{model::JsonBox(std::move(*merged))};
    next.refresh_identity();
    return write(std::move(next), it->second.get(), "api.apply", who, false, nullptr);
  }

  // Server-side apply (simplified structured-merge-diff): the manager owns exactly the fields
  // of its applied configuration; fields it owned before and no longer applies are removed
  // unless another manager owns them; a field owned by someone else with a different value
  // is a conflict unless `force`.
  const std::string manager = opts.field_manager;
  for (const char* k : {"resourceVersion", "managedFields", "uid", "creationTimestamp",
                        "generation", "deletionTimestamp"})
    erase_meta(desired, k);
  if (it == objects_.end()) {
    obj.refresh_identity();
    // Create, then record the manager as an applier.
    auto created = create(std::move(obj), who);
    if (!created.ok()) return created;
    auto again = objects_.find(normalize(created->key()));
    Stored& st = *again->second;
    patch::PatchSchema schema(key.group, key.kind);
    FieldOwners owners;
    owners.operation = "Apply";
    owners.api_version = st.obj.api_version();
    owners.time = sim::format_rfc3339(queue_.now());
    owners.fields = field_set(std::as_const(st.obj).body(), schema);
    st.managers.clear();
    st.managers[manager] = owners;
    json mf = json::array({json{{"manager", manager},
                                {"operation", "Apply"},
                                {"apiVersion", owners.api_version},
                                {"time", owners.time},
                                {"fieldsType", "FieldsV1"},
                                {"fieldsV1", render_fields_v1(owners.fields)}}});
    set_meta(st.obj.body(), "managedFields", std::move(mf));
    return st.obj;
  }
  Stored& st = *it->second;
  patch::PatchSchema schema(key.group, key.kind);
  FieldSet applied = field_set(desired, schema);
  FieldSet live_fields = field_set(std::as_const(st.obj).body(), schema);
  std::vector<std::string> conflicts;
  std::map<std::string, FieldOwners> managers = st.managers;
  for (auto& [name, owners] : managers) {
    if (name == manager) continue;
    for (auto f = owners.fields.begin(); f != owners.fields.end();) {
      auto a = applied.find(f->first);
      auto l = live_fields.find(f->first);
      bool differs = a != applied.end() && (l == live_fields.end() || l->second != a->second);
      if (differs) {
        conflicts.push_back(fmt::format("conflict with \"{}\": {}", name, display_path(f->first)));
        if (opts.force) {
          f = owners.fields.erase(f);
          continue;
        }
      }
      ++f;
    }
  }
  if (!conflicts.empty() && !opts.force)
    return api_error("Conflict", 409,
                     fmt::format("Apply failed with {} conflict{}: {}", conflicts.size(),
                                 conflicts.size() == 1 ? "" : "s", fmt::join(conflicts, "\n")));
  json body = std::as_const(st.obj).body();
  auto mine = managers.find(manager);
  if (mine != managers.end()) {
    for (const auto& [path, leaf] : mine->second.fields) {
      if (applied.count(path)) continue;
      bool other = false;
      for (const auto& [name, owners] : managers)
        if (name != manager && owners.fields.count(path)) other = true;
      if (!other) remove_field(body, path);
    }
  }
  json patch_body = desired;
  auto merged = patch::apply_strategic_merge_patch(body, patch_body, key.group, key.kind);
  if (!merged.ok()) return api_error("BadRequest", 400, merged.error().message);
  Object next{model::JsonBox(std::move(body))};
  // Ownership after the write: the other managers as adjusted, this one owns what it applied.
  Stored adjusted;
  adjusted.obj = st.obj;
  adjusted.managers = std::move(managers);
  adjusted.managers.erase(manager);
  Stored* live = it->second.get();
  const std::string old_rv = meta_string(std::as_const(st.obj).body(), "resourceVersion");
  std::map<std::string, FieldOwners> saved = live->managers;
  live->managers = adjusted.managers;
  // `live` is replaced (freed) by a successful write; it survives a no-op or a failure.
  auto out = write(std::move(next), live, "api.apply", who, false, &manager);
  if (!out.ok() || meta_string(out->body(), "resourceVersion") == old_rv) {
    auto again = objects_.find(key);
    if (again != objects_.end() && again->second.get() == live) live->managers = std::move(saved);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Deletion and garbage collection.

ApiResult<bool> ApiServer::remove(const ObjectKey& raw_key, const model::DeleteOptions& opts,
                                  std::string_view actor) {
  ObjectKey key = normalize(raw_key);
  auto it = objects_.find(key);
  if (it == objects_.end()) return not_found(key);
  const json& body = it->second->obj.body();
  std::string uid = meta_string(body, "uid");
  if (opts.precondition_uid && *opts.precondition_uid != uid)
    return api_error("Conflict", 409,
                     fmt::format("Precondition failed: UID in precondition: {}, UID in object "
                                 "meta: {}",
                                 *opts.precondition_uid, uid));
  if (model::metadata_field(body, "deletionTimestamp")) return false;  // already terminating

  const bool is_namespace = key.group.empty() && key.kind == "Namespace";
  if (opts.propagation == model::Propagation::Orphan) {
    // The orphan finalizer's work, done at once: dependents drop their reference.
    auto d = dependents_.find(uid);
    if (d != dependents_.end()) {
      std::set<ObjectKey> deps = d->second;
      for (const auto& dk : deps) {
        auto di = objects_.find(dk);
        if (di == objects_.end()) continue;
        json nb = std::as_const(di->second->obj).body();
        json refs = json::array();
        for (const auto& r : nb["metadata"]["ownerReferences"])
          if (!(r.is_object() && r.value("uid", "") == uid)) refs.push_back(r);
        if (refs.empty())
          nb["metadata"].erase("ownerReferences");
        else
          nb["metadata"]["ownerReferences"] = refs;
        Object next{model::JsonBox(std::move(nb))};
        (void)write(std::move(next), di->second.get(), "api.update", "garbage-collector", false,
                    nullptr);
      }
    }
  }
  bool foreground = opts.propagation == model::Propagation::Foreground && !is_namespace;
  bool has_deps = dependents_.count(uid) > 0;
  if (is_namespace || has_finalizers(body) || (foreground && has_deps)) {
    json nb = body;
    set_meta(nb, "deletionTimestamp", sim::format_rfc3339(queue_.now()));
    set_meta(nb, "deletionGracePeriodSeconds", 0);
    if (foreground && has_deps) {
      json& fin = nb["metadata"]["finalizers"];
      if (!fin.is_array()) fin = json::array();
      fin.push_back(std::string(kForeground));
      gc_owners_.emplace_back(uid, model::Propagation::Foreground);
      gc_foreground_.insert(uid);
    }
    if (is_namespace) {
      nb["status"] = json{{"phase", "Terminating"}};
      gc_namespaces_.insert(key.name);
    }
    // Written directly: deletionTimestamp is system metadata that write() would reset.
    Stored* st = it->second.get();
    nb["metadata"]["resourceVersion"] = std::to_string(++rv_);
    st->obj = Object{model::JsonBox(std::move(nb))};
    st->obj.set_stamp(rv_);
    trace("api.delete", st->obj, actor, true);
    Object copy = st->obj;
    emit(WatchType::Modified, copy, actor);
    schedule_gc();
    return false;
  }
  erase(key, actor);
  return true;
}

void ApiServer::erase(const ObjectKey& key, std::string_view actor) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  std::unique_ptr<Stored> st = std::move(it->second);
  objects_.erase(it);
  const json& body = st->obj.body();
  std::string uid = meta_string(body, "uid");
  by_uid_.erase(uid);
  for (const auto& o : owner_uids(body)) {
    auto d = dependents_.find(o);
    if (d != dependents_.end()) {
      d->second.erase(key);
      if (d->second.empty()) dependents_.erase(d);
    }
    if (gc_foreground_.count(o)) schedule_gc();
  }
  if (dependents_.count(uid)) {
    gc_owners_.emplace_back(uid, model::Propagation::Background);
    schedule_gc();
  }
  if (!key.ns.empty() && gc_namespaces_.count(key.ns)) schedule_gc();
  trace("api.delete", st->obj, actor);
  emit(WatchType::Deleted, st->obj, actor);
}

void ApiServer::schedule_gc() {
  if (queue_.is_pending(gc_event_)) return;
  gc_event_ = queue_.schedule_after(sim::SimDuration{0}, "garbage-collector", [this] { run_gc(); });
}

void ApiServer::run_gc() {
  // Dependents of owners that are gone (or in foreground deletion).
  auto owners = std::move(gc_owners_);
  gc_owners_.clear();
  for (const auto& [uid, policy] : owners) {
    auto d = dependents_.find(uid);
    if (d == dependents_.end()) continue;
    std::set<ObjectKey> deps = d->second;
    for (const auto& dk : deps) {
      auto di = objects_.find(dk);
      if (di == objects_.end()) continue;
      const json& db = di->second->obj.body();
      // A dependent with another owner that still exists only loses this reference.
      bool other_owner = false;
      for (const auto& o : owner_uids(db))
        if (o != uid && by_uid_.count(o)) other_owner = true;
      if (other_owner) {
        json nb = db;
        json refs = json::array();
        for (const auto& r : nb["metadata"]["ownerReferences"])
          if (!(r.is_object() && r.value("uid", "") == uid)) refs.push_back(r);
        nb["metadata"]["ownerReferences"] = refs;
        (void)write(Object{model::JsonBox(std::move(nb))}, di->second.get(), "api.update",
                    "garbage-collector", false, nullptr);
        continue;
      }
      model::DeleteOptions opts;
      opts.propagation = policy == model::Propagation::Foreground ? model::Propagation::Foreground
                                                                   : model::Propagation::Background;
      (void)remove(dk, opts, "garbage-collector");
    }
  }
  // Foreground owners whose blocking dependents are all gone lose the finalizer.
  std::vector<std::string> fg(gc_foreground_.begin(), gc_foreground_.end());
  for (const auto& uid : fg) check_foreground(uid);
  std::vector<std::string> nss(gc_namespaces_.begin(), gc_namespaces_.end());
  for (const auto& ns : nss) check_namespace(ns);
}

void ApiServer::check_foreground(const std::string& uid) {
  auto k = by_uid_.find(uid);
  if (k == by_uid_.end()) {
    gc_foreground_.erase(uid);
    return;
  }
  if (dependents_.count(uid)) return;
  gc_foreground_.erase(uid);
  auto it = objects_.find(k->second);
  json nb = std::as_const(it->second->obj).body();
  json fin = json::array();
  for (const auto& f : nb["metadata"]["finalizers"])
    if (f != kForeground) fin.push_back(f);
  if (fin.empty())
    nb["metadata"].erase("finalizers");
  else
    nb["metadata"]["finalizers"] = fin;
  (void)write(Object{model::JsonBox(std::move(nb))}, it->second.get(), "api.update",
              "garbage-collector", false, nullptr);
}

void ApiServer::check_namespace(const std::string& ns) {
  // The namespace controller: delete everything in it, then the namespace when empty.
  std::vector<ObjectKey> inside;
  for (const auto& [k, st] : objects_)
    if (k.ns == ns) inside.push_back(k);
  for (const auto& k : inside) {
    auto it = objects_.find(k);
    if (it == objects_.end() || model::metadata_field(std::as_const(it->second->obj).body(), "deletionTimestamp")) continue;
    (void)remove(k, model::DeleteOptions{}, "namespace-controller");
  }
  bool empty = true;
  for (const auto& [k, st] : objects_)
    if (k.ns == ns) empty = false;
  if (!empty) return;
  gc_namespaces_.erase(ns);
  ObjectKey nk{"", "Namespace", "", ns};
  if (objects_.count(nk)) erase(nk, "namespace-controller");
}

}  // namespace rehearse::cluster

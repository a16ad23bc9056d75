// Built-in workload controllers. Each follows its kube-controller-manager counterpart
// (pkg/controller/{deployment,replicaset,statefulset,daemon,job}) in what it writes and when,
// simplified where the simulation does not need more (docs/cluster.md "Where rehearse
// simplifies").

#include "sim/cluster/cluster.hpp"

#include <algorithm>
#include <climits>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/kernel/rng.hpp"

namespace rehearse::cluster {

using nlohmann::json;
using model::Object;
using model::ObjectKey;
using sim::ReconcileResult;
using sim::SimDuration;
using sim::SimTime;

// ---------------------------------------------------------------------------------------------
// Helpers shared by the controllers.


const WorkloadProfile& WorkloadProfiles::lookup(std::string_view image) const {
  for (const auto& r : rules)
    if (glob_match(r.pattern, image)) return r.profile;
  return fallback;
}

int scaled_value(const json& v, int total, bool round_up, int fallback) {
  if (v.is_number_integer()) return v.get<int>();
  if (!v.is_string()) return fallback;
  std::string s = v.get<std::string>();
  if (s.empty()) return fallback;
  if (s.back() != '%') {
    try {
      return std::stoi(s);
    } catch (...) {
      return fallback;
    }
  }
  int pct = 0;
  try {
    pct = std::stoi(s.substr(0, s.size() - 1));
  } catch (...) {
    return fallback;
  }
  long long num = static_cast<long long>(pct) * total;
  return static_cast<int>(round_up ? (num + 99) / 100 : num / 100);
}

std::pair<int, int> resolve_fenceposts(const json& max_surge, const json& max_unavailable,
                                       int replicas) {
  int surge = scaled_value(max_surge, replicas, true, 0);
  int unavailable = scaled_value(max_unavailable, replicas, false, 0);
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return {surge, unavailable};
}

std::string pod_template_hash(const json& tmpl, int collision_count) {
  json t = tmpl;
  if (t.is_object() && t.contains("metadata") && t["metadata"].is_object() &&
      t["metadata"].contains("labels") && t["metadata"]["labels"].is_object())
    t["metadata"]["labels"].erase("pod-template-hash");
  std::string bytes = t.dump();
  if (collision_count > 0) bytes += std::to_string(collision_count);
  std::uint32_t h = 2166136261u;  // FNV-32a
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  static constexpr std::string_view kAlphanums = "bcdfghjklmnpqrstvwxz2456789";
  std::string dec = std::to_string(h), out;
  for (unsigned char c : dec) out += kAlphanums[c % kAlphanums.size()];
  return out;
}

namespace {

const json kNull;

const json& at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* p : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(p);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

int int_at(const json& j, std::initializer_list<const char*> path, int def) {
  const json& v = at(j, path);
  return v.is_number_integer() ? v.get<int>() : def;
}

std::string str_at(const json& j, std::initializer_list<const char*> path) {
  const json& v = at(j, path);
  return v.is_string() ? v.get<std::string>() : std::string{};
}

SimTime created_at(const json& body) {
  auto t = sim::parse_rfc3339(str_at(body, {"metadata", "creationTimestamp"}));
  return t.ok() ? *t : sim::kSimStart;
}

bool terminating(const json& body) { return !at(body, {"metadata", "deletionTimestamp"}).is_null(); }

std::string uid_of(const json& body) { return str_at(body, {"metadata", "uid"}); }

// The controller ownerReference's uid, or "".
std::string controller_uid(const json& body, std::string_view kind) {
  const json& refs = at(body, {"metadata", "ownerReferences"});
  if (!refs.is_array()) return {};
  for (const auto& r : refs)
    if (r.is_object() && r.value("controller", false) && r.value("kind", "") == kind)
      return r.value("uid", "");
  return {};
}

std::string controller_name(const json& body, std::string_view kind) {
  const json& refs = at(body, {"metadata", "ownerReferences"});
  if (!refs.is_array()) return {};
  for (const auto& r : refs)
    if (r.is_object() && r.value("controller", false) && r.value("kind", "") == kind)
      return r.value("name", "");
  return {};
}

json owner_ref(const Object& owner) {
  return json{{"apiVersion", owner.api_version()},
              {"kind", owner.kind()},
              {"name", owner.name()},
              {"uid", uid_of(owner.body())},
              {"controller", true},
              {"blockOwnerDeletion", true}};
}

std::string key_of(const Object& o) { return o.ns() + "/" + o.name(); }

std::pair<std::string, std::string> split_key(const std::string& key) {
  auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::string rfc(SimTime t) { return sim::format_rfc3339(t); }

bool pod_finished(const json& pod) {
  std::string phase = str_at(pod, {"status", "phase"});
  return phase == "Succeeded" || phase == "Failed";
}

bool pod_ready(const json& pod) {
  const json& conds = at(pod, {"status", "conditions"});
  if (!conds.is_array()) return false;
  for (const auto& c : conds)
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

// When the pod's Ready condition last turned True (for minReadySeconds).
std::optional<SimTime> ready_since(const json& pod) {
  const json& conds = at(pod, {"status", "conditions"});
  if (!conds.is_array()) return std::nullopt;
  for (const auto& c : conds)
    if (c.value("type", "") == "Ready" && c.value("status", "") == "True") {
      auto t = sim::parse_rfc3339(c.value("lastTransitionTime", ""));
      return t.ok() ? std::optional<SimTime>(*t) : std::nullopt;
    }
  return std::nullopt;
}

bool pod_available(const json& pod, int min_ready_seconds, SimTime now) {
  auto since = ready_since(pod);
  return since && *since + sim::seconds(min_ready_seconds) <= now;
}

int restart_count(const json& pod) {
  int n = 0;
  const json& cs = at(pod, {"status", "containerStatuses"});
  if (cs.is_array())
    for (const auto& c : cs) n += c.value("restartCount", 0);
  return n;
}

// Condition lists as the controllers keep them: replacing a type removes it and appends the
// new one (deployment/util SetDeploymentCondition).
const json* find_condition(const json& status, std::string_view type) {
  const json& conds = at(status, {"conditions"});
  if (!conds.is_array()) return nullptr;
  for (const auto& c : conds)
    if (c.value("type", "") == type) return &c;
  return nullptr;
}

void put_condition(json& status, json cond) {
  json out = json::array();
  if (status.contains("conditions") && status["conditions"].is_array())
    for (const auto& c : status["conditions"])
      if (c.value("type", "") != cond.value("type", "")) out.push_back(c);
  out.push_back(std::move(cond));
  status["conditions"] = std::move(out);
}

// Omits zero counters, as the Go structs' `omitempty` does.
void set_count(json& status, const char* key, int v) {
  if (v != 0)
    status[key] = v;
  else
    status.erase(key);
}

// A pod's template labels without the controller-added hash label.
json template_without_hash(const json& tmpl) {
  json t = tmpl;
  if (t.is_object() && t.contains("metadata") && t["metadata"].is_object() &&
      t["metadata"].contains("labels") && t["metadata"]["labels"].is_object()) {
    t["metadata"]["labels"].erase("pod-template-hash");
    if (t["metadata"]["labels"].empty()) t["metadata"].erase("labels");
  }
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class Cluster::Controllers {
 public:
  Controllers(Cluster& c, sim::Rng rng)
      : c_(c),
        api_(c.api_),
        name_rng_(rng.stream("cluster/pod-names")),
        kubelet_(*this),
        rs_(*this),
        deploy_(*this),
        sts_(*this),
        ds_(*this),
        job_(*this),
        misc_(*this),
        kubelet_host_(c.queue_, kubelet_),
        rs_host_(c.queue_, rs_),
        deploy_host_(c.queue_, deploy_),
        sts_host_(c.queue_, sts_),
        ds_host_(c.queue_, ds_),
        job_host_(c.queue_, job_),
        misc_host_(c.queue_, misc_) {
    watch_ = api_.watch("", "", [this](WatchType t, const Object& o, std::string_view) {
      on_event(t, o);
    });
  }
  ~Controllers() { api_.unwatch(watch_); }

 private:
  void on_event(WatchType type, const Object& o) {
    const ObjectKey& k = o.key();
    const json& b = o.body();
    bool deleted = type == WatchType::Deleted;
    auto touch = [&](sim::ControllerHost& host, const std::string& key) {
      if (deleted && key == key_of(o))
        host.forget(key);
      else
        host.enqueue(key);
    };
    if (k.group.empty() && k.kind == "Pod") {
      touch(kubelet_host_, key_of(o));
      for (auto [kind, host] : {std::pair<const char*, sim::ControllerHost*>{"ReplicaSet", &rs_host_},
                                {"StatefulSet", &sts_host_},
                                {"DaemonSet", &ds_host_},
                                {"Job", &job_host_}}) {
        std::string owner = controller_name(b, kind);
        if (!owner.empty()) host->enqueue(o.ns() + "/" + owner);
      }
    } else if (k.group == "apps" && k.kind == "ReplicaSet") {
      touch(rs_host_, key_of(o));
      std::string owner = controller_name(b, "Deployment");
      if (!owner.empty()) deploy_host_.enqueue(o.ns() + "/" + owner);
    } else if (k.group == "apps" && k.kind == "Deployment") {
      touch(deploy_host_, key_of(o));
    } else if (k.group == "apps" && k.kind == "StatefulSet") {
      touch(sts_host_, key_of(o));
    } else if (k.group == "apps" && k.kind == "DaemonSet") {
      touch(ds_host_, key_of(o));
    } else if (k.group == "batch" && k.kind == "Job") {
      touch(job_host_, key_of(o));
    } else if (k.group.empty() && (k.kind == "PersistentVolumeClaim" || k.kind == "Service")) {
      if (!deleted) misc_host_.enqueue(k.kind + ":" + key_of(o));
    }
  }

  // Shared access for the reconcilers.
  const Object* find(const char* group, const char* kind, const std::string& key) const {
    auto [ns, name] = split_key(key);
    return api_.find(ObjectKey{group, kind, ns, name});
  }
  std::vector<const Object*> owned_pods(const std::string& ns, const std::string& owner_uid,
                                        std::string_view owner_kind) {
    std::vector<const Object*> out;
    model::ListOptions lo;
    lo.kind = "Pod";
    lo.ns = ns;
    api_.visit(lo, [&](const Object& p) {
      if (controller_uid(p.body(), owner_kind) == owner_uid) out.push_back(&p);
    });
    return out;
  }
  std::string suffix() {
    static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    for (int i = 0; i < 5; ++i) s += kAlphabet[name_rng_.below(kAlphabet.size())];
    return s;
  }
  // Creates a pod from a template for an owner.
  void create_pod(const Object& owner, const json& tmpl, std::string name, json extra_labels,
                  const char* actor, const std::string& node = "") {
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
    json meta = tmpl.contains("metadata") && tmpl["metadata"].is_object() ? tmpl["metadata"]
                                                                          : json::object();
    meta.erase("creationTimestamp");
    meta["namespace"] = owner.ns();
    if (name.empty())
      meta["generateName"] = owner.name() + "-";
    else
      meta["name"] = name;
    if (!meta["labels"].is_object()) meta["labels"] = json::object();
    for (auto it = extra_labels.begin(); it != extra_labels.end(); ++it)
      meta["labels"][it.key()] = it.value();
    meta["ownerReferences"] = json::array({owner_ref(owner)});
    pod["metadata"] = std::move(meta);
    pod["spec"] = tmpl.contains("spec") ? tmpl["spec"] : json::object();
    if (!node.empty()) pod["spec"]["nodeName"] = node;
    if (name.empty()) {
      // Deterministic names from our own stream (<owner>-<5 chars>), like generateName.
      for (int i = 0; i < 16; ++i) {
        std::string n = owner.name() + "-" + suffix();
        if (!api_.find(ObjectKey{"", "Pod", owner.ns(), n})) {
          pod["metadata"]["name"] = n;
          pod["metadata"].erase("generateName");
          break;
        }
      }
    }
    (void)api_.create(Object{model::JsonBox(std::move(pod))}, actor);
  }
  void delete_object(const Object& o, const char* actor) {
    (void)api_.remove(o.key(), model::DeleteOptions{}, actor);
  }
  void write_status(const Object& o, json status, const char* actor) {
    if (o.body().contains("status") && o.body()["status"] == status) return;
    json b = o.body();
    b["status"] = std::move(status);
    b["metadata"].erase("resourceVersion");
    (void)api_.update_status(Object{model::JsonBox(std::move(b))}, actor);
  }
  void scale(const Object& o, int replicas, const char* actor, json annotations = json()) {
    json b = o.body();
    b["spec"]["replicas"] = replicas;
    if (annotations.is_object())
      for (auto it = annotations.begin(); it != annotations.end(); ++it)
        b["metadata"]["annotations"][it.key()] = it.value();
    (void)api_.update(Object{model::JsonBox(std::move(b))}, actor);
  }

  // ---- kubelet + scheduler: pod status from the workload profile --------------------------
  class Kubelet final : public sim::Reconciler {
   public:
    explicit Kubelet(Controllers& c) : c_(c) {}
    std::string_view controller_name() const override { return "kubelet"; }
    ReconcileResult reconcile(const std::string& key, SimTime now) override {
      const Object* pod = c_.find("", "Pod", key);
      if (!pod || terminating(pod->body())) return ReconcileResult::done();
      const json& b = pod->body();
      const json& spec = b["spec"];
      std::string node = str_at(b, {"spec", "nodeName"});
      if (node.empty()) {
        // The scheduler: spread by name hash over the nodes.
        int n = std::max(1, c_.c_.settings_.nodes);
        node = fmt::format("node-{}", 1 + sim::fnv1a64(pod->name()) % static_cast<std::uint64_t>(n));
        json nb = b;
        nb["spec"]["nodeName"] = node;
        nb["metadata"].erase("resourceVersion");
        (void)c_.api_.update(Object{model::JsonBox(std::move(nb))}, "default-scheduler");
        return ReconcileResult::done();  // the update re-enqueues us
      }
      SimTime start = created_at(b);
      std::string policy = str_at(b, {"spec", "restartPolicy"});
      if (policy.empty()) policy = "Always";
      std::optional<SimTime> next;
      auto wake = [&](SimTime t) {
        if (t > now && (!next || t < *next)) next = t;
      };
      json statuses = json::array();
      bool all_ready = true, any_failed = false, all_succeeded = true, any_running = false;
      SimTime ready_at = start;
      const json& containers = spec["containers"];
      std::uint64_t h = sim::fnv1a64(uid_of(b));
      for (const auto& ctr : containers.is_array() ? containers : json::array()) {
        std::string image = ctr.value("image", "");
        const WorkloadProfile& prof = c_.c_.settings_.profiles.lookup(image);
        int delay = int_at(ctr, {"readinessProbe", "initialDelaySeconds"}, 0);
        json st = {{"name", ctr.value("name", "")},
                   {"image", image},
                   {"imageID", ""},
                   {"containerID", fmt::format("containerd://{:016x}", h ^ sim::fnv1a64(ctr.value("name", "")))},
                   {"restartCount", 0},
                   {"started", true}};
        bool ready = false;
        using B = WorkloadProfile::Behavior;
        B behavior = prof.behavior;
        if (behavior == B::ExitFailure && policy != "Never") behavior = B::CrashLoop;
        if (behavior == B::CrashLoop && policy == "Never") behavior = B::ExitFailure;
        if (behavior == B::ReadyAfter && policy != "Always") {
          SimTime done = start + prof.duration;
          if (now >= done) {
            st["state"] = {{"terminated",
                            {{"exitCode", 0}, {"reason", "Completed"}, {"startedAt", rfc(start)},
                             {"finishedAt", rfc(done)}}}};
            st["started"] = false;
          } else {
            all_succeeded = false;
            any_running = true;
            st["state"] = {{"running", {{"startedAt", rfc(start)}}}};
            ready = true;
            wake(done);
          }
        } else if (behavior == B::ReadyAfter) {
          all_succeeded = false;
          any_running = true;
          SimTime at = start + prof.duration + sim::seconds(delay);
          st["state"] = {{"running", {{"startedAt", rfc(start)}}}};
          ready = now >= at;
          if (ready) ready_at = std::max(ready_at, at);
          wake(at);
        } else if (behavior == B::NeverReady) {
          all_succeeded = false;
          any_running = true;
          st["state"] = {{"running", {{"startedAt", rfc(start)}}}};
        } else if (behavior == B::ExitFailure) {
          SimTime done = start + prof.duration;
          if (now >= done) {
            any_failed = true;
            all_succeeded = false;
            st["started"] = false;
            st["state"] = {{"terminated",
                            {{"exitCode", 1}, {"reason", "Error"}, {"startedAt", rfc(start)},
                             {"finishedAt", rfc(done)}}}};
          } else {
            all_succeeded = false;
            any_running = true;
            st["state"] = {{"running", {{"startedAt", rfc(start)}}}};
            wake(done);
          }
        } else {  // CrashLoop: run `duration`, exit 1, back off 10s*2^n (cap 5m), restart.
          all_succeeded = false;
          any_running = true;
          SimTime run_start = start;
          int restarts = 0;
          SimDuration run = std::max(prof.duration, sim::ms(1));
          for (int guard = 0; guard < 100000; ++guard) {
            SimTime exit_at = run_start + run;
            if (now < exit_at) {
              st["state"] = {{"running", {{"startedAt", rfc(run_start)}}}};
              wake(exit_at);
              break;
            }
            SimDuration backoff = sim::seconds(10);
            for (int i = 0; i < restarts && backoff < sim::minutes(5); ++i) backoff *= 2;
            if (backoff > sim::minutes(5)) backoff = sim::minutes(5);
            SimTime restart_at = exit_at + backoff;
            st["lastState"] = {{"terminated",
                                {{"exitCode", 1}, {"reason", "Error"}, {"startedAt", rfc(run_start)},
                                 {"finishedAt", rfc(exit_at)}}}};
            if (now < restart_at) {
              st["started"] = false;
              st["state"] = {{"waiting",
                              {{"reason", "CrashLoopBackOff"},
                               {"message", fmt::format("back-off {} restarting failed container={} pod={}",
                                                       sim::format_go_duration(backoff),
                                                       ctr.value("name", ""), pod->name())}}}};
              wake(restart_at);
              break;
            }
            ++restarts;
            run_start = restart_at;
          }
          st["restartCount"] = restarts;
        }
        st["ready"] = ready;
        if (!ready) all_ready = false;
        statuses.push_back(std::move(st));
      }
      std::string phase;
      if (any_failed && policy == "Never")
        phase = "Failed";
      else if (all_succeeded && policy != "Always")
        phase = "Succeeded";
      else
        phase = "Running";
      if (phase != "Running") {
        for (auto& s : statuses) s["ready"] = false;
        all_ready = false;
      }
      (void)any_running;
      // lastTransitionTime of Ready: when it last changed, from the previous status.
      const json& prev = b.contains("status") ? b["status"] : kNull;
      auto cond = [&](const char* type, bool ok, SimTime default_since) {
        const json* old = find_condition(prev, type);
        std::string since = rfc(default_since);
        if (old && old->value("status", "") == (ok ? "True" : "False"))
          since = old->value("lastTransitionTime", since);
        json c = {{"type", type},
                  {"status", ok ? "True" : "False"},
                  {"lastProbeTime", nullptr},
                  {"lastTransitionTime", since}};
        if (!ok && (std::string_view(type) == "Ready" || std::string_view(type) == "ContainersReady"))
          c["reason"] = phase == "Running" ? "ContainersNotReady" : "PodCompleted";
        return c;
      };
      SimTime ready_change = all_ready ? ready_at : start;
      if (!all_ready) {
        const json* old = find_condition(prev, "Ready");
        if (old && old->value("status", "") == "True") ready_change = now;
      }
      json status = {
          {"phase", phase},
          {"conditions",
           json::array({cond("PodReadyToStartContainers", true, start), cond("Initialized", true, start),
                        cond("Ready", all_ready, ready_change),
                        cond("ContainersReady", all_ready, ready_change),
                        cond("PodScheduled", true, start)})},
          {"hostIP", fmt::format("10.0.0.{}", 10 + std::atoi(node.c_str() + std::min<size_t>(5, node.size())))},
          {"podIP", fmt::format("10.244.{}.{}", (h >> 8) & 0xff, 2 + (h & 0x7f))},
          {"startTime", rfc(start)},
          {"qosClass", "BestEffort"},
          {"containerStatuses", std::move(statuses)}};
      status["podIPs"] = json::array({json{{"ip", status["podIP"]}}});
      status["hostIPs"] = json::array({json{{"ip", status["hostIP"]}}});
      c_.write_status(*pod, std::move(status), "kubelet");
      if (next) return ReconcileResult::requeue_after(*next - now);
      return ReconcileResult::done();
    }

   private:
    Controllers& c_;
  };

  // ---- ReplicaSet ---------------------------------------------------------------------------
  class ReplicaSetController final : public sim::Reconciler {
   public:
    explicit ReplicaSetController(Controllers& c) : c_(c) {}
    std::string_view controller_name() const override { return "replicaset-controller"; }
    ReconcileResult reconcile(const std::string& key, SimTime now) override {
      const Object* rs = c_.find("apps", "ReplicaSet", key);
      if (!rs || terminating(rs->body())) return ReconcileResult::done();
      Object owner = *rs;
      const json& b = owner.body();
      int replicas = int_at(b, {"spec", "replicas"}, 1);
      int min_ready = int_at(b, {"spec", "minReadySeconds"}, 0);
      auto pods = c_.owned_pods(owner.ns(), uid_of(b), "ReplicaSet");
      std::vector<Object> active;
      for (const auto* p : pods)
        if (!terminating(p->body()) && !pod_finished(p->body())) active.push_back(*p);
      int diff = static_cast<int>(active.size()) - replicas;
      if (diff < 0) {
        for (int i = 0; i < -diff; ++i)
          c_.create_pod(owner, b["spec"]["template"], "", json::object(), "replicaset-controller");
      } else if (diff > 0) {
        // controller.ActivePods ordering: unscheduled, pending, not ready, ready for less
        // time, more restarts, newer first.
        auto rank = [&](const Object& p) {
          const json& pb = p.body();
          std::string phase = str_at(pb, {"status", "phase"});
          int scheduled = str_at(pb, {"spec", "nodeName"}).empty() ? 0 : 1;
          int running = phase == "Running" ? 2 : (phase == "Pending" || phase.empty()) ? 0 : 1;
          int ready = pod_ready(pb) ? 1 : 0;
          auto since = ready_since(pb);
          long long ready_ms = since ? -sim::to_ms(*since) : 0;
          return std::make_tuple(scheduled, running, ready, ready_ms, -restart_count(pb),
                                 -sim::to_ms(created_at(pb)), p.name());
        };
        std::sort(active.begin(), active.end(),
                  [&](const Object& a, const Object& z) { return rank(a) < rank(z); });
        for (int i = 0; i < diff; ++i) c_.delete_object(active[static_cast<size_t>(i)], "replicaset-controller");
      }
      // Status from the pods as they are now.
      const Object* fresh = c_.find("apps", "ReplicaSet", key);
      if (!fresh) return ReconcileResult::done();
      int count = 0, ready = 0, available = 0;
      std::optional<SimTime> next;
      for (const auto* p : c_.owned_pods(owner.ns(), uid_of(b), "ReplicaSet")) {
        const json& pb = p->body();
        if (terminating(pb) || pod_finished(pb)) continue;
        ++count;
        if (pod_ready(pb)) {
          ++ready;
          if (pod_available(pb, min_ready, now)) {
            ++available;
          } else if (auto s = ready_since(pb)) {
            SimTime at = *s + sim::seconds(min_ready);
            if (!next || at < *next) next = at;
          }
        }
      }
      json status = fresh->body().contains("status") ? fresh->body()["status"] : json::object();
      status["replicas"] = count;
      set_count(status, "fullyLabeledReplicas", count);
      set_count(status, "readyReplicas", ready);
      set_count(status, "availableReplicas", available);
      status["observedGeneration"] = int_at(fresh->body(), {"metadata", "generation"}, 1);
      c_.write_status(*fresh, std::move(status), "replicaset-controller");
      if (next) return ReconcileResult::requeue_after(*next - now);
      return ReconcileResult::done();
    }

   private:
    Controllers& c_;
  };

  // ---- Deployment ---------------------------------------------------------------------------
  class DeploymentController final : public sim::Reconciler {
   public:
    explicit DeploymentController(Controllers& c) : c_(c) {}
    std::string_view controller_name() const override { return "deployment-controller"; }

    static int revision(const json& rs) {
      std::string r = str_at(rs, {"metadata", "annotations", "deployment.kubernetes.io/revision"});
      try {
        return r.empty() ? 0 : std::stoi(r);
      } catch (...) {
        return 0;
      }
    }

    ReconcileResult reconcile(const std::string& key, SimTime now) override {
      const Object* dp = c_.find("apps", "Deployment", key);
      if (!dp || terminating(dp->body())) return ReconcileResult::done();
      Object d = *dp;
      const json& b = d.body();
      const std::string ns = d.ns();
      const std::string duid = uid_of(b);
      int replicas = int_at(b, {"spec", "replicas"}, 1);
      const json& tmpl = b["spec"]["template"];
      bool recreate = str_at(b, {"spec", "strategy", "type"}) == "Recreate";
      auto [surge, unavailable] = resolve_fenceposts(at(b, {"spec", "strategy", "rollingUpdate", "maxSurge"}),
                                                     at(b, {"spec", "strategy", "rollingUpdate", "maxUnavailable"}),
                                                     replicas);
      if (recreate) surge = 0;
      int max_unavailable = recreate || replicas == 0 ? 0 : std::min(unavailable, replicas);

      auto load = [&]() {
        std::vector<Object> out;
        model::ListOptions lo;
        lo.group = "apps";
        lo.kind = "ReplicaSet";
        lo.ns = ns;
        c_.api_.visit(lo, [&](const Object& rs) {
          if (controller_uid(rs.body(), "Deployment") == duid && !terminating(rs.body())) out.push_back(rs);
        });
        std::sort(out.begin(), out.end(), [](const Object& a, const Object& z) {
          auto ka = std::make_pair(sim::to_ms(created_at(a.body())), a.name());
          auto kz = std::make_pair(sim::to_ms(created_at(z.body())), z.name());
          return ka < kz;
        });
        return out;
      };
      json want_tmpl = template_without_hash(tmpl);
      auto split = [&](const std::vector<Object>& all, std::optional<Object>& fresh,
                       std::vector<Object>& old) {
        fresh.reset();
        old.clear();
        for (const auto& rs : all) {
          if (!fresh && template_without_hash(rs.body()["spec"]["template"]) == want_tmpl)
            fresh = rs;
          else
            old.push_back(rs);
        }
      };
      std::vector<Object> all = load();
      std::optional<Object> new_rs;
      std::vector<Object> old_rss;
      split(all, new_rs, old_rss);
      int max_old_rev = 0;
      for (const auto& rs : old_rss) max_old_rev = std::max(max_old_rev, revision(rs.body()));

      json status = b.contains("status") ? b["status"] : json::object();
      const bool paused = at(b, {"spec", "paused"}).is_boolean() && b["spec"]["paused"].get<bool>();
      const char* actor = "deployment-controller";
      std::string hash = pod_template_hash(want_tmpl);
      auto sum = [](const std::vector<Object>& v, std::initializer_list<const char*> path) {
        int s = 0;
        for (const auto& o : v) s += int_at(o.body(), path, 0);
        return s;
      };

      if (!paused) {
        // getNewReplicaSet.
        if (!new_rs) {
          bool may_create = true;
          if (recreate) {
            // Recreate: old pods must all be gone first.
            for (const auto& rs : old_rss) {
              if (int_at(rs.body(), {"spec", "replicas"}, 0) > 0) {
                c_.scale(rs, 0, actor);
              }
            }
            bool old_pods = false;
            for (const auto& rs : old_rss)
              if (!c_.owned_pods(ns, uid_of(rs.body()), "ReplicaSet").empty()) old_pods = true;
            may_create = !old_pods;
          }
          if (may_create) {
            int start = replicas;
            if (!recreate) {
              int current = sum(all, {"spec", "replicas"});
              int max_total = replicas + surge;
              start = current >= max_total ? 0 : std::min(max_total - current, replicas);
            }
            std::string name = d.name() + "-" + hash;
            json rs_tmpl = want_tmpl;
            rs_tmpl["metadata"]["labels"]["pod-template-hash"] = hash;
            json selector = b["spec"].contains("selector") ? b["spec"]["selector"] : json::object();
            selector["matchLabels"]["pod-template-hash"] = hash;
            json labels = rs_tmpl["metadata"]["labels"];
            json rs = {{"apiVersion", "apps/v1"},
                       {"kind", "ReplicaSet"},
                       {"metadata",
                        {{"name", name},
                         {"namespace", ns},
                         {"labels", labels},
                         {"annotations",
                          {{"deployment.kubernetes.io/desired-replicas", std::to_string(replicas)},
                           {"deployment.kubernetes.io/max-replicas", std::to_string(replicas + surge)},
                           {"deployment.kubernetes.io/revision", std::to_string(max_old_rev + 1)}}},
                         {"ownerReferences", json::array({owner_ref(d)})}}},
                       {"spec",
                        {{"replicas", start},
                         {"minReadySeconds", int_at(b, {"spec", "minReadySeconds"}, 0)},
                         {"selector", selector},
                         {"template", rs_tmpl}}}};
            auto created = c_.api_.create(Object{model::JsonBox(std::move(rs))}, actor);
            if (!created.ok()) return ReconcileResult::failed(created.error().message);
            json cond = {{"type", "Progressing"},
                         {"status", "True"},
                         {"lastUpdateTime", rfc(now)},
                         {"lastTransitionTime", rfc(now)},
                         {"reason", "NewReplicaSetCreated"},
                         {"message", fmt::format("Created new replica set \"{}\"", name)}};
            const json* cur = find_condition(status, "Progressing");
            if (cur && cur->value("status", "") == "True")
              cond["lastTransitionTime"] = cur->value("lastTransitionTime", rfc(now));
            put_condition(status, cond);
            all = load();
            split(all, new_rs, old_rss);
          }
        } else {
          // Existing new RS: revision bump on rollback, scale annotations.
          int rev = revision(new_rs->body());
          if (rev <= max_old_rev) {
            json nb = new_rs->body();
            nb["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = std::to_string(max_old_rev + 1);
            nb["metadata"].erase("resourceVersion");
            (void)c_.api_.update(Object{model::JsonBox(std::move(nb))}, actor);
            all = load();
            split(all, new_rs, old_rss);
          }
          if (!find_condition(status, "Progressing")) {
            put_condition(status, {{"type", "Progressing"},
                                   {"status", "True"},
                                   {"lastUpdateTime", rfc(now)},
                                   {"lastTransitionTime", rfc(now)},
                                   {"reason", "FoundNewReplicaSet"},
                                   {"message", fmt::format("Found new replica set \"{}\"", new_rs->name())}});
          }
        }

        if (new_rs) {
          int new_replicas = int_at(new_rs->body(), {"spec", "replicas"}, 0);
          json ann = {{"deployment.kubernetes.io/desired-replicas", std::to_string(replicas)},
                      {"deployment.kubernetes.io/max-replicas", std::to_string(replicas + surge)}};
          if (recreate) {
            bool old_running = false;
            for (const auto& rs : old_rss) {
              if (int_at(rs.body(), {"spec", "replicas"}, 0) > 0) c_.scale(rs, 0, actor);
              if (!c_.owned_pods(ns, uid_of(rs.body()), "ReplicaSet").empty()) old_running = true;
            }
            if (!old_running && new_replicas != replicas) c_.scale(*new_rs, replicas, actor, ann);
          } else {
            // reconcileNewReplicaSet (NewRSNewReplicas).
            int target = new_replicas;
            if (new_replicas > replicas) {
              target = replicas;
            } else if (new_replicas < replicas) {
              int current = sum(all, {"spec", "replicas"});
              int max_total = replicas + surge;
              if (current < max_total) target = new_replicas + std::min(max_total - current, replicas - new_replicas);
            }
            if (target != new_replicas) {
              c_.scale(*new_rs, target, actor, ann);
              all = load();
              split(all, new_rs, old_rss);
            }
            // reconcileOldReplicaSets.
            int old_pods = sum(old_rss, {"spec", "replicas"});
            if (old_pods > 0 && new_rs) {
              int all_pods = sum(all, {"spec", "replicas"});
              int min_available = replicas - max_unavailable;
              int new_unavailable = int_at(new_rs->body(), {"spec", "replicas"}, 0) -
                                    int_at(new_rs->body(), {"status", "availableReplicas"}, 0);
              int max_scaled_down = all_pods - min_available - new_unavailable;
              int cleaned = 0;
              if (max_scaled_down > 0) {
                // cleanupUnhealthyReplicas: oldest first.
                for (auto& rs : old_rss) {
                  if (cleaned >= max_scaled_down) break;
                  int r = int_at(rs.body(), {"spec", "replicas"}, 0);
                  if (r == 0) continue;
                  int unhealthy = r - int_at(rs.body(), {"status", "availableReplicas"}, 0);
                  if (unhealthy <= 0) continue;
                  int down = std::min(max_scaled_down - cleaned, unhealthy);
                  c_.scale(rs, r - down, actor);
                  cleaned += down;
                }
                all = load();
                split(all, new_rs, old_rss);
                // scaleDownOldReplicaSetsForRollingUpdate.
                int available = sum(all, {"status", "availableReplicas"});
                if (available > min_available) {
                  int total = available - min_available, done = 0;
                  for (auto& rs : old_rss) {
                    if (done >= total) break;
                    int r = int_at(rs.body(), {"spec", "replicas"}, 0);
                    if (r == 0) continue;
                    int down = std::min(r, total - done);
                    c_.scale(rs, r - down, actor);
                    done += down;
                  }
                }
              }
            }
          }
        }
      }

      // Revision annotation on the Deployment.
      all = load();
      split(all, new_rs, old_rss);
      if (new_rs) {
        std::string rev = str_at(new_rs->body(), {"metadata", "annotations", "deployment.kubernetes.io/revision"});
        if (str_at(b, {"metadata", "annotations", "deployment.kubernetes.io/revision"}) != rev) {
          json nb = b;
          nb["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = rev;
          nb["metadata"].erase("resourceVersion");
          auto r = c_.api_.update(Object{model::JsonBox(std::move(nb))}, actor);
          if (r.ok()) d = *r;
        }
      }

      // calculateStatus + syncRolloutStatus.
      json old_status = status;
      int status_replicas = sum(all, {"status", "replicas"});
      int updated = new_rs ? int_at(new_rs->body(), {"status", "replicas"}, 0) : 0;
      int ready = sum(all, {"status", "readyReplicas"});
      int available = sum(all, {"status", "availableReplicas"});
      int total_spec = sum(all, {"spec", "replicas"});
      json ns_status = status;
      ns_status["observedGeneration"] = int_at(d.body(), {"metadata", "generation"}, 1);
      set_count(ns_status, "replicas", status_replicas);
      set_count(ns_status, "updatedReplicas", updated);
      set_count(ns_status, "readyReplicas", ready);
      set_count(ns_status, "availableReplicas", available);
      set_count(ns_status, "unavailableReplicas", std::max(0, total_spec - available));
      auto set_cond = [&](json cond) {
        const json* cur = find_condition(ns_status, cond["type"].get<std::string>());
        if (cur && cur->value("status", "") == cond["status"] && cur->value("reason", "") == cond["reason"])
          return;
        if (cur && cur->value("status", "") == cond["status"])
          cond["lastTransitionTime"] = cur->value("lastTransitionTime", rfc(now));
        put_condition(ns_status, std::move(cond));
      };
      bool min_available = available >= replicas - max_unavailable;
      set_cond({{"type", "Available"},
                {"status", min_available ? "True" : "False"},
                {"lastUpdateTime", rfc(now)},
                {"lastTransitionTime", rfc(now)},
                {"reason", min_available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable"},
                {"message", min_available ? "Deployment has minimum availability."
                                          : "Deployment does not have minimum availability."}});
      std::optional<SimDuration> requeue;
      int deadline = int_at(b, {"spec", "progressDeadlineSeconds"}, 600);
      std::string rs_name = new_rs ? new_rs->name() : "";
      bool complete = updated == replicas && status_replicas == replicas && available == replicas &&
                      ns_status["observedGeneration"].get<int>() >= int_at(d.body(), {"metadata", "generation"}, 1);
      if (!paused && new_rs) {
        auto old_old = int_at(old_status, {"replicas"}, 0) - int_at(old_status, {"updatedReplicas"}, 0);
        auto new_old = status_replicas - updated;
        bool progressing = updated > int_at(old_status, {"updatedReplicas"}, 0) ||
                           ready > int_at(old_status, {"readyReplicas"}, 0) ||
                           available > int_at(old_status, {"availableReplicas"}, 0) || new_old < old_old;
        const json* cur = find_condition(ns_status, "Progressing");
        if (complete) {
          set_cond({{"type", "Progressing"},
                    {"status", "True"},
                    {"lastUpdateTime", rfc(now)},
                    {"lastTransitionTime", rfc(now)},
                    {"reason", "NewReplicaSetAvailable"},
                    {"message", fmt::format("ReplicaSet \"{}\" has successfully progressed.", rs_name)}});
        } else if (progressing) {
          json cond = {{"type", "Progressing"},
                       {"status", "True"},
                       {"lastUpdateTime", rfc(now)},
                       {"lastTransitionTime", rfc(now)},
                       {"reason", "ReplicaSetUpdated"},
                       {"message", fmt::format("ReplicaSet \"{}\" is progressing.", rs_name)}};
          if (cur && cur->value("status", "") == "True")
            cond["lastTransitionTime"] = cur->value("lastTransitionTime", rfc(now));
          put_condition(ns_status, std::move(cond));
        } else if (cur && cur->value("reason", "") != "NewReplicaSetAvailable") {
          bool timed_out = cur->value("reason", "") == "ProgressDeadlineExceeded";
          if (!timed_out) {
            auto from = sim::parse_rfc3339(cur->value("lastUpdateTime", ""));
            SimTime when = (from.ok() ? *from : now) + sim::seconds(deadline);
            if (now > when) {
              set_cond({{"type", "Progressing"},
                        {"status", "False"},
                        {"lastUpdateTime", rfc(now)},
                        {"lastTransitionTime", rfc(now)},
                        {"reason", "ProgressDeadlineExceeded"},
                        {"message", fmt::format("ReplicaSet \"{}\" has timed out progressing.", rs_name)}});
            } else {
              requeue = when - now + sim::seconds(1);
            }
          }
        }
        if (!complete && !requeue) {
          const json* c2 = find_condition(ns_status, "Progressing");
          if (c2 && c2->value("reason", "") != "ProgressDeadlineExceeded") {
            auto from = sim::parse_rfc3339(c2->value("lastUpdateTime", ""));
            SimTime when = (from.ok() ? *from : now) + sim::seconds(deadline);
            if (when >= now) requeue = when - now + sim::seconds(1);
          }
        }
      }
      // cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit.
      if (complete || paused) {
        int limit = int_at(b, {"spec", "revisionHistoryLimit"}, 10);
        std::vector<Object> cleanable;
        for (const auto& rs : old_rss)
          if (int_at(rs.body(), {"spec", "replicas"}, 0) == 0 && int_at(rs.body(), {"status", "replicas"}, 0) == 0)
            cleanable.push_back(rs);
        int excess = static_cast<int>(cleanable.size()) - limit;
        std::sort(cleanable.begin(), cleanable.end(), [](const Object& a, const Object& z) {
          return std::make_pair(revision(a.body()), a.name()) < std::make_pair(revision(z.body()), z.name());
        });
        for (int i = 0; i < excess; ++i) c_.delete_object(cleanable[static_cast<size_t>(i)], actor);
      }
      const Object* latest = c_.api_.find(d.key());
      if (latest) c_.write_status(*latest, std::move(ns_status), actor);
      if (requeue) return ReconcileResult::requeue_after(*requeue);
      return ReconcileResult::done();
    }

   private:
    Controllers& c_;
  };

  // ---- StatefulSet --------------------------------------------------------------------------
  class StatefulSetController final : public sim::Reconciler {
   public:
    explicit StatefulSetController(Controllers& c) : c_(c) {}
    std::string_view controller_name() const override { return "statefulset-controller"; }
    ReconcileResult reconcile(const std::string& key, SimTime now) override {
      const Object* sp = c_.find("apps", "StatefulSet", key);
      if (!sp || terminating(sp->body())) return ReconcileResult::done();
      Object s = *sp;
      const json& b = s.body();
      const char* actor = "statefulset-controller";
      int replicas = int_at(b, {"spec", "replicas"}, 1);
      bool parallel = str_at(b, {"spec", "podManagementPolicy"}) == "Parallel";
      bool on_delete = str_at(b, {"spec", "updateStrategy", "type"}) == "OnDelete";
      int partition = int_at(b, {"spec", "updateStrategy", "rollingUpdate", "partition"}, 0);
      std::string update_rev = s.name() + "-" + pod_template_hash(b["spec"]["template"]);
      std::map<int, Object> pods;
      for (const auto* p : c_.owned_pods(s.ns(), uid_of(b), "StatefulSet")) {
        const std::string& n = p->name();
        auto dash = n.rfind('-');
        if (dash == std::string::npos) continue;
        try {
          pods.emplace(std::stoi(n.substr(dash + 1)), *p);
        } catch (...) {
        }
      }
      auto healthy = [&](const Object& p) {
        return !terminating(p.body()) && str_at(p.body(), {"status", "phase"}) == "Running" && pod_ready(p.body());
      };
      bool acted = false;
      // Create missing ordinals (OrderedReady: one at a time, each after its predecessors are
      // Running and Ready).
      for (int i = 0; i < replicas && !acted; ++i) {
        auto it = pods.find(i);
        if (it == pods.end()) {
          ensure_claims(s, i);
          json labels = {{"controller-revision-hash", update_rev},
                         {"statefulset.kubernetes.io/pod-name", fmt::format("{}-{}", s.name(), i)},
                         {"apps.kubernetes.io/pod-index", std::to_string(i)}};
          json tmpl = b["spec"]["template"];
          add_claim_volumes(s, i, tmpl);
          tmpl["spec"]["hostname"] = fmt::format("{}-{}", s.name(), i);
          if (b["spec"].contains("serviceName")) tmpl["spec"]["subdomain"] = b["spec"]["serviceName"];
          c_.create_pod(s, tmpl, fmt::format("{}-{}", s.name(), i), labels, actor);
          if (!parallel) acted = true;
        } else if (!parallel && !healthy(it->second)) {
          acted = true;
        }
      }
      // Scale down from the highest ordinal, one at a time.
      if (!acted) {
        for (auto it = pods.rbegin(); it != pods.rend(); ++it) {
          if (it->first < replicas) break;
          if (!terminating(it->second.body())) c_.delete_object(it->second, actor);
          if (!parallel) {
            acted = true;
            break;
          }
        }
      }
      // Rolling update: highest ordinal >= partition first, when everything is healthy.
      if (!acted && !on_delete) {
        bool all_healthy = true;
        for (int i = 0; i < replicas; ++i)
          if (!pods.count(i) || !healthy(pods.at(i))) all_healthy = false;
        if (all_healthy) {
          for (int i = replicas - 1; i >= partition; --i) {
            const Object& p = pods.at(i);
            if (str_at(p.body(), {"metadata", "labels", "controller-revision-hash"}) != update_rev) {
              c_.delete_object(p, actor);
              break;
            }
          }
        }
      }
      // Status.
      const Object* fresh = c_.api_.find(s.key());
      if (!fresh) return ReconcileResult::done();
      json status = fresh->body().contains("status") ? fresh->body()["status"] : json::object();
      std::string current_rev = str_at(status, {"currentRevision"});
      if (current_rev.empty()) current_rev = update_rev;
      int count = 0, ready = 0, current = 0, updated = 0;
      for (const auto* p : c_.owned_pods(s.ns(), uid_of(b), "StatefulSet")) {
        if (terminating(p->body())) continue;
        ++count;
        if (pod_ready(p->body())) ++ready;
        std::string rev = str_at(p->body(), {"metadata", "labels", "controller-revision-hash"});
        if (rev == current_rev) ++current;
        if (rev == update_rev) ++updated;
      }
      if (updated == count && ready == count && count == replicas) {
        current_rev = update_rev;
        current = updated;
      }
      status["observedGeneration"] = int_at(fresh->body(), {"metadata", "generation"}, 1);
      status["replicas"] = count;
      set_count(status, "readyReplicas", ready);
      set_count(status, "currentReplicas", current);
      set_count(status, "updatedReplicas", updated);
      set_count(status, "availableReplicas", ready);
      status["currentRevision"] = current_rev;
      status["updateRevision"] = update_rev;
      status["collisionCount"] = 0;
      c_.write_status(*fresh, std::move(status), actor);
      (void)now;
      return ReconcileResult::done();
    }

   private:
    void ensure_claims(const Object& s, int i) {
      const json& tmpls = at(s.body(), {"spec", "volumeClaimTemplates"});
      if (!tmpls.is_array()) return;
      for (const auto& t : tmpls) {
        std::string name = fmt::format("{}-{}-{}", str_at(t, {"metadata", "name"}), s.name(), i);
        if (c_.api_.find(ObjectKey{"", "PersistentVolumeClaim", s.ns(), name})) continue;
        json pvc = {{"apiVersion", "v1"},
                    {"kind", "PersistentVolumeClaim"},
                    {"metadata", {{"name", name}, {"namespace", s.ns()}}},
                    {"spec", t.contains("spec") ? t["spec"] : json::object()}};
        if (const json& l = at(s.body(), {"spec", "selector", "matchLabels"}); l.is_object())
          pvc["metadata"]["labels"] = l;
        (void)c_.api_.create(Object{model::JsonBox(std::move(pvc))}, "statefulset-controller");
      }
    }
    void add_claim_volumes(const Object& s, int i, json& tmpl) {
      const json& tmpls = at(s.body(), {"spec", "volumeClaimTemplates"});
      if (!tmpls.is_array()) return;
      json& vols = tmpl["spec"]["volumes"];
      if (!vols.is_array()) vols = json::array();
      for (const auto& t : tmpls) {
        std::string vn = str_at(t, {"metadata", "name"});
        vols.push_back({{"name", vn},
                        {"persistentVolumeClaim", {{"claimName", fmt::format("{}-{}-{}", vn, s.name(), i)}}}});
      }
    }
    Controllers& c_;
  };

  // ---- DaemonSet ----------------------------------------------------------------------------
  class DaemonSetController final : public sim::Reconciler {
   public:
    explicit DaemonSetController(Controllers& c) : c_(c) {}
    std::string_view controller_name() const override { return "daemonset-controller"; }
    ReconcileResult reconcile(const std::string& key, SimTime now) override {
      const Object* dp = c_.find("apps", "DaemonSet", key);
      if (!dp || terminating(dp->body())) return ReconcileResult::done();
      Object ds = *dp;
      const json& b = ds.body();
      const char* actor = "daemonset-controller";
      int nodes = std::max(0, c_.c_.settings_.nodes);
      int min_ready = int_at(b, {"spec", "minReadySeconds"}, 0);
      std::string hash = pod_template_hash(b["spec"]["template"]);
      bool on_delete = str_at(b, {"spec", "updateStrategy", "type"}) == "OnDelete";
      int max_unavailable = std::max(1, scaled_value(at(b, {"spec", "updateStrategy", "rollingUpdate", "maxUnavailable"}),
                                                     nodes, true, 1));
      std::map<std::string, std::vector<Object>> by_node;
      for (const auto* p : c_.owned_pods(ds.ns(), uid_of(b), "DaemonSet"))
        if (!terminating(p->body())) by_node[str_at(p->body(), {"spec", "nodeName"})].push_back(*p);
      auto node_name = [](int i) { return fmt::format("node-{}", i + 1); };
      // Pods on nodes that do not exist go.
      for (auto& [node, pods] : by_node) {
        bool known = false;
        for (int i = 0; i < nodes; ++i) known = known || node_name(i) == node;
        if (!known)
          for (auto& p : pods) c_.delete_object(p, actor);
      }
      int unavailable = 0;
      for (int i = 0; i < nodes; ++i) {
        auto it = by_node.find(node_name(i));
        bool avail = false;
        if (it != by_node.end())
          for (const auto& p : it->second) avail = avail || pod_available(p.body(), min_ready, now);
        if (!avail) ++unavailable;
      }
      for (int i = 0; i < nodes; ++i) {
        auto it = by_node.find(node_name(i));
        if (it == by_node.end() || it->second.empty()) {
          c_.create_pod(ds, b["spec"]["template"], "", json{{"controller-revision-hash", hash}}, actor,
                        node_name(i));
          continue;
        }
        if (on_delete) continue;
        const Object& p = it->second.front();
        if (str_at(p.body(), {"metadata", "labels", "controller-revision-hash"}) != hash) {
          bool avail = pod_available(p.body(), min_ready, now);
          // Deleting an unavailable old pod costs nothing; an available one needs budget.
          if (!avail || unavailable < max_unavailable) {
            if (avail) ++unavailable;
            c_.delete_object(p, actor);
          }
        }
      }
      const Object* fresh = c_.api_.find(ds.key());
      if (!fresh) return ReconcileResult::done();
      int scheduled = 0, ready = 0, available = 0, updated = 0;
      std::optional<SimTime> next;
      std::set<std::string> seen;
      for (const auto* p : c_.owned_pods(ds.ns(), uid_of(b), "DaemonSet")) {
        if (terminating(p->body())) continue;
        std::string node = str_at(p->body(), {"spec", "nodeName"});
        if (!seen.insert(node).second) continue;
        ++scheduled;
        if (pod_ready(p->body())) ++ready;
        if (pod_available(p->body(), min_ready, now))
          ++available;
        else if (auto s = ready_since(p->body())) {
          SimTime at2 = *s + sim::seconds(min_ready);
          if (!next || at2 < *next) next = at2;
        }
        if (str_at(p->body(), {"metadata", "labels", "controller-revision-hash"}) == hash) ++updated;
      }
      json status = json::object();
      status["currentNumberScheduled"] = scheduled;
      status["desiredNumberScheduled"] = nodes;
      status["numberMisscheduled"] = 0;
      status["numberReady"] = ready;
      set_count(status, "numberAvailable", available);
      set_count(status, "numberUnavailable", std::max(0, nodes - available));
      set_count(status, "updatedNumberScheduled", updated);
      status["observedGeneration"] = int_at(fresh->body(), {"metadata", "generation"}, 1);
      c_.write_status(*fresh, std::move(status), actor);
      if (next) return ReconcileResult::requeue_after(*next - now);
      return ReconcileResult::done();
    }

   private:
    Controllers& c_;
  };

  // ---- Job ----------------------------------------------------------------------------------
  class JobController final : public sim::Reconciler {
   public:
    explicit JobController(Controllers& c) : c_(c) {}
    std::string_view controller_name() const override { return "job-controller"; }
    ReconcileResult reconcile(const std::string& key, SimTime now) override {
      const Object* jp = c_.find("batch", "Job", key);
      if (!jp || terminating(jp->body())) return ReconcileResult::done();
      Object job = *jp;
      const json& b = job.body();
      const char* actor = "job-controller";
      json status = b.contains("status") ? b["status"] : json::object();
      for (const char* t : {"Complete", "Failed"}) {
        const json* c = find_condition(status, t);
        if (c && c->value("status", "") == "True") return ReconcileResult::done();
      }
      bool suspended = at(b, {"spec", "suspend"}).is_boolean() && b["spec"]["suspend"].get<bool>();
      int completions = int_at(b, {"spec", "completions"}, 1);
      int parallelism = int_at(b, {"spec", "parallelism"}, 1);
      int backoff_limit = int_at(b, {"spec", "backoffLimit"}, 6);
      std::vector<Object> active;
      int succeeded = 0, failed = 0, ready = 0;
      std::optional<SimTime> last_failure;
      for (const auto* p : c_.owned_pods(job.ns(), uid_of(b), "Job")) {
        const json& pb = p->body();
        std::string phase = str_at(pb, {"status", "phase"});
        if (phase == "Succeeded") {
          ++succeeded;
        } else if (phase == "Failed") {
          ++failed;
          const json& cs = at(pb, {"status", "containerStatuses"});
          if (cs.is_array() && !cs.empty()) {
            auto t = sim::parse_rfc3339(str_at(cs[0], {"state", "terminated", "finishedAt"}));
            if (t.ok() && (!last_failure || *t > *last_failure)) last_failure = *t;
          }
        } else if (!terminating(pb)) {
          active.push_back(*p);
          if (pod_ready(pb)) ++ready;
        }
      }
      if (!status.contains("startTime")) status["startTime"] = rfc(now);
      std::optional<SimDuration> requeue;
      auto finish = [&](const char* type, const char* reason, const char* message) {
        json cond = {{"type", type},
                     {"status", "True"},
                     {"lastProbeTime", rfc(now)},
                     {"lastTransitionTime", rfc(now)}};
        if (reason[0]) cond["reason"] = reason;
        if (message[0]) cond["message"] = message;
        put_condition(status, std::move(cond));
      };
      if (failed > backoff_limit) {
        for (const auto& p : active) c_.delete_object(p, actor);
        active.clear();
        ready = 0;
        // pkg/controller/job: FailureTarget then Failed (1.31+); Failed is what readers check.
        finish("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
      } else if (succeeded >= completions) {
        status["completionTime"] = rfc(now);
        finish("Complete", "", "");
      } else if (!suspended) {
        int want = std::min(parallelism, completions - succeeded);
        int missing = want - static_cast<int>(active.size());
        if (missing > 0) {
          // Pod failure back-off: 10 s doubling, capped at 6 min, from the last failure.
          SimTime allowed = now;
          if (failed > 0 && last_failure) {
            SimDuration d = sim::seconds(10);
            for (int i = 1; i < failed && d < sim::minutes(6); ++i) d *= 2;
            if (d > sim::minutes(6)) d = sim::minutes(6);
            allowed = *last_failure + d;
          }
          if (allowed <= now) {
            std::string uid = uid_of(b);
            json labels = {{"batch.kubernetes.io/controller-uid", uid},
                           {"batch.kubernetes.io/job-name", job.name()},
                           {"controller-uid", uid},
                           {"job-name", job.name()}};
            for (int i = 0; i < missing; ++i) c_.create_pod(job, b["spec"]["template"], "", labels, actor);
            active.resize(active.size() + static_cast<size_t>(missing));
          } else {
            requeue = allowed - now;
          }
        }
      }
      set_count(status, "active", static_cast<int>(active.size()));
      set_count(status, "succeeded", succeeded);
      set_count(status, "failed", failed);
      status["ready"] = ready;
      status["terminating"] = 0;
      status["uncountedTerminatedPods"] = json::object();
      const Object* fresh = c_.api_.find(job.key());
      if (fresh) c_.write_status(*fresh, std::move(status), actor);
      if (requeue) return ReconcileResult::requeue_after(*requeue);
      return ReconcileResult::done();
    }

   private:
    Controllers& c_;
  };

  // ---- PersistentVolumeClaim binder and Service load balancer -------------------------------
  class MiscController final : public sim::Reconciler {
   public:
    explicit MiscController(Controllers& c) : c_(c) {}
    std::string_view controller_name() const override { return "kube-controller-manager"; }
    ReconcileResult reconcile(const std::string& key, SimTime) override {
      auto colon = key.find(':');
      std::string kind = key.substr(0, colon);
      std::string rest = key.substr(colon + 1);
      if (kind == "PersistentVolumeClaim") {
        const Object* pvc = c_.find("", "PersistentVolumeClaim", rest);
        if (!pvc || terminating(pvc->body())) return ReconcileResult::done();
        const json& b = pvc->body();
        json status = {{"phase", "Bound"},
                       {"accessModes", b["spec"].value("accessModes", json::array({"ReadWriteOnce"}))}};
        const json& req = at(b, {"spec", "resources", "requests", "storage"});
        if (!req.is_null()) status["capacity"] = {{"storage", req}};
        c_.write_status(*pvc, std::move(status), "persistentvolume-binder");
      } else if (kind == "Service") {
        const Object* svc = c_.find("", "Service", rest);
        if (!svc || terminating(svc->body())) return ReconcileResult::done();
        const json& b = svc->body();
        json status = {{"loadBalancer", json::object()}};
        if (str_at(b, {"spec", "type"}) == "LoadBalancer") {
          std::uint64_t h = sim::fnv1a64(uid_of(b));
          status["loadBalancer"]["ingress"] =
              json::array({{{"ip", fmt::format("172.18.255.{}", 1 + h % 250)}, {"ipMode", "VIP"}}});
        }
        c_.write_status(*svc, std::move(status), "service-controller");
      }
      return ReconcileResult::done();
    }

   private:
    Controllers& c_;
  };

  Cluster& c_;
  ApiServer& api_;
  sim::Rng name_rng_;
  Kubelet kubelet_;
  ReplicaSetController rs_;
  DeploymentController deploy_;
  StatefulSetController sts_;
  DaemonSetController ds_;
  JobController job_;
  MiscController misc_;
  sim::ControllerHost kubelet_host_;
  sim::ControllerHost rs_host_;
  sim::ControllerHost deploy_host_;
  sim::ControllerHost sts_host_;
  sim::ControllerHost ds_host_;
  sim::ControllerHost job_host_;
  sim::ControllerHost misc_host_;
  int watch_ = 0;
};

// ---------------------------------------------------------------------------------------------

Cluster::Cluster(sim::EventQueue& queue, sim::Rng rng, sim::Trace* trace, ClusterSettings settings)
    : queue_(queue), settings_(std::move(settings)), api_(queue, rng, trace) {
  // The initial state is not traced: it is the same for every run.
  api_.set_trace(nullptr);
  if (settings_.create_system_namespaces) {
    for (const char* ns : {"default", "kube-node-lease", "kube-public", "kube-system"}) {
      json b = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
      (void)api_.create(Object{model::JsonBox(std::move(b))}, "kube-apiserver");
    }
  }
  for (int i = 1; i <= settings_.nodes; ++i) {
    std::string name = fmt::format("node-{}", i);
    json b = {{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata",
               {{"name", name},
                {"labels",
                 {{"kubernetes.io/hostname", name}, {"kubernetes.io/os", "linux"}, {"kubernetes.io/arch", "amd64"}}}}},
              {"status",
               {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}, {"reason", "KubeletReady"}}})},
                {"addresses", json::array({{{"type", "InternalIP"}, {"address", fmt::format("10.0.0.{}", 10 + i)}}})}}}};
    auto created = api_.create(Object{model::JsonBox(b)}, "kubelet");
    if (created.ok()) {
      json sb = created->body();
      sb["status"] = b["status"];
      (void)api_.update_status(Object{model::JsonBox(std::move(sb))}, "kubelet");
    }
  }
  api_.set_trace(trace);
  controllers_ = std::make_unique<Controllers>(*this, rng);
}

Cluster::~Cluster() = default;

}  // namespace rehearse::cluster

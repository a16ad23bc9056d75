#include "sim/rollouts/rollouts_controller.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/model/json_fields.hpp"
#include "engine/rollouts/analysis_run.hpp"
#include "engine/rollouts/rollout_controller.hpp"
#include "sim/cluster/cluster.hpp"
#include "sim/kernel/controller_host.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/settings.hpp"
#include "sim/world/world.hpp"

namespace rehearse::sim {

using nlohmann::json;

namespace {

constexpr const char* kGroup = "argoproj.io";
constexpr const char* kActor = "argo-rollouts";  // the upstream controller's name
constexpr const char* kPluginActor = "kubectl-argo-rollouts";
constexpr const char* kJobRunAnnotation = "analysisrun.argoproj.io/name";

// --- settings ------------------------------------------------------------------------------

// A value that holds from `at` until the next point (a step function over scenario time).
struct Point {
  SimDuration at{};
  json value;
};
struct Series {
  std::vector<Point> points;  // strictly increasing `at`; empty = no series
  bool given = false;
};
// [from, to); `to` unset = until the end. `instant`: exactly at `from`.
struct Window {
  SimDuration from{};
  std::optional<SimDuration> to;
  bool instant = false;
  std::string message;
  bool contains(SimDuration t) const {
    if (instant) return t == from;
    return t >= from && (!to || t < *to);
  }
};
struct Stream {
  std::string metric;  // exact metric name, or
  std::string query;   // substring of the provider's query / url
  Series canary, stable;
  std::vector<Window> errors;
  std::vector<Window> empty;
};
struct Settings {
  std::vector<Stream> streams;
};

std::string key_of(const model::Object& o) { return o.ns() + "/" + o.name(); }

std::pair<std::string, std::string> split_key(const std::string& key) {
  size_t p = key.find('/');
  return {key.substr(0, p), key.substr(p + 1)};
}

using model::field;

std::string str_of(const json& v) { return v.is_string() ? v.get<std::string>() : std::string(); }

// Measurements a metric result has taken: count + error (Error measurements never consume
// count, reference rollouts.md §6.3). Status written by someone else may lack either.
std::int64_t taken_of(const json& metric_result) {
  std::int64_t n = 0;
  for (const char* k : {"count", "error"})
    if (const json& v = field(metric_result, k); v.is_number_integer()) n += v.get<std::int64_t>();
  return n;
}

// The provider text a `query:` stream matches against: the prometheus query or web url.
std::string provider_text(const rollouts::Metric& m) {
  const json& p = *m.provider;
  for (const char* k : {"query", "url"})
    if (const json& v = field(p, k); v.is_string()) return v.get<std::string>();
  return "";
}

// Replays metric streams (the "first level" of metric streams in issue 7).
class StreamProvider : public rollouts::MetricProvider {
 public:
  using JobMeasure = std::function<rollouts::ProviderResult(const rollouts::Metric&, SimTime)>;
  StreamProvider(const Settings& s, JobMeasure jobs) : settings_(s), jobs_(std::move(jobs)) {}

  rollouts::ProviderResult measure(const rollouts::Metric& metric, SimTime now) override {
    using rollouts::ProviderResult;
    const std::string text = provider_text(metric);
    const Stream* stream = nullptr;
    for (const auto& s : settings_.streams) {
      if ((!s.metric.empty() && s.metric == metric.name) ||
          (!s.query.empty() && text.find(s.query) != std::string::npos)) {
        stream = &s;
        break;
      }
    }
    // A `job` metric runs a Job in the cluster unless a stream stands in for it.
    if (!stream && metric.provider_type == "job") return jobs_(metric, now);
    if (!stream)
      return ProviderResult::failure(fmt::format(
          "no metric stream for metric \"{}\" (spec.controllers.rollouts.metrics)", metric.name));
    const SimDuration t = now - kSimStart;
    for (const auto& w : stream->errors)
      if (w.contains(t)) return ProviderResult::failure(w.message);
    for (const auto& w : stream->empty)
      if (w.contains(t)) {
        // Prometheus: a vector with no samples is an empty []float64 (reference §7); web: an
        // empty body is not JSON and passes through as a raw string.
        return ProviderResult::of(metric.provider_type == "web" ? json("") : json::array());
      }
    // The canary series unless the metric's query names only the stable version.
    const bool wants_stable = text.find("stable") != std::string::npos && text.find("canary") == std::string::npos;
    const Series* series = &stream->canary;
    if ((wants_stable && stream->stable.given) || !stream->canary.given) series = &stream->stable;
    const Point* p = nullptr;
    for (const auto& pt : series->points)
      if (pt.at <= t) p = &pt;
    if (!p)
      return ProviderResult::failure(
          fmt::format("metric stream for \"{}\" has no value at {}", metric.name, format_short(t)));
    return ProviderResult::of(p->value);
  }

 private:
  const Settings& settings_;
  JobMeasure jobs_;
};

// --- what the trace reports about a Rollout ----------------------------------------------------

struct RolloutView {
  bool exists = false;
  std::optional<int> step;
  std::optional<int> weight;  // status.canary.weights.canary.weight (traffic-routed canary)
  std::string phase, message, stable_rs, pod_hash, abort_message;
  bool aborted = false;
  bool paused = false;
};

std::string owner_rollout(const model::Object& o);

// The share of traffic (percent) the new, not yet promoted version gets when no traffic
// router sets weights:
// - basic canary: Services select pods of every ReplicaSet, so traffic follows available
//   pods: canary RS available / all available, rounded to the nearest percent;
// - blueGreen: all of it once the active Service points at the new ReplicaSet, before
//   promotion makes it stable (the post-promotion analysis window); the preview Service
//   gets no production traffic.
std::optional<int> untrafficked_weight(const model::Object& ro, const cluster::ApiServer& api) {
  const json& spec = field(ro.body(), "spec");
  const json& strategy = field(spec, "strategy");
  const json& st = field(ro.body(), "status");
  const std::string hash = str_of(field(st, "currentPodHash"));
  const std::string stable = str_of(field(st, "stableRS"));
  if (hash.empty() || stable.empty() || hash == stable) return 0;  // no canary on a first deploy
  if (field(strategy, "blueGreen").is_object())
    return str_of(field(field(st, "blueGreen"), "activeSelector")) == hash ? 100 : 0;
  if (!field(strategy, "canary").is_object()) return std::nullopt;
  long canary = 0, total = 0;
  model::ListOptions lo;
  lo.group = "apps";
  lo.kind = "ReplicaSet";
  lo.ns = ro.ns();
  api.visit(lo, [&](const model::Object& rs) {
    if (owner_rollout(rs) != ro.ns() + "/" + ro.name()) return;
    const json& avail = field(field(rs.body(), "status"), "availableReplicas");
    const long n = avail.is_number_integer() ? avail.get<long>() : 0;
    total += n;
    if (str_of(field(field(field(rs.body(), "metadata"), "labels"), rollouts::kPodTemplateHashLabel)) == hash) canary += n;
  });
  if (total == 0) return 0;
  return static_cast<int>((200 * canary + total) / (2 * total));  // round half up
}

RolloutView view_of(const model::Object* o, const cluster::ApiServer& api) {
  RolloutView v;
  if (!o) return v;
  v.exists = true;
  const json& st = field(o->body(), "status");
  if (const json& i = field(st, "currentStepIndex"); i.is_number_integer()) v.step = i.get<int>();
  const json& w = field(field(field(field(st, "canary"), "weights"), "canary"), "weight");
  const bool routed = field(field(field(field(o->body(), "spec"), "strategy"), "canary"), "trafficRouting").is_object();
  if (w.is_number_integer()) v.weight = w.get<int>();
  else if (!routed) v.weight = untrafficked_weight(*o, api);
  auto str = [&](const char* k) {
    const json& s = field(st, k);
    return s.is_string() ? s.get<std::string>() : std::string();
  };
  v.phase = str("phase");
  v.message = str("message");
  v.stable_rs = str("stableRS");
  v.pod_hash = str("currentPodHash");
  v.abort_message = str("abortMessage");
  v.aborted = field(st, "abort").is_boolean() && field(st, "abort").get<bool>();
  const json& pc = field(st, "pauseConditions");
  v.paused = pc.is_array() && !pc.empty();
  return v;
}

json step_of(const model::Object* o, int index) {
  const json& steps = field(field(field(field(o->body(), "spec"), "strategy"), "canary"), "steps");
  if (steps.is_array() && index >= 0 && static_cast<size_t>(index) < steps.size()) return steps[index];
  return "end";
}


// The Rollout that owns `o` (ownerReferences kind Rollout), or "".
std::string owner_rollout(const model::Object& o) {
  const json& refs = field(field(o.body(), "metadata"), "ownerReferences");
  if (!refs.is_array()) return "";
  for (const auto& r : refs)
    if (field(r, "kind") == "Rollout" && field(r, "name").is_string())
      return o.ns() + "/" + field(r, "name").get<std::string>();
  return "";
}

class RolloutsController : public SimController {
 public:
  explicit RolloutsController(Settings s)
      : settings_(std::move(s)),
        provider_(settings_, [this](const rollouts::Metric& m, SimTime now) { return measure_job(m, now); }),
        analysis_([this](const model::Object& run) -> rollouts::MetricProvider& {
          current_run_ = &run;
          return provider_;
        }) {}
  std::string_view name() const override { return "rollouts"; }

  void start(World& world) override {
    world_ = &world;
    rollout_rec_ = std::make_unique<FnReconciler>(kActor, [this](const std::string& k, SimTime now) { return reconcile_rollout(k, now); });
    run_rec_ = std::make_unique<FnReconciler>(kActor, [this](const std::string& k, SimTime now) { return reconcile_run(k, now); });
    // controller-runtime's default rate limiter (workqueue.DefaultControllerRateLimiter).
    rollout_host_ = std::make_unique<ControllerHost>(world.queue(), *rollout_rec_);
    run_host_ = std::make_unique<ControllerHost>(world.queue(), *run_rec_);
    auto& api = world.cluster().api();
    api.watch(kGroup, "Rollout", [this](cluster::WatchType type, const model::Object& obj, std::string_view) {
      std::string key = key_of(obj);
      if (type == cluster::WatchType::Deleted) {
        rollout_host_->forget(key);
        views_.erase(key);
        return;
      }
      rollout_host_->enqueue(key);
    });
    api.watch("apps", "ReplicaSet", [this](cluster::WatchType, const model::Object& obj, std::string_view) {
      if (auto owner = owner_rollout(obj); !owner.empty()) rollout_host_->enqueue(owner);
    });
    api.watch(kGroup, "AnalysisRun", [this](cluster::WatchType type, const model::Object& obj, std::string_view) {
      std::string key = key_of(obj);
      // rollout/controller.go enqueues the owning Rollout when a run is added or deleted,
      // but on an update only when status.phase changed ("Only enqueue rollout if the
      // status changed"): a new measurement alone does not wake the Rollout.
      const json& phase_j = field(field(obj.body(), "status"), "phase");
      std::string phase = phase_j.is_string() ? phase_j.get<std::string>() : "";
      auto [seen, added] = run_phase_.try_emplace(key, phase);
      const bool phase_changed = added || seen->second != phase;
      seen->second = std::move(phase);
      if (type != cluster::WatchType::Modified || phase_changed)
        if (auto owner = owner_rollout(obj); !owner.empty()) rollout_host_->enqueue(owner);
      if (type == cluster::WatchType::Deleted) {
        run_host_->forget(key);
        run_generation_.erase(key);
        run_phase_.erase(key);
        return;
      }
      // Creation and spec changes (terminate) retrigger; our own status writes do not (the
      // engine returns when the run is next due).
      const json& g = field(field(obj.body(), "metadata"), "generation");
      std::int64_t gen = g.is_number_integer() ? g.get<std::int64_t>() : 0;
      auto [it, inserted] = run_generation_.try_emplace(key, gen);
      if (inserted || it->second != gen) {
        it->second = gen;
        run_host_->enqueue(key);
      }
    });
    // A `job` measurement's Job finishing wakes its AnalysisRun.
    api.watch("batch", "Job", [this](cluster::WatchType, const model::Object& obj, std::string_view) {
      const json& run = field(field(field(obj.body(), "metadata"), "annotations"), kJobRunAnnotation);
      if (run.is_string()) run_host_->enqueue(obj.ns() + "/" + run.get<std::string>());
    });
    for (const char* kind : {"Rollout", "AnalysisRun"}) {
      model::ListOptions lo;
      lo.group = kGroup;
      lo.kind = kind;
      ControllerHost* h = std::string_view(kind) == "Rollout" ? rollout_host_.get() : run_host_.get();
      api.visit(lo, [&](const model::Object& o) { h->enqueue(key_of(o)); });
    }
  }

  Result<void> command(World& world, std::string_view, const std::vector<std::string>& argv) override {
    std::string ns = "default";
    std::vector<std::string> args;
    bool full = false;
    for (size_t i = 0; i < argv.size(); ++i) {
      if ((argv[i] == "-n" || argv[i] == "--namespace") && i + 1 < argv.size()) ns = argv[++i];
      else if (argv[i].rfind("--namespace=", 0) == 0) ns = argv[i].substr(12);
      else if (argv[i] == "--full") full = true;
      else args.push_back(argv[i]);
    }
    static const char* kUsage =
        "usage: rollouts promote [--full] NAME | abort NAME | retry rollout NAME | pause NAME | "
        "resume NAME | set image NAME CONTAINER=IMAGE  [-n NS]";
    if (args.empty()) return fail("rollouts-usage", kUsage);
    const std::string verb = args[0];
    std::string name;
    if ((verb == "promote" || verb == "abort" || verb == "pause" || verb == "resume") && args.size() == 2) {
      name = args[1];
    } else if (verb == "retry" && args.size() == 3 && args[1] == "rollout") {
      name = args[2];
    } else if (verb == "set" && args.size() == 4 && args[1] == "image") {
      name = args[2];
    } else {
      return fail("rollouts-usage", kUsage);
    }
    if (full && verb != "promote") return fail("rollouts-usage", "--full goes with promote");
    model::ObjectKey key{kGroup, "Rollout", ns, name};
    model::ClusterClient& client = world.client(kPluginActor);
    Result<void> r;
    json details = {{"verb", verb}};
    if (verb == "promote") {
      // reference rollouts.md §8.3 / §8.4
      r = rollouts::promote(client, key, full);
      details["full"] = full;
    } else if (verb == "abort") {
      r = rollouts::abort_rollout(client, key);  // §8.1
    } else if (verb == "retry") {
      r = rollouts::retry_rollout(client, key);  // §8.2
    } else if (verb == "pause" || verb == "resume") {
      r = rollouts::set_paused(client, key, verb == "pause");  // §8.5
    } else {
      r = set_image(client, key, args[3]);
      details["image"] = args[3];
    }
    if (!r) return r;
    world.record("rollouts.action", key.str(), details);
    return {};
  }

 private:
  static Result<void> set_image(model::ClusterClient& client, const model::ObjectKey& key, const std::string& arg) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
      return fail("rollouts-usage", fmt::format("`{}` is not CONTAINER=IMAGE", arg));
    const std::string container = arg.substr(0, eq), image = arg.substr(eq + 1);
    auto got = client.get(key);
    if (!got) return fail(got.error().reason, got.error().message);
    json body = got->body();
    json* containers = nullptr;
    if (body.contains("spec") && body["spec"].contains("template") && body["spec"]["template"].contains("spec") &&
        body["spec"]["template"]["spec"].contains("containers"))
      containers = &body["spec"]["template"]["spec"]["containers"];
    bool found = false;
    if (containers && containers->is_array())
      for (auto& c : *containers)
        if (field(c, "name") == container) {
          c["image"] = image;
          found = true;
        }
    if (!found)
      return fail("NotFound", fmt::format("unable to find container named \"{}\" in {}", container, key.str()));
    auto u = client.update(model::Object(model::JsonBox(std::move(body))));
    if (!u) return fail(u.error().reason, u.error().message);
    return {};
  }

  ReconcileResult reconcile_rollout(const std::string& key, SimTime now) {
    auto [ns, name] = split_key(key);
    model::ObjectKey k{kGroup, "Rollout", ns, name};
    auto& api = world_->cluster().api();
    auto out = rollout_controller_.reconcile(world_->client(kActor), k, now);
    const model::Object* obj = api.find(k);
    RolloutView after = view_of(obj, api);
    RolloutView& before = views_[key];
    const std::string ref = k.str();
    for (const auto& e : out.events) {
      auto colon = e.find(": ");
      world_->record("rollouts.event", ref,
                     colon == std::string::npos ? json{{"message", e}}
                                                : json{{"reason", e.substr(0, colon)}, {"message", e.substr(colon + 2)}});
    }
    if (after.exists) {
      // The cause before its effects: an abort resets the step and the weight in one pass.
      if (after.aborted && !before.aborted) world_->record("rollouts.aborted", ref, {{"message", after.abort_message}});
      if (after.step && after.step != before.step)
        world_->record("rollouts.step", ref,
                       {{"from", before.step ? json(*before.step) : json()}, {"to", *after.step}, {"step", step_of(obj, *after.step)}});
      // No weights yet counts as 0 (nothing routed to the canary).
      if (after.weight.value_or(0) != before.weight.value_or(0)) {
        int w = after.weight.value_or(0);
        // Istio: stable = 100 - canary (reference rollouts.md §4.2).
        world_->record("rollouts.weight", ref, {{"canary", w}, {"stable", 100 - w}});
      }
      if (!after.stable_rs.empty() && after.stable_rs != before.stable_rs && after.stable_rs == after.pod_hash)
        world_->record("rollouts.promoted", ref, {{"stableRS", after.stable_rs}, {"initial", before.stable_rs.empty()}});
      if (after.phase != before.phase || after.message != before.message)
        world_->record("rollouts.phase", ref, {{"phase", after.phase}, {"message", after.message}});
    }
    before = std::move(after);
    if (out.requeue_after) return ReconcileResult::requeue_after(*out.requeue_after);
    return ReconcileResult::done();
  }

  // The `job` provider (metricproviders/job, reference rollouts.md §6.2): one Job per
  // measurement, created from the metric's `provider.job` template in the run's namespace
  // and owned by the run; the measurement completes when the Job does: Complete ->
  // Successful, Failed -> Failed. The workload profile of the Job's image decides which
  // (`workloads: [{image, runFor, fails}]`). rehearse names the Job
  // `<run>.<metric>.<n>` (n counts the metric's Jobs from 1).
  rollouts::ProviderResult measure_job(const rollouts::Metric& metric, SimTime) {
    using rollouts::ProviderResult;
    REHEARSE_CHECK(current_run_ != nullptr, "job measurement outside an AnalysisRun reconcile");
    const model::Object& run = *current_run_;
    JobState& js = jobs_[run.ns() + "/" + run.name() + "/" + metric.name];
    auto& api = world_->cluster().api();
    if (!js.pending.empty()) {
      const model::Object* job = api.find({"batch", "Job", run.ns(), js.pending});
      if (!job) {
        std::string name = std::exchange(js.pending, "");
        return ProviderResult::failure(fmt::format("job \"{}\" not found", name));
      }
      const json& conds = field(field(job->body(), "status"), "conditions");
      if (conds.is_array())
        for (const auto& c : conds) {
          if (field(c, "status") != "True") continue;
          if (field(c, "type") == "Complete") {
            js.pending.clear();
            return ProviderResult::of(json(""));  // upstream stores no value for a Job
          }
          if (field(c, "type") == "Failed") {
            std::string name = std::exchange(js.pending, "");
            const json& msg = field(c, "message");
            return ProviderResult::failed(fmt::format("job \"{}\" failed: {}", name, msg.is_string() ? msg.get<std::string>() : ""));
          }
        }
      job_pending_ = true;
      return ProviderResult::unavailable();
    }
    const json& tmpl = *metric.provider;
    json body = {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", field(tmpl, "metadata").is_object() ? field(tmpl, "metadata") : json::object()},
                 {"spec", field(tmpl, "spec")}};
    const std::string name = fmt::format("{}.{}.{}", run.name(), metric.name, ++js.created);
    json& md = body["metadata"];
    md["name"] = name;
    md["namespace"] = run.ns();
    md["annotations"][kJobRunAnnotation] = run.name();
    md["annotations"]["analysisrun.argoproj.io/metric-name"] = metric.name;
    const json& uid = field(field(run.body(), "metadata"), "uid");
    if (uid.is_string()) md["labels"]["analysisrun.argoproj.io/uid"] = uid;
    md["ownerReferences"] = json::array({{{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "AnalysisRun"}, {"name", run.name()},
                                          {"uid", uid.is_string() ? uid : json("")}, {"controller", true}, {"blockOwnerDeletion", true}}});
    auto created = world_->client(kActor).create(model::Object(model::JsonBox(std::move(body))));
    if (!created) return ProviderResult::failure(created.error().message);
    js.pending = name;
    job_pending_ = true;
    return ProviderResult::unavailable();
  }

  // A run that completes while a `job` measurement is still running terminates it: the
  // job provider's Terminate deletes the Job (metricproviders/job, background propagation).
  void delete_pending_jobs(const std::string& run_prefix) {
    for (auto it = jobs_.lower_bound(run_prefix); it != jobs_.end() && it->first.rfind(run_prefix, 0) == 0; ++it) {
      if (it->second.pending.empty()) continue;
      auto [ns, rest] = split_key(it->first);
      model::DeleteOptions opts;
      opts.propagation = model::Propagation::Background;
      (void)world_->client(kActor).remove({"batch", "Job", ns, it->second.pending}, opts);
      it->second.pending.clear();
    }
  }

  ReconcileResult reconcile_run(const std::string& key, SimTime now) {
    auto [ns, name] = split_key(key);
    model::ObjectKey k{kGroup, "AnalysisRun", ns, name};
    auto& api = world_->cluster().api();
    const model::Object* obj = api.find(k);
    if (!obj) return ReconcileResult::done();
    // Measurements taken before the step, per metric.
    std::map<std::string, std::int64_t> taken;
    const json& st0 = field(obj->body(), "status");
    const std::string phase0 = field(st0, "phase").is_string() ? field(st0, "phase").get<std::string>() : "";
    if (const json& mr = field(st0, "metricResults"); mr.is_array())
      for (const auto& r : mr)
        taken[str_of(field(r, "name"))] = taken_of(r);
    job_pending_ = false;
    auto out = analysis_.reconcile(world_->client(kActor), k, now);
    current_run_ = nullptr;
    obj = api.find(k);
    if (!obj) return ReconcileResult::done();
    const std::string ref = k.str();
    const json& st = field(obj->body(), "status");
    if (const json& mr = field(st, "metricResults"); mr.is_array())
      for (const auto& r : mr) {
        const std::string metric = str_of(field(r, "name"));
        std::int64_t n = taken_of(r) - taken[metric];
        const json& ms = field(r, "measurements");
        if (n <= 0 || !ms.is_array()) continue;
        size_t first = ms.size() > static_cast<size_t>(n) ? ms.size() - static_cast<size_t>(n) : 0;
        for (size_t i = first; i < ms.size(); ++i) {
          json d = {{"metric", metric}, {"phase", field(ms[i], "phase")}, {"value", field(ms[i], "value").is_string() ? field(ms[i], "value") : json("")}};
          if (field(ms[i], "message").is_string()) d["message"] = field(ms[i], "message");
          if (field(r, "dryRun") == true) d["dryRun"] = true;
          world_->record("rollouts.measurement", ref, d);
        }
      }
    const std::string phase = field(st, "phase").is_string() ? field(st, "phase").get<std::string>() : "";
    if (auto p = rollouts::analysis_phase_from(phase); p && rollouts::is_completed(*p))
      delete_pending_jobs(ns + "/" + name + "/");
    obj = api.find(k);
    if (!obj) return ReconcileResult::done();
    if (phase != phase0) {
      json d = {{"phase", phase}, {"from", phase0}};
      const json& message = field(field(obj->body(), "status"), "message");
      if (message.is_string()) d["message"] = message;
      if (auto owner = owner_rollout(*obj); !owner.empty()) d["rollout"] = owner;
      world_->record("rollouts.analysis.phase", ref, d);
    }
    // A measurement waiting for its Job is overdue, so the engine asks to come back at once;
    // poll once a second instead (the Job's watch also wakes the run when it finishes).
    if (job_pending_ && out.requeue_after && *out.requeue_after == SimDuration{0})
      return ReconcileResult::requeue_after(seconds(1));
    if (out.requeue_after) return ReconcileResult::requeue_after(*out.requeue_after);
    return ReconcileResult::done();
  }

  Settings settings_;
  StreamProvider provider_;
  rollouts::RolloutController rollout_controller_;
  rollouts::AnalysisRunController analysis_;
  World* world_ = nullptr;
  std::map<std::string, RolloutView> views_;
  std::map<std::string, std::int64_t> run_generation_;
  std::map<std::string, std::string> run_phase_;  // status.phase each run was last seen in
  // `job` measurements: per "ns/run/metric", the Jobs created and the one in flight.
  struct JobState {
    int created = 0;
    std::string pending;
  };
  std::map<std::string, JobState> jobs_;
  const model::Object* current_run_ = nullptr;  // set while the analysis controller runs
  bool job_pending_ = false;
  std::unique_ptr<FnReconciler> rollout_rec_, run_rec_;
  std::unique_ptr<ControllerHost> rollout_host_, run_host_;
};

// --- settings parsing --------------------------------------------------------------------------

std::optional<Settings> parse_settings(const json& s, const model::SourcePos& pos, model::Diagnostics& diags) {
  Settings out;
  if (s.is_null() || (s.is_object() && s.empty())) return out;
  SettingsChecker check(pos, "rollouts-settings", diags);
  auto bad = [&](const std::string& msg) { check.bad(msg); };
  if (!s.is_object()) {
    bad("`rollouts` settings are a mapping: {metrics: [{metric: NAME, canary: VALUE, ...}]}");
    return std::nullopt;
  }
  auto duration = [&](const json& v, const std::string& where) { return check.duration(v, where, "5m"); };
  auto is_series = [](const json& v) {
    return v.is_array() && !v.empty() &&
           std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_object() && e.contains("at"); });
  };
  auto read_series = [&](const json& v, const std::string& where, Series& out_series) {
    out_series.given = true;
    if (v.is_null()) return bad(where + ": a value is required (a number, a list of numbers, a JSON body or a series)");
    if (!is_series(v)) {
      out_series.points.push_back({SimDuration{0}, v});
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string w = fmt::format("{}[{}]", where, i);
      Point p;
      for (const auto& [k, pv] : v[i].items())
        if (k != "at" && k != "value") bad(fmt::format("{}: unknown key `{}` (known: at, value)", w, k));
      if (auto d = duration(v[i]["at"], w + ".at")) p.at = *d;
      if (!v[i].contains("value") || v[i]["value"].is_null()) bad(w + ": `value` is required");
      else p.value = v[i]["value"];
      if (!out_series.points.empty() && p.at <= out_series.points.back().at)
        bad(w + ": `at` must be later than the previous point's");
      out_series.points.push_back(std::move(p));
    }
  };
  auto read_windows = [&](const json& v, const std::string& where, std::vector<Window>& out_w, bool errors) {
    if (v.is_boolean() && !errors) {
      if (v.get<bool>()) out_w.push_back({});
      return;
    }
    if (!v.is_array())
      return bad(fmt::format("{} is a list of {{from, to}} or {{at}}{}", where, errors ? " with an optional message" : " (or true)"));
    for (size_t i = 0; i < v.size(); ++i) {
      std::string w = fmt::format("{}[{}]", where, i);
      const json& e = v[i];
      if (!e.is_object()) {
        bad(w + " is {from: DURATION, to: DURATION} or {at: DURATION}");
        continue;
      }
      Window win;
      win.message = "connection refused";
      for (const auto& [k, ev] : e.items()) {
        if (k == "from") {
          if (auto d = duration(ev, w + ".from")) win.from = *d;
        } else if (k == "to") {
          if (auto d = duration(ev, w + ".to")) win.to = *d;
        } else if (k == "at") {
          if (auto d = duration(ev, w + ".at")) win.from = *d;
          win.instant = true;
        } else if (k == "message" && errors) {
          if (!ev.is_string() || ev.get<std::string>().empty()) bad(w + ".message is a non-empty string");
          else win.message = ev.get<std::string>();
        } else {
          bad(fmt::format("{}: unknown key `{}` (known: from, to, at{})", w, k, errors ? ", message" : ""));
        }
      }
      if (e.contains("at") && (e.contains("from") || e.contains("to"))) bad(w + ": `at` and `from`/`to` cannot be used together");
      if (!e.contains("at") && !e.contains("from")) bad(w + ": `from` (or `at`) is required");
      if (win.to && *win.to <= win.from) bad(w + ": `to` must be after `from`");
      out_w.push_back(std::move(win));
    }
  };
  for (const auto& [k, v] : s.items()) {
    if (k != "metrics") {
      bad(fmt::format("unknown rollouts setting `{}` (known: metrics)", k));
      continue;
    }
    if (!v.is_array()) {
      bad("rollouts.metrics is a list of metric streams {metric|query, canary, stable, errors, empty}");
      continue;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string where = fmt::format("rollouts.metrics[{}]", i);
      const json& m = v[i];
      if (!m.is_object()) {
        bad(where + " is a mapping {metric: NAME, canary: VALUE, stable: VALUE, errors: [...], empty: [...]}");
        continue;
      }
      Stream st;
      for (const auto& [mk, mv] : m.items()) {
        if (mk == "metric" || mk == "query") {
          if (!mv.is_string() || mv.get<std::string>().empty()) bad(fmt::format("{}.{} is a non-empty string", where, mk));
          else (mk == "metric" ? st.metric : st.query) = mv.get<std::string>();
        } else if (mk == "canary") {
          read_series(mv, where + ".canary", st.canary);
        } else if (mk == "stable") {
          read_series(mv, where + ".stable", st.stable);
        } else if (mk == "errors") {
          read_windows(mv, where + ".errors", st.errors, true);
        } else if (mk == "empty") {
          read_windows(mv, where + ".empty", st.empty, false);
        } else {
          std::string hint = mk == "name" ? " (did you mean `metric`?)" : mk == "values" || mk == "value" ? " (use `canary` / `stable`)" : "";
          bad(fmt::format("{}: unknown key `{}`{} (known: metric, query, canary, stable, errors, empty)", where, mk, hint));
        }
      }
      if (m.contains("metric") == m.contains("query")) bad(where + ": exactly one of `metric` and `query` is required");
      if (!st.canary.given && !st.stable.given && st.errors.empty() && st.empty.empty())
        bad(where + ": give at least one of `canary`, `stable`, `errors`, `empty`");
      out.streams.push_back(std::move(st));
    }
  }
  if (!check.ok()) return std::nullopt;
  return out;
}

}  // namespace

void register_rollouts(ControllerCatalog& catalog) {
  ControllerFactory f;
  f.name = "rollouts";
  f.tools = {"rollouts"};
  f.verbs = {"promote", "abort", "retry rollout", "pause", "resume", "set image"};
  f.create = [](const json& settings, const model::SourcePos& pos, model::Diagnostics& diags) -> std::unique_ptr<SimController> {
    auto s = parse_settings(settings, pos, diags);
    if (!s) return nullptr;
    return std::make_unique<RolloutsController>(std::move(*s));
  };
  catalog.add(std::move(f));
}

}  // namespace rehearse::sim

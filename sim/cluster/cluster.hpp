#pragma once
// A simulated cluster: the fake API server plus the built-in workload controllers that make
// Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and Pods move the way their
// upstream controllers do (kube-controller-manager and a kubelet per node), so that Argo CD's
// and kstatus' health checks read realistic status.
//
// Pods do not run anything: how a pod behaves comes from a WorkloadProfile looked up by its
// containers' images (e.g. "ghcr.io/acme/fraud-detector:2.*" never becomes ready).
//
// Usage:
//   sim::EventQueue q; sim::Trace trace;
//   cluster::ClusterSettings s;
//   s.profiles.add("*:broken*", cluster::WorkloadProfile::never_ready());
//   cluster::Cluster c(q, sim::Rng(seed), &trace, s);
//   auto kubectl = c.client("kubectl");          // a model::ClusterClient
//   kubectl.apply(obj, {});                      // ... then q.run_until(...)

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/glob.hpp"
#include "sim/cluster/api_server.hpp"
#include "sim/kernel/controller_host.hpp"
#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/rng.hpp"
#include "sim/kernel/time.hpp"
#include "sim/kernel/trace.hpp"

namespace rehearse::cluster {

struct WorkloadProfile {
  enum class Behavior {
    ReadyAfter,   // running, Ready `duration` (+ readinessProbe.initialDelaySeconds) after start;
                  // for restartPolicy Never/OnFailure pods: exits 0 after `duration`
    NeverReady,   // running, never Ready
    CrashLoop,    // the container exits (code 1) after `duration`, restarts with back-off
                  // (10 s doubling to 5 min): CrashLoopBackOff, restartCount grows
    ExitFailure,  // exits with code 1 after `duration`: Failed for restartPolicy Never,
                  // restarts (CrashLoopBackOff) otherwise
  };
  Behavior behavior = Behavior::ReadyAfter;
  sim::SimDuration duration{0};

  static WorkloadProfile ready_after(sim::SimDuration d) { return {Behavior::ReadyAfter, d}; }
  static WorkloadProfile never_ready() { return {Behavior::NeverReady, {}}; }
  static WorkloadProfile crash_loop(sim::SimDuration run = sim::seconds(1)) {
    return {Behavior::CrashLoop, run};
  }
  static WorkloadProfile exits_with_failure(sim::SimDuration after = sim::seconds(1)) {
    return {Behavior::ExitFailure, after};
  }
};

// Image pattern -> profile; the first matching rule wins, `fallback` otherwise (ready at once,
// plus readinessProbe.initialDelaySeconds). Patterns are globs: '*' matches any run of
// characters, '?' one character; a pattern without '*' or '?' must match the whole image.
struct WorkloadProfiles {
  struct Rule {
    std::string pattern;
    WorkloadProfile profile;
  };
  std::vector<Rule> rules;
  WorkloadProfile fallback;

  void add(std::string pattern, WorkloadProfile p) { rules.push_back({std::move(pattern), p}); }
  const WorkloadProfile& lookup(std::string_view image) const;
};

using model::glob_match;  // by image, for workload profiles

struct ClusterSettings {
  int nodes = 1;  // Node objects node-1..node-N; DaemonSets schedule one pod per node
  WorkloadProfiles profiles;
  // Namespaces a fresh cluster has: default, kube-system, kube-public, kube-node-lease.
  bool create_system_namespaces = true;
};

// Int-or-percent resolution (k8s.io/apimachinery intstr.GetScaledValueFromIntOrPercent).
int scaled_value(const nlohmann::json& int_or_percent, int total, bool round_up, int fallback);
// maxSurge rounds up, maxUnavailable rounds down, both zero -> unavailable 1
// (deployment/util ResolveFenceposts).
std::pair<int, int> resolve_fenceposts(const nlohmann::json& max_surge,
                                       const nlohmann::json& max_unavailable, int replicas);
// pod-template-hash: rand.SafeEncodeString of the decimal FNV-32a of the template (upstream
// hashes a spew dump of the Go struct; ours hashes the canonical JSON, so values differ but
// the shape and determinism are the same).
std::string pod_template_hash(const nlohmann::json& pod_template, int collision_count = 0);

class Cluster {
 public:
  Cluster(sim::EventQueue& queue, sim::Rng rng, sim::Trace* trace, ClusterSettings settings = {});
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();

  ApiServer& api() { return api_; }
  const ApiServer& api() const { return api_; }
  // A ClusterClient writing as `actor` (trace and managedFields show it).
  ApiClient client(std::string actor) { return api_.as(std::move(actor)); }
  // Profiles may be changed between events (e.g. a scenario step "image x starts crashing").
  WorkloadProfiles& profiles() { return settings_.profiles; }
  const ClusterSettings& settings() const { return settings_; }

 private:
  class Controllers;
  sim::EventQueue& queue_;
  ClusterSettings settings_;
  ApiServer api_;
  std::unique_ptr<Controllers> controllers_;
};

}  // namespace rehearse::cluster

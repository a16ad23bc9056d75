#pragma once
// The helm-controller's release lifecycle for one HelmRelease (reference flux.md §6), with
// the Helm side behind HelmBackend (chart index, rendering, and what each action does in
// the simulated world):
//
//   resolve chart version (§2 HelmChart selection) -> compose values (valuesFrom, then
//   values) -> in sync? Ready : install | upgrade -> on failure: count, remediate
//   (install: uninstall; upgrade: rollback | uninstall) while retries remain, and once
//   more when remediateLastFailure; exhausted -> Stalled RetriesExceeded until the chart
//   version, values or generation change.
//
// A failing action takes time (its duration, by default spec.timeout, as a Helm --wait that
// times out): the pass records it in flight and completes it on the requeue.
//
// Release history lives in status.history (newest first, at most 5 snapshots) with
// {version, name, namespace, chartName, chartVersion, configDigest, status}.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/flux/flux.hpp"
#include "engine/flux/kustomization_controller.hpp"
#include "engine/model/cluster_client.hpp"

namespace rehearse::flux {

struct ChartVersion {
  std::string version;
  SimTime created{};  // index `created`: tie-break between equal versions, newest first
};

// `version` "" or "*" = latest stable; otherwise a Masterminds constraint; entries must pass
// Flux ParseVersion; exact string match first (§2 HelmChart version selection).
Result<std::string> select_chart_version(const std::vector<ChartVersion>& index, std::string_view version);

struct ValuesFrom {
  std::string kind, name;
  std::string key = "values.yaml";
  bool optional = false;
};

struct HelmReleaseSpec {
  SimDuration interval{};
  SimDuration timeout = sim::minutes(5);
  std::string chart;
  std::string version = "*";
  NamespacedRef source;
  std::string target_namespace;  // defaults to the HelmRelease's namespace
  std::string release_name;      // defaults to [targetNamespace-]name
  model::JsonBox values;
  std::vector<ValuesFrom> values_from;
  int install_retries = 0;
  bool install_remediate_last = false;
  int upgrade_retries = 0;
  std::optional<bool> upgrade_remediate_last;
  std::string upgrade_strategy = "rollback";  // rollback | uninstall
  bool test_enable = false;
  bool suspend = false;
  std::vector<NamespacedRef> depends_on;
};

Result<HelmReleaseSpec> parse_helm_release(const nlohmann::json& body);
// upgrade.remediation.remediateLastFailure defaults to true iff retries > 0 (§6, §9.12).
bool upgrade_remediates_last_failure(const HelmReleaseSpec& spec);
// Retries are exhausted when failures > retries; negative retries = unlimited (§6).
bool retries_exhausted(int failures, int retries);

class HelmBackend {
 public:
  virtual ~HelmBackend() = default;
  // Chart versions offered by the source for `chart`; nullopt when the source is unknown.
  virtual std::optional<std::vector<ChartVersion>> index(const NamespacedRef& source, const std::string& chart) = 0;
  // The release manifests of chart@version with `values`, namespaced into `ns`.
  virtual Result<std::vector<model::Object>> render(const std::string& chart, const std::string& version,
                                                    const nlohmann::json& values, const std::string& ns) = 0;
  struct Outcome {
    bool fail = false;
    std::string message;
    std::optional<SimDuration> duration;  // failing actions: how long until they fail
  };
  // What `action` (install | upgrade | test) to chart@version does for `release` (ns/name).
  virtual Outcome action(const std::string& release, std::string_view action, const std::string& chart,
                         const std::string& version) = 0;
};

struct HelmEnv {
  model::ClusterClient* client = nullptr;  // acting as helm-controller
  HelmBackend* backend = nullptr;
  SimTime now{};
  double jitter_unit = 0.5;
  int jitter_percent = kJitterPercent;
};

class HelmReleaseController {
 public:
  ReconcileOutcome reconcile(const model::ObjectKey& key, const HelmEnv& env);
  void forget(const model::ObjectKey& key) { inflight_.erase(key); }

 private:
  struct InFlight {
    std::string action;  // install | upgrade
    std::string chart_version;
    std::string digest;
    model::JsonBox values;
    SimTime finishes{};
    std::string message;
  };
  struct Release {
    int revision = 0;
    std::string chart_version;
    std::string digest;
    model::JsonBox values;
    std::string status;  // deployed | superseded | failed | uninstalled
    std::vector<model::ObjectKey> objects;
  };
  std::map<model::ObjectKey, InFlight> inflight_;
  std::map<model::ObjectKey, std::vector<Release>> releases_;  // oldest first
};

model::ObjectKey helm_release_key(std::string ns, std::string name);

}  // namespace rehearse::flux

#pragma once
// The scenario format (apiVersion rehearse.dev/v1alpha1, kind Scenario): the product's main
// interface, documented field by field in docs/scenarios.md. This header is its typed model;
// scenario_loader.hpp reads YAML into it with strict checking.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/object.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

// Which object an event or expectation is about. Written "Kind/namespace/name",
// "Kind/name" (cluster-scoped or default namespace) or as a mapping with apiVersion.
struct ObjectRef {
  std::string group;
  std::string kind;
  std::string ns;
  std::string name;
  std::string str() const;
  model::ObjectKey key() const { return {group, kind, ns, name}; }
};

struct RepoSpec {
  std::string fixture;   // directory committed as the first commit (resolved path)
  std::string git;       // an existing repository to clone privately (resolved path)
  std::string branch = "main";  // branch the fixture's commit lands on
  model::SourcePos pos;
};

struct BootstrapStep {
  enum class Kind { Apply, Flux };
  Kind kind = Kind::Apply;
  std::string path;       // repository-relative
  std::string ref = "main";
  bool recursive = false;  // kubectl apply -R
  model::SourcePos pos;
};

struct WorkloadProfileSpec {
  std::string image;  // glob over the full image reference, e.g. "*fraud-detector:v2*"
  std::optional<SimDuration> ready_after;
  bool never_ready = false;
  bool crash_loop = false;
  std::optional<SimDuration> run_for;  // Jobs / exiting containers: run this long, then exit
  bool fails = false;                  // exit with failure
  model::SourcePos pos;
};

struct GitSet {
  std::string file;   // repository-relative
  std::string path;   // yq-style path to a scalar: .spec.template.spec.containers[0].image
  model::JsonBox value;
  model::SourcePos pos;
};

struct ScenarioEvent {
  enum class Kind { Commit, Branch, Merge, Revert, Tag, Kubectl, Tool };
  Kind kind = Kind::Commit;
  SimTime at{};
  std::string id;     // optional name; commits can be referenced by it (revert)
  model::SourcePos pos;

  // Commit
  std::string branch = "main";
  std::string message;
  std::string author_name, author_email;
  std::vector<std::pair<std::string, std::string>> writes;  // path -> content
  std::vector<std::string> deletes;
  std::vector<GitSet> sets;
  // Branch (name=branch, from=from_ref) / Merge (from -> into) / Revert (commit on branch) / Tag
  std::string name;
  std::string from_ref;
  std::string into;
  bool fast_forward = true;
  std::string commit_ref;
  // Kubectl / Tool: the command line, split like a shell would.
  std::string tool;  // "kubectl", "argocd", "flux", "kubectl-argo-rollouts", ...
  std::vector<std::string> argv;
  std::string command_text;
  // The event is expected to fail (e.g. `argocd app rollback` refused while auto-sync is on).
  bool expect_failure = false;
};

// A predicate over the values a path selects.
struct ValueCheck {
  enum class Op { Equals, NotEquals, Matches, Exists, Absent, LessThan, AtMost, GreaterThan, AtLeast, Contains };
  Op op = Op::Equals;
  model::JsonBox operand;  // value, regex string or number
  std::string describe() const;
};

struct EventMatcher {
  std::string kind;     // glob over trace kinds, e.g. "argocd.*"
  std::string object;   // glob over "Kind/ns/name" as printed in the trace ("" = any)
  model::JsonBox details;  // every key given must match (glob for strings)
  std::string describe() const;
};

// Traffic exposure of a canary, from the `rollouts.weight` trace events of one Rollout
// (docs/scenarios.md "exposure"): the canary weight is 0 until the first event and holds
// each value until the next one.
struct ExposureCheck {
  ObjectRef rollout;
  std::optional<double> max_weight;           // percent of traffic, at any time in the window
  std::optional<double> max_traffic_minutes;  // integral of weight% x minutes / 100
};

struct Expectation {
  enum class Kind { State, Event, Order, Exposure };
  enum class When { Final, At, Eventually, Always, Never };
  Kind kind = Kind::State;
  When when = When::Final;
  std::string name;
  model::SourcePos pos;
  SimTime from{}, to{};  // window (At uses `from`)
  // State
  ObjectRef object;
  std::string path;  // JSONPath; "" = the object itself (existence)
  ValueCheck check;
  // Event
  EventMatcher event;
  std::optional<std::int64_t> min_count, max_count;
  // Order
  std::vector<EventMatcher> order;
  // Exposure
  ExposureCheck exposure;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // the scenario file, as given
  model::SourcePos pos;
  std::uint64_t seed = 1;
  SimDuration horizon = minutes(30);
  std::uint64_t max_events = 5'000'000;
  std::optional<RepoSpec> repo;
  std::vector<BootstrapStep> bootstrap;
  std::vector<model::Object> cluster_objects;  // applied at t=0 in order
  std::vector<std::string> namespaces;
  // Controller name -> settings (validated by the controller itself).
  std::map<std::string, model::JsonBox> controllers;
  std::map<std::string, model::SourcePos> controller_pos;
  bool controllers_listed = false;  // false: every registered controller with defaults
  std::vector<WorkloadProfileSpec> workloads;
  std::vector<ScenarioEvent> events;  // sorted by time, stable
  std::vector<Expectation> expectations;
};

}  // namespace rehearse::sim

// The image controllers in a World without Flux or git: the fake registry, ImageRepository
// scans on their interval, ImagePolicy selection and status, settings validation
// (docs/image-automation.md; reference flux.md 4.1, 4.2).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/image/image_automation.hpp"
#include "sim/image/registry.hpp"
#include "sim/scenario/scenario_loader.hpp"
#include "sim/world/controller.hpp"
#include "sim/world/runner.hpp"

using namespace rehearse;
using namespace rehearse::sim;

namespace {

const char* kObjects = R"(
  cluster:
    namespaces: [flux-system]
    objects:
    - apiVersion: image.toolkit.fluxcd.io/v1
      kind: ImageRepository
      metadata: {name: app, namespace: flux-system}
      spec: {image: ghcr.io/acme/app, interval: 5m}
    - apiVersion: image.toolkit.fluxcd.io/v1
      kind: ImagePolicy
      metadata: {name: app, namespace: flux-system}
      spec:
        imageRepositoryRef: {name: app}
        policy: {semver: {range: ">=1.0.0"}}
)";

ControllerCatalog catalog() {
  ControllerCatalog c;
  register_image_automation(c);
  return c;
}

CommandVocabulary vocab(const ControllerCatalog& c) {
  CommandVocabulary v;
  for (const auto& f : c.all())
    for (const auto& t : f.tools) v.tools[t] = f.verbs;
  return v;
}

struct Run {
  bool loaded = false;
  ScenarioOutcome outcome;
  std::string diagnostics;
};

Run run(const std::string& spec_tail) {
  std::string text = std::string(R"(apiVersion: rehearse.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  until: 20m
)") + kObjects + spec_tail;
  auto c = catalog();
  model::Diagnostics diags;
  auto scenarios = load_scenarios_text(text, "inline.yaml", diags, vocab(c));
  Run r;
  r.diagnostics = diags.format();
  if (diags.has_errors() || scenarios.size() != 1) return r;
  r.loaded = true;
  r.outcome = run_scenario(scenarios[0], c, RunOptions{}, 0);
  return r;
}

std::string failures(const ScenarioOutcome& o) {
  std::string s = o.error;
  for (const auto& f : o.event_failures) s += "\n" + f;
  for (const auto& e : o.results)
    if (!e.passed) s += "\n" + e.title + ": expected " + e.expected + ", observed " + e.observed;
  return s;
}

}  // namespace

TEST(FakeRegistry, TagsInPushOrderDigestsStableFailuresReported) {
  FakeRegistry reg;
  reg.push("ghcr.io/a", "v1");
  reg.push("ghcr.io/a", "v2", "sha256:ab");
  reg.push("ghcr.io/a", "v1");  // a re-tag keeps the first position
  EXPECT_EQ(*reg.list_tags("ghcr.io/a"), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(*reg.digest("ghcr.io/a", "v2"), "sha256:ab");
  EXPECT_EQ(*reg.digest("ghcr.io/a", "v1"), FakeRegistry::derived_digest("ghcr.io/a", "v1"));
  EXPECT_EQ(reg.list_tags("ghcr.io/b").error().code, "registry-name-unknown");
  reg.fail_scans("");
  EXPECT_EQ(reg.list_tags("ghcr.io/a").error().code, "registry-unavailable");
  reg.recover_scans("");
  EXPECT_TRUE(reg.list_tags("ghcr.io/a").ok());
}

TEST(ImageSimSettings, UnknownKeysAreReportedWithTheirPath) {
  auto c = catalog();
  const ControllerFactory* f = c.find("image-automation");
  ASSERT_NE(f, nullptr);
  model::Diagnostics diags;
  auto bad = nlohmann::json::parse(R"({"registry": {"ghcr.io/a": {"tag": ["v1"]}}, "regsitry": {}})");
  EXPECT_EQ(f->create(bad, {"s.yaml", 12, 5}, diags), nullptr);
  std::string text = diags.format();
  EXPECT_NE(text.find("s.yaml:12:5"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown key `tag` (did you mean `tags`?)"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown image-automation setting `regsitry`"), std::string::npos) << text;
  model::Diagnostics d2;
  EXPECT_EQ(f->create(nlohmann::json::parse(R"({"registry": {"ghcr.io/a": {"tags": [1.10]}}})"), {}, d2), nullptr);
  model::Diagnostics d3;
  EXPECT_NE(f->create(nlohmann::json::parse(R"({"registry": {"ghcr.io/a": {"tags": ["v1"]}}})"), {}, d3), nullptr);
  model::Diagnostics d4;
  EXPECT_EQ(f->create(nlohmann::json::parse(R"({"pushes": [{"at": "5m", "images": ["ghcr.io/a"]}],
                                                "outages": [{"from": "5m", "to": "1m"}]})"), {}, d4), nullptr);
  EXPECT_NE(d4.format().find("names no tag"), std::string::npos) << d4.format();
  EXPECT_NE(d4.format().find("`to` must be after `from`"), std::string::npos) << d4.format();
  model::Diagnostics d5;
  EXPECT_EQ(f->create(nlohmann::json::parse(R"({"pushes": [{"at": "-5m", "images": ["ghcr.io/a:v1"]},
                                                           {"at": 5, "images": ["ghcr.io/a:v2"]}]})"), {"s.yaml", 3, 1}, d5), nullptr);
  EXPECT_NE(d5.format().find("s.yaml:3:1: error[image-automation-settings]: image-automation.pushes[0].at: invalid duration \"-5m\""),
            std::string::npos) << d5.format();
  EXPECT_NE(d5.format().find("image-automation.pushes[1].at is a duration such as 11m"), std::string::npos) << d5.format();
}

TEST(ImageSim, PolicySelectsFromTheScannedTagsAndFollowsPushesAtTheNextScan) {
  auto r = run(R"(
  controllers:
    image-automation:
      registry:
        ghcr.io/acme/app: {tags: [1.0.0, sha-1, 1.1.0.sig]}
      pushes:
      - {at: 6m, images: [ghcr.io/acme/app:1.2.0]}
  expect:
  - object: ImagePolicy/flux-system/app
    path: .status.latestRef.tag
    equals: 1.0.0
    always: {from: 1s, to: 9m59s}
  - object: ImagePolicy/flux-system/app
    path: .status.latestRef.tag
    equals: 1.2.0
    at: 10m1s
  - object: ImageRepository/flux-system/app
    path: .status.lastScanResult.tagCount
    equals: 3
  - object: ImageRepository/flux-system/app
    path: .status.canonicalImageName
    equals: ghcr.io/acme/app
  - event: {kind: image.policy.changed, details: {old: "ghcr.io/acme/app:1.0.0", new: "ghcr.io/acme/app:1.2.0"}}
    count: 1
  # Scans at 0 (first scan), then every 5m: 5m, 10m, 15m, 20m.
  - event: {kind: image.repository.scanned, details: {reason: triggered by interval}}
    count: 4
  - event: {kind: image.repository.scanned, details: {reason: first scan}}
    count: 1
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r.outcome);
}

TEST(ImageSim, AWrongExpectationFails) {
  // The semver policy must never pick the sha- tag: an expectation claiming so fails.
  auto r = run(R"(
  controllers:
    image-automation:
      registry:
        ghcr.io/acme/app: {tags: [1.0.0, sha-1]}
  expect:
  - object: ImagePolicy/flux-system/app
    path: .status.latestRef.tag
    equals: sha-1
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_FALSE(r.outcome.passed);
}

TEST(ImageSim, UnknownRepositoryIsAReadFailureRetriedWithBackoff) {
  // Retries after 0.75 s doubling: 95.25 s of retries before 2m, the next one 96 s later.
  auto r = run(R"(
  controllers:
    image-automation:
      pushes:
      - {at: 2m, images: [ghcr.io/acme/app:1.0.0]}
  expect:
  - object: ImageRepository/flux-system/app
    path: .status.conditions[?(@.type=="Ready")].reason
    equals: ReadOperationFailed
    at: 1m
  - event: {kind: image.repository.scan-failed}
    count: 8
  - object: ImagePolicy/flux-system/app
    path: .status.latestRef.tag
    equals: 1.0.0
    eventually: {from: 3m11s, to: 3m12s}
  - object: ImagePolicy/flux-system/app
    path: .status.latestRef
    exists: false
    at: 3m10s
)");
  ASSERT_TRUE(r.loaded) << r.diagnostics;
  EXPECT_TRUE(r.outcome.passed) << failures(r.outcome);
}

// Annotation parsing facts (reference argocd.md §2.1, §2.4, §3.1, §1).

#include "engine/argocd/annotations.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/argocd/tracking.hpp"
#include "tests/argocd/test_util.hpp"

using namespace rehearse;
using namespace rehearse::argocd;
using nlohmann::json;

namespace {
json with_annotations(json ann) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "x"}, {"annotations", ann}}}};
}
}  // namespace

TEST(SyncWave, ParsesLikeGoAtoiAndFallsBackToHelmHookWeightThenZero) {
  EXPECT_EQ(wave_of(with_annotations({{"argocd.argoproj.io/sync-wave", "-2"}})), -2);
  EXPECT_EQ(wave_of(with_annotations({{"argocd.argoproj.io/sync-wave", "+3"}})), 3);
  EXPECT_EQ(wave_of(with_annotations({{"argocd.argoproj.io/sync-wave", " 1"}, {"helm.sh/hook-weight", "7"}})), 7);
  EXPECT_EQ(wave_of(with_annotations({{"argocd.argoproj.io/sync-wave", "1.5"}})), 0);
  EXPECT_EQ(wave_of(with_annotations({{"helm.sh/hook-weight", "-4"}})), -4);
  EXPECT_EQ(wave_of(with_annotations(json::object())), 0);
  EXPECT_FALSE(parse_go_int("99999999999").has_value());
}

TEST(HookTypes, AreTrimmedDeduplicatedAndUnknownWordsDropped) {
  auto t = hook_types(with_annotations({{"argocd.argoproj.io/hook", " PreSync , PreSync,Garbage, PostSync"}}));
  EXPECT_EQ(t, (std::vector<HookType>{HookType::PreSync, HookType::PostSync}));
  EXPECT_TRUE(is_skip(with_annotations({{"argocd.argoproj.io/hook", "Skip"}})));
  EXPECT_FALSE(is_hook(with_annotations({{"argocd.argoproj.io/hook", "Skip"}})));
  EXPECT_TRUE(is_ignored_hook(with_annotations({{"argocd.argoproj.io/hook", "Garbage"}})));
}

TEST(HookDeletePolicy, DefaultsToBeforeHookCreationAndAddsHelmPolicies) {
  EXPECT_EQ(delete_policies(with_annotations(json::object())),
            std::vector<DeletePolicy>{DeletePolicy::BeforeHookCreation});
  EXPECT_EQ(delete_policies(with_annotations({{"argocd.argoproj.io/hook-delete-policy", "Bogus"}})),
            std::vector<DeletePolicy>{DeletePolicy::BeforeHookCreation});
  EXPECT_EQ(delete_policies(with_annotations({{"argocd.argoproj.io/hook-delete-policy", "HookSucceeded"},
                                              {"helm.sh/hook-delete-policy", "hook-failed"}})),
            (std::vector<DeletePolicy>{DeletePolicy::HookSucceeded, DeletePolicy::HookFailed}));
}

TEST(SyncOptions, MatchExactKeyValueItems) {
  SyncOptions o({" PruneLast=true", "Validate=false"});
  EXPECT_TRUE(o.has("PruneLast", "true"));
  EXPECT_TRUE(o.has("Validate", "false"));
  EXPECT_FALSE(o.has("Prune", "false"));
  EXPECT_EQ(o.get("Validate"), "false");
}

TEST(Tracking, IdHasTheAppGroupKindNamespaceAndName) {
  EXPECT_EQ(format_tracking_id("my-app", {"apps", "Deployment", "default", "nginx"}),
            "my-app:apps/Deployment:default/nginx");
  EXPECT_EQ(format_tracking_id("a", {"", "Namespace", "", "team"}), "a:/Namespace:/team");
  auto id = parse_tracking_id("my-app:/ConfigMap:ns/cm");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->app, "my-app");
  EXPECT_EQ(id->group, "");
  EXPECT_EQ(id->kind, "ConfigMap");
  EXPECT_FALSE(parse_tracking_id("garbage").has_value());
}

// ImageRepository scan rules and ImageUpdateAutomation spec reading (reference flux.md 4.1,
// 5.1; image-reflector-controller imagerepository_controller.go, api/v1 defaults).
#include "engine/image/automation.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace rehearse::image;
using nlohmann::json;

TEST(ImageScan, Sha256MatchesFips180Vectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(ImageScan, DefaultExclusionDropsSignatureTags) {
  json body = json::parse(R"({"apiVersion":"image.toolkit.fluxcd.io/v1","kind":"ImageRepository",
    "metadata":{"name":"r","namespace":"n"},"spec":{"image":"ghcr.io/a/b","interval":"5m"}})");
  auto spec = ImageRepositorySpec::from_body(body);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->exclusion_list, std::vector<std::string>{"^.*\\.sig$"});
  EXPECT_EQ(spec->timeout, spec->interval);
  auto kept = filter_tags({"v1.0.0", "sha256-abc.sig", "v1.0.0.sig.bak"}, spec->exclusion_list);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, (std::vector<std::string>{"v1.0.0", "v1.0.0.sig.bak"}));
  // Exclusions are unanchored searches; any match drops the tag.
  EXPECT_EQ(*filter_tags({"dev-1", "v2", "sha-abc"}, {"dev", "^sha-"}), std::vector<std::string>{"v2"});
  EXPECT_FALSE(filter_tags({"a"}, {"(?<=x)a"}).ok());
}

TEST(ImageScan, LatestTagsAreTheFirstTenInDescendingByteOrder) {
  std::vector<std::string> tags;
  for (int i = 0; i < 12; ++i) tags.push_back("v1." + std::to_string(i) + ".0");
  auto r = scan_result(tags);
  EXPECT_EQ(r.tags.size(), 12u);
  ASSERT_EQ(r.latest_tags.size(), 10u);
  // Byte order, not semver: "v1.9.0" > "v1.11.0".
  EXPECT_EQ(r.latest_tags.front(), "v1.9.0");
  EXPECT_EQ(r.latest_tags[2], "v1.7.0");
  EXPECT_EQ(r.revision.rfind("sha256:", 0), 0u);
  EXPECT_NE(scan_result({"a"}).revision, scan_result({"a", "b"}).revision);
  EXPECT_EQ(scan_result({"b", "a"}).revision, scan_result({"a", "b"}).revision);
}

TEST(ImageScan, CanonicalNamesFollowGoContainerRegistry) {
  EXPECT_EQ(*canonical_image_name("nginx"), "index.docker.io/library/nginx");
  EXPECT_EQ(*canonical_image_name("docker.io/fluxcd/flux"), "index.docker.io/fluxcd/flux");
  EXPECT_EQ(*canonical_image_name("123456789.dkr.ecr.us-east-1.amazonaws.com/fraud-detector"),
            "123456789.dkr.ecr.us-east-1.amazonaws.com/fraud-detector");
  EXPECT_EQ(*canonical_image_name("localhost:5000/app"), "localhost:5000/app");
  EXPECT_FALSE(canonical_image_name("https://ghcr.io/a").ok());
  EXPECT_FALSE(canonical_image_name("ghcr.io/a:v1").ok());
}

TEST(ImageAutomationSpec, ReadsTheSeedAutomation) {
  json body = json::parse(R"({"apiVersion":"image.toolkit.fluxcd.io/v1beta1","kind":"ImageUpdateAutomation",
    "metadata":{"name":"model-images","namespace":"flux-system"},
    "spec":{"interval":"5m","sourceRef":{"kind":"GitRepository","name":"ml-platform"},
      "git":{"checkout":{"ref":{"branch":"main"}},"commit":{"author":{"name":"Flux Image Automation"},
        "messageTemplate":"chore: update {{range .Updated.Images}}{{.}}{{end}} to latest\n"},
        "push":{"branch":"staging"}},
      "update":{"path":"./clusters/prod/model-deployments","strategy":"Setters"}}})");
  auto s = ImageUpdateAutomationSpec::from_body(body);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->version, "v1beta1");
  EXPECT_EQ(s->interval, rehearse::sim::minutes(5));
  EXPECT_EQ(s->source_ns, "flux-system");
  EXPECT_EQ(s->checkout_branch, "main");
  EXPECT_EQ(s->push_branch, "staging");
  EXPECT_EQ(s->author_name, "Flux Image Automation");
  EXPECT_EQ(s->update_path, "./clusters/prod/model-deployments");
  EXPECT_EQ(s->update_strategy, "Setters");
  EXPECT_TRUE(s->policy_selector.empty());
  body["spec"].erase("interval");
  EXPECT_FALSE(ImageUpdateAutomationSpec::from_body(body).ok());
}

TEST(ImagePolicyStatus, FieldNamesFollowTheApiVersion) {
  ImageRef now = parse_image_ref("reg/app:v2"), before = parse_image_ref("reg/app:v1");
  json v1 = json::object(), v1beta2 = json::object(), v1beta1 = json::object();
  write_latest(v1, "v1", now, before);
  write_latest(v1beta2, "v1beta2", now, before);
  write_latest(v1beta1, "v1beta1", now, std::nullopt);
  EXPECT_EQ(v1, json::parse(R"({"latestRef":{"name":"reg/app","tag":"v2"},"observedPreviousRef":{"name":"reg/app","tag":"v1"}})"));
  EXPECT_EQ(v1beta2["latestImage"], "reg/app:v2");
  EXPECT_EQ(v1beta2["observedPreviousImage"], "reg/app:v1");
  EXPECT_EQ(v1beta1, json::parse(R"({"latestImage":"reg/app:v2"})"));
  EXPECT_EQ(latest_ref_of(json{{"status", v1beta1}})->tag, "v2");
  EXPECT_EQ(latest_ref_of(json{{"status", v1}})->name, "reg/app");
  EXPECT_FALSE(latest_ref_of(json{{"status", json::object()}}).has_value());
}

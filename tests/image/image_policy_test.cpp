// ImagePolicy selection against fluxcd/image-reflector-controller internal/policy/*_test.go
// (semver, alphabetical, numerical, filter) and the controller's Ready reasons (reference
// flux.md section 4.2).
#include "engine/image/image_policy.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace rehearse::image;
using nlohmann::json;

namespace {

ImagePolicySpec semver(std::string range) {
  ImagePolicySpec s;
  s.kind = PolicyKind::SemVer;
  s.range = std::move(range);
  return s;
}
ImagePolicySpec ordered(PolicyKind k, std::string order = "") {
  ImagePolicySpec s;
  s.kind = k;
  s.order = std::move(order);
  return s;
}

// The selected tag, or "<Reason>: message".
std::string latest(const ImagePolicySpec& spec, const std::vector<std::string>& tags) {
  auto r = select_latest(spec, tags);
  if (!r.ok()) return r.error().reason + ": " + r.error().message;
  return *r;
}

}  // namespace

TEST(ImagePolicySemVer, UpstreamNewSemVerRanges) {
  for (const char* ok : {"1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"}) {
    EXPECT_TRUE(Policer::build(semver(ok)).ok()) << ok;
  }
  for (const char* bad : {"1.0.0p", "1x", "x1", "-1", "a", ""}) {
    auto p = Policer::build(semver(bad));
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().reason, "InvalidPolicy");
  }
  EXPECT_EQ(Policer::build(semver("a")).error().message, "invalid policy: improper constraint: \"a\"");
}

TEST(ImagePolicySemVer, UpstreamLatestCases) {
  EXPECT_EQ(latest(semver("1.0.x"), {"1.0.0", "1.0.0.1", "1.0.0p", "1.0.1", "1.2.0", "0.1.0"}), "1.0.1");
  EXPECT_EQ(latest(semver("1.0.x"), {"v1.2.3", "v1.0.0", "v0.1.0"}), "v1.0.0");
  EXPECT_EQ(latest(semver("1.0.x"), {"b1.2.3", "b1.0.0", "b0.1.0"}),
            "Failure: unable to determine latest version from provided list");
  EXPECT_EQ(latest(semver("1.0.x"), {"1.2.0"}), "Failure: unable to determine latest version from provided list");
}

TEST(ImagePolicySemVer, SeedRangeSkipsShaAndDevTagsAndPrereleases) {
  // gitops-for-ml.txt: range ">=1.0.0" "Only promote release tags (not sha-* or dev-*)".
  EXPECT_EQ(latest(semver(">=1.0.0"), {"sha-3f2a1b9", "dev-42", "1.0.0", "1.4.2", "1.5.0-rc.1", "0.9.9", "1.3"}),
            "1.4.2");
  // Two-part tags fail Flux's ParseVersion even though Masterminds would accept them.
  EXPECT_EQ(latest(semver(">=1.0.0"), {"1.9", "2.0"}), "Failure: unable to determine latest version from provided list");
  // A range mentioning a prerelease admits prereleases.
  EXPECT_EQ(latest(semver(">=1.0.0-0"), {"1.4.2", "1.5.0-rc.1"}), "1.5.0-rc.1");
}

TEST(ImagePolicySemVer, FirstOfEqualVersionsWins) {
  EXPECT_EQ(latest(semver("*"), {"v1.2.3", "1.2.3", "1.2.3+build"}), "v1.2.3");
  EXPECT_EQ(latest(semver("*"), {"1.2.3+build", "v1.2.3"}), "1.2.3+build");
}

TEST(ImagePolicyAlphabetical, UpstreamLatestCases) {
  std::vector<std::string> calver{"16.04", "16.04.1", "16.10", "20.04", "20.10"};
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical), calver), "20.10");
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical, "DESC"), calver), "16.04");
  std::vector<std::string> names{"xenial", "yakkety", "zesty", "artful", "bionic"};
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical), names), "zesty");
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical, "desc"), names), "artful");
  std::vector<std::string> ts{"1606234201", "1606364286", "1606334092", "1606334284", "1606334201"};
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical), ts), "1606364286");
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical, "DESC"), ts), "1606234201");
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical),
                   {"rel-1606234201", "rel-1606364286", "rel-1606334092", "rel-1606334284", "rel-1606334201"}),
            "rel-1606364286");
  std::vector<std::string> rfc{"2021-01-08T21-18-21Z", "2020-05-08T21-18-21Z", "2021-01-08T19-20-00Z",
                               "1990-01-08T00-20-00Z", "2023-05-08T00-20-00Z"};
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical), rfc), "2023-05-08T00-20-00Z");
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical, "DESC"), rfc), "1990-01-08T00-20-00Z");
  // Byte-wise: upper case sorts before lower case.
  EXPECT_EQ(latest(ordered(PolicyKind::Alphabetical), {"Zeta", "alpha"}), "alpha");
}

TEST(ImagePolicyOrder, OrderIsCaseInsensitiveAndValidated) {
  EXPECT_TRUE(Policer::build(ordered(PolicyKind::Numerical, "")).ok());
  EXPECT_TRUE(Policer::build(ordered(PolicyKind::Numerical, "asc")).ok());
  EXPECT_TRUE(Policer::build(ordered(PolicyKind::Alphabetical, "Desc")).ok());
  auto bad = Policer::build(ordered(PolicyKind::Alphabetical, "invalid"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "InvalidPolicy");
  EXPECT_EQ(bad.error().message,
            "invalid policy: invalid order argument provided: 'INVALID', must be one of: ASC, DESC");
  auto none = Policer::build(ImagePolicySpec{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "invalid policy: given ImagePolicyChoice object is invalid");
}

TEST(ImagePolicyNumerical, UpstreamLatestCases) {
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"-62", "-88", "73", "72", "15", "16", "15", "29", "-33", "-91"}),
            "73");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical, "DESC"), {"5", "-8", "-78", "25", "70", "-4", "80", "92", "-20", "-24"}),
            "-78");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical),
                   {"47.40896403322944", "-27.8520927455902", "-27.930666514224427", "-31.352485948094568",
                    "-50.41072694704882", "-21.962849842263736", "24.71884721436865", "-39.99177354004344",
                    "53.47333823144817", "3.2008658570411086"}),
            "53.47333823144817");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical, "DESC"),
                   {"-65.27202780220686", "57.82948329142309", "22.40184684363291", "-86.36934305697784",
                    "-90.29082099756083", "-12.041712603564264", "77.70488240399305", "-38.98425003883552",
                    "16.06867070412028", "53.735674335181216"}),
            "-90.29082099756083");
  std::vector<std::string> ts{"1606234201", "1606364286", "1606334092", "1606334284", "1606334201"};
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), ts), "1606364286");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical, "DESC"), ts), "1606234201");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"1"}), "1");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical, "DESC"), {"1"}), "1");
}

TEST(ImagePolicyNumerical, OneNonNumberFailsThePolicy) {
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"0", "1a", "b"}), "Failure: failed to parse invalid numeric value '1a'");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"5", "latest"}), "Failure: failed to parse invalid numeric value 'latest'");
  // Go ParseFloat accepts exponents, hex floats and Inf; rejects overflow and underscores.
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"1e3", "999"}), "1e3");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"0x1p4", "15"}), "0x1p4");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"Inf", "15"}), "Inf");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"1e400"}), "Failure: failed to parse invalid numeric value '1e400'");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"1_000"}), "Failure: failed to parse invalid numeric value '1_000'");
}

TEST(ImagePolicyNumerical, LaterEqualValueWins) {
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical), {"1", "1.0", "01"}), "01");
  EXPECT_EQ(latest(ordered(PolicyKind::Numerical, "DESC"), {"2", "2.0"}), "2.0");
}

TEST(ImagePolicyFilterTags, UpstreamRegexFilterCases) {
  auto spec = ordered(PolicyKind::Alphabetical);
  spec.filter_tags = FilterTags{"^ver", ""};
  EXPECT_EQ(latest(spec, {"ver1", "ver2", "ver3", "rel1"}), "ver3");
  spec.filter_tags = FilterTags{R"(ver(\d+))", "$1"};
  // Candidates are "1", "2", "3"; the original tag is reported.
  EXPECT_EQ(latest(spec, {"ver1", "ver2", "ver3", "rel1"}), "ver3");
  spec.filter_tags = FilterTags{R"(^(123-[0-9]+\.[0-9]+\.[a-z0-9]+-debug))", ""};
  EXPECT_EQ(latest(spec, {"123-123.123.abcd123-debug", "123-123.123.abcd123", "123-123.123.abcd456-debug",
                          "123-123.123.abcd456"}),
            "123-123.123.abcd456-debug");
}

TEST(ImagePolicyFilterTags, SameExtractedValueMapsToTheLaterTag) {
  // filter_test.go "complex regex 2": the -debug and plain tags extract the same value;
  // upstream's map keeps the last tag written.
  auto spec = ordered(PolicyKind::Alphabetical);
  spec.filter_tags = FilterTags{R"(^(?P<tag>123-[0-9]+\.[0-9]+\.[a-z0-9]+[^-debug]))", "$tag"};
  EXPECT_EQ(latest(spec, {"123-123.123.abcd123-debug", "123-123.123.abcd123", "123-123.123.abcd456-debug",
                          "123-123.123.abcd456"}),
            "123-123.123.abcd456");
  EXPECT_EQ(latest(spec, {"123-123.123.abcd456", "123-123.123.abcd456-debug"}), "123-123.123.abcd456-debug");
}

TEST(ImagePolicyFilterTags, FluxDocsTimestampExtraction) {
  // docs/spec/v1/imagepolicies.md: main-<sha>-<timestamp> with numerical asc.
  auto spec = ordered(PolicyKind::Numerical, "asc");
  spec.filter_tags = FilterTags{"^main-[a-fA-F0-9]+-(?P<ts>.*)", "$ts"};
  EXPECT_EQ(latest(spec, {"main-9f3e2a1-1611905227", "main-0e9f8c1-1611911111", "feature-x-1700000000", "latest"}),
            "main-0e9f8c1-1611911111");
  // Semver over extracted values, reporting the original tag.
  auto sv = semver(">=1.0.0");
  sv.filter_tags = FilterTags{R"(^release-(?<v>\d+\.\d+\.\d+)$)", "${v}"};
  EXPECT_EQ(latest(sv, {"release-1.2.0", "release-1.10.0", "1.99.0", "release-1.9.0"}), "release-1.10.0");
}

TEST(ImagePolicyFilterTags, NothingLeftAfterFilteringIsAFailure) {
  auto spec = semver(">=1.0.0");
  spec.filter_tags = FilterTags{"^nomatch", ""};
  EXPECT_EQ(latest(spec, {"1.0.0"}), "Failure: version list argument cannot be empty");
}

TEST(ImagePolicyFilterTags, InvalidRegexIsAnInvalidPolicy) {
  auto spec = semver(">=1.0.0");
  spec.filter_tags = FilterTags{"(unclosed", ""};
  auto p = Policer::build(spec);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().reason, "InvalidPolicy");
  EXPECT_EQ(p.error().message.rfind("failed to filter tags: invalid regular expression pattern '(unclosed': ", 0), 0u)
      << p.error().message;
}

TEST(ImagePolicy, EmptyTagDatabaseIsDependencyNotReady) {
  EXPECT_EQ(latest(semver(">=1.0.0"), {}), "DependencyNotReady: retrying in 30s error: no tags in database");
}

TEST(ImagePolicySpec, ReadsEveryApiVersionUnchanged) {
  for (const char* api : {"image.toolkit.fluxcd.io/v1", "image.toolkit.fluxcd.io/v1beta2",
                          "image.toolkit.fluxcd.io/v1beta1"}) {
    json body = {{"apiVersion", api},
                 {"kind", "ImagePolicy"},
                 {"metadata", {{"name", "fraud-detector"}, {"namespace", "flux-system"}}},
                 {"spec",
                  {{"imageRepositoryRef", {{"name", "fraud-detector"}}},
                   {"filterTags", {{"pattern", "^v(?P<v>.*)"}, {"extract", "$v"}}},
                   {"policy", {{"semver", {{"range", ">=1.0.0"}}}}}}}};
    auto s = ImagePolicySpec::from_body(body);
    ASSERT_TRUE(s.ok()) << api;
    EXPECT_EQ(s->kind, PolicyKind::SemVer);
    EXPECT_EQ(s->range, ">=1.0.0");
    EXPECT_EQ(s->repository_name, "fraud-detector");
    EXPECT_EQ(s->repository_namespace, "flux-system");
    ASSERT_TRUE(s->filter_tags.has_value());
    EXPECT_EQ(s->filter_tags->extract, "$v");
    EXPECT_EQ(latest(*s, {"v1.0.0", "v1.2.0", "1.3.0"}), "v1.2.0");
  }
  EXPECT_FALSE(ImagePolicySpec::from_body(json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}}).ok());
  json bad_range = {{"apiVersion", "image.toolkit.fluxcd.io/v1"},
                    {"kind", "ImagePolicy"},
                    {"spec", {{"policy", {{"semver", {{"range", 5}}}}}}}};
  EXPECT_FALSE(ImagePolicySpec::from_body(bad_range).ok());
}

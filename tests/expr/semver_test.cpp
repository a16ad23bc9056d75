// Masterminds/semver v3 test vectors (constraints_test.go, version_test.go), the prerelease
// rules of reference flux.md section 7 and Flux's ParseVersion (section 7.1, fluxcd/pkg
// version_test.go).
#include "engine/expr/semver.hpp"

#include <gtest/gtest.h>

using namespace rehearse::expr::semver;

namespace {

struct CheckCase {
  const char* constraint;
  const char* version;
  bool check;
};
struct NewConstraintCase {
  const char* input;
  int ors;
  int ands;
  bool err;
};
struct VersionCase {
  const char* version;
  bool err;
};
struct CompareCase {
  const char* a;
  const char* b;
  int expected;
};

// Masterminds/semver constraints_test.go TestConstraintCheck + TestConstraintsCheck.
const CheckCase kConstraintChecks[] = {
    {"=2.0.0", "1.2.3", false},
    {"=2.0.0", "2.0.0", true},
    {"=2.0", "1.2.3", false},
    {"=2.0", "2.0.0", true},
    {"=2.0", "2.0.1", true},
    {"4.1", "4.1.0", true},
    {"!=4.1.0", "4.1.0", false},
    {"!=4.1.0", "4.1.1", true},
    {"!=4.1", "4.1.0", false},
    {"!=4.1", "4.1.1", false},
    {"!=4.1", "5.1.0-alpha.1", false},
    {"!=4.1.0", "5.1.0-alpha.1", false},
    {"!=4.1-alpha", "4.1.0", true},
    {"!=4.1", "5.1.0", true},
    {"<11", "0.1.0", true},
    {"<11", "11.1.0", false},
    {"<1.1", "0.1.0", true},
    {"<1.1", "1.1.0", false},
    {"<1.1", "1.1.1", false},
    {"<=11", "1.2.3", true},
    {"<=11", "12.2.3", false},
    {"<=11", "11.2.3", true},
    {"<=1.1", "1.2.3", false},
    {"<=1.1", "0.1.0", true},
    {"<=1.1", "1.1.0", true},
    {"<=1.1", "1.1.1", true},
    {">1.1", "4.1.0", true},
    {">1.1", "1.1.0", false},
    {">0", "0", false},
    {">0", "1", true},
    {">0", "0.0.1-alpha", false},
    {">0.0", "0.0.1-alpha", false},
    {">0-0", "0.0.1-alpha", false},
    {">0.0-0", "0.0.1-alpha", false},
    {">0", "0.0.0-alpha", false},
    {">0-0", "0.0.0-alpha", false},
    {">0.0.0-0", "0.0.0-alpha", true},
    {">1.2.3-alpha.1", "1.2.3-alpha.2", true},
    {">1.2.3-alpha.1", "1.3.3-alpha.2", true},
    {">11", "11.1.0", false},
    {">11.1", "11.1.0", false},
    {">11.1", "11.1.1", false},
    {">11.1", "11.2.1", true},
    {">=11", "11.1.2", true},
    {">=11.1", "11.1.2", true},
    {">=11.1", "11.0.2", false},
    {">=1.1", "4.1.0", true},
    {">=1.1", "1.1.0", true},
    {">=1.1", "0.0.9", false},
    {">=0", "0.0.1-alpha", false},
    {">=0.0", "0.0.1-alpha", false},
    {">=0-0", "0.0.1-alpha", true},
    {">=0.0-0", "0.0.1-alpha", true},
    {">=0", "0.0.0-alpha", false},
    {">=0-0", "0.0.0-alpha", true},
    {">=0.0.0-0", "0.0.0-alpha", true},
    {">=0.0.0-0", "1.2.3", true},
    {">=0.0.0-0", "3.4.5-beta.1", true},
    {"<0", "0.0.0-alpha", false},
    {"<0-z", "0.0.0-alpha", true},
    {">=0", "0", true},
    {"=0", "1", false},
    {"*", "1", true},
    {"*", "4.5.6", true},
    {"*", "1.2.3-alpha.1", false},
    {"*-0", "1.2.3-alpha.1", true},
    {"2.*", "1", false},
    {"2.*", "3.4.5", false},
    {"2.*", "2.1.1", true},
    {"2.1.*", "2.1.1", true},
    {"2.1.*", "2.2.1", false},
    // (The three rows for "" test parseConstraint alone; NewConstraint rejects "".)
    {"2", "1", false},
    {"2", "3.4.5", false},
    {"2", "2.1.1", true},
    {"2.1", "2.1.1", true},
    {"2.1", "2.2.1", false},
    {"~1.2.3", "1.2.4", true},
    {"~1.2.3", "1.3.4", false},
    {"~1.2", "1.2.4", true},
    {"~1.2", "1.3.4", false},
    {"~1", "1.2.4", true},
    {"~1", "2.3.4", false},
    {"~0.2.3", "0.2.5", true},
    {"~0.2.3", "0.3.5", false},
    {"~1.2.3-beta.2", "1.2.3-beta.4", true},
    {"~1.2.3-beta.2", "1.2.4-beta.2", true},
    {"~1.2.3-beta.2", "1.3.4-beta.2", false},
    {"^1.2.3", "1.8.9", true},
    {"^1.2.3", "2.8.9", false},
    {"^1.2.3", "1.2.1", false},
    {"^1.1.0", "2.1.0", false},
    {"^1.2.0", "2.2.1", false},
    {"^1.2.0", "1.2.1-alpha.1", false},
    {"^1.2.0-alpha.0", "1.2.1-alpha.1", true},
    {"^1.2.0-alpha.0", "1.2.1-alpha.0", true},
    {"^1.2.0-alpha.2", "1.2.0-alpha.1", false},
    {"^1.2", "1.8.9", true},
    {"^1.2", "2.8.9", false},
    {"^1", "1.8.9", true},
    {"^1", "2.8.9", false},
    {"^0.2.3", "0.2.5", true},
    {"^0.2.3", "0.5.6", false},
    {"^0.2", "0.2.5", true},
    {"^0.2", "0.5.6", false},
    {"^0.0.3", "0.0.3", true},
    {"^0.0.3", "0.0.4", false},
    {"^0.0", "0.0.3", true},
    {"^0.0", "0.1.4", false},
    {"^0.0", "1.0.4", false},
    {"^0", "0.2.3", true},
    {"^0", "1.1.4", false},
    {"^0.2.3-beta.2", "0.2.3-beta.4", true},
    {"^0.2.3-beta.2", "0.2.4-beta.2", true},
    {"^0.2.3-beta.2", "0.3.4-beta.2", false},
    {"^0.2.3-beta.2", "0.2.3-beta.2", true},
    {"*", "1.2.3", true},
    {"~0.0.0", "1.2.3", true},
    {"0.x.x", "1.2.3", false},
    {"0.0.x", "1.2.3", false},
    {"0.0.0", "1.2.3", false},
    {"*", "1.2.3", true},
    {"^0.0.0", "1.2.3", false},
    {"= 2.0", "1.2.3", false},
    {"= 2.0", "2.0.0", true},
    {"4.1", "4.1.0", true},
    {"4.1.x", "4.1.3", true},
    {"1.x", "1.4", true},
    {"!=4.1", "4.1.0", false},
    {"!=4.1-alpha", "4.1.0-alpha", false},
    {"!=4.1-alpha", "4.1.1-alpha", false},
    {"!=4.1-alpha", "4.1.0", true},
    {"!=4.1", "5.1.0", true},
    {"!=4.x", "5.1.0", true},
    {"!=4.x", "4.1.0", false},
    {"!=4.1.x", "4.2.0", true},
    {"!=4.2.x", "4.2.3", false},
    {">1.1", "4.1.0", true},
    {">1.1", "1.1.0", false},
    {"<1.1", "0.1.0", true},
    {"<1.1", "1.1.0", false},
    {"<1.1", "1.1.1", false},
    {"<1.x", "1.1.1", false},
    {"<1.x", "0.1.1", true},
    {"<1.x", "2.0.0", false},
    {"<1.1.x", "1.2.1", false},
    {"<1.1.x", "1.1.500", false},
    {"<1.1.x", "1.0.500", true},
    {"<1.2.x", "1.1.1", true},
    {">=1.1", "4.1.0", true},
    {">=1.1", "4.1.0-beta", false},
    {">=1.1", "1.1.0", true},
    {">=1.1", "0.0.9", false},
    {"<=1.1", "0.1.0", true},
    {"<=1.1", "0.1.0-alpha", false},
    {"<=1.1-a", "0.1.0-alpha", true},
    {"<=1.1", "1.1.0", true},
    {"<=1.x", "1.1.0", true},
    {"<=2.x", "3.0.0", false},
    {"<=1.1", "1.1.1", true},
    {"<=1.1.x", "1.2.500", false},
    {"<=4.5", "3.4.0", true},
    {"<=4.5", "3.7.0", true},
    {"<=4.5", "4.6.3", false},
    {">1.1, <2", "1.1.1", false},
    {">1.1, <2", "1.2.1", true},
    {">1.1, <3", "4.3.2", false},
    {">=1.1, <2, !=1.2.3", "1.2.3", false},
    {">1.1 <2", "1.1.1", false},
    {">1.1 <2", "1.2.1", true},
    {">1.1    <3", "4.3.2", false},
    {">=1.1    <2    !=1.2.3", "1.2.3", false},
    {">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {">=1.1 <2 !=1.2.3", "1.2.3", false},
    {">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1 <2 !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1 <2 !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false},
    {"> 1.1, <     2", "1.1.1", false},
    {">   1.1, <2", "1.2.1", true},
    {">1.1, <  3", "4.3.2", false},
    {">= 1.1, <     2, !=1.2.3", "1.2.3", false},
    {"> 1.1 < 2", "1.1.1", false},
    {">1.1 < 2", "1.2.1", true},
    {"> 1.1    <3", "4.3.2", false},
    {">=1.1    < 2    != 1.2.3", "1.2.3", false},
    {">= 1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">= 1.1, <2, != 1.2.3 || > 3", "3.1.2", false},
    {">= 1.1, <2, != 1.2.3 || >= 3", "3.0.0", true},
    {">= 1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">= 1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {">= 1.1 <2 != 1.2.3", "1.2.3", false},
    {">= 1.1 <2 != 1.2.3 || > 3", "4.1.2", true},
    {">= 1.1 <2 != 1.2.3 || > 3", "3.1.2", false},
    {">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true},
    {">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1 < 2 !=1.2.3 || > 3", "1.2.3", false},
    {">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta", "1.0.1", true},
    {">= 1.0.0  <= 2.0.0-beta", "3.0.0", false},
    {">= 1.0.0  <= 2.0.0-beta || > 3", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false},
    {">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", "1.0.1-beta", false},
    {">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", true},
    {"1.1 - 2", "1.1.1", true},
    {"1.5.0 - 4.5", "3.7.0", true},
    {"1.1-3", "4.3.2", false},
    {"^1.1", "1.1.1", true},
    {"^1.1", "4.3.2", false},
    {"^1.x", "1.1.1", true},
    {"^2.x", "1.1.1", false},
    {"^1.x", "2.1.1", false},
    {"^1.x", "1.1.1-beta1", false},
    {"^1.1.2-alpha", "1.2.1-beta1", true},
    {"^1.2.x-alpha", "1.1.1-beta1", false},
    {"^0.0.1", "0.0.1", true},
    {"^0.0.1", "0.3.1", false},
    {"~*", "2.1.1", true},
    {"~1", "2.1.1", false},
    {"~1", "1.3.5", true},
    {"~1", "1.4", true},
    {"~1.x", "2.1.1", false},
    {"~1.x", "1.3.5", true},
    {"~1.x", "1.4", true},
    {"~1.1", "1.1.1", true},
    {"~1.1", "1.1.1-alpha", false},
    {"~1.1-alpha", "1.1.1-beta", true},
    {"~1.1.1-beta", "1.1.1-alpha", false},
    {"~1.1.1-beta", "1.1.1", true},
    {"~1.2.3", "1.2.5", true},
    {"~1.2.3", "1.2.2", false},
    {"~1.2.3", "1.3.2", false},
    {"~1.1", "1.2.3", false},
    {"~1.3", "2.4.5", false},
    {"1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true},
    {"1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true},
};
// TestNewConstraint: {input, ORs, ANDs in the first group, error}.
const NewConstraintCase kNewConstraints[] = {
    {">= 1.1", 1, 1, false},
    {">40.50.60, < 50.70", 1, 2, false},
    {"2.0", 1, 1, false},
    {"v2.3.5-20161202202307-sha.e8fc5e5", 1, 1, false},
    {"v1.2.3-0abc", 1, 1, false},
    {"v1.2.3-beta.01", 1, 1, true},
    {">= bar", 0, 0, true},
    {"BAR >= 1.2.3", 0, 0, true},
    {">= 1.2.3 < 2.0", 1, 2, false},
    {">= 1.2.3 < 2.0 || => 3.0 < 4", 2, 2, false},
    {">= 1.2.3, < 2.0", 1, 2, false},
    {">= 1.2.3, < 2.0 || => 3.0, < 4", 2, 2, false},
    {"3 - 4 || => 3.0, < 4", 2, 2, false},
    {"12.3.4.1234", 0, 0, true},
    {"12.23.4.1234", 0, 0, true},
    {"12.3.34.1234", 0, 0, true},
    {"12.3.34 ~1.2.3", 1, 2, false},
    {"12.3.34~ 1.2.3", 0, 0, true},
    {"1.0.0 - 2.0.0, <=2.0.0", 1, 3, false},
};
// TestStrictNewVersion: {version, error}.
const VersionCase kStrictVersions[] = {
    {"1.2.3", false},
    {"1.2.3-alpha.01", true},
    {"1.2.3+test.01", false},
    {"1.2.3-alpha.-1", false},
    {"v1.2.3", true},
    {"1.0", true},
    {"v1.0", true},
    {"1", true},
    {"v1", true},
    {"1.2", true},
    {"1.2.beta", true},
    {"v1.2.beta", true},
    {"foo", true},
    {"1.2-5", true},
    {"v1.2-5", true},
    {"1.2-beta.5", true},
    {"v1.2-beta.5", true},
    {"\n1.2", true},
    {"\nv1.2", true},
    {"1.2.0-x.Y.0+metadata", false},
    {"v1.2.0-x.Y.0+metadata", true},
    {"1.2.0-x.Y.0+metadata-width-hypen", false},
    {"v1.2.0-x.Y.0+metadata-width-hypen", true},
    {"1.2.3-rc1-with-hypen", false},
    {"1.2.3-0abc123", false},
    {"1.2.3-beta.01", true},
    {"v1.2.3-rc1-with-hypen", true},
    {"1.2.3.4", true},
    {"v1.2.3.4", true},
    {"1.2.2147483648", false},
    {"1.2147483648.3", false},
    {"2147483648.3.0", false},
    {"20221209-update-renovatejson-v4", true},
    {"1.1.2+.123", true},
    {"1.0.0-alpha_beta", true},
    {"1.0.0-alpha..", true},
    {"1.0.0-alpha..1", true},
    {"01.1.1", true},
    {"1.01.1", true},
    {"1.1.01", true},
    {"9.8.7+meta+meta", true},
    {"1.2.31----RC-SNAPSHOT.12.09.1--.12+788", true},
    {"1.2.3-0123", true},
    {"1.2.3-0123.0123", true},
    {"+invalid", true},
    {"-invalid", true},
    {"-invalid.01", true},
    {"alpha+beta", true},
    {"1.2.3-alpha_beta+foo", true},
    {"1.0.0-alpha..1", true},
};
// TestNewVersion "With loose NewVersion": {version, error}.
const VersionCase kLooseVersions[] = {
    {"1.2.3", false},
    {"1.2.3-alpha.01", true},
    {"1.2.3+test.01", false},
    {"1.2.3-alpha.-1", false},
    {"v1.2.3", false},
    {"1.0", false},
    {"v1.0", false},
    {"1", false},
    {"v1", false},
    {"1.2.beta", true},
    {"v1.2.beta", true},
    {"foo", true},
    {"1.2-5", false},
    {"v1.2-5", false},
    {"1.2-beta.5", false},
    {"v1.2-beta.5", false},
    {"\n1.2", true},
    {"\nv1.2", true},
    {"1.2.0-x.Y.0+metadata", false},
    {"v1.2.0-x.Y.0+metadata", false},
    {"1.2.0-x.Y.0+metadata-width-hypen", false},
    {"v1.2.0-x.Y.0+metadata-width-hypen", false},
    {"1.2.3-rc1-with-hypen", false},
    {"v1.2.3-rc1-with-hypen", false},
    {"1.2.3-0abc123", false},
    {"1.2.3-beta.01", true},
    {"1.2.3.4", true},
    {"v1.2.3.4", true},
    {"1.2.2147483648", false},
    {"1.2147483648.3", false},
    {"2147483648.3.0", false},
    {"12.3.4.1234", true},
    {"12.23.4.1234", true},
    {"12.3.34.1234", true},
    {"20221209-update-renovatejson-v4", false},
    {"1.1.2+.123", true},
    {"1.0.0-alpha_beta", true},
    {"1.0.0-alpha..", true},
    {"1.0.0-alpha..1", true},
    {"9.8.7+meta+meta", true},
    {"1.2.31----RC-SNAPSHOT.12.09.1--.12+788", true},
    {"01.1.1", false},
    {"1.01.1", false},
    {"1.1.01", false},
};
// TestCompare: {a, b, expected}.
const CompareCase kCompares[] = {
    {"1.2.3", "1.5.1", -1},
    {"2.2.3", "1.5.1", 1},
    {"2.2.3", "2.2.2", 1},
    {"3.2-beta", "3.2-beta", 0},
    {"1.3", "1.1.4", 1},
    {"4.2", "4.2-beta", 1},
    {"4.2-beta", "4.2", -1},
    {"4.2-alpha", "4.2-beta", -1},
    {"4.2-alpha", "4.2-alpha", 0},
    {"4.2-beta.2", "4.2-beta.1", 1},
    {"4.2-beta2", "4.2-beta1", 1},
    {"4.2-beta", "4.2-beta.2", -1},
    {"4.2-beta", "4.2-beta.foo", -1},
    {"4.2-beta.2", "4.2-beta", 1},
    {"4.2-beta.foo", "4.2-beta", 1},
    {"1.2+bar", "1.2+baz", 0},
    {"1.0.0-beta.4", "1.0.0-beta.-2", -1},
    {"1.0.0-beta.-2", "1.0.0-beta.-3", -1},
    {"1.0.0-beta.-3", "1.0.0-beta.5", 1},
};

bool matches(const char* constraint, const char* version) {
  auto c = Constraints::parse(constraint);
  EXPECT_TRUE(c.ok()) << constraint << ": " << (c.ok() ? "" : c.error().message);
  auto v = Version::parse(version);
  EXPECT_TRUE(v.ok()) << version;
  return c.ok() && v.ok() && c->check(*v);
}

}  // namespace

TEST(Semver, UpstreamConstraintCheckTable) {
  for (const auto& tc : kConstraintChecks) {
    EXPECT_EQ(matches(tc.constraint, tc.version), tc.check)
        << "constraint " << tc.constraint << " version " << tc.version;
  }
}

TEST(Semver, UpstreamNewConstraintTable) {
  for (const auto& tc : kNewConstraints) {
    auto c = Constraints::parse(tc.input);
    EXPECT_EQ(!c.ok(), tc.err) << tc.input;
    if (!c.ok()) {
      EXPECT_EQ(c.error().code, "invalid-constraint");
    }
  }
}

TEST(Semver, UpstreamStrictVersionTable) {
  for (const auto& tc : kStrictVersions) {
    EXPECT_EQ(!Version::parse_strict(tc.version).ok(), tc.err) << tc.version;
  }
}

TEST(Semver, UpstreamLooseVersionTable) {
  for (const auto& tc : kLooseVersions) {
    EXPECT_EQ(!Version::parse(tc.version).ok(), tc.err) << tc.version;
  }
}

TEST(Semver, UpstreamCompareTable) {
  for (const auto& tc : kCompares) {
    auto a = Version::parse(tc.a);
    auto b = Version::parse(tc.b);
    ASSERT_TRUE(a.ok() && b.ok()) << tc.a << " " << tc.b;
    EXPECT_EQ(a->compare(*b), tc.expected) << tc.a << " vs " << tc.b;
  }
}

TEST(Semver, LenientParseFillsMissingPartsAndKeepsOriginal) {
  auto v = Version::parse("v1.4");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str(), "1.4.0");
  EXPECT_EQ(v->original(), "v1.4");
  auto z = Version::parse("0");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->str(), "0.0.0");
  auto full = Version::parse("1.2.3-beta.1+build.5");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->prerelease(), "beta.1");
  EXPECT_EQ(full->metadata(), "build.5");
  EXPECT_EQ(Version::parse("1.0.0+a")->compare(*Version::parse("1.0.0+b")), 0);
}

TEST(Semver, PrereleaseOnlyMatchesWhenTheAndGroupMentionsOne) {
  EXPECT_TRUE(matches("~1.2.3-beta.2", "1.2.4-beta.2"));
  EXPECT_TRUE(matches(">= 1.0.0-0 <= 2.0.0", "1.0.1-beta"));
  EXPECT_FALSE(matches("*", "1.2.3-alpha.1"));
  EXPECT_TRUE(matches("*-0", "1.2.3-alpha.1"));
  EXPECT_FALSE(matches(">=1.0.0", "1.5.0-rc.1"));
  // The prerelease in one OR group does not open the other.
  EXPECT_FALSE(matches(">=3.0.0-0 || >=1.0.0", "1.5.0-rc.1"));
  EXPECT_TRUE(matches(">=3.0.0-0 || >=1.0.0", "3.5.0-rc.1"));
}

TEST(Semver, WildcardTildeAndCaretRanges) {
  EXPECT_TRUE(matches("0.7.x", "0.7.12"));  // gitops-for-ml.txt HelmRelease version
  EXPECT_FALSE(matches("0.7.x", "0.8.0"));
  EXPECT_TRUE(matches("1.2", "1.2.9"));
  EXPECT_FALSE(matches("1.2", "1.3.0"));
  EXPECT_TRUE(matches(">11", "12.0.0"));
  EXPECT_FALSE(matches(">11", "11.9.0"));
  EXPECT_TRUE(matches("^0.2.3", "0.2.9"));
  EXPECT_FALSE(matches("^0.2.3", "0.3.0"));
  EXPECT_TRUE(matches("^0.0.3", "0.0.3"));
  EXPECT_FALSE(matches("^0.0.3", "0.0.4"));
  EXPECT_TRUE(matches("^0", "0.9.9"));
  EXPECT_FALSE(matches("^0", "1.0.0"));
  EXPECT_TRUE(matches("^0.0", "0.0.9"));
  EXPECT_FALSE(matches("^0.0", "0.1.0"));
  EXPECT_TRUE(matches("~1", "1.9.0"));
  EXPECT_FALSE(matches("~1", "2.0.0"));
  EXPECT_TRUE(matches("<=2.x", "2.99.0"));
  EXPECT_TRUE(matches(">=1.0.0", "1.0.0"));  // seed ImagePolicy range
}

TEST(Semver, InvalidConstraints) {
  for (const char* bad : {"", "1.0.0p", "x1", "1x", "v1.2.3-beta.01", "*-*", "12.3.4.1234", ">= bar", "1 -"}) {
    EXPECT_FALSE(Constraints::parse(bad).ok()) << "'" << bad << "'";
  }
  auto e = Constraints::parse(">= bar");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "improper constraint: \">= bar\"");
}

TEST(Semver, FluxParseVersionNeedsThreeParts) {
  for (const char* ok : {"v1.2.3", "v2025.07.03", "1.2.3-rc.1", "1.0.0+build"}) {
    EXPECT_TRUE(Version::parse_flux(ok).ok()) << ok;
  }
  for (const char* bad : {"v1.0", "v1", "v1.2-5", "v1.2.3.4", "v1.2.beta", "latest", "sha-abc1234"}) {
    EXPECT_FALSE(Version::parse_flux(bad).ok()) << bad;
  }
}

TEST(Semver, PrereleaseIdentifierOrdering) {
  EXPECT_LT(compare_prerelease("alpha", "alpha.1"), 0);
  EXPECT_LT(compare_prerelease("alpha.1", "alpha.beta"), 0);
  EXPECT_LT(compare_prerelease("beta.2", "beta.11"), 0);
  EXPECT_LT(compare_prerelease("1", "alpha"), 0);
  EXPECT_GT(compare_prerelease("rc.1", "beta.11"), 0);
}

TEST(Semver, HugeConstraintIsRejectedNotACrash) {
  std::string big;
  for (int i = 0; i < 5000; ++i) big += ">=1.0.0 ";
  EXPECT_FALSE(Constraints::parse(big).ok());
}

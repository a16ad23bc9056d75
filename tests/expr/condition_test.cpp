// Argo Rollouts conditions (reference rollouts.md section 7; argo-rollouts
// utils/evaluate/evaluate_test.go, metricproviders/prometheus/prometheus_test.go) and expr-lang
// operator semantics (precedence, int/float typing, strictness).
#include "engine/expr/condition.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

using rehearse::expr::Condition;
using nlohmann::json;

namespace {

// true / false, or "error: <message>" so failures print what happened.
std::string eval(std::string_view cond, const json& result) {
  auto c = Condition::compile(cond);
  if (!c.ok()) return "compile error: " + c.error().message;
  auto r = c->evaluate(result);
  if (!r.ok()) return "error: " + r.error().message;
  return *r ? "true" : "false";
}

bool is_error(const std::string& s) { return s.rfind("error: ", 0) == 0; }

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST(Condition, SeedConditionsOnScalarResults) {
  // gitops-for-ml.txt: p99 latency, error rate, F1 score.
  EXPECT_EQ(eval("result < 50", 42.0), "true");
  EXPECT_EQ(eval("result < 50", 51.5), "false");
  EXPECT_EQ(eval("result < 0.01", 0.004), "true");
  EXPECT_EQ(eval("result > 0.92", 0.93), "true");
  EXPECT_EQ(eval("result > 0.92", 0.92), "false");
  EXPECT_EQ(eval("result >= 0.92", 0.92), "true");
  EXPECT_EQ(eval("result <= 50", 50.0), "true");
}

TEST(Condition, PrometheusVectorIndexing) {
  EXPECT_EQ(eval("result[0] < 0.05", json::array({0.01})), "true");
  EXPECT_EQ(eval("result[0] < 0.05", json::array({0.2})), "false");
  EXPECT_EQ(eval("result[0] <= 50", json::array({50.0, 99.0})), "true");
  // An empty vector: indexing is an error measurement, not a failure.
  std::string empty = eval("result[0] < 0.05", json::array());
  EXPECT_TRUE(is_error(empty)) << empty;
  EXPECT_NE(empty.find("index out of range"), std::string::npos) << empty;
  // Guards from the reference.
  EXPECT_EQ(eval("len(result) == 0 || result[0] < 0.05", json::array()), "true");
  EXPECT_EQ(eval("len(result) > 0 && result[0] < 0.05", json::array()), "false");
  // Comparing the whole vector with a number is a type error.
  std::string whole = eval("result < 50", json::array({1.0}));
  EXPECT_EQ(whole, "error: invalid operation: < (mismatched types []float64 and int)");
}

TEST(Condition, NaNMakesEveryOrderedComparisonFalse) {
  EXPECT_EQ(eval("result >= 0.9", kNaN), "false");
  EXPECT_EQ(eval("result < 0.9", kNaN), "false");
  EXPECT_EQ(eval("isNaN(result) || result >= 0.9", kNaN), "true");
  EXPECT_EQ(eval("result == result", kNaN), "false");
}

TEST(Condition, InfinityComparesAndIsDetected) {
  EXPECT_EQ(eval("result >= 0.9", kInf), "true");
  EXPECT_EQ(eval("isInf(result)", kInf), "true");
  EXPECT_EQ(eval("isInf(result)", -kInf), "true");
  EXPECT_EQ(eval("isInf(result)", 1.0), "false");
}

TEST(Condition, NilResultNeedsDefaultOrIsNil) {
  EXPECT_TRUE(is_error(eval("result < 0.05", nullptr)));
  EXPECT_EQ(eval("default(result, 0) < 0.05", nullptr), "true");
  EXPECT_EQ(eval("default(result, 0) < 0.05", 0.5), "false");
  EXPECT_EQ(eval("isNil(result)", nullptr), "true");
  EXPECT_EQ(eval("isNil(result)", 1.0), "false");
  EXPECT_EQ(eval("result == nil", nullptr), "true");
}

TEST(Condition, TypesAreStrict) {
  // A float64 result compared with a string is a checker error, not false.
  EXPECT_EQ(eval(R"(result == "x")", 1.0), "error: invalid operation: == (mismatched types float64 and string)");
  EXPECT_TRUE(is_error(eval(R"(result < "x")", 1.0)));
  // Through interface{} (a decoded JSON field) the runtime compares with DeepEqual: false.
  EXPECT_EQ(eval(R"(result.status == 5)", json::parse(R"({"status":"ok"})")), "false");
  EXPECT_EQ(eval(R"(result.status == "ok")", json::parse(R"({"status":"ok"})")), "true");
  // int literal vs float64 value compare numerically.
  EXPECT_EQ(eval("result == 50", 50.0), "true");
  // A non-bool outcome is an error.
  EXPECT_EQ(eval("result + 1", 1.0), "error: expected bool, but got float64");
  EXPECT_EQ(eval("1 + 1", 1.0), "error: expected bool, but got int");
  EXPECT_TRUE(is_error(eval("result && true", 1.0)));
  EXPECT_TRUE(is_error(eval("!result", 1.0)));
}

TEST(Condition, WebResultsAreDecodedJson) {
  json body = json::parse(R"({"data": {"f1_score": 0.95, "ok": true, "tags": ["a", "b"]}})");
  EXPECT_EQ(eval("result.data.f1_score > 0.92", body), "true");
  EXPECT_EQ(eval("result.data.ok", body), "true");
  EXPECT_EQ(eval(R"("a" in result.data.tags)", body), "true");
  EXPECT_EQ(eval(R"("data" in result)", body), "true");
  EXPECT_EQ(eval("result.data.missing == nil", body), "true");
  EXPECT_EQ(eval("(result.data.missing ?? 5) == 5", body), "true");
  EXPECT_EQ(eval("result.data.missing ?? 5 == 5", body), "true");
  EXPECT_TRUE(is_error(eval("result.data.missing.deeper == 1", body)));
  EXPECT_EQ(eval("result.data.missing?.deeper == nil", body), "true");
  // A non-JSON body arrives as a string.
  EXPECT_EQ(eval(R"(result == "OK")", "OK"), "true");
}

TEST(Condition, ArgoConversionHelpers) {
  EXPECT_EQ(eval(R"(asInt(result) == 42)", "42"), "true");
  EXPECT_EQ(eval(R"(asInt(result) == 3)", 3.9), "true");
  EXPECT_TRUE(is_error(eval(R"(asInt(result) == 42)", "4x2")));
  EXPECT_EQ(eval(R"(asFloat(result) < 0.5)", "0.25"), "true");
  EXPECT_TRUE(is_error(eval(R"(asFloat(result) < 0.5)", "abc")));
}

TEST(Condition, ClosuresOverVectors) {
  json v = json::array({0.01, 0.02, 0.2});
  EXPECT_EQ(eval("all(result, # < 0.05)", v), "false");
  EXPECT_EQ(eval("any(result, # > 0.1)", v), "true");
  EXPECT_EQ(eval("none(result, # > 1)", v), "true");
  EXPECT_EQ(eval("one(result, # > 0.1)", v), "true");
  EXPECT_EQ(eval("len(filter(result, # < 0.05)) == 2", v), "true");
  EXPECT_EQ(eval("count(result, # < 0.05) == 2", v), "true");
  EXPECT_EQ(eval("map(result, # * 100)[2] == 20", v), "true");
  EXPECT_EQ(eval("all(result, {# < 1})", v).substr(0, 14), "compile error:");  // no map literals
  json objs = json::parse(R"([{"p": 0.1}, {"p": 0.3}])");
  EXPECT_EQ(eval("all(result, .p < 0.5)", objs), "true");
  EXPECT_EQ(eval("all(result, #.p < 0.2)", objs), "false");
  EXPECT_TRUE(is_error(eval("all(result, #)", v)));
}

TEST(Condition, OperatorPrecedenceFollowsExpr) {
  EXPECT_EQ(eval("1 + 2 * 3 == 7", nullptr), "true");
  EXPECT_EQ(eval("2 ** 3 ** 2 == 512", nullptr), "true");
  EXPECT_EQ(eval("2 ^ 3 == 8", nullptr), "true");
  EXPECT_EQ(eval("-2 ** 2 == -4", nullptr), "true");
  EXPECT_EQ(eval("10 % 3 == 1", nullptr), "true");
  EXPECT_EQ(eval("7 / 2 == 3.5", nullptr), "true");
  EXPECT_EQ(eval("true || false && false", nullptr), "true");
  EXPECT_EQ(eval("not (1 > 2)", nullptr), "true");
  EXPECT_EQ(eval("!true == false", nullptr), "true");
  EXPECT_EQ(eval("1 < 2 ? true : false", nullptr), "true");
  EXPECT_EQ(eval("1 > 2 ? true : 1 < 2", nullptr), "true");
  EXPECT_EQ(eval("2 in 1..3", nullptr), "true");
  EXPECT_EQ(eval("5 not in [1, 2]", nullptr), "true");
  EXPECT_EQ(eval("1 < 2 and 3 < 4", nullptr), "true");
  EXPECT_TRUE(is_error(eval("1.5 % 1 == 0", nullptr)));
}

TEST(Condition, StringOperators) {
  json r = json::parse(R"({"version": "v1.2.3-rc.1"})");
  EXPECT_EQ(eval(R"(result.version matches "^v1\\.2")", r), "true");
  EXPECT_EQ(eval(R"x(result.version matches "(?P<x>rc)")x", r), "true");
  EXPECT_EQ(eval(R"(result.version contains "rc")", r), "true");
  EXPECT_EQ(eval(R"(result.version startsWith "v1")", r), "true");
  EXPECT_EQ(eval(R"(result.version endsWith ".1")", r), "true");
  EXPECT_EQ(eval(R"(result.version not startsWith "v2")", r), "true");
  EXPECT_EQ(eval(R"("a" + 'b' == "ab")", r), "true");
  EXPECT_EQ(eval(R"(len("abc") == 3 && upper("a") == "A")", r), "true");
}

TEST(Condition, MathBuiltins) {
  EXPECT_EQ(eval("abs(-3) == 3 && max(1, 5, 2) == 5 && min(result) == 0.1", json::array({0.3, 0.1})), "true");
  EXPECT_EQ(eval("sum(result) > 0.39 && mean(result) == 0.2", json::array({0.3, 0.1})), "true");
  EXPECT_EQ(eval("floor(2.7) == 2 && ceil(2.1) == 3 && round(2.5) == 3", nullptr), "true");
  EXPECT_EQ(eval("first(result) == 0.3 && last(result) == 0.1", json::array({0.3, 0.1})), "true");
}

TEST(Condition, CompileErrorsCarryLineAndColumn) {
  auto c1 = Condition::compile("result <");
  ASSERT_FALSE(c1.ok());
  EXPECT_EQ(c1.error().code, "invalid-condition");
  EXPECT_EQ(c1.error().message, "unexpected end of expression (1:9)");
  auto c2 = Condition::compile("foo > 1");
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(c2.error().message, "unknown name foo (1:1)");
  auto c3 = Condition::compile("result[0] < 0.05)");
  ASSERT_FALSE(c3.ok());
  EXPECT_EQ(c3.error().message, "unexpected token \")\" (1:17)");
  auto c4 = Condition::compile("result > 1 &&\n  # < 2");
  ASSERT_FALSE(c4.ok());
  EXPECT_EQ(c4.error().message, "cannot use pointer accessor outside closure (2:3)");
  EXPECT_FALSE(Condition::compile("nosuch(result)").ok());
  EXPECT_FALSE(Condition::compile("len(result, 1)").ok());
  EXPECT_FALSE(Condition::compile("'unterminated").ok());
  EXPECT_FALSE(Condition::compile(R"x(result matches "(?=x)")x").ok());
}

TEST(Condition, CompiledOnceEvaluatedManyTimes) {
  auto c = Condition::compile("result[0] < 0.05");
  ASSERT_TRUE(c.ok());
  Condition copy = *c;
  EXPECT_EQ(copy.source(), "result[0] < 0.05");
  for (double v : {0.01, 0.04, 0.05, 0.06}) {
    auto r = copy.evaluate(json::array({v}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, v < 0.05);
  }
}

TEST(Condition, DeepNestingIsASyntaxErrorNotACrash) {
  std::string deep(1000, '(');
  deep += "true";
  deep += std::string(1000, ')');
  auto c = Condition::compile(deep);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("nested too deeply"), std::string::npos);
  std::string nots(5000, '!');
  EXPECT_FALSE(Condition::compile(nots + "true").ok());
  std::string chain = "result";
  for (int i = 0; i < 20000; ++i) chain += ".a";
  EXPECT_FALSE(Condition::compile(chain + " == nil").ok());
  // Moderate nesting is fine.
  EXPECT_EQ(eval(std::string(50, '(') + "result > 1" + std::string(50, ')'), 2.0), "true");
}

TEST(Condition, StringsAndArraysViewTheirSource) {
  // Values are views into the result, the compiled literals or what the evaluation builds;
  // pin the cases that produce each (and that they compare by content, not by address).
  json r = json::parse(R"({"s": "hello", "a_key_longer_than_the_short_string_buffer": "x",
                           "xs": [1, 2, 3]})");
  EXPECT_EQ(eval(R"(result.a_key_longer_than_the_short_string_buffer == "x")", r), "true");
  EXPECT_EQ(eval(R"(result.s[1] == "e" && result.s[-1] == "o" && result.s[1:3] == "el")", r), "true");
  EXPECT_EQ(eval(R"(result.s[1:] + "!" == "ello!")", r), "true");
  EXPECT_EQ(eval(R"(upper(result.s + "x") == "HELLOX" && trim("  a ") == "a")", r), "true");
  EXPECT_EQ(eval(R"(string([1, 2.5, "x"]) == "[1 2.5 x]" && string(result.xs) == "[1 2 3]")", r), "true");
  EXPECT_EQ(eval("filter(map(result.xs, # * 2), # > 2) == [4, 6]", r), "true");
  EXPECT_EQ(eval("result.xs[1:] == [2, 3] && (1..3)[2] == 3", r), "true");
  EXPECT_EQ(eval(R"(result.s in ["x", "hello"] && "s" in result)", r), "true");
  EXPECT_EQ(eval(R"(result.s matches "^h" && result.s not contains "z")", r), "true");
  // A member of a map and an element of a mixed array are interface{}: `==` with another
  // type is false, not an error; ordering them is still an error.
  EXPECT_EQ(eval("result.s == 1", r), "false");
  EXPECT_EQ(eval(R"(result.s < 1)", r), "error: invalid operation: < (mismatched types string and int)");
  EXPECT_EQ(eval(R"(result[0] == "a" && result[1] == nil)", json::array({"a", nullptr})), "true");
  EXPECT_EQ(eval(R"(default(result, "d") == "d")", nullptr), "true");
  EXPECT_EQ(eval(R"(default(result, "d") == "r")", "r"), "true");
  // One compiled condition, many results: the literal stays valid across evaluations.
  auto c = Condition::compile(R"(result == "ok" + "!")");
  ASSERT_TRUE(c.ok());
  for (const char* s : {"ok!", "no", "ok!"}) {
    auto v = c->evaluate(json(s));
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(*v, std::string(s) == "ok!");
  }
}

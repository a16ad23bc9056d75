// Benchmarks for conditions (evaluated per measurement), JSONPath, semver and ImagePolicy.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/expr/condition.hpp"
#include "engine/expr/jsonpath.hpp"
#include "engine/expr/semver.hpp"
#include "engine/image/image_policy.hpp"

using nlohmann::json;
using namespace rehearse;

static void BM_Expr_ConditionEvaluate(benchmark::State& state) {
  auto c = expr::Condition::compile("result[0] < 0.05");
  json result = json::array({0.01});
  for (auto _ : state) {
    auto r = c->evaluate(result);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Expr_ConditionEvaluate);

static void BM_Expr_ConditionEvaluateGuarded(benchmark::State& state) {
  auto c = expr::Condition::compile("len(result) == 0 || (result[0] >= 0.92 && !isNaN(result[0]))");
  json result = json::array({0.95});
  for (auto _ : state) {
    auto r = c->evaluate(result);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Expr_ConditionEvaluateGuarded);

static void BM_Expr_ConditionAllOverVector(benchmark::State& state) {
  auto c = expr::Condition::compile("all(result, # < 0.05)");
  json result = json::array();
  for (int64_t i = 0; i < state.range(0); ++i) result.push_back(0.001 * static_cast<double>(i % 40));
  for (auto _ : state) {
    auto r = c->evaluate(result);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Expr_ConditionAllOverVector)->Arg(8)->Arg(512);

static void BM_Expr_ConditionCompile(benchmark::State& state) {
  for (auto _ : state) {
    auto c = expr::Condition::compile("len(result) > 0 && result[0] < 0.05 || default(result, 0) == 0");
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_Expr_ConditionCompile);

static void BM_Expr_JsonPathSelect(benchmark::State& state) {
  auto p = expr::JsonPath::parse(R"({.spec.template.spec.containers[?(@.name=="model")].image})");
  json doc = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"sidecar","image":"envoy:1"},{"name":"model","image":"fraud:1.2.0"}]}}}})");
  for (auto _ : state) {
    auto r = p->select(doc);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Expr_JsonPathSelect);

static void BM_Expr_SemverCheck(benchmark::State& state) {
  auto c = expr::semver::Constraints::parse(">=1.0.0 <2.0.0 || ~3.1");
  auto v = expr::semver::Version::parse("1.4.2");
  for (auto _ : state) {
    bool m = c->check(*v);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Expr_SemverCheck);

static void BM_Expr_SemverParse(benchmark::State& state) {
  for (auto _ : state) {
    auto v = expr::semver::Version::parse_flux("v1.24.3-rc.1+build.7");
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Expr_SemverParse);

static void BM_Image_PolicyLatestSemver(benchmark::State& state) {
  image::ImagePolicySpec spec;
  spec.kind = image::PolicyKind::SemVer;
  spec.range = ">=1.0.0";
  auto policer = image::Policer::build(spec);
  std::vector<std::string> tags;
  for (int64_t i = 0; i < state.range(0); ++i) {
    tags.push_back(i % 5 == 0 ? "sha-" + std::to_string(i) : "1." + std::to_string(i / 10) + "." + std::to_string(i % 10));
  }
  for (auto _ : state) {
    auto r = policer->latest(tags);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Image_PolicyLatestSemver)->Arg(100)->Arg(1000);

static void BM_Image_PolicyLatestFilterTags(benchmark::State& state) {
  image::ImagePolicySpec spec;
  spec.kind = image::PolicyKind::Numerical;
  spec.filter_tags = image::FilterTags{"^main-[a-fA-F0-9]+-(?P<ts>.*)", "$ts"};
  auto policer = image::Policer::build(spec);
  std::vector<std::string> tags;
  for (int64_t i = 0; i < state.range(0); ++i) tags.push_back("main-0e9f8c1-" + std::to_string(1611905227 + i));
  for (auto _ : state) {
    auto r = policer->latest(tags);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Image_PolicyLatestFilterTags)->Arg(100)->Arg(1000);

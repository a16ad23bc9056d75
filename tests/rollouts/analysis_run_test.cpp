// AnalysisRun execution against upstream facts (reference sections 1.2, 6, 7):
// analysis/analysis.go defaults, assessMetricStatus / assessRunStatus tables,
// utils/evaluate EvaluateResult, and the seed's fraud-detector templates.
#include "engine/rollouts/analysis_run.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/model/manifest_loader.hpp"
#include "engine/rollouts/sequence_provider.hpp"

using namespace rehearse;
using namespace rehearse::rollouts;
using nlohmann::json;

namespace {

Metric metric(json m) {
  if (!m.contains("name")) m["name"] = "m";
  if (!m.contains("provider")) m["provider"] = {{"prometheus", {{"query", "q"}}}};
  auto r = resolve_metric(m, {});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : Metric{};
}

MetricResult counts(int count, int failed, int inconclusive, int consecutive_error,
                    AnalysisPhase last = AnalysisPhase::Successful) {
  MetricResult r;
  r.phase = AnalysisPhase::Running;
  r.count = count;
  r.failed = failed;
  r.inconclusive = inconclusive;
  r.consecutive_error = consecutive_error;
  Measurement m;
  m.phase = last;
  m.finished_at = SimTime{};
  r.measurements.push_back(m);
  return r;
}

SimTime at(int seconds) { return sim::kSimStart + sim::seconds(seconds); }

std::string source_dir() {
  const char* d = std::getenv("REHEARSE_SOURCE_DIR");
  return d ? d : REHEARSE_SOURCE_DIR;
}

const AnalysisTemplate& fraud_template() {
  static AnalysisTemplate t = [] {
    model::Diagnostics diags;
    auto objs = model::load_manifests(
        source_dir() + "/docs/examples/rollouts/fraud-detector-analysis.yaml", diags);
    EXPECT_FALSE(diags.has_errors()) << diags.format();
    auto parsed = parse_analysis_template(objs.at(0), diags);
    EXPECT_TRUE(parsed.has_value()) << diags.format();
    return *parsed;
  }();
  return t;
}

AnalysisRun fraud_run() {
  auto spec = build_run_spec(fraud_template().spec, {}, nullptr);
  EXPECT_TRUE(spec.ok());
  return AnalysisRun(std::move(*spec));
}

const MetricResult& result(const AnalysisRun& run, const std::string& name) {
  for (const auto& r : run.status().metric_results)
    if (r.name == name) return r;
  ADD_FAILURE() << "no metric " << name;
  static MetricResult none;
  return none;
}

}  // namespace

TEST(MetricDefaults, FailureInconclusiveAndConsecutiveErrorLimits) {
  Metric m = metric({{"successCondition", "result > 1"}});
  EXPECT_EQ(m.failure_limit, 0);
  EXPECT_EQ(m.inconclusive_limit, 0);
  EXPECT_EQ(m.consecutive_error_limit, 4);
  EXPECT_EQ(m.consecutive_success_limit, 0);
}

TEST(MetricDefaults, EffectiveCountRules) {
  EXPECT_EQ(metric(json::object()).effective_count(), 1);
  EXPECT_EQ(metric({{"count", 0}}).effective_count(), 1);
  EXPECT_EQ(metric({{"interval", "1m"}}).effective_count(), std::nullopt);
  EXPECT_EQ(metric({{"interval", "1m"}, {"count", 0}}).effective_count(), std::nullopt);
  EXPECT_EQ(metric({{"interval", "1m"}, {"count", 3}}).effective_count(), 3);
  EXPECT_EQ(metric({{"interval", "1m"}, {"count", "3"}}).effective_count(), 3);
}

TEST(MetricValidation, CountAboveOneNeedsAnInterval) {
  auto r = resolve_metric({{"name", "m"}, {"count", 2}, {"provider", {{"web", json::object()}}}}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("interval"), std::string::npos);
}

TEST(MetricValidation, FailureLimitMinusOneNeedsConsecutiveSuccessLimit) {
  auto r = resolve_metric(
      {{"name", "m"}, {"failureLimit", -1}, {"provider", {{"web", json::object()}}}}, {});
  EXPECT_FALSE(r.ok());
}

TEST(MetricValidation, ExactlyOneProvider) {
  auto r = resolve_metric({{"name", "m"},
                           {"provider", {{"web", json::object()}, {"prometheus", json::object()}}}},
                          {});
  EXPECT_FALSE(r.ok());
}

TEST(AssessMetricStatus, FailedOnlyWhenStrictlyAboveFailureLimit) {
  Metric m = metric({{"interval", "1m"}, {"count", 5}, {"failureLimit", 2}});
  EXPECT_EQ(assess_metric_status(m, counts(3, 2, 0, 0), false), AnalysisPhase::Running);
  std::string msg;
  EXPECT_EQ(assess_metric_status(m, counts(3, 3, 0, 0), false, &msg), AnalysisPhase::Failed);
  EXPECT_EQ(msg, "failed (3) > failureLimit (2)");
}

TEST(AssessMetricStatus, FailureLimitMinusOneDisablesFailures) {
  Metric m = metric(
      {{"interval", "1m"}, {"count", 5}, {"failureLimit", -1}, {"consecutiveSuccessLimit", 2}});
  EXPECT_EQ(assess_metric_status(m, counts(3, 3, 0, 0), false), AnalysisPhase::Running);
}

TEST(AssessMetricStatus, ErrorBeatsInconclusiveBeatsFailed) {
  Metric m = metric({{"interval", "1m"}, {"count", 10}});
  EXPECT_EQ(assess_metric_status(m, counts(2, 1, 1, 0), false), AnalysisPhase::Inconclusive);
  EXPECT_EQ(assess_metric_status(m, counts(2, 1, 1, 5), false), AnalysisPhase::Error);
}

TEST(AssessMetricStatus, FifthConsecutiveErrorEndsTheMetric) {
  Metric m = metric({{"interval", "1m"}, {"count", 10}});
  EXPECT_EQ(assess_metric_status(m, counts(0, 0, 0, 4, AnalysisPhase::Error), false),
            AnalysisPhase::Running);
  std::string msg;
  EXPECT_EQ(assess_metric_status(m, counts(0, 0, 0, 5, AnalysisPhase::Error), false, &msg),
            AnalysisPhase::Error);
  EXPECT_EQ(msg, "consecutiveErrors (5) > consecutiveErrorLimit (4)");
}

TEST(AssessMetricStatus, CountReachedIsSuccessful) {
  Metric m = metric({{"interval", "1m"}, {"count", 3}, {"failureLimit", 1}});
  EXPECT_EQ(assess_metric_status(m, counts(3, 1, 0, 0), false), AnalysisPhase::Successful);
}

TEST(AssessMetricStatus, BothLimitsApplicableAndCountExhaustedIsInconclusive) {
  Metric m = metric(
      {{"interval", "1m"}, {"count", 4}, {"failureLimit", 2}, {"consecutiveSuccessLimit", 2}});
  MetricResult r = counts(4, 2, 0, 0);
  r.consecutive_success = 1;
  EXPECT_EQ(assess_metric_status(m, r, false), AnalysisPhase::Inconclusive);
  r.consecutive_success = 2;
  EXPECT_EQ(assess_metric_status(m, r, false), AnalysisPhase::Successful);
}

TEST(AssessMetricStatus, OnlyConsecutiveSuccessLimitAndCountExhaustedIsFailed) {
  Metric m = metric(
      {{"interval", "1m"}, {"count", 3}, {"failureLimit", -1}, {"consecutiveSuccessLimit", 2}});
  MetricResult r = counts(3, 2, 0, 0);
  r.consecutive_success = 1;
  EXPECT_EQ(assess_metric_status(m, r, false), AnalysisPhase::Failed);
}

TEST(AssessMetricStatus, UnboundedMetricSucceedsOnlyWhenTerminated) {
  Metric m = metric({{"interval", "1m"}});
  EXPECT_EQ(assess_metric_status(m, counts(100, 0, 0, 0), false), AnalysisPhase::Running);
  EXPECT_EQ(assess_metric_status(m, counts(100, 0, 0, 0), true), AnalysisPhase::Successful);
  MetricResult none;
  EXPECT_EQ(assess_metric_status(m, none, false), AnalysisPhase::Pending);
  EXPECT_EQ(assess_metric_status(m, none, true), AnalysisPhase::Successful);
}

TEST(RunRanking, FailedIsWorseThanErrorIsWorseThanInconclusive) {
  EXPECT_TRUE(is_worse(AnalysisPhase::Error, AnalysisPhase::Failed));
  EXPECT_TRUE(is_worse(AnalysisPhase::Inconclusive, AnalysisPhase::Error));
  EXPECT_TRUE(is_worse(AnalysisPhase::Successful, AnalysisPhase::Inconclusive));
  EXPECT_FALSE(is_worse(AnalysisPhase::Failed, AnalysisPhase::Error));
  EXPECT_FALSE(is_worse(AnalysisPhase::Failed, AnalysisPhase::Failed));
}

TEST(EvaluateMeasurement, NoConditionsIsSuccessful) {
  Metric m = metric(json::object());
  EXPECT_EQ(evaluate_measurement(m, ProviderResult::of(1.0), SimTime{}).phase,
            AnalysisPhase::Successful);
}

TEST(EvaluateMeasurement, AFailedJobIsFailedNotError) {
  // metricproviders/job: job fails -> Failed (reference 6.2), whatever the conditions say.
  Metric m = metric(json::object());
  Measurement r = evaluate_measurement(m, ProviderResult::failed("job \"x\" failed"), SimTime{});
  EXPECT_EQ(r.phase, AnalysisPhase::Failed);
  EXPECT_EQ(r.message, "job \"x\" failed");
}

TEST(EvaluateMeasurement, PhaseTableOfSuccessAndFailureConditions) {
  Metric s_only = metric({{"successCondition", "result > 5"}});
  EXPECT_EQ(evaluate_measurement(s_only, ProviderResult::of(6.0), {}).phase, AnalysisPhase::Successful);
  EXPECT_EQ(evaluate_measurement(s_only, ProviderResult::of(4.0), {}).phase, AnalysisPhase::Failed);
  Metric f_only = metric({{"failureCondition", "result > 5"}});
  EXPECT_EQ(evaluate_measurement(f_only, ProviderResult::of(6.0), {}).phase, AnalysisPhase::Failed);
  EXPECT_EQ(evaluate_measurement(f_only, ProviderResult::of(4.0), {}).phase, AnalysisPhase::Successful);
  Metric both = metric({{"successCondition", "result > 3"}, {"failureCondition", "result > 5"}});
  EXPECT_EQ(evaluate_measurement(both, ProviderResult::of(6.0), {}).phase, AnalysisPhase::Failed);
  EXPECT_EQ(evaluate_measurement(both, ProviderResult::of(4.0), {}).phase, AnalysisPhase::Successful);
  EXPECT_EQ(evaluate_measurement(both, ProviderResult::of(2.0), {}).phase,
            AnalysisPhase::Inconclusive);
}

TEST(EvaluateMeasurement, NaNComparisonsAreFalse) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Metric s_only = metric({{"successCondition", "result >= 0.9"}});
  EXPECT_EQ(evaluate_measurement(s_only, ProviderResult::of(nan), {}).phase, AnalysisPhase::Failed);
  Metric both = metric({{"successCondition", "result >= 0.9"}, {"failureCondition", "result < 0.9"}});
  EXPECT_EQ(evaluate_measurement(both, ProviderResult::of(nan), {}).phase,
            AnalysisPhase::Inconclusive);
  Metric guarded = metric({{"successCondition", "isNaN(result) || result >= 0.9"}});
  EXPECT_EQ(evaluate_measurement(guarded, ProviderResult::of(nan), {}).phase,
            AnalysisPhase::Successful);
  Metric inf = metric({{"successCondition", "result >= 0.9"}});
  EXPECT_EQ(evaluate_measurement(inf, ProviderResult::of(std::numeric_limits<double>::infinity()), {})
                .phase,
            AnalysisPhase::Successful);
}

TEST(EvaluateMeasurement, IndexingAnEmptyPrometheusVectorIsAnError) {
  Metric m = metric({{"successCondition", "result[0] < 50"}});
  auto meas = evaluate_measurement(m, ProviderResult::of(json::array()), {});
  EXPECT_EQ(meas.phase, AnalysisPhase::Error);
  Metric guarded = metric({{"successCondition", "len(result) == 0 || result[0] < 50"}});
  EXPECT_EQ(evaluate_measurement(guarded, ProviderResult::of(json::array()), {}).phase,
            AnalysisPhase::Successful);
}

TEST(EvaluateMeasurement, WebJsonPathTakesTheFirstMatchAndNoMatchIsAnError) {
  Metric m = metric({{"successCondition", "result > 0.92"},
                     {"provider", {{"web", {{"url", "u"}, {"jsonPath", "{$.f1_score}"}}}}}});
  EXPECT_EQ(evaluate_measurement(m, ProviderResult::of({{"f1_score", 0.95}}), {}).phase,
            AnalysisPhase::Successful);
  auto miss = evaluate_measurement(m, ProviderResult::of({{"f1", 0.95}}), {});
  EXPECT_EQ(miss.phase, AnalysisPhase::Error);
}

TEST(EvaluateMeasurement, StoredValueRendersLikeUpstream) {
  Metric m = metric(json::object());
  EXPECT_EQ(evaluate_measurement(m, ProviderResult::of(0.05), {}).value, "0.05");
  EXPECT_EQ(evaluate_measurement(m, ProviderResult::of(70.0), {}).value, "70");
  EXPECT_EQ(evaluate_measurement(m, ProviderResult::of(json::array({0.1, 2.0})), {}).value, "[0.1,2]");
}

TEST(AnalysisRun, ErrorsRetryAfterTenSecondsAndNeverConsumeCount) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"interval", "1m"}, {"count", 2}, {"successCondition", "result < 5"}}));
  AnalysisRun run(std::move(spec));
  SequenceProvider p;
  p.add("m", ProviderResult::failure("connection refused"));
  p.add("m", ProviderResult::of(1.0));
  p.add("m", ProviderResult::of(1.0));
  auto wake = run.step(at(0), p);
  ASSERT_TRUE(wake.has_value());
  EXPECT_EQ(*wake, at(10));
  EXPECT_EQ(result(run, "m").count, 0);
  EXPECT_EQ(result(run, "m").error, 1);
  wake = run.step(at(10), p);
  EXPECT_EQ(result(run, "m").count, 1);
  EXPECT_EQ(result(run, "m").consecutive_error, 0);
  EXPECT_EQ(*wake, at(70));  // the metric interval again after a success
  EXPECT_FALSE(run.step(at(70), p).has_value());
  EXPECT_EQ(run.status().phase, AnalysisPhase::Successful);
}

TEST(AnalysisRun, InitialDelayPostponesTheFirstMeasurement) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"initialDelay", "30s"}}));
  AnalysisRun run(std::move(spec));
  SequenceProvider p;
  p.add("m", ProviderResult::of(1.0));
  auto wake = run.step(at(0), p);
  EXPECT_EQ(result(run, "m").measurements.size(), 0u);
  ASSERT_TRUE(wake.has_value());
  EXPECT_EQ(*wake, at(30));
  run.step(at(30), p);
  EXPECT_EQ(run.status().phase, AnalysisPhase::Successful);
}

TEST(AnalysisRun, AFailingMetricTerminatesItsSiblingsOnTheNextStep) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"name", "a"}, {"interval", "1m"}, {"successCondition", "result < 5"}}));
  spec.metrics.push_back(metric({{"name", "b"}, {"interval", "1m"}, {"successCondition", "result < 5"}}));
  AnalysisRun run(std::move(spec));
  SequenceProvider p;
  p.add("a", ProviderResult::of(9.0));
  p.add("b", ProviderResult::of(1.0));
  run.step(at(0), p);
  EXPECT_EQ(result(run, "a").phase, AnalysisPhase::Failed);
  EXPECT_EQ(result(run, "b").phase, AnalysisPhase::Running);
  EXPECT_EQ(run.status().phase, AnalysisPhase::Running);
  run.step(at(0), p);
  EXPECT_EQ(result(run, "b").phase, AnalysisPhase::Successful);
  EXPECT_EQ(run.status().phase, AnalysisPhase::Failed);
  EXPECT_EQ(run.status().message, "Metric \"a\" assessed Failed due to failed (1) > failureLimit (0)");
}

TEST(AnalysisRun, FailedBeatsErrorAcrossMetrics) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"name", "e"}, {"consecutiveErrorLimit", 0}, {"successCondition", "result < 5"}}));
  spec.metrics.push_back(metric({{"name", "f"}, {"successCondition", "result < 5"}}));
  AnalysisRun run(std::move(spec));
  SequenceProvider p;
  p.add("e", ProviderResult::failure("boom"));
  p.add("f", ProviderResult::of(9.0));
  run.step(at(0), p);
  EXPECT_EQ(run.status().phase, AnalysisPhase::Failed);
}

TEST(AnalysisRun, DryRunMetricsNeverChangeTheRunPhase) {
  RunSpec spec;
  Metric dry = metric({{"name", "dry"}, {"successCondition", "result < 5"}});
  dry.dry_run = true;
  spec.metrics.push_back(dry);
  spec.metrics.push_back(metric({{"name", "ok"}, {"successCondition", "result < 5"}}));
  AnalysisRun run(std::move(spec));
  SequenceProvider p;
  p.add("dry", ProviderResult::of(9.0));
  p.add("ok", ProviderResult::of(1.0));
  run.step(at(0), p);
  EXPECT_EQ(result(run, "dry").phase, AnalysisPhase::Failed);
  EXPECT_EQ(run.status().phase, AnalysisPhase::Successful);
  EXPECT_EQ(run.status().dry_run_summary.failed, 1);
}

TEST(AnalysisRun, TerminatingAnUnboundedRunIsSuccessful) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"interval", "1m"}, {"successCondition", "result < 5"}}));
  AnalysisRun run(std::move(spec));
  SequenceProvider p;
  for (int i = 0; i < 3; ++i) p.add("m", ProviderResult::of(1.0));
  run.step(at(0), p);
  run.step(at(60), p);
  EXPECT_EQ(run.status().phase, AnalysisPhase::Running);
  run.terminate();
  run.step(at(90), p);
  EXPECT_EQ(run.status().phase, AnalysisPhase::Successful);
  EXPECT_EQ(run.status().message, "Run Terminated");
}

TEST(AnalysisRun, KeepsTenMeasurementsByDefault) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"interval", "1s"}, {"count", 15}}));
  AnalysisRun run(std::move(spec));
  SequenceProvider p;
  for (int i = 0; i < 15; ++i) p.add("m", ProviderResult::of(1.0));
  run_to_completion(run, p, at(0), at(3600));
  EXPECT_EQ(result(run, "m").count, 15);
  EXPECT_EQ(result(run, "m").measurements.size(), 10u);
}

TEST(AnalysisRun, StatusSurvivesAJsonRoundTrip) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"interval", "1m"}, {"count", 3}, {"successCondition", "result < 5"}}));
  AnalysisRun run(spec);
  SequenceProvider p;
  for (int i = 0; i < 3; ++i) p.add("m", ProviderResult::of(1.0));
  run.step(at(0), p);
  auto restored = AnalysisRun::status_from_json(run.status_json());
  ASSERT_TRUE(restored.ok());
  AnalysisRun copy(spec);
  copy.restore(*restored);
  SequenceProvider p2;
  for (int i = 0; i < 2; ++i) p2.add("m", ProviderResult::of(1.0));
  EXPECT_EQ(*copy.step(at(30), p2), at(60));
  copy.step(at(60), p2);
  copy.step(at(120), p2);
  EXPECT_EQ(copy.status().phase, AnalysisPhase::Successful);
  EXPECT_EQ(result(copy, "m").count, 3);
}

TEST(Args, PlaceholdersAreSubstitutedAndMissingOnesFail) {
  auto r = substitute_args(json{{"q", "rate(x{svc=\"{{args.service}}\"}[5m])"}}, {{"service", "api"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["q"], "rate(x{svc=\"api\"}[5m])");
  auto missing = substitute_args(json{{"q", "{{args.nope}}"}}, {});
  EXPECT_FALSE(missing.ok());
}

TEST(Args, UndeclaredIncomingArgsAreIgnoredAndUnsetArgsFail) {
  AnalysisTemplate t;
  Arg declared;
  declared.name = "service";
  t.spec.args.push_back(declared);
  Arg extra;
  extra.name = "other";
  extra.value = "x";
  EXPECT_FALSE(merge_args({&t}, {extra}).ok());  // args.service was not resolved
  Arg given;
  given.name = "service";
  given.value = "api";
  auto merged = merge_args({&t}, {given, extra});
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->size(), 1u);
  EXPECT_EQ(*(*merged)[0].value, "api");
}

// The seed's fraud-detector template: p99 latency of 70 ms against `result < 50` with
// failureLimit 3 fails on the 4th measurement (failed 4 > 3), at minute 3.
TEST(FraudDetector, P99LatencyOf70msFailsAfterFailureLimit3) {
  AnalysisRun run = fraud_run();
  SequenceProvider p;
  for (int i = 0; i < 5; ++i) {
    p.add("p99-latency", ProviderResult::of(70.0));
    p.add("error-rate", ProviderResult::of(0.001));
  }
  p.add("business-metric", ProviderResult::of({{"f1_score", 0.95}}));
  run_to_completion(run, p, at(0), at(3600));
  EXPECT_EQ(run.status().phase, AnalysisPhase::Failed);
  const auto& lat = result(run, "p99-latency");
  EXPECT_EQ(lat.phase, AnalysisPhase::Failed);
  EXPECT_EQ(lat.failed, 4);
  EXPECT_EQ(lat.measurements.back().started_at, at(180));
  EXPECT_EQ(result(run, "error-rate").phase, AnalysisPhase::Successful);  // terminated
  EXPECT_EQ(run.status().message,
            "Metric \"p99-latency\" assessed Failed due to failed (4) > failureLimit (3)");
}

TEST(FraudDetector, F1Of089FailsAfterFailureLimit1) {
  AnalysisRun run = fraud_run();
  SequenceProvider p;
  for (int i = 0; i < 11; ++i) {
    p.add("p99-latency", ProviderResult::of(30.0));
    p.add("error-rate", ProviderResult::of(0.001));
  }
  p.add("business-metric", ProviderResult::of({{"f1_score", 0.89}}));
  p.add("business-metric", ProviderResult::of({{"f1_score", 0.89}}));
  run_to_completion(run, p, at(0), at(3600));
  EXPECT_EQ(run.status().phase, AnalysisPhase::Failed);
  const auto& f1 = result(run, "business-metric");
  EXPECT_EQ(f1.failed, 2);
  EXPECT_EQ(f1.measurements.back().started_at, at(300));  // interval 5m
  EXPECT_EQ(f1.measurements.back().value, "0.89");
}

TEST(FraudDetector, EmptyPrometheusResultErrorsOutAfterConsecutiveErrorLimit) {
  AnalysisRun run = fraud_run();
  SequenceProvider p;
  for (int i = 0; i < 10; ++i) {
    p.add("p99-latency", ProviderResult::of(json::array()));
    p.add("error-rate", ProviderResult::of(0.001));
    p.add("business-metric", ProviderResult::of({{"f1_score", 0.95}}));
  }
  // `result < 50` on a vector is a type error in expr: an Error measurement, like result[0].
  run_to_completion(run, p, at(0), at(3600));
  const auto& lat = result(run, "p99-latency");
  EXPECT_EQ(lat.phase, AnalysisPhase::Error);
  EXPECT_EQ(lat.error, 5);
  EXPECT_EQ(lat.count, 0);
  EXPECT_EQ(lat.measurements.back().started_at, at(40));  // 0, 10, 20, 30, 40 s
  EXPECT_EQ(run.status().phase, AnalysisPhase::Error);
}

TEST(TemplateParsing, ReportsBadDurationsAndConditionsWithPositions) {
  model::Diagnostics diags;
  auto objs = model::load_manifests_text(
      "apiVersion: argoproj.io/v1alpha1\n"
      "kind: AnalysisTemplate\n"
      "metadata:\n  name: t\n"
      "spec:\n"
      "  metrics:\n"
      "  - name: a\n"
      "    interval: 5 minutes\n"
      "    successCondition: result <\n"
      "    provider:\n      prometheus: {query: q}\n"
      "  - name: a\n"
      "    provider:\n      nosuch: {}\n",
      "t.yaml", diags);
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_FALSE(parse_analysis_template(objs[0], diags).has_value());
  ASSERT_GE(diags.size(), 4u) << diags.format();
  EXPECT_EQ(diags.items()[0].code, "analysis-duration");
  EXPECT_EQ(diags.items()[0].pos.line, 8);
  EXPECT_EQ(diags.items()[1].code, "analysis-condition");
  EXPECT_EQ(diags.items()[1].pos.line, 9);
  bool duplicate = false, provider = false;
  for (const auto& d : diags.items()) {
    duplicate = duplicate || d.message.find("not unique") != std::string::npos;
    provider = provider || d.code == "analysis-provider";
  }
  EXPECT_TRUE(duplicate);
  EXPECT_TRUE(provider);
}

// format_status_time / parse_status_time replace sim::format_rfc3339 / parse_rfc3339 on the
// reconcile path: same text, same times, for whole seconds and milliseconds, across years.
TEST(StatusTime, MatchesTheKernelFormatterAndParser) {
  for (std::int64_t ms = -400LL * 86400 * 1000; ms < 30LL * 366 * 86400 * 1000; ms += 7919LL * 1013) {
    for (std::int64_t t_ms : {ms, ms - ms % 1000}) {
      const SimTime t{SimDuration{t_ms}};
      std::string want = sim::format_rfc3339(t);
      if (t_ms % 1000 != 0) {
        want.pop_back();
        want += fmt::format(".{:03}Z", t_ms % 1000);
      }
      ASSERT_EQ(format_status_time(t), want) << t_ms;
      if (t_ms >= 0) {
        auto back = parse_status_time(want);
        ASSERT_TRUE(back.has_value()) << want;
        ASSERT_EQ(sim::to_ms(*back), sim::to_ms(*sim::parse_rfc3339(want))) << want;
        ASSERT_EQ(*back, t) << want;
      }
    }
  }
  // Forms outside the fast path still parse like the kernel's parser.
  for (const char* s : {"2025-01-01T00:05:00+02:00", "2025-01-01T00:05:00.5Z", "2025-02-30T00:00:00Z",
                        "2025-01-01T00:05:00.123456Z", "2025-01-01t00:05:00Z"}) {
    auto kernel = sim::parse_rfc3339(s);
    auto ours = parse_status_time(s);
    ASSERT_EQ(static_cast<bool>(kernel), ours.has_value()) << s;
    if (ours) {
      EXPECT_EQ(*ours, *kernel) << s;
    }
  }
  EXPECT_FALSE(parse_status_time("yesterday").has_value());
}

// The reconcile loop edits the stored status instead of re-rendering it
// (AnalysisRun::edit_status); after every step the edited document must equal a
// fresh status_json(), through history trimming, errors, a dry-run metric, a metric with its
// own retention, a failing metric that terminates its siblings and the run's completion.
TEST(AnalysisRun, IncrementalStatusEqualsAFreshRenderingAfterEveryStep) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"name", "p99"}, {"interval", "1m"}, {"failureLimit", 2},
                                 {"successCondition", "result[0] < 50"}}));
  spec.metrics.push_back(metric({{"name", "f1"}, {"interval", "30s"}, {"count", 40}, {"failureLimit", 20},
                                 {"successCondition", "result >= 0.9"}}));
  spec.metrics.push_back(metric({{"name", "shadow"}, {"interval", "1m"}, {"successCondition", "result > 0"}}));
  spec.metrics.back().dry_run = true;
  spec.metrics.back().retention_limit = 3;
  AnalysisRun run(spec);
  SequenceProvider p;
  for (int i = 0; i < 40; ++i) {
    // p99: mostly fine, an error every 7th, failing from the 30th on (failureLimit 2).
    if (i % 7 == 3) p.add("p99", ProviderResult::failure("prometheus: timeout"));
    else p.add("p99", ProviderResult::of(json::array({i >= 30 ? 80.0 : 20.0})));
    p.add("f1", ProviderResult::of(i % 5 == 0 ? 0.5 : 0.95));
    p.add("shadow", ProviderResult::of(1.0));
  }
  json stored = run.status_json();
  SimTime now = at(0);
  int steps = 0;
  for (; steps < 200 && !run.completed(); ++steps) {
    const RunStatus before = run.status();
    auto wake = run.step(now, p);
    EXPECT_EQ(run.last_step_changed_status(), !(run.status() == before)) << "step " << steps;
    run.edit_status(stored);
    ASSERT_EQ(stored, run.status_json()) << "after step " << steps << " at " << sim::format_short(now - sim::kSimStart);
    if (!wake) break;
    now = std::max(now, *wake);
  }
  EXPECT_TRUE(run.completed());
  EXPECT_EQ(run.status().phase, AnalysisPhase::Failed);
  EXPECT_GT(steps, 30);
  // The dry-run metric kept only its last three measurements in the edited document too.
  EXPECT_EQ(stored["metricResults"][2]["measurements"].size(), 3u);
}

// A stored status that is not the rendering of `before` (written by someone else, or of
// another shape) is re-rendered whole instead of edited.
TEST(AnalysisRun, StatusEditOfAnotherShapeRendersTheWholeStatus) {
  RunSpec spec;
  spec.metrics.push_back(metric({{"name", "p99"}, {"interval", "1m"}, {"successCondition", "result[0] < 50"}}));
  AnalysisRun run(spec);
  SequenceProvider p;
  p.add("p99", ProviderResult::of(json::array({20.0})));
  (void)run.step(at(0), p);
  for (json stored : {json(nullptr), json::object(), json({{"phase", "Running"}}),
                      json({{"metricResults", json::array({1, 2})}}),
                      json({{"metricResults", json::array({json::object(), json::object()})}})}) {
    run.edit_status(stored);
    EXPECT_EQ(stored, run.status_json());
  }
  // A run restored since its last step does not know what that step changed: re-rendered.
  json stored = run.status_json();
  stored["metricResults"][0]["count"] = 7;
  run.restore(run.status());
  run.edit_status(stored);
  EXPECT_EQ(stored, run.status_json());
}

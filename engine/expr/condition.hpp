#pragma once
// Argo Rollouts analysis conditions: the subset of the expr language (github.com/expr-lang/
// expr) that AnalysisTemplate successCondition / failureCondition use, with expr's type
// strictness (see ../shared/reference/rollouts.md section 7):
//   literals, `result`, `result[0]`, `result.field`, arithmetic, comparison, `&&`/`||`/`!`/
//   `and`/`or`/`not`, `len`, `all(...)`/`any(...)` with `#`, `isNaN`, `isInf`, `isNil`,
//   `default`, `asInt`, `asFloat`, `in`, string literals, parentheses, ternary.
//
// Compile once, evaluate many times (analysis runs evaluate per measurement).

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/result.hpp"

namespace rehearse::expr {

class Condition {
 public:
  // Error code "invalid-condition"; the message carries the column (1-based) of the problem.
  static Result<Condition> compile(std::string_view source);

  // Evaluates with `result` bound to the measurement value (a number, an array of numbers
  // for a Prometheus vector, any JSON for web). Errors are values: type mismatches, a
  // non-boolean outcome, index out of range - the analysis controller turns them into Error
  // measurements. Error code "condition-error", message as expr words it (e.g. "index out of
  // range: 0 (array length is 0)", "expected bool, but got float64"). JSON numbers are Go
  // float64s, as every Argo provider produces. Thread-safe: a compiled Condition is immutable.
  // Language, typing rules and limits: docs/expr.md.
  Result<bool> evaluate(const nlohmann::json& result) const;

  const std::string& source() const;

  struct Impl;
  Condition();
  Condition(const Condition&);
  Condition(Condition&&) noexcept;
  Condition& operator=(const Condition&);
  Condition& operator=(Condition&&) noexcept;
  ~Condition();

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace rehearse::expr

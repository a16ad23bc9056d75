#pragma once
// Label selectors as the API server evaluates them: equality (`a=b`, `a==b`, `a!=b`),
// set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) from a string, and the structured
// `matchLabels` / `matchExpressions` form (In, NotIn, Exists, DoesNotExist).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/result.hpp"

namespace rehearse::model {

using Labels = std::map<std::string, std::string, std::less<>>;

struct Requirement {
  enum class Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
  std::string key;
  Op op = Op::Exists;
  std::vector<std::string> values;  // sorted
};

class Selector {
 public:
  Selector() = default;  // matches everything
  static Result<Selector> parse(std::string_view text);
  // A metav1.LabelSelector object; null or {} matches everything.
  static Result<Selector> from_json(const nlohmann::json& selector);
  static Selector from_labels(const Labels& labels);

  bool matches(const Labels& labels) const;
  // matches(labels_of(body)), reading metadata.labels in place instead of copying it into
  // a Labels map (list and visit test every object of a kind).
  bool matches_labels_of(const nlohmann::json& body) const;
  bool empty() const { return reqs_.empty(); }
  std::string str() const;
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  std::vector<Requirement> reqs_;
};

// metadata.labels of a Kubernetes object body (empty when absent).
Labels labels_of(const nlohmann::json& body);

}  // namespace rehearse::model

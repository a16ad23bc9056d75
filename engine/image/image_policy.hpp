#pragma once
// Flux ImagePolicy tag selection (image-reflector-controller internal/policy/*.go and
// imagepolicy_controller.go applyPolicy; reference flux.md section 4.2).
//
//   ImagePolicySpec::from_body  reads spec.policy / spec.filterTags / spec.imageRepositoryRef
//                               of an image.toolkit.fluxcd.io v1, v1beta2 or v1beta1 object.
//   Policer::build              PolicerFromSpec + NewRegexFilter: an invalid range, order or
//                               regex is a PolicyError with reason "InvalidPolicy" (Stalled).
//   Policer::latest             filterTags, then semver / alphabetical / numerical selection;
//                               returns the ORIGINAL tag (not the extracted value).
//
// Deterministic tie-breaks where upstream iterates a Go map (reference 4.2 "Determinism
// hazards"): with filterTags, candidates are the distinct extracted values in order of first
// appearance in the input, each mapped to the LAST input tag that produced it (upstream
// overwrites the map entry, so that part is exact). semver keeps the first of equal versions
// (strict greater-than, as upstream), numerical the last of equal numbers (as upstream), so
// ties resolve by that candidate order.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/expr/regex.hpp"
#include "engine/expr/semver.hpp"
#include "engine/model/result.hpp"

namespace rehearse::image {

// Ready=False reasons (image-reflector-controller api/v1 and fluxcd/pkg/apis/meta).
inline constexpr std::string_view kReasonInvalidPolicy = "InvalidPolicy";
inline constexpr std::string_view kReasonFailure = "Failure";
inline constexpr std::string_view kReasonDependencyNotReady = "DependencyNotReady";

struct PolicyError {
  std::string reason;   // kReason*
  std::string message;  // as the controller writes it into the Ready condition
};

enum class PolicyKind { None, SemVer, Alphabetical, Numerical };

struct FilterTags {
  std::string pattern;
  std::string extract;
};

struct ImagePolicySpec {
  std::string name, ns;
  std::string repository_name, repository_namespace;  // spec.imageRepositoryRef
  PolicyKind kind = PolicyKind::None;                 // which of spec.policy.* is set
  std::string range;                                  // semver.range
  std::string order;                                  // alphabetical/numerical order as written
  std::optional<FilterTags> filter_tags;
  std::string digest_reflection_policy = "Never";

  // Reads an ImagePolicy body. Errors (code "invalid-image-policy", JSON pointer of the field
  // in the message) only for shape problems: a wrong kind, non-string fields. A missing or
  // ambiguous spec.policy is left for Policer::build, which reports it as upstream does.
  static Result<ImagePolicySpec> from_body(const nlohmann::json& body);
};

class Policer {
 public:
  static Result<Policer, PolicyError> build(const ImagePolicySpec& spec);

  // `tags` in the order the tag database returns them. An empty list is DependencyNotReady
  // ("no tags in database"); selection errors are reason Failure.
  Result<std::string, PolicyError> latest(const std::vector<std::string>& tags) const;

  PolicyKind kind() const { return kind_; }

 private:
  Result<std::string, PolicyError> select(const std::vector<std::string>& candidates) const;

  PolicyKind kind_ = PolicyKind::None;
  bool descending_ = false;
  std::optional<expr::semver::Constraints> constraints_;
  std::optional<expr::Regex> filter_;
  std::string extract_;
};

// Policer::build + latest in one call.
Result<std::string, PolicyError> select_latest(const ImagePolicySpec& spec,
                                               const std::vector<std::string>& tags);

std::string_view policy_kind_name(PolicyKind k);  // "semver", "alphabetical", "numerical", ""

}  // namespace rehearse::image

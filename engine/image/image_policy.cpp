#include "engine/image/image_policy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

namespace rehearse::image {

using nlohmann::json;

namespace {

Unexpected<PolicyError> policy_error(std::string_view reason, std::string message) {
  return unexpected(PolicyError{std::string(reason), std::move(message)});
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// strconv.ParseFloat(s, 64): decimal or hex (with p exponent) floats, inf/infinity/nan in
// any case, optional sign; overflow is an error.
bool parse_go_float(std::string_view s, double& out) {
  std::string body(s);
  if (body.empty()) return false;
  size_t k = (body[0] == '+' || body[0] == '-') ? 1 : 0;
  std::string rest = body.substr(k);
  std::string lower = rest;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool neg = k == 1 && body[0] == '-';
  if (lower == "inf" || lower == "infinity") {
    out = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (lower == "nan") {
    out = std::nan("");
    return true;
  }
  auto is_digit = [](char c, bool hex) {
    return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : std::isdigit(static_cast<unsigned char>(c)) != 0;
  };
  bool hex = lower.size() > 2 && lower[0] == '0' && lower[1] == 'x';
  size_t i = hex ? 2 : 0;
  size_t mant = 0;
  while (i < lower.size() && is_digit(lower[i], hex)) ++i, ++mant;
  if (i < lower.size() && lower[i] == '.') {
    ++i;
    while (i < lower.size() && is_digit(lower[i], hex)) ++i, ++mant;
  }
  if (mant == 0) return false;
  char exp_char = hex ? 'p' : 'e';
  if (i < lower.size() && lower[i] == exp_char) {
    ++i;
    if (i < lower.size() && (lower[i] == '+' || lower[i] == '-')) ++i;
    size_t d = 0;
    while (i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i]))) ++i, ++d;
    if (d == 0) return false;
  } else if (hex) {
    return false;  // hex mantissa requires a p exponent
  }
  if (i != lower.size()) return false;
  errno = 0;
  double v = std::strtod(body.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(v)) return false;
  out = v;
  return true;
}

const json* child(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

Result<std::string> string_field(const json& obj, const char* key, const std::string& pointer) {
  const json* v = child(obj, key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) {
    return fail("invalid-image-policy", fmt::format("{}/{} must be a string", pointer, key));
  }
  return v->get<std::string>();
}

}  // namespace

std::string_view policy_kind_name(PolicyKind k) {
  switch (k) {
    case PolicyKind::SemVer:
      return "semver";
    case PolicyKind::Alphabetical:
      return "alphabetical";
    case PolicyKind::Numerical:
      return "numerical";
    case PolicyKind::None:
      break;
  }
  return "";
}

Result<ImagePolicySpec> ImagePolicySpec::from_body(const json& body) {
  if (!body.is_object() || body.value("kind", "") != "ImagePolicy" ||
      !body.value("apiVersion", "").starts_with("image.toolkit.fluxcd.io/")) {
    return fail("invalid-image-policy", "not an image.toolkit.fluxcd.io ImagePolicy");
  }
  ImagePolicySpec s;
  if (const json* md = child(body, "metadata")) {
    s.name = md->value("name", "");
    s.ns = md->value("namespace", "");
  }
  const json* spec = child(body, "spec");
  if (!spec || !spec->is_object()) return fail("invalid-image-policy", "/spec must be a mapping");
  if (const json* ref = child(*spec, "imageRepositoryRef")) {
    auto n = string_field(*ref, "name", "/spec/imageRepositoryRef");
    if (!n) return unexpected(n.error());
    s.repository_name = *n;
    auto ns = string_field(*ref, "namespace", "/spec/imageRepositoryRef");
    if (!ns) return unexpected(ns.error());
    s.repository_namespace = ns->empty() ? s.ns : *ns;
  }
  auto drp = string_field(*spec, "digestReflectionPolicy", "/spec");
  if (!drp) return unexpected(drp.error());
  if (!drp->empty()) s.digest_reflection_policy = *drp;
  if (const json* policy = child(*spec, "policy"); policy && policy->is_object()) {
    // PolicerFromSpec checks semver, then alphabetical, then numerical.
    if (const json* sv = child(*policy, "semver"); sv && !sv->is_null()) {
      s.kind = PolicyKind::SemVer;
      auto r = string_field(*sv, "range", "/spec/policy/semver");
      if (!r) return unexpected(r.error());
      s.range = *r;
    } else if (const json* al = child(*policy, "alphabetical"); al && !al->is_null()) {
      s.kind = PolicyKind::Alphabetical;
      auto o = string_field(*al, "order", "/spec/policy/alphabetical");
      if (!o) return unexpected(o.error());
      s.order = *o;
    } else if (const json* nu = child(*policy, "numerical"); nu && !nu->is_null()) {
      s.kind = PolicyKind::Numerical;
      auto o = string_field(*nu, "order", "/spec/policy/numerical");
      if (!o) return unexpected(o.error());
      s.order = *o;
    }
  }
  if (const json* ft = child(*spec, "filterTags"); ft && !ft->is_null()) {
    FilterTags f;
    auto p = string_field(*ft, "pattern", "/spec/filterTags");
    if (!p) return unexpected(p.error());
    auto e = string_field(*ft, "extract", "/spec/filterTags");
    if (!e) return unexpected(e.error());
    f.pattern = *p;
    f.extract = *e;
    s.filter_tags = std::move(f);
  }
  return s;
}

Result<Policer, PolicyError> Policer::build(const ImagePolicySpec& spec) {
  Policer p;
  p.kind_ = spec.kind;
  switch (spec.kind) {
    case PolicyKind::None:
      return policy_error(kReasonInvalidPolicy, "invalid policy: given ImagePolicyChoice object is invalid");
    case PolicyKind::SemVer: {
      auto c = expr::semver::Constraints::parse(spec.range);
      if (!c) return policy_error(kReasonInvalidPolicy, "invalid policy: " + c.error().message);
      p.constraints_ = std::move(*c);
      break;
    }
    case PolicyKind::Alphabetical:
    case PolicyKind::Numerical: {
      std::string order = upper(spec.order);
      if (order.empty()) order = "ASC";
      if (order != "ASC" && order != "DESC") {
        return policy_error(kReasonInvalidPolicy,
                            fmt::format("invalid policy: invalid order argument provided: '{}', must be one "
                                        "of: ASC, DESC",
                                        order));
      }
      p.descending_ = order == "DESC";
      break;
    }
  }
  if (spec.filter_tags) {
    auto re = expr::Regex::compile(spec.filter_tags->pattern);
    if (!re) {
      return policy_error(kReasonInvalidPolicy,
                          fmt::format("failed to filter tags: invalid regular expression pattern '{}': {}",
                                      spec.filter_tags->pattern, re.error().message));
    }
    p.filter_ = std::move(*re);
    p.extract_ = spec.filter_tags->extract;
  }
  return p;
}

Result<std::string, PolicyError> Policer::select(const std::vector<std::string>& versions) const {
  if (versions.empty()) return policy_error(kReasonFailure, "version list argument cannot be empty");
  switch (kind_) {
    case PolicyKind::SemVer: {
      // internal/policy/semver.go: tags failing Flux ParseVersion are skipped; strict
      // greater-than keeps the first of equal versions.
      std::optional<expr::semver::Version> best;
      for (const auto& tag : versions) {
        auto v = expr::semver::Version::parse_flux(tag);
        if (!v) continue;
        if (constraints_->check(*v) && (!best || v->compare(*best) > 0)) best = std::move(*v);
      }
      if (!best) return policy_error(kReasonFailure, "unable to determine latest version from provided list");
      return best->original();
    }
    case PolicyKind::Alphabetical: {
      // internal/policy/alphabetical.go: sort.Strings (byte-wise); ASC takes the greatest.
      auto it = descending_ ? std::min_element(versions.begin(), versions.end())
                            : std::max_element(versions.begin(), versions.end());
      return *it;
    }
    case PolicyKind::Numerical: {
      // internal/policy/numerical.go: every candidate must parse; later equal values win.
      std::string latest;
      double pv = 0;
      for (size_t i = 0; i < versions.size(); ++i) {
        double cv = 0;
        if (!parse_go_float(versions[i], cv)) {
          return policy_error(kReasonFailure,
                              fmt::format("failed to parse invalid numeric value '{}'", versions[i]));
        }
        if (i != 0 && ((!descending_ && cv < pv) || (descending_ && cv > pv))) continue;
        latest = versions[i];
        pv = cv;
      }
      return latest;
    }
    case PolicyKind::None:
      break;
  }
  return policy_error(kReasonInvalidPolicy, "invalid policy: given ImagePolicyChoice object is invalid");
}

Result<std::string, PolicyError> Policer::latest(const std::vector<std::string>& tags) const {
  if (tags.empty()) {
    // listTagsWithBackoff: an empty database is DependencyNotReady, requeued after the
    // --requeue-dependency interval (30s by default).
    return policy_error(kReasonDependencyNotReady, "retrying in 30s error: no tags in database");
  }
  if (!filter_) return select(tags);
  // internal/policy/filter.go RegexFilter.Apply: map extracted value -> original tag (the
  // last one wins); candidates in first-appearance order (upstream: Go map order).
  std::map<std::string, std::string> original;
  std::vector<std::string> candidates;
  for (const auto& tag : tags) {
    auto m = filter_->find_submatch(tag);
    if (!m) continue;
    std::string value = extract_.empty() ? tag : filter_->expand(extract_, *m);
    auto [it, inserted] = original.insert_or_assign(value, tag);
    if (inserted) candidates.push_back(value);
  }
  auto r = select(candidates);
  if (!r) return r;
  return original.at(*r);
}

Result<std::string, PolicyError> select_latest(const ImagePolicySpec& spec,
                                               const std::vector<std::string>& tags) {
  auto p = Policer::build(spec);
  if (!p) return unexpected(p.error());
  return p->latest(tags);
}

}  // namespace rehearse::image

#pragma once
// Semantic versions and constraints exactly as github.com/Masterminds/semver/v3 (the library
// Flux uses for ImagePolicy semver ranges, HelmRelease chart versions and GitRepository semver
// refs); reference flux.md section 7.
//
//   Version::parse        NewVersion: lenient - optional `v`, missing minor/patch are 0,
//                         leading zeros tolerated, prerelease and build metadata validated.
//   Version::parse_strict StrictNewVersion: exactly MAJOR.MINOR.PATCH, no `v`, no leading 0.
//   Version::parse_flux   fluxcd/pkg/version.ParseVersion: at least two dots (three parts),
//                         then NewVersion (reference 7.1). Image tags go through this one.
//   Constraints::parse    NewConstraint: `||` OR groups of comma/space separated comparators
//                         (= != > < >= => <= =< ~ ~> ^), x/X/* wildcards, hyphen ranges.
//   Constraints::check    Check: a prerelease version only satisfies an AND group in which some
//                         comparator carries a prerelease (Flux never sets IncludePrerelease).
//
// Ordering: major, minor, patch numerically; a release outranks its prereleases; prerelease
// identifiers left to right, numeric < alphanumeric, fewer identifiers first; build metadata
// ignored.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/result.hpp"

namespace rehearse::expr::semver {

class Version {
 public:
  // Errors carry code "invalid-version" and Masterminds' message ("invalid semantic version",
  // "invalid prerelease string", "version segment starts with 0", ...).
  static Result<Version> parse(std::string_view text);
  static Result<Version> parse_strict(std::string_view text);
  static Result<Version> parse_flux(std::string_view text);

  uint64_t major() const { return major_; }
  uint64_t minor() const { return minor_; }
  uint64_t patch() const { return patch_; }
  const std::string& prerelease() const { return pre_; }
  const std::string& metadata() const { return metadata_; }
  // The text as given (Masterminds Original()); what Flux reports as the selected tag.
  const std::string& original() const { return original_; }
  // Canonical "MAJOR.MINOR.PATCH[-pre][+meta]" (Masterminds String()).
  std::string str() const;

  // -1, 0, 1 as Masterminds Compare (metadata ignored).
  int compare(const Version& other) const;
  bool operator==(const Version& o) const { return compare(o) == 0; }
  std::strong_ordering operator<=>(const Version& o) const { return compare(o) <=> 0; }

 private:
  uint64_t major_ = 0, minor_ = 0, patch_ = 0;
  std::string pre_, metadata_, original_;
};

// Prerelease comparison as Masterminds comparePrerelease (exposed for tests).
int compare_prerelease(std::string_view a, std::string_view b);

class Constraints {
 public:
  // Error code "invalid-constraint", message as Masterminds ("improper constraint: \"...\"").
  static Result<Constraints> parse(std::string_view text);
  bool check(const Version& v) const;
  const std::string& source() const { return source_; }

  struct Comparator {
    std::string op;    // "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"
    std::string orig;  // the version text as written
    Version con;
    bool dirty = false, minor_dirty = false, patch_dirty = false;
  };

 private:
  std::string source_;
  std::vector<std::vector<Comparator>> groups_;  // OR of ANDs
  std::vector<bool> contains_pre_;
};

}  // namespace rehearse::expr::semver

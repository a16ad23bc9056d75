#pragma once
// The simulation's container registry: repositories (by canonical name, e.g.
// "123456789.dkr.ecr.us-east-1.amazonaws.com/fraud-detector", "index.docker.io/library/nginx"),
// their tags in push order and a digest per tag. Scenario events push tags and make scans
// fail (a registry outage, expired credentials) and recover.
//
// Invariants:
//  1. A tag has one digest; pushing an existing tag moves it to the new digest (a re-tag).
//  2. A digest not given is derived from the repository and tag (sha256 of "repo:tag"), so
//     runs are reproducible.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/model/result.hpp"

namespace rehearse::sim {

class FakeRegistry {
 public:
  // `canonical` as image::canonical_image_name returns it.
  void push(const std::string& canonical, const std::string& tag, std::string digest = "");
  // Tags of a repository, or the error a scan would get (failing scans, unknown repository).
  Result<std::vector<std::string>> list_tags(const std::string& canonical) const;
  std::optional<std::string> digest(const std::string& canonical, const std::string& tag) const;
  // Scans of `canonical` (or of every repository when empty) fail until recovered.
  void fail_scans(const std::string& canonical);
  void recover_scans(const std::string& canonical);
  bool has(const std::string& canonical) const { return repos_.count(canonical) > 0; }

  static std::string derived_digest(const std::string& canonical, const std::string& tag);

 private:
  struct Repo {
    std::vector<std::string> order;              // push order
    std::map<std::string, std::string> digests;  // tag -> digest
  };
  std::map<std::string, Repo> repos_;
  std::set<std::string> failing_;
  bool all_failing_ = false;
};

}  // namespace rehearse::sim

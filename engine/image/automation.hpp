#pragma once
// Specs and pure rules of the image-reflector-controller's ImageRepository and the
// image-automation-controller's ImageUpdateAutomation (reference flux.md sections 4.1, 5.1),
// for image.toolkit.fluxcd.io v1, v1beta2 and v1beta1 objects read unchanged.
//
//   ImageRepositorySpec::from_body     spec.image / interval / exclusionList / suspend / timeout
//   filter_tags, scan_result            the scan: exclusion regexes (default `^.*\.sig$`),
//                                       tags sorted descending byte-wise, latestTags = first 10,
//                                       revision = "sha256:<hex>" of the JSON list (file store)
//   canonical_image_name                go-containerregistry's Repository.String() (docker.io
//                                       names become index.docker.io/library/...)
//   ImageUpdateAutomationSpec::from_body  sourceRef, git.checkout/commit/push, update, selector
//   latest_ref_of                       an ImagePolicy's latest image from its status, in the
//                                       field names of its apiVersion

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/image/setters.hpp"
#include "engine/model/labels.hpp"
#include "engine/model/result.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::image {

using sim::SimDuration;

inline constexpr const char* kImageGroup = "image.toolkit.fluxcd.io";
inline constexpr const char* kDefaultExclusion = "^.*\\.sig$";
inline constexpr size_t kLatestTagsCount = 10;
inline constexpr size_t kMaxExclusions = 25;

// "v1", "v1beta2", "v1beta1" of an image.toolkit.fluxcd.io apiVersion ("" when another group).
std::string image_api_version(const nlohmann::json& body);

struct ImageRepositorySpec {
  std::string name, ns, version;
  std::string image;
  SimDuration interval{};
  SimDuration timeout{};
  std::vector<std::string> exclusion_list;  // the default when the spec gives none
  bool suspend = false;
  // Errors (code "invalid-image-repository"): missing image or interval, wrong types,
  // more than 25 exclusions.
  static Result<ImageRepositorySpec> from_body(const nlohmann::json& body);
};

// go-containerregistry name.NewRepository(image, WeakValidation).String(); an error for
// references that are not repository names (ImageURLInvalid upstream).
Result<std::string> canonical_image_name(const std::string& image);

// Drops every tag any exclusion regex matches (unanchored). An invalid regex is an error.
Result<std::vector<std::string>> filter_tags(const std::vector<std::string>& tags,
                                             const std::vector<std::string>& exclusions);

struct ScanResult {
  std::vector<std::string> tags;         // sorted descending, byte-wise
  std::vector<std::string> latest_tags;  // first 10
  std::string revision;                  // sha256:<hex of the JSON array of `tags`>
};
ScanResult scan_result(std::vector<std::string> filtered_tags);

std::string sha256_hex(std::string_view data);

struct ImageUpdateAutomationSpec {
  std::string name, ns, version;
  SimDuration interval{};
  std::string source_kind = "GitRepository", source_name, source_ns;
  bool has_git = false;
  // spec.git.checkout.ref (empty: the GitRepository's ref)
  std::string checkout_branch, checkout_tag, checkout_commit, checkout_semver, checkout_name;
  std::string author_name, author_email;
  std::string message_template;
  std::map<std::string, std::string> message_values;
  std::string push_branch, push_refspec;
  bool has_update = false;
  std::string update_path;      // "" = repository root
  std::string update_strategy;  // "Setters"
  model::Selector policy_selector;
  bool suspend = false;
  // Errors (code "invalid-image-update-automation") for missing interval/sourceRef and wrong
  // types; a missing or unknown update strategy is left to the controller (Stalled
  // InvalidUpdateStrategy).
  static Result<ImageUpdateAutomationSpec> from_body(const nlohmann::json& body);
};

// The latest image an ImagePolicy reports: status.latestRef {name, tag, digest} (v1, and
// v1beta2 of image-reflector-controller >= 0.35), else status.latestImage "name:tag[@digest]"
// (v1beta1/v1beta2 before). nullopt when there is none.
std::optional<ImageRef> latest_ref_of(const nlohmann::json& policy_body);

// Writes the latest image into `status` with the field names of `version`:
//   v1:      latestRef, observedPreviousRef
//   v1beta2: latestRef, observedPreviousRef and the deprecated latestImage,
//            observedPreviousImage ("name:tag[@digest]")
//   v1beta1: latestImage, observedPreviousImage
// `previous` is recorded only when the image changed.
void write_latest(nlohmann::json& status, const std::string& version, const ImageRef& latest,
                  const std::optional<ImageRef>& previous);

}  // namespace rehearse::image

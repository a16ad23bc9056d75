#include "sim/image/registry.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine/image/automation.hpp"

namespace rehearse::sim {

void FakeRegistry::push(const std::string& canonical, const std::string& tag, std::string digest) {
  Repo& r = repos_[canonical];
  if (digest.empty()) digest = derived_digest(canonical, tag);
  if (!r.digests.count(tag)) r.order.push_back(tag);
  r.digests[tag] = std::move(digest);
}

Result<std::vector<std::string>> FakeRegistry::list_tags(const std::string& canonical) const {
  size_t slash = canonical.find('/');
  std::string host = canonical.substr(0, slash);
  std::string path = slash == std::string::npos ? canonical : canonical.substr(slash + 1);
  if (all_failing_ || failing_.count(canonical))
    return fail("registry-unavailable",
                fmt::format("GET https://{}/v2/{}/tags/list: unexpected status code 503 Service Unavailable", host, path));
  auto it = repos_.find(canonical);
  if (it == repos_.end())
    return fail("registry-name-unknown",
                fmt::format("GET https://{}/v2/{}/tags/list: NAME_UNKNOWN: repository name not known to registry", host, path));
  return it->second.order;
}

std::optional<std::string> FakeRegistry::digest(const std::string& canonical, const std::string& tag) const {
  auto it = repos_.find(canonical);
  if (it == repos_.end()) return std::nullopt;
  auto d = it->second.digests.find(tag);
  if (d == it->second.digests.end()) return std::nullopt;
  return d->second;
}

void FakeRegistry::fail_scans(const std::string& canonical) {
  if (canonical.empty()) all_failing_ = true;
  else failing_.insert(canonical);
}

void FakeRegistry::recover_scans(const std::string& canonical) {
  if (canonical.empty()) {
    all_failing_ = false;
    failing_.clear();
  } else {
    failing_.erase(canonical);
  }
}

std::string FakeRegistry::derived_digest(const std::string& canonical, const std::string& tag) {
  return "sha256:" + image::sha256_hex(canonical + ":" + tag);
}

}  // namespace rehearse::sim

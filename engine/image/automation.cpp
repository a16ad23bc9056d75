#include "engine/image/automation.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/expr/regex.hpp"

namespace rehearse::image {

using nlohmann::json;
using sim::parse_go_duration;
using sim::seconds;

std::string image_api_version(const json& body) {
  std::string av = body.value("apiVersion", "");
  std::string prefix = std::string(kImageGroup) + "/";
  return av.rfind(prefix, 0) == 0 ? av.substr(prefix.size()) : "";
}

namespace {

// Reads `ptr` of `body` as a string; "" when absent; error when another type.
Result<std::string> str_at(const json& body, const char* ptr, const char* code) {
  json::json_pointer p(ptr);
  if (!body.contains(p) || body.at(p).is_null()) return std::string();
  const json& v = body.at(p);
  if (!v.is_string()) return fail(code, fmt::format("{} must be a string", ptr));
  return v.get<std::string>();
}

Result<SimDuration> duration_at(const json& body, const char* ptr, const char* code, bool required) {
  auto s = str_at(body, ptr, code);
  if (!s) return unexpected(s.error());
  if (s->empty()) {
    if (required) return fail(code, fmt::format("{} is required", ptr));
    return SimDuration{0};
  }
  auto d = parse_go_duration(*s);
  if (!d) return fail(code, fmt::format("{}: invalid duration \"{}\"", ptr, *s));
  return *d;
}

}  // namespace

Result<ImageRepositorySpec> ImageRepositorySpec::from_body(const json& body) {
  constexpr const char* kCode = "invalid-image-repository";
  ImageRepositorySpec s;
  s.name = body["metadata"].value("name", "");
  s.ns = body["metadata"].value("namespace", "");
  s.version = image_api_version(body);
  auto image = str_at(body, "/spec/image", kCode);
  if (!image) return unexpected(image.error());
  if (image->empty()) return fail(kCode, "/spec/image is required");
  s.image = *image;
  auto interval = duration_at(body, "/spec/interval", kCode, true);
  if (!interval) return unexpected(interval.error());
  s.interval = *interval;
  auto timeout = duration_at(body, "/spec/timeout", kCode, false);
  if (!timeout) return unexpected(timeout.error());
  // timeout defaults to interval, minimum 1 s (reference 4.1).
  s.timeout = timeout->count() ? *timeout : std::max(s.interval, seconds(1));
  const json spec = body.value("spec", json::object());
  if (spec.contains("exclusionList") && !spec["exclusionList"].is_null()) {
    if (!spec["exclusionList"].is_array()) return fail(kCode, "/spec/exclusionList must be a list of regexes");
    for (const auto& e : spec["exclusionList"]) {
      if (!e.is_string()) return fail(kCode, "/spec/exclusionList entries must be strings");
      s.exclusion_list.push_back(e.get<std::string>());
    }
    if (s.exclusion_list.size() > kMaxExclusions)
      return fail(kCode, fmt::format("/spec/exclusionList: at most {} entries", kMaxExclusions));
  }
  if (s.exclusion_list.empty()) s.exclusion_list = {kDefaultExclusion};
  if (spec.contains("suspend") && spec["suspend"].is_boolean()) s.suspend = spec["suspend"].get<bool>();
  return s;
}

Result<std::string> canonical_image_name(const std::string& image) {
  if (image.empty()) return fail("image-url-invalid", "empty image name");
  if (image.find("://") != std::string::npos)
    return fail("image-url-invalid", fmt::format("could not parse reference: {}", image));
  for (char c : image)
    if (std::isupper(static_cast<unsigned char>(c)) || std::isspace(static_cast<unsigned char>(c)) || c == '@')
      return fail("image-url-invalid", fmt::format("could not parse reference: {}", image));
  std::string registry = "index.docker.io", repo = image;
  size_t slash = image.find('/');
  if (slash != std::string::npos) {
    std::string first = image.substr(0, slash);
    if (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost") {
      registry = first == "docker.io" ? "index.docker.io" : first;
      repo = image.substr(slash + 1);
    }
  }
  if (repo.empty() || repo.find(':') != std::string::npos)
    return fail("image-url-invalid", fmt::format("could not parse reference: {}", image));
  if (registry == "index.docker.io" && repo.find('/') == std::string::npos) repo = "library/" + repo;
  return registry + "/" + repo;
}

Result<std::vector<std::string>> filter_tags(const std::vector<std::string>& tags,
                                             const std::vector<std::string>& exclusions) {
  std::vector<expr::Regex> res;
  for (const auto& e : exclusions) {
    auto r = expr::Regex::compile(e);
    if (!r) return fail("invalid-exclusion", fmt::format("failed to compile regex {}: {}", e, r.error().message));
    res.push_back(*r);
  }
  std::vector<std::string> out;
  for (const auto& t : tags)
    if (std::none_of(res.begin(), res.end(), [&](const expr::Regex& r) { return r.search(t); })) out.push_back(t);
  return out;
}

ScanResult scan_result(std::vector<std::string> tags) {
  ScanResult r;
  std::sort(tags.begin(), tags.end(), std::greater<>());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  r.tags = std::move(tags);
  r.latest_tags.assign(r.tags.begin(), r.tags.begin() + static_cast<long>(std::min(r.tags.size(), kLatestTagsCount)));
  r.revision = "sha256:" + sha256_hex(json(r.tags).dump());
  return r;
}

// FIPS 180-4 SHA-256.
std::string sha256_hex(std::string_view data) {
  static constexpr std::array<std::uint32_t, 64> k = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  std::array<std::uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string msg(data);
  std::uint64_t bits = static_cast<std::uint64_t>(msg.size()) * 8;
  msg += static_cast<char>(0x80);
  while (msg.size() % 64 != 56) msg += '\0';
  for (int i = 7; i >= 0; --i) msg += static_cast<char>((bits >> (i * 8)) & 0xff);
  auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t off = 0; off < msg.size(); off += 64) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (static_cast<std::uint32_t>(static_cast<unsigned char>(msg[off + 4 * i])) << 24) |
             (static_cast<std::uint32_t>(static_cast<unsigned char>(msg[off + 4 * i + 1])) << 16) |
             (static_cast<std::uint32_t>(static_cast<unsigned char>(msg[off + 4 * i + 2])) << 8) |
             static_cast<std::uint32_t>(static_cast<unsigned char>(msg[off + 4 * i + 3]));
    for (int i = 16; i < 64; ++i) {
      std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      std::uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
      std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  std::string out;
  for (auto x : h) out += fmt::format("{:08x}", x);
  return out;
}

Result<ImageUpdateAutomationSpec> ImageUpdateAutomationSpec::from_body(const json& body) {
  constexpr const char* kCode = "invalid-image-update-automation";
  ImageUpdateAutomationSpec s;
  s.name = body["metadata"].value("name", "");
  s.ns = body["metadata"].value("namespace", "");
  s.version = image_api_version(body);
  auto interval = duration_at(body, "/spec/interval", kCode, true);
  if (!interval) return unexpected(interval.error());
  s.interval = *interval;
  struct Field {
    const char* ptr;
    std::string* out;
  };
  for (Field f : {Field{"/spec/sourceRef/kind", &s.source_kind}, Field{"/spec/sourceRef/name", &s.source_name},
                  Field{"/spec/sourceRef/namespace", &s.source_ns},
                  Field{"/spec/git/checkout/ref/branch", &s.checkout_branch},
                  Field{"/spec/git/checkout/ref/tag", &s.checkout_tag},
                  Field{"/spec/git/checkout/ref/commit", &s.checkout_commit},
                  Field{"/spec/git/checkout/ref/semver", &s.checkout_semver},
                  Field{"/spec/git/checkout/ref/name", &s.checkout_name},
                  Field{"/spec/git/commit/author/name", &s.author_name},
                  Field{"/spec/git/commit/author/email", &s.author_email},
                  Field{"/spec/git/commit/messageTemplate", &s.message_template},
                  Field{"/spec/git/push/branch", &s.push_branch}, Field{"/spec/git/push/refspec", &s.push_refspec},
                  Field{"/spec/update/path", &s.update_path}, Field{"/spec/update/strategy", &s.update_strategy}}) {
    auto v = str_at(body, f.ptr, kCode);
    if (!v) return unexpected(v.error());
    if (!v->empty()) *f.out = *v;
  }
  if (s.source_name.empty()) return fail(kCode, "/spec/sourceRef/name is required");
  if (s.source_ns.empty()) s.source_ns = s.ns;
  const json spec = body.value("spec", json::object());
  s.has_git = spec.contains("git") && spec["git"].is_object();
  s.has_update = spec.contains("update") && spec["update"].is_object();
  json::json_pointer values("/spec/git/commit/messageTemplateValues");
  if (body.contains(values) && body.at(values).is_object())
    for (const auto& [k, v] : body.at(values).items())
      if (v.is_string()) s.message_values[k] = v.get<std::string>();
  if (spec.contains("policySelector") && !spec["policySelector"].is_null()) {
    auto sel = model::Selector::from_json(spec["policySelector"]);
    if (!sel) return fail("invalid-policy-selector", sel.error().message);
    s.policy_selector = *sel;
  }
  if (spec.contains("suspend") && spec["suspend"].is_boolean()) s.suspend = spec["suspend"].get<bool>();
  return s;
}

std::optional<ImageRef> latest_ref_of(const json& body) {
  if (!body.contains("status") || !body["status"].is_object()) return std::nullopt;
  const json& st = body["status"];
  if (st.contains("latestRef") && st["latestRef"].is_object()) {
    ImageRef r;
    r.name = st["latestRef"].value("name", "");
    r.tag = st["latestRef"].value("tag", "");
    r.digest = st["latestRef"].value("digest", "");
    if (!r.name.empty()) return r;
  }
  if (st.contains("latestImage") && st["latestImage"].is_string() && !st["latestImage"].get<std::string>().empty())
    return parse_image_ref(st["latestImage"].get<std::string>());
  return std::nullopt;
}

void write_latest(json& status, const std::string& version, const ImageRef& latest,
                  const std::optional<ImageRef>& previous) {
  auto ref_json = [](const ImageRef& r) {
    json j = {{"name", r.name}, {"tag", r.tag}};
    if (!r.digest.empty()) j["digest"] = r.digest;
    return j;
  };
  bool refs = version != "v1beta1";
  bool images = version != "v1";
  if (refs) {
    status["latestRef"] = ref_json(latest);
    if (previous && *previous != latest) status["observedPreviousRef"] = ref_json(*previous);
  }
  if (images) {
    status["latestImage"] = latest.str();
    if (previous && *previous != latest) status["observedPreviousImage"] = previous->str();
  }
}

}  // namespace rehearse::image

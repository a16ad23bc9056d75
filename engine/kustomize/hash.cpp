// Content hash of generated ConfigMaps and Secrets, as kustomize api/hasher computes it, and
// the legacy output order (api/resid/gvk.go, builtin SortOrderTransformer).

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/kustomize/kustomize.hpp"

namespace rehearse::kustomize {

using nlohmann::json;

namespace {

// FIPS 180-4 SHA-256.
class Sha256 {
 public:
  void update(const std::string& s) {
    for (unsigned char c : s) {
      buf_[len_ % 64] = c;
      ++len_;
      if (len_ % 64 == 0) block(buf_.data());
    }
  }
  std::string hex() {
    uint64_t bits = len_ * 8;
    std::string pad(1, static_cast<char>(0x80));
    size_t rem = (len_ + 1) % 64;
    pad.append(rem <= 56 ? 56 - rem : 120 - rem, '\0');
    for (int i = 7; i >= 0; --i) pad += static_cast<char>((bits >> (i * 8)) & 0xFF);
    update(pad);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (uint32_t v : h_)
      for (int i = 28; i >= 0; i -= 4) out += kHex[(v >> i) & 0xF];
    return out;
  }

 private:
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
  void block(const unsigned char* p) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t(p[i * 4]) << 24) | (uint32_t(p[i * 4 + 1]) << 16) |
             (uint32_t(p[i * 4 + 2]) << 8) | uint32_t(p[i * 4 + 3]);
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6],
             h = h_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t t1 = h + S1 + ch + k[i] + w[i];
      uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t2 = S0 + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }
  std::array<uint32_t, 8> h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<unsigned char, 64> buf_{};
  uint64_t len_ = 0;
};

// Go encoding/json string escaping (HTML-safe: <, >, & escaped; U+2028/9 escaped).
void go_json_string(std::string& out, const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    out += static_cast<char>(c);
  }
  out += '"';
}

// A map[string]string the way json.Marshal writes it: keys sorted byte-wise.
void go_json_string_map(std::string& out, const json& m) {
  out += '{';
  bool first = true;
  if (m.is_object()) {
    for (auto it = m.begin(); it != m.end(); ++it) {  // nlohmann objects are sorted by key
      if (!first) out += ',';
      first = false;
      go_json_string(out, it.key());
      out += ':';
      go_json_string(out, it->is_string() ? it->get<std::string>() : it->dump());
    }
  }
  out += '}';
}

std::string encode_hash(const std::string& hex) {
  std::string enc = hex.substr(0, 10);
  for (char& c : enc) {
    switch (c) {
      case '0': c = 'g'; break;
      case '1': c = 'h'; break;
      case '3': c = 'k'; break;
      case 'a': c = 'm'; break;
      case 'e': c = 't'; break;
      default: break;
    }
  }
  return enc;
}

const json& field_or_null(const json& o, const char* k) {
  static const json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(k);
  return it == o.end() ? kNull : *it;
}

}  // namespace

std::string config_hash(const json& obj) {
  const std::string kind = field_or_null(obj, "kind").is_string() ? obj["kind"].get<std::string>() : "";
  const json& md = field_or_null(obj, "metadata");
  (void)md;
  // kustomize v5.5 encodes an empty name (checked against `kubectl kustomize`: the suffix of a
  // generated ConfigMap does not change with its name or namePrefix).
  const std::string name;
  const json& data = field_or_null(obj, "data");
  const json& binary = field_or_null(obj, "binaryData");
  // json.Marshal of a map sorts keys: binaryData?, data, kind, name, type?
  std::string enc = "{";
  if (kind == "ConfigMap") {
    if (binary.is_object() && !binary.empty()) {
      enc += "\"binaryData\":";
      go_json_string_map(enc, binary);
      enc += ',';
    }
    enc += "\"data\":";
    go_json_string_map(enc, data);
    enc += ",\"kind\":\"ConfigMap\",\"name\":";
    go_json_string(enc, name);
  } else {
    enc += "\"data\":";
    go_json_string_map(enc, data);
    enc += ",\"kind\":\"Secret\",\"name\":";
    go_json_string(enc, name);
    enc += ",\"type\":";
    const json& type = field_or_null(obj, "type");
    go_json_string(enc, type.is_string() ? type.get<std::string>() : "");
  }
  enc += '}';
  Sha256 h;
  h.update(enc);
  return encode_hash(h.hex());
}

namespace {

int type_order(const std::string& kind) {
  static const std::map<std::string, int, std::less<>> kOrder = [] {
    std::map<std::string, int, std::less<>> m;
    const char* first[] = {"Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
                           "ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole",
                           "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Service",
                           "LimitRange", "PriorityClass", "PersistentVolume",
                           "PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob",
                           "PodDisruptionBudget"};
    int n = static_cast<int>(std::size(first));
    for (int i = 0; i < n; ++i) m[first[i]] = -n + i;
    m["MutatingWebhookConfiguration"] = 1;
    m["ValidatingWebhookConfiguration"] = 2;
    return m;
  }();
  auto it = kOrder.find(kind);
  return it == kOrder.end() ? 0 : it->second;
}

struct SortKey {
  int order;
  std::string gvk;   // group_version_kind with ~G/~V/~K for empty parts
  std::string rest;  // namespace|name, ~X for no namespace (ResId.String without the gvk)
};

SortKey sort_key(const model::Object& o) {
  auto [g, v] = model::split_api_version(o.api_version());
  std::string gvk = (g.empty() ? std::string("~G") : std::string(g)) + "_" +
                    (v.empty() ? std::string("~V") : std::string(v)) + "_" +
                    (o.kind().empty() ? std::string("~K") : o.kind());
  return {type_order(o.kind()), gvk, (o.ns().empty() ? std::string("~X") : o.ns()) + "|" + o.name()};
}

}  // namespace

void sort_legacy(std::vector<model::Object>& objects) {
  std::vector<std::pair<SortKey, size_t>> keys;
  keys.reserve(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) keys.push_back({sort_key(objects[i]), i});
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    if (a.first.gvk != b.first.gvk) {
      if (a.first.order != b.first.order) return a.first.order < b.first.order;
      return a.first.gvk < b.first.gvk;
    }
    return a.first.rest < b.first.rest;
  });
  std::vector<model::Object> out;
  out.reserve(objects.size());
  for (auto& k : keys) out.push_back(std::move(objects[k.second]));
  objects = std::move(out);
}

}  // namespace rehearse::kustomize

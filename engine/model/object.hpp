#pragma once
// Kubernetes objects as the engines see them: a typed identity (group, version, kind,
// namespace, name) plus an opaque JSON body, and the place each came from.
//
// Identity follows the API server: (group, kind, namespace, name). The version is carried
// for output but two objects that differ only in version are the same object.

#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/kinds.hpp"

namespace rehearse::model {

namespace detail {

// Bytes as a big-endian number: comparing two such numbers compares the bytes in order,
// each as unsigned char (std::string's ordering).
inline uint64_t load_be64(const char* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}
inline uint64_t load_be32(const char* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  return v;
}

// std::string's ordering (the first differing byte as unsigned char decides, else the
// shorter string comes first), inline and a word at a time: keys are compared in every
// map operation, and their fields are short and often share a prefix ("argoproj.io",
// "AnalysisRun", "app-7c9f..."). The tail is read as a word that overlaps bytes already
// found equal, so the first difference inside it is still the first difference overall.
[[gnu::always_inline]] inline std::strong_ordering compare_bytes(const std::string& a,
                                                           const std::string& b) noexcept {
  const char* x = a.data();
  const char* y = b.data();
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  uint64_t u = 0, v = 0;
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      u = load_be64(x + i);
      v = load_be64(y + i);
      if (u != v) return u <=> v;
    }
    if (i < n) {
      u = load_be64(x + n - 8);
      v = load_be64(y + n - 8);
    }
  } else if (n >= 4) {  // bytes [0, 4) then [n-4, n)
    u = load_be32(x) << 32 | load_be32(x + n - 4);
    v = load_be32(y) << 32 | load_be32(y + n - 4);
  } else if (n > 0) {  // bytes 0, n/2, n-1
    auto b3 = [n](const char* p) -> uint64_t {
      return uint64_t{static_cast<unsigned char>(p[0])} << 16 |
             uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 | static_cast<unsigned char>(p[n - 1]);
    };
    u = b3(x);
    v = b3(y);
  }
  if (u != v) return u <=> v;
  return a.size() <=> b.size();
}

// The bytes of `s` mixed into `h`, a word at a time (the tail as an overlapping word, as
// compare_bytes reads it) with the length: fields "ab"+"c" and "a"+"bc" hash apart.
[[gnu::always_inline]] inline uint64_t hash_bytes(uint64_t h, const std::string& s) noexcept {
  auto mix = [](uint64_t x, uint64_t v) {
    x = (x ^ v) * 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 29);
  };
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) h = mix(h, load_be64(p + i));
  uint64_t tail = 0;
  if (n >= 8) {
    if (i < n) tail = load_be64(p + n - 8);
  } else if (n >= 4) {
    tail = uint64_t{load_be32(p)} << 32 | load_be32(p + n - 4);
  } else if (n > 0) {
    tail = uint64_t{static_cast<unsigned char>(p[0])} << 16 |
           uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 | static_cast<unsigned char>(p[n - 1]);
  }
  return mix(mix(h, tail), n);
}

}  // namespace detail

struct ObjectKey {
  std::string group;
  std::string kind;
  std::string ns;  // empty for cluster-scoped objects
  std::string name;

  // Lexicographic over (group, kind, ns, name), as the defaulted operator would be.
  std::strong_ordering operator<=>(const ObjectKey& o) const noexcept {
    if (auto c = detail::compare_bytes(group, o.group); c != 0) return c;
    if (auto c = detail::compare_bytes(kind, o.kind); c != 0) return c;
    if (auto c = detail::compare_bytes(ns, o.ns); c != 0) return c;
    return detail::compare_bytes(name, o.name);
  }
  bool operator==(const ObjectKey&) const = default;

  // "Kind/name" or "Kind/ns/name"; group added as "Kind.group" when not core.
  std::string str() const;
};

// For hash maps that are only probed, never iterated (iteration order would depend on the
// hash: see STYLE.md "Determinism"). Caches keyed by object use it: a lookup hashes the key
// once and compares it once, where a std::map compares it a dozen times, on nodes spread
// over the heap.
struct ObjectKeyHash {
  size_t operator()(const ObjectKey& k) const noexcept {
    uint64_t h = detail::hash_bytes(0x243F6A8885A308D3ull, k.name);
    h = detail::hash_bytes(h, k.ns);
    h = detail::hash_bytes(h, k.kind);
    return static_cast<size_t>(detail::hash_bytes(h, k.group));
  }
};

// Where each key of a YAML document came from, by JSON pointer relative to the document
// root ("" is the document itself, "/spec/replicas" a key). Entries are sorted by pointer.
class SourceMap {
 public:
  SourceMap() = default;
  explicit SourceMap(std::string file) : file_(std::make_shared<const std::string>(std::move(file))) {}

  void add(std::string pointer, int line, int col);
  // Position of `pointer`, or of its nearest ancestor that has one; the file with line 0
  // when nothing matches.
  SourcePos find(std::string_view pointer) const;
  const std::string& file() const;
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // Called once after all add()s; find() requires it.
  void seal();

 private:
  struct Entry {
    std::string pointer;
    int line;
    int col;
  };
  std::shared_ptr<const std::string> file_;
  std::vector<Entry> entries_;
  bool sealed_ = true;
};

class Object {
 public:
  Object() = default;
  // REQUIRES: body is a JSON object with apiVersion, kind and metadata.name.
  explicit Object(JsonBox body);

  // Identity, recomputed from the body by refresh_identity() after edits to it.
  const ObjectKey& key() const { return key_; }
  const std::string& api_version() const { return api_version_; }
  std::string_view version() const;
  Kind known_kind() const { return known_; }
  const std::string& kind() const { return key_.kind; }
  const std::string& name() const { return key_.name; }
  const std::string& ns() const { return key_.ns; }

  // The non-const accessor unshares a copy-on-write body first (see JsonBox); read through
  // a const Object to avoid that. It also clears the stamp: an edited body is no longer the
  // one its store wrote.
  nlohmann::json& body() {
    stamp_ = 0;
    return *body_;
  }
  const nlohmann::json& body() const { return *body_; }
  // Stores call this once they have finished editing: copies then share the body.
  void freeze() { body_.freeze(); }

  // A number the store holding this object sets on every write to it and never reuses (its
  // resourceVersion counter); 0 when unknown (not from a store, or edited since). Two
  // objects with the same non-zero stamp have the same body, so a controller can tell that a
  // stored object did not change without reading its body (as an informer's cache hands out
  // the same pointer for an unchanged object).
  std::uint64_t stamp() const { return stamp_; }
  void set_stamp(std::uint64_t stamp) { stamp_ = stamp; }

  // Re-reads apiVersion/kind/metadata.name/metadata.namespace from the body.
  void refresh_identity();

  // Where the object came from (file and document start); positions of its keys.
  const SourcePos& origin() const { return origin_; }
  void set_origin(SourcePos pos) { origin_ = std::move(pos); }
  const std::shared_ptr<const SourceMap>& source_map() const { return source_map_; }
  void set_source_map(std::shared_ptr<const SourceMap> m) { source_map_ = std::move(m); }
  // Position of a key (JSON pointer), falling back to the object's origin.
  SourcePos pos_of(std::string_view pointer) const;

 private:
  ObjectKey key_;
  std::string api_version_;
  Kind known_ = Kind::Unknown;
  JsonBox body_;
  std::uint64_t stamp_ = 0;
  SourcePos origin_;
  std::shared_ptr<const SourceMap> source_map_;
};

}  // namespace rehearse::model

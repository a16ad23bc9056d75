#pragma once
// Kubernetes objects as the engines see them: a typed identity (group, version, kind,
// namespace, name) plus an opaque JSON body, and the place each came from.
//
// Identity follows the API server: (group, kind, namespace, name). The version is carried
// for output but two objects that differ only in version are the same object.

#include <compare>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/diagnostic.hpp"
#include "engine/model/json_box.hpp"
#include "engine/model/kinds.hpp"

namespace rehearse::model {

struct ObjectKey {
  std::string group;
  std::string kind;
  std::string ns;  // empty for cluster-scoped objects
  std::string name;

  auto operator<=>(const ObjectKey&) const = default;
  bool operator==(const ObjectKey&) const = default;

  // "Kind/name" or "Kind/ns/name"; group added as "Kind.group" when not core.
  std::string str() const;
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
  // a const Object to avoid that.
  nlohmann::json& body() { return *body_; }
  const nlohmann::json& body() const { return *body_; }
  // Stores call this once they have finished editing: copies then share the body.
  void freeze() { body_.freeze(); }

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
  SourcePos origin_;
  std::shared_ptr<const SourceMap> source_map_;
};

}  // namespace rehearse::model

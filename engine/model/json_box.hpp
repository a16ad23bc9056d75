#pragma once
// JsonBox: a value-semantic holder for an nlohmann::json that keeps <nlohmann/json.hpp> out
// of headers (STYLE.md "Build": json costs seconds per translation unit). Code that reads or
// edits the value includes json.hpp itself.
//
// Copies are copy-on-write once the box is frozen: a store (the fake API server, a cache)
// calls freeze() when it has finished editing an object, and from then on copies share the
// document until one of them is edited through the non-const accessors, which unshare
// first. A box that handed out a mutable reference since it was made or last frozen is not
// shared: copying it deep-copies, because that reference may still be written through.
//
// What sharing changes for callers: editing a shared box moves it to a private copy, so a
// const reference taken before the edit keeps pointing at the shared version (valid while
// another holder keeps it). Copy-assigning a box that owns its document alone assigns in
// place, so references to its root keep seeing its value, as before copy-on-write.

#include <memory>
#include <nlohmann/json_fwd.hpp>

namespace rehearse::model {

class JsonBox {
 public:
  JsonBox();  // holds null
  explicit JsonBox(nlohmann::json value);
  JsonBox(const JsonBox& other);
  JsonBox(JsonBox&& other) noexcept;
  JsonBox& operator=(const JsonBox& other);
  JsonBox& operator=(JsonBox&& other) noexcept;
  ~JsonBox();

  nlohmann::json& get() { return mut(); }
  const nlohmann::json& get() const { return *p_; }
  nlohmann::json& operator*() { return mut(); }
  const nlohmann::json& operator*() const { return *p_; }
  nlohmann::json* operator->() { return &mut(); }
  const nlohmann::json* operator->() const { return p_.get(); }

  // Promises that no mutable reference obtained before this call is used again, so copies
  // may share the document (see the header comment).
  void freeze() { frozen_ = true; }
  // Whether this box and `other` hold the very same document (tests, caches).
  bool shares_with(const JsonBox& other) const { return p_ == other.p_; }

 private:
  nlohmann::json& mut() {
    if (p_.use_count() != 1) unshare();
    frozen_ = false;
    return *p_;
  }
  void unshare();

  std::shared_ptr<nlohmann::json> p_;  // never null
  bool frozen_ = true;                 // no mutable reference is outstanding
};

}  // namespace rehearse::model

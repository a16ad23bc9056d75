#pragma once
// JsonBox: a value-semantic holder for an nlohmann::json that keeps <nlohmann/json.hpp> out
// of headers (STYLE.md "Build": json costs seconds per translation unit). Copying a box
// deep-copies the document. Code that reads or edits the value includes json.hpp itself.

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

  nlohmann::json& get() { return *p_; }
  const nlohmann::json& get() const { return *p_; }
  nlohmann::json& operator*() { return *p_; }
  const nlohmann::json& operator*() const { return *p_; }
  nlohmann::json* operator->() { return p_.get(); }
  const nlohmann::json* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<nlohmann::json> p_;  // never null
};

}  // namespace rehearse::model

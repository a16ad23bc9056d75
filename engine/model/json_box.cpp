#include "engine/model/json_box.hpp"

#include <nlohmann/json.hpp>

namespace rehearse::model {

JsonBox::JsonBox() : p_(std::make_unique<nlohmann::json>()) {}
JsonBox::JsonBox(nlohmann::json value) : p_(std::make_unique<nlohmann::json>(std::move(value))) {}
JsonBox::JsonBox(const JsonBox& other) : p_(std::make_unique<nlohmann::json>(*other.p_)) {}
JsonBox::JsonBox(JsonBox&& other) noexcept : p_(std::make_unique<nlohmann::json>()) {
  p_.swap(other.p_);
}
JsonBox& JsonBox::operator=(const JsonBox& other) {
  if (this != &other) *p_ = *other.p_;
  return *this;
}
JsonBox& JsonBox::operator=(JsonBox&& other) noexcept {
  p_.swap(other.p_);
  return *this;
}
JsonBox::~JsonBox() = default;

}  // namespace rehearse::model

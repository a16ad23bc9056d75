#include "engine/model/json_box.hpp"

#include <utility>

#include <nlohmann/json.hpp>

namespace rehearse::model {

namespace {

// Empty and moved-from boxes point here; the extra reference held by this function makes
// use_count() > 1, so the first edit always unshares and the shared null is never written.
const std::shared_ptr<nlohmann::json>& shared_null() {
  static const std::shared_ptr<nlohmann::json> null = std::make_shared<nlohmann::json>();
  return null;
}

}  // namespace

JsonBox::JsonBox() : p_(shared_null()) {}
JsonBox::JsonBox(nlohmann::json value) : p_(std::make_shared<nlohmann::json>(std::move(value))) {}
JsonBox::JsonBox(const JsonBox& other)
    : p_(other.frozen_ ? other.p_ : std::make_shared<nlohmann::json>(*other.p_)) {}
JsonBox::JsonBox(JsonBox&& other) noexcept : p_(std::exchange(other.p_, shared_null())), frozen_(other.frozen_) {
  other.frozen_ = true;
}
JsonBox& JsonBox::operator=(const JsonBox& other) {
  if (this == &other || p_ == other.p_) return *this;
  if (p_.use_count() == 1) {
    // This box owns its document alone, and references into it may be held (a reference
    // to the root taken before the assignment must see the new value, as it did before
    // copy-on-write): assign in place. Boxes with outstanding mutable references are
    // always alone (they unshared first), so they take this path.
    *p_ = *other.p_;
    return *this;
  }
  p_ = other.frozen_ ? other.p_ : std::make_shared<nlohmann::json>(*other.p_);
  frozen_ = true;
  return *this;
}
JsonBox& JsonBox::operator=(JsonBox&& other) noexcept {
  if (this == &other) return *this;
  p_ = std::exchange(other.p_, shared_null());
  frozen_ = std::exchange(other.frozen_, true);
  return *this;
}
JsonBox::~JsonBox() = default;

void JsonBox::unshare() { p_ = std::make_shared<nlohmann::json>(*p_); }

}  // namespace rehearse::model

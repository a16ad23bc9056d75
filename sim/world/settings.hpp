#pragma once
// Validating a controller's scenario settings (`spec.controllers.<name>`, a JSON object the
// controller parses itself): every problem is an error at the controller's key, with the
// path of the bad setting in the message, all collected in one pass.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/diagnostic.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

class SettingsChecker {
 public:
  SettingsChecker(const model::SourcePos& pos, std::string code, model::Diagnostics& diags)
      : pos_(pos), code_(std::move(code)), diags_(diags) {}

  void bad(const std::string& message);
  bool ok() const { return ok_; }
  // A non-negative Go duration string ("11m", "1h30m"); `where` names the setting.
  std::optional<SimDuration> duration(const nlohmann::json& v, const std::string& where,
                                      std::string_view example = "5m");

 private:
  model::SourcePos pos_;
  std::string code_;
  model::Diagnostics& diags_;
  bool ok_ = true;
};

}  // namespace rehearse::sim

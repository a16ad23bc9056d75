#include "engine/model/diagnostic.hpp"

#include <fmt/format.h>

namespace rehearse::model {

std::string SourcePos::str() const {
  if (line <= 0) return file;
  if (col <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, col);
}

static const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

std::string Diagnostic::format() const {
  return fmt::format("{}: {}[{}]: {}", pos.str(), severity_name(severity), code, message);
}

void Diagnostics::error(SourcePos pos, std::string code, std::string message) {
  items_.push_back({Severity::Error, std::move(pos), std::move(code), std::move(message)});
}

void Diagnostics::warning(SourcePos pos, std::string code, std::string message) {
  items_.push_back({Severity::Warning, std::move(pos), std::move(code), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  for (const auto& d : items_)
    if (d.severity == Severity::Error) return true;
  return false;
}

std::string Diagnostics::format() const {
  std::string out;
  for (const auto& d : items_) {
    out += d.format();
    out += '\n';
  }
  return out;
}

}  // namespace rehearse::model

#include "sim/kernel/trace.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "sim/kernel/rng.hpp"

namespace rehearse::sim {
namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

void redact_strings(nlohmann::json& j, const std::string& from, const std::string& to) {
  if (j.is_string()) {
    replace_all(j.get_ref<std::string&>(), from, to);
  } else if (j.is_structured()) {
    for (auto& v : j) redact_strings(v, from, to);
  }
}

}  // namespace

void Trace::record(SimTime t, std::string_view kind, std::string_view object) {
  record(t, kind, object, nlohmann::json::object());
}

void Trace::record(SimTime t, std::string_view kind, std::string_view object,
                   const nlohmann::json& details) {
  ++count_;
  // nlohmann::json objects are std::map-backed: keys serialize sorted, so the line is
  // deterministic. Built by hand to fix the field order of the envelope.
  nlohmann::json d = details.is_null() ? nlohmann::json::object() : details;
  std::string obj(object);
  auto serialize = [&] {
    return fmt::format("{{\"seq\":{},\"t\":{},\"at\":{},\"kind\":{},\"object\":{},\"details\":{}}}", count_,
                       to_ms(t), nlohmann::json(format_short(t - kSimStart)).dump(),
                       nlohmann::json(std::string(kind)).dump(), nlohmann::json(obj).dump(),
                       d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  std::string line = serialize();
  bool redacted = false;
  for (const auto& [from, to] : redactions_) {
    if (from.empty() || line.find(from) == std::string::npos) continue;
    replace_all(obj, from, to);
    redact_strings(d, from, to);
    redacted = true;
  }
  if (redacted) line = serialize();
  hash_ = fnv1a64(line, hash_);
  hash_ = fnv1a64("\n", hash_);
  if (sink_) sink_(line);
  if (keep_) {
    entries_.push_back(TraceEntry{count_, t, std::string(kind), std::move(obj),
                                  model::JsonBox(std::move(d)), std::move(line)});
  }
}

std::string Trace::hash_hex() const { return fmt::format("{:016x}", hash_); }

}  // namespace rehearse::sim

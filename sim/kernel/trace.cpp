#include "sim/kernel/trace.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "sim/kernel/rng.hpp"

namespace rehearse::sim {

void Trace::record(SimTime t, std::string_view kind, std::string_view object) {
  record(t, kind, object, nlohmann::json::object());
}

void Trace::record(SimTime t, std::string_view kind, std::string_view object,
                   const nlohmann::json& details) {
  ++count_;
  // nlohmann::json objects are std::map-backed: keys serialize sorted, so the line is
  // deterministic. Built by hand to fix the field order of the envelope.
  nlohmann::json d = details.is_null() ? nlohmann::json::object() : details;
  std::string line = fmt::format(
      "{{\"seq\":{},\"t\":{},\"at\":{},\"kind\":{},\"object\":{},\"details\":{}}}", count_,
      to_ms(t), nlohmann::json(format_short(t - kSimStart)).dump(),
      nlohmann::json(std::string(kind)).dump(), nlohmann::json(std::string(object)).dump(),
      d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  hash_ = fnv1a64(line, hash_);
  hash_ = fnv1a64("\n", hash_);
  if (sink_) sink_(line);
  if (keep_) {
    entries_.push_back(TraceEntry{count_, t, std::string(kind), std::string(object),
                                  model::JsonBox(std::move(d)), std::move(line)});
  }
}

std::string Trace::hash_hex() const { return fmt::format("{:016x}", hash_); }

}  // namespace rehearse::sim

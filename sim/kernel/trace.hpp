#pragma once
// The simulation trace: one JSON line per thing that happened, in dispatch order, and a
// running 64-bit FNV-1a hash over the exact bytes of every line. Same inputs and seed give
// the same lines and the same hash on any machine (PRODUCT.md "Determinism").
//
// Line shape (stable; users parse it):
//   {"seq":N,"t":MS,"at":"1m30s","kind":"argocd.sync.started","object":"Kind/ns/name","details":{...}}

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model/json_box.hpp"
#include "sim/kernel/time.hpp"

namespace rehearse::sim {

struct TraceEntry {
  std::uint64_t seq = 0;
  SimTime t{};
  std::string kind;
  std::string object;
  model::JsonBox details;  // a JSON object (possibly empty)
  std::string line;        // the serialized line, without '\n'
};

class Trace {
 public:
  // keep_entries=false drops entries after hashing (benchmarks, long soaks).
  explicit Trace(bool keep_entries = true) : keep_(keep_entries) {}

  void record(SimTime t, std::string_view kind, std::string_view object,
              const nlohmann::json& details);
  void record(SimTime t, std::string_view kind, std::string_view object);

  std::uint64_t hash() const { return hash_; }
  std::uint64_t count() const { return count_; }
  std::string hash_hex() const;  // 16 lowercase hex digits
  const std::vector<TraceEntry>& entries() const { return entries_; }
  // Called with every line as it is recorded (e.g. a JSONL file writer).
  void set_sink(std::function<void(const std::string&)> sink) { sink_ = std::move(sink); }
  // Every occurrence of `from` in a recorded string is replaced by `to` before hashing: a
  // safety net so that a host path (a scratch directory named after the process) can never
  // make two runs of one scenario differ.
  void redact(std::string from, std::string to) { redactions_.emplace_back(std::move(from), std::move(to)); }

 private:
  bool keep_;
  std::uint64_t hash_ = 14695981039346656037ull;
  std::uint64_t count_ = 0;
  std::vector<TraceEntry> entries_;
  std::function<void(const std::string&)> sink_;
  std::vector<std::pair<std::string, std::string>> redactions_;
};

}  // namespace rehearse::sim

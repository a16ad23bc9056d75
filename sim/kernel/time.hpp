#pragma once
// Simulated time. Integer milliseconds on a clock that has no now(): time only moves when
// the event queue dispatches (STYLE.md "Determinism"). t=0 is the simulation epoch, printed
// as kEpochRfc3339 in Kubernetes timestamps (creationTimestamp, conditions).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/model/result.hpp"

namespace rehearse::sim {

struct SimClock {
  using rep = std::int64_t;
  using period = std::milli;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<SimClock>;
  static constexpr bool is_steady = true;
  // No now(): simulated time is passed in, never read.
};

using SimDuration = SimClock::duration;
using SimTime = SimClock::time_point;

constexpr SimTime kSimStart{};
// Wall-clock instant that SimTime 0 stands for in timestamps: 2025-01-01T00:00:00Z.
constexpr std::int64_t kEpochUnixSeconds = 1735689600;

constexpr SimDuration ms(std::int64_t v) { return SimDuration{v}; }
constexpr SimDuration seconds(std::int64_t v) { return SimDuration{v * 1000}; }
constexpr SimDuration minutes(std::int64_t v) { return SimDuration{v * 60'000}; }
constexpr SimDuration hours(std::int64_t v) { return SimDuration{v * 3'600'000}; }

inline std::int64_t to_ms(SimTime t) { return t.time_since_epoch().count(); }
inline std::int64_t to_ms(SimDuration d) { return d.count(); }

// Parses a Go time.Duration string ("300ms", "5m", "1h30m", "1.5h", "-2s", "0").
// Units: ns, us, µs, ms, s, m, h. Sub-millisecond parts are truncated toward zero.
Result<SimDuration> parse_go_duration(std::string_view text);
// Formats like Go's Duration.String(): "1h30m0s", "5m0s", "300ms", "0s".
std::string format_go_duration(SimDuration d);
// Compact form for traces and messages: "1h30m", "5m", "2.5s", "300ms", "0s".
std::string format_short(SimDuration d);
// "2025-01-01T00:05:00Z" (seconds precision, as metav1.Time marshals).
std::string format_rfc3339(SimTime t);
// The same text written into `out`, reusing its storage.
void assign_rfc3339(std::string& out, SimTime t);
// The inverse of format_rfc3339 for timestamps at or after the epoch; also accepts
// fractional seconds. Error when not RFC 3339.
Result<SimTime> parse_rfc3339(std::string_view text);

}  // namespace rehearse::sim

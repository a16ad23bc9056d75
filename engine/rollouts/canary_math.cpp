#include "engine/rollouts/canary_math.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace rehearse::rollouts {

using nlohmann::json;

Result<int> int_or_percent(const json& value, int total, bool round_up) {
  if (value.is_number_integer()) return static_cast<int>(value.get<std::int64_t>());
  if (!value.is_string())
    return fail("invalid-intorstr", fmt::format("{} is not an integer or a percentage", value.dump()));
  std::string s = value.get<std::string>();
  if (!s.empty() && s.back() == '%') s.pop_back();
  int pct = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), pct);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return fail("invalid-intorstr",
                fmt::format("invalid value for IntOrString: invalid type: string is not a "
                            "percentage: \"{}\"", value.get<std::string>()));
  const double v = static_cast<double>(pct) * total / 100.0;
  return static_cast<int>(round_up ? std::ceil(v) : std::floor(v));
}

Result<Fenceposts> resolve_fenceposts(const json* max_surge, const json* max_unavailable,
                                      int replicas) {
  static const json kDefault = "25";  // utils/defaults: the string "25", meaning 25%
  const json& ms = max_surge && !max_surge->is_null() ? *max_surge : kDefault;
  const json& mu = max_unavailable && !max_unavailable->is_null() ? *max_unavailable : kDefault;
  auto surge = int_or_percent(ms, replicas, true);
  if (!surge) return unexpected(surge.error());
  auto unavailable = int_or_percent(mu, replicas, false);
  if (!unavailable) return unexpected(unavailable.error());
  Fenceposts f{*surge, *unavailable};
  if (f.surge == 0 && f.unavailable == 0) f.unavailable = 1;
  if (replicas == 0) f.unavailable = 0;
  f.unavailable = std::min(f.unavailable, replicas);
  return f;
}

namespace {
bool floor_ceiling_tied(int weight, int total) {
  double ip = 0;
  return std::modf(static_cast<double>(total) * (static_cast<double>(weight) / 100.0), &ip) == 0.5;
}
double weight_delta(int weight, int canary, int total) {
  return std::abs(static_cast<double>(canary * 100) / total - weight);
}
}  // namespace

std::pair<int, int> approximate_weighted_counts(int replicas, int weight, int max_surge) {
  if (replicas == 0) return {0, 0};
  const int ceil_c = static_cast<int>(std::ceil(static_cast<double>(replicas * weight) / 100.0));
  const int floor_c = static_cast<int>(std::floor(static_cast<double>(replicas * weight) / 100.0));
  const bool zero_allowed = weight == 100 || weight == 0 || (replicas == 1 && max_surge == 0);
  std::array<std::pair<int, int>, 4> options;  // (canary, total), in preference order
  size_t n = 0;
  if (ceil_c < replicas || zero_allowed) options[n++] = {ceil_c, replicas};
  if (!floor_ceiling_tied(weight, replicas) && (floor_c != 0 || zero_allowed))
    options[n++] = {floor_c, replicas};
  if (max_surge > 0) {
    options[n++] = {ceil_c, replicas + 1};
    if (!floor_ceiling_tied(weight, replicas + 1) && (floor_c != 0 || zero_allowed))
      options[n++] = {floor_c, replicas + 1};
  }
  if (n == 0) return {0, replicas};
  auto best = options[0];
  double best_delta = weight_delta(weight, best.first, best.second);
  for (size_t i = 1; i < n; ++i) {
    double d = weight_delta(weight, options[i].first, options[i].second);
    if (d < best_delta) best = options[i], best_delta = d;  // ties keep the earlier option
  }
  return {best.first, best.second - best.first};
}

int traffic_weight_to_replicas(int replicas, int weight, int max_weight) {
  return static_cast<int>(std::ceil(static_cast<double>(weight) * replicas / max_weight));
}

namespace {

// GetReplicasForScaleDown.
int removable(const std::optional<RsCounts>& rs, bool ignore_availability) {
  if (!rs) return 0;
  if (rs->spec < rs->available) return rs->spec;
  return ignore_availability ? rs->spec : rs->available;
}

// Drains `drain` toward its target by up to `scale_down` (never below the target).
int drain_toward(const std::optional<RsCounts>& drain, int target, int scale_down, int current) {
  if (drain && drain->spec > target) return std::max(target, drain->spec - scale_down);
  return current;
}

// adjustReplicaWithinLimits: the RS whose availability counts (`adjust`) gives back what
// would exceed R + maxSurge, then takes back what it needs to keep minAvailable; whatever
// is still over the limit comes off the drained RS. Returns (drain, adjust).
std::pair<int, int> adjust_within_limits(const std::optional<RsCounts>& drain,
                                         const std::optional<RsCounts>& adjust, int drain_count,
                                         int adjust_count, int max_total, int min_available) {
  int available = 0;
  int over = std::max(0, adjust_count + drain_count - max_total);
  if (drain) available += std::min(drain->available, drain_count);
  if (adjust) {
    adjust_count -= over;
    available += std::min(adjust->available, adjust_count);
    const int lost = std::max(0, adjust->available - adjust_count);
    const int needed = std::max(0, min_available - available);
    adjust_count += std::min(lost, needed);
    over = std::max(0, adjust_count + drain_count - max_total);
    drain_count -= over;
  }
  return {drain_count, adjust_count};
}

}  // namespace

std::pair<int, int> basic_canary_counts(const BasicCanaryInput& in) {
  const int R = in.replicas;
  auto [want_canary, want_stable] =
      approximate_weighted_counts(R, in.weight, in.fenceposts.surge);
  int canary = in.canary ? in.canary->spec : 0;
  int stable = 0;
  const bool scale_stable = in.stable.has_value();
  if (scale_stable) {
    stable = in.stable->spec;
  } else {
    want_canary = R;  // no stable: the steps do not apply, go to 100%
    want_stable = 0;
  }
  const int max_total = R + in.fenceposts.surge;
  int total = canary + (scale_stable ? stable : 0);
  int older_total = 0;
  for (const auto& o : in.older) older_total += o.spec;
  total += older_total;
  int room = max_total - total;
  if (scale_stable && in.stable->spec < want_stable && room > 0) {
    if (in.stable->spec + room < want_stable) {
      stable = in.stable->spec + room;
      room = 0;
    } else {
      stable = want_stable;
      room -= want_stable - in.stable->spec;
    }
  }
  if (in.canary && in.canary->spec < want_canary && room > 0)
    canary = std::min(want_canary, in.canary->spec + room);
  if (older_total > 0) return {canary, stable};  // older RSs drain first

  const int min_available = R - in.fenceposts.unavailable;
  const bool increasing = !in.canary || want_canary >= in.canary->spec;
  const int sum = removable(in.canary, !increasing) + removable(in.stable, increasing);
  if (sum <= min_available) return {canary, stable};
  const int scale_down = sum - min_available;
  if (!increasing) {
    canary = drain_toward(in.canary, want_canary, scale_down, canary);
    std::tie(canary, stable) =
        adjust_within_limits(in.canary, in.stable, canary, stable, max_total, min_available);
  } else if (scale_stable) {
    stable = drain_toward(in.stable, want_stable, scale_down, stable);
    std::tie(stable, canary) =
        adjust_within_limits(in.stable, in.canary, stable, canary, max_total, min_available);
  }
  return {canary, stable};
}

std::pair<int, int> traffic_canary_counts(const TrafficCanaryInput& in) {
  const int R = in.replicas;
  auto min_pods = [&](int count) {
    if (count == 0 || !in.min_pods_per_replica_set) return count;
    return std::max(count, std::min(*in.min_pods_per_replica_set, R));
  };
  int canary = in.scale_replicas ? *in.scale_replicas
                                 : min_pods(traffic_weight_to_replicas(R, in.weight));
  if (!in.dynamic_stable_scale) return {canary, R};
  int stable = traffic_weight_to_replicas(R, 100 - in.weight);
  if (in.current_weights) {
    stable = std::max(stable, traffic_weight_to_replicas(R, in.current_weights->second));
    if (in.aborted)
      canary = std::max(canary, traffic_weight_to_replicas(R, in.current_weights->first));
  }
  return {min_pods(canary), min_pods(stable)};
}

}  // namespace rehearse::rollouts

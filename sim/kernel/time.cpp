#include "sim/kernel/time.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

namespace rehearse::sim {

Result<SimDuration> parse_go_duration(std::string_view s) {
  const std::string orig(s);
  auto bad = [&] { return fail("invalid-duration", fmt::format("invalid duration \"{}\"", orig)); };
  if (s.empty()) return bad();
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return SimDuration{0};
  if (s.empty()) return bad();
  long double total_ns = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double value = 0;
    bool any = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      ++i;
      any = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
        any = true;
      }
    }
    if (!any) return bad();
    s.remove_prefix(i);
    long double unit = 0;
    if (s.starts_with("ns")) {
      unit = 1, s.remove_prefix(2);
    } else if (s.starts_with("us")) {
      unit = 1e3L, s.remove_prefix(2);
    } else if (s.starts_with("\xC2\xB5s")) {
      unit = 1e3L, s.remove_prefix(3);
    } else if (s.starts_with("ms")) {
      unit = 1e6L, s.remove_prefix(2);
    } else if (s.starts_with("s")) {
      unit = 1e9L, s.remove_prefix(1);
    } else if (s.starts_with("m")) {
      unit = 60e9L, s.remove_prefix(1);
    } else if (s.starts_with("h")) {
      unit = 3600e9L, s.remove_prefix(1);
    } else {
      return fail("invalid-duration",
                  fmt::format("missing or unknown unit in duration \"{}\"", orig));
    }
    total_ns += value * unit;
    if (total_ns > 9.2e18L) return fail("invalid-duration", fmt::format("duration \"{}\" overflows", orig));
  }
  auto ms_total = static_cast<std::int64_t>(total_ns / 1e6L);
  return SimDuration{neg ? -ms_total : ms_total};
}

std::string format_go_duration(SimDuration d) {
  std::int64_t v = d.count();
  if (v == 0) return "0s";
  std::string sign = v < 0 ? "-" : "";
  if (v < 0) v = -v;
  if (v < 1000) return fmt::format("{}{}ms", sign, v);
  std::int64_t h = v / 3'600'000, m = (v / 60'000) % 60, s = (v / 1000) % 60, rem = v % 1000;
  std::string sec = rem ? fmt::format("{}.{:03}", s, rem) : std::to_string(s);
  while (rem && sec.back() == '0') sec.pop_back();
  if (h) return fmt::format("{}{}h{}m{}s", sign, h, m, sec);
  if (m) return fmt::format("{}{}m{}s", sign, m, sec);
  return fmt::format("{}{}s", sign, sec);
}

std::string format_short(SimDuration d) {
  std::int64_t v = d.count();
  if (v == 0) return "0s";
  std::string sign = v < 0 ? "-" : "";
  if (v < 0) v = -v;
  if (v < 1000) return fmt::format("{}{}ms", sign, v);
  std::int64_t h = v / 3'600'000, m = (v / 60'000) % 60, s = (v / 1000) % 60, rem = v % 1000;
  std::string out = sign;
  if (h) out += fmt::format("{}h", h);
  if (m) out += fmt::format("{}m", m);
  if (s || rem) {
    std::string sec = rem ? fmt::format("{}.{:03}", s, rem) : std::to_string(s);
    while (rem && sec.back() == '0') sec.pop_back();
    out += sec + "s";
  }
  return out;
}

namespace {
// Days from civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}
}  // namespace

void assign_rfc3339(std::string& out, SimTime t) {
  const std::int64_t ms_total = to_ms(t);
  const std::int64_t secs = kEpochUnixSeconds + (ms_total >= 0 ? ms_total / 1000 : (ms_total - 999) / 1000);
  const std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const std::int64_t sod = secs - days * 86400;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y < 0 || y > 9999) {  // fmt's {:04}: a sign, or a fifth digit
    out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, sod / 3600, (sod / 60) % 60, sod % 60);
    return;
  }
  // The same text without fmt: controllers stamp statuses on most reconciles.
  char buf[20] = {0, 0, 0, 0, '-', 0, 0, '-', 0, 0, 'T', 0, 0, ':', 0, 0, ':', 0, 0, 'Z'};
  auto put2 = [&](int at, std::int64_t v) {
    buf[at] = static_cast<char>('0' + v / 10);
    buf[at + 1] = static_cast<char>('0' + v % 10);
  };
  put2(0, y / 100);
  put2(2, y % 100);
  put2(5, m);
  put2(8, d);
  put2(11, sod / 3600);
  put2(14, (sod / 60) % 60);
  put2(17, sod % 60);
  out.assign(buf, sizeof buf);
}

std::string format_rfc3339(SimTime t) {
  std::string s;
  assign_rfc3339(s, t);
  return s;
}

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

Result<SimTime> parse_rfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  // Fast path, without sscanf: "YYYY-MM-DDTHH:MM:SS[.fff]Z" holding a valid date and time of
  // day (what format_rfc3339 and the status stamps write); the general parse below gives the
  // same time for it.
  {
    int ms = 0;
    const bool frac3 = s.size() == 24 && s[19] == '.' && digits(s, 20, 3, ms);
    if ((s.size() == 20 || frac3) && s.back() == 'Z' && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
        s[13] == ':' && s[16] == ':' && digits(s, 0, 4, y) && digits(s, 5, 2, mo) && digits(s, 8, 2, d) &&
        digits(s, 11, 2, h) && digits(s, 14, 2, mi) && digits(s, 17, 2, sec) && mo >= 1 && mo <= 12 &&
        d >= 1 && h < 24 && mi < 60 && sec < 60) {
      const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                            std::chrono::day{static_cast<unsigned>(d)}};
      if (ymd.ok()) {
        const std::int64_t secs =
            days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + sec;
        return SimTime{SimDuration{(secs - kEpochUnixSeconds) * 1000 + ms}};
      }
    }
  }
  char tail[64] = {0};
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%63s", &y, &mo, &d, &h, &mi, &sec, tail) < 6)
    return fail("invalid-time", fmt::format("invalid RFC 3339 time \"{}\"", s));
  std::string_view rest(tail);
  std::int64_t frac_ms = 0;
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (rest[0] - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  std::int64_t offset = 0;
  if (rest == "Z" || rest == "z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = (rest[1] - '0') * 10 + (rest[2] - '0');
    int om = (rest[4] - '0') * 10 + (rest[5] - '0');
    offset = (rest[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  } else {
    return fail("invalid-time", fmt::format("invalid RFC 3339 time \"{}\"", s));
  }
  std::int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                      h * 3600 + mi * 60 + sec - offset;
  return SimTime{SimDuration{(secs - kEpochUnixSeconds) * 1000 + frac_ms}};
}

}  // namespace rehearse::sim
